// An image manifest: OCI image-spec 1.1 or Docker schema 2 (same shape, different media types).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/descriptor.hpp"
#include "oci/media_type.hpp"

namespace hoist::oci {

struct Manifest {
    std::string media_type{media_type::oci_manifest};
    std::optional<std::string> artifact_type;
    Descriptor config;
    std::vector<Descriptor> layers;
    std::optional<Descriptor> subject;
    json::StringMap annotations;

    // Strict: schemaVersion 2, a config and a layers array of valid descriptors. A missing
    // mediaType means OCI; an index or an unknown media type is refused.
    static Result<Manifest> parse(std::string_view bytes);
    // The JSON text hoist writes; parse(to_json()) gives this manifest back.
    std::string to_json() const;
};

// Reads "schemaVersion" (must be 2) and "mediaType" (may be absent) of a manifest or index.
// Shared by Manifest and Index.
Result<std::optional<std::string>> parse_manifest_header(const json::Json& object, std::string_view what);

}  // namespace hoist::oci
