// The content descriptor of image-spec 1.1: what a manifest, index or layout points at.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.hpp"
#include "oci/json.hpp"
#include "oci/platform.hpp"

namespace hoist::oci {

// Annotation keys that hoist reads or writes.
inline constexpr std::string_view k_ref_name_annotation = "org.opencontainers.image.ref.name";
inline constexpr std::string_view k_created_annotation = "org.opencontainers.image.created";

struct Descriptor {
    std::string media_type;
    Digest digest;
    std::int64_t size = 0;
    std::vector<std::string> urls;
    json::StringMap annotations;
    std::optional<std::string> data;  // base64 of the content itself
    std::optional<std::string> artifact_type;
    std::optional<Platform> platform;

    // The descriptor of `bytes` (sha256).
    static Descriptor of(std::string_view media_type, std::string_view bytes);
    // Strict: mediaType, digest and size are required; `data`, when present, must decode to
    // exactly the described content. `what` names the descriptor in error messages.
    static Result<Descriptor> from_json(const json::Json& object, std::string_view what);
    json::Json to_json() const;
};

// The descriptors in the array object[key] (none when absent); errors name the element, as in
// "manifest: layers[1]: ...".
Result<std::vector<Descriptor>> descriptor_array(const json::Json& object, std::string_view key, std::string_view what);
// object[key] as a descriptor, when it is there and not null.
Result<std::optional<Descriptor>> optional_descriptor(const json::Json& object, std::string_view key,
                                                      std::string_view what);
json::Json to_json(const std::vector<Descriptor>& descriptors);

}  // namespace hoist::oci
