#include "oci/copy.hpp"

#include "oci/index.hpp"
#include "oci/manifest.hpp"
#include "oci/media_type.hpp"

namespace hoist::oci {
namespace {

Result<void> copy_node(ImageSource& source, const Descriptor& node, ImageSink& sink) {
    if (media_type::is_index(node.media_type)) {
        auto bytes = HOIST_TRY(source.read_blob(node));
        auto index = HOIST_TRY(Index::parse(bytes));
        for (const auto& child : index.manifests) {
            HOIST_TRY(copy_image(source, child, sink));
        }
        return sink.put_manifest(node, bytes);
    }
    if (media_type::is_manifest(node.media_type)) {
        auto bytes = HOIST_TRY(source.read_blob(node));
        auto manifest = HOIST_TRY(Manifest::parse(bytes));
        HOIST_TRY(copy_image(source, manifest.config, sink));
        for (const auto& layer : manifest.layers) {
            HOIST_TRY(copy_image(source, layer, sink));
        }
        return sink.put_manifest(node, bytes);
    }
    if (HOIST_TRY(sink.has_blob(node))) {
        return {};
    }
    auto content = HOIST_TRY(source.open_blob(node));
    return sink.put_blob(node, *content);
}

}  // namespace

Result<void> copy_image(ImageSource& source, const Descriptor& root, ImageSink& sink) {
    // Errors about a blob name the blob already; those below a manifest also say which.
    bool is_manifest = media_type::is_index(root.media_type) || media_type::is_manifest(root.media_type);
    auto copied = copy_node(source, root, sink);
    return is_manifest ? in_context(std::move(copied), "manifest " + root.digest.to_string()) : copied;
}

}  // namespace hoist::oci
