#include "oci/manifest.hpp"

#include "oci/media_type.hpp"

namespace hoist::oci {

Result<std::optional<std::string>> parse_manifest_header(const json::Json& object, std::string_view what) {
    auto version = object.find("schemaVersion");
    if (version == object.end() || !version->is_number_integer() || version->get<std::int64_t>() != 2) {
        return fail(Errc::invalid_argument, std::string(what) + ": \"schemaVersion\" must be 2");
    }
    return json::optional_string(object, "mediaType", what);
}

Result<Manifest> Manifest::parse(std::string_view bytes) {
    auto object = HOIST_TRY(json::parse_object(bytes, "manifest"));
    auto type = HOIST_TRY(parse_manifest_header(object, "manifest"));
    if (type && !media_type::is_manifest(*type)) {
        return fail(media_type::is_index(*type) ? Errc::invalid_argument : Errc::unsupported,
                    "manifest: media type " + *type + " is not an image manifest");
    }
    if (object.find("config") == object.end() || !object["config"].is_object()) {
        return fail(Errc::invalid_argument, "manifest: \"config\" must be an object");
    }
    if (object.find("layers") == object.end() || !object["layers"].is_array()) {
        return fail(Errc::invalid_argument, "manifest: \"layers\" must be an array");
    }
    auto config = HOIST_TRY(Descriptor::from_json(object["config"], "manifest: config"));
    Manifest manifest{.media_type = type.value_or(std::string(media_type::oci_manifest)), .config = std::move(config)};
    manifest.artifact_type = HOIST_TRY(json::optional_string(object, "artifactType", "manifest"));
    manifest.annotations = HOIST_TRY(json::string_map(object, "annotations", "manifest"));
    manifest.layers = HOIST_TRY(descriptor_array(object, "layers", "manifest"));
    manifest.subject = HOIST_TRY(optional_descriptor(object, "subject", "manifest"));
    return manifest;
}

std::string Manifest::to_json() const {
    json::Json object = {{"schemaVersion", 2}, {"mediaType", media_type}, {"config", config.to_json()}};
    object["layers"] = oci::to_json(layers);
    json::set_if(object, "artifactType", artifact_type);
    if (subject) {
        object["subject"] = subject->to_json();
    }
    json::set_if(object, "annotations", annotations);
    return object.dump();
}

}  // namespace hoist::oci
