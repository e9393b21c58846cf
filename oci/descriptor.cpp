#include "oci/descriptor.hpp"

#include "oci/base64.hpp"

namespace hoist::oci {
Descriptor Descriptor::of(std::string_view media_type, std::string_view bytes) {
    return Descriptor{.media_type = std::string(media_type),
                      .digest = Digest::of(bytes),
                      .size = static_cast<std::int64_t>(bytes.size())};
}

Result<Descriptor> Descriptor::from_json(const json::Json& object, std::string_view what) {
    auto digest_text = HOIST_TRY(json::string_field(object, "digest", what));
    auto media_type = HOIST_TRY(json::string_field(object, "mediaType", what));
    auto digest = HOIST_TRY(in_context(Digest::parse(digest_text), what));
    Descriptor descriptor{.media_type = std::move(media_type), .digest = std::move(digest)};
    descriptor.size = HOIST_TRY(json::size_field(object, "size", what));
    descriptor.urls = HOIST_TRY(json::string_array(object, "urls", what));
    descriptor.annotations = HOIST_TRY(json::string_map(object, "annotations", what));
    descriptor.data = HOIST_TRY(json::optional_string(object, "data", what));
    descriptor.artifact_type = HOIST_TRY(json::optional_string(object, "artifactType", what));
    if (auto platform = object.find("platform"); platform != object.end() && !platform->is_null()) {
        descriptor.platform = HOIST_TRY(in_context(Platform::from_json(*platform), what));
    }
    if (descriptor.data) {
        auto bytes = decode_base64(*descriptor.data);
        if (!bytes) {
            return fail(Errc::invalid_argument, std::string(what) + ": \"data\" is not valid base64");
        }
        if (static_cast<std::int64_t>(bytes->size()) != descriptor.size ||
            Digest::of(*bytes, descriptor.digest.algorithm()) != descriptor.digest) {
            return fail(Errc::digest_mismatch, std::string(what) + ": \"data\" does not match the size and digest");
        }
    }
    return descriptor;
}

Result<std::vector<Descriptor>> descriptor_array(const json::Json& object, std::string_view key,
                                                 std::string_view what) {
    std::vector<Descriptor> descriptors;
    auto items = HOIST_TRY(json::object_array(object, key, what));
    for (std::size_t i = 0; i < items.size(); ++i) {
        descriptors.push_back(HOIST_TRY(Descriptor::from_json(
            items[i], std::string(what) + ": " + std::string(key) + "[" + std::to_string(i) + "]")));
    }
    return descriptors;
}

Result<std::optional<Descriptor>> optional_descriptor(const json::Json& object, std::string_view key,
                                                      std::string_view what) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::nullopt;
    }
    return HOIST_TRY(Descriptor::from_json(*it, std::string(what) + ": " + std::string(key)));
}

json::Json to_json(const std::vector<Descriptor>& descriptors) {
    json::Json array = json::Json::array();
    for (const auto& descriptor : descriptors) {
        array.push_back(descriptor.to_json());
    }
    return array;
}

json::Json Descriptor::to_json() const {
    json::Json object = {{"mediaType", media_type}, {"digest", digest.to_string()}, {"size", size}};
    json::set_if(object, "urls", urls);
    json::set_if(object, "annotations", annotations);
    json::set_if(object, "data", data);
    json::set_if(object, "artifactType", artifact_type);
    if (platform) {
        object["platform"] = platform->to_json();
    }
    return object;
}

}  // namespace hoist::oci
