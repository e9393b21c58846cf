// An image index: OCI image-spec 1.1 index or Docker manifest list. The layout's index.json is one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/descriptor.hpp"
#include "oci/media_type.hpp"

namespace hoist::oci {

struct Index {
    std::string media_type{media_type::oci_index};
    std::optional<std::string> artifact_type;
    std::vector<Descriptor> manifests;
    std::optional<Descriptor> subject;
    json::StringMap annotations;

    // Strict: schemaVersion 2 and a manifests array of valid descriptors. A missing mediaType
    // means OCI; an image manifest or an unknown media type is refused.
    static Result<Index> parse(std::string_view bytes);
    std::string to_json() const;
};

}  // namespace hoist::oci
