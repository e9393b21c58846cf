// The platform an image runs on ("linux/arm64/v8"), as the OCI image index describes it.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "oci/error.hpp"

namespace hoist::oci {

struct Platform {
    std::string os;
    std::string architecture;
    std::string variant;
    std::string os_version;
    std::vector<std::string> os_features;

    // Reads "os/arch" or "os/arch/variant" as written, without normalising it; each part must be
    // non-empty and of [a-z0-9_-]. os.version and os.features have no text form. Errors are
    // Errc::invalid_argument, 'invalid platform "<text>": <why>'.
    static Result<Platform> parse(std::string_view text);
    // os/arch[/variant]: the inverse of parse().
    std::string to_string() const;

    // The canonical spelling: os and architecture lower-cased; x86_64, x86-64 -> amd64 (variant
    // v1 -> ""); aarch64 -> arm64 (variant 8, v8, v8.0 -> ""); armhf -> arm/v7, armel -> arm/v6,
    // arm's variant "" or "7" -> v7 and 5, 6, 8 -> v5, v6, v8; i386 -> 386.
    Platform normalized() const;
    // Whether an image for this platform (a manifest's) runs where `wanted` is asked for: after
    // normalising both, os, architecture and variant are equal, and os_version is equal when
    // `wanted` names one. os_features are not compared.
    bool matches(const Platform& wanted) const;
    // The machine this process runs on, from uname(2), normalised: "linux/amd64", "linux/arm/v7".
    static Platform host();

    // The image-spec object: "os", "architecture", and "variant", "os.version", "os.features"
    // when not empty.
    nlohmann::json to_json() const;
    // Strict: "os" and "architecture" are required non-empty strings, "variant" and "os.version"
    // strings, "os.features" an array of strings; other keys are ignored. Errors are
    // Errc::invalid_argument naming the field: 'platform: "architecture" must be a string'.
    static Result<Platform> from_json(const nlohmann::json& j);

    bool operator==(const Platform&) const = default;
};

}  // namespace hoist::oci
