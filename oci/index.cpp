#include "oci/index.hpp"

#include "oci/manifest.hpp"

namespace hoist::oci {

Result<Index> Index::parse(std::string_view bytes) {
    auto object = HOIST_TRY(json::parse_object(bytes, "index"));
    auto type = HOIST_TRY(parse_manifest_header(object, "index"));
    if (type && !media_type::is_index(*type)) {
        return fail(media_type::is_manifest(*type) ? Errc::invalid_argument : Errc::unsupported,
                    "index: media type " + *type + " is not an image index");
    }
    if (object.find("manifests") == object.end() || !object["manifests"].is_array()) {
        return fail(Errc::invalid_argument, "index: \"manifests\" must be an array");
    }
    Index index{.media_type = type.value_or(std::string(media_type::oci_index))};
    index.artifact_type = HOIST_TRY(json::optional_string(object, "artifactType", "index"));
    index.annotations = HOIST_TRY(json::string_map(object, "annotations", "index"));
    index.manifests = HOIST_TRY(descriptor_array(object, "manifests", "index"));
    index.subject = HOIST_TRY(optional_descriptor(object, "subject", "index"));
    return index;
}

std::string Index::to_json() const {
    json::Json object = {{"schemaVersion", 2}, {"mediaType", media_type}};
    object["manifests"] = oci::to_json(manifests);
    json::set_if(object, "artifactType", artifact_type);
    if (subject) {
        object["subject"] = subject->to_json();
    }
    json::set_if(object, "annotations", annotations);
    return object.dump();
}

}  // namespace hoist::oci
