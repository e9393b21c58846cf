#include "src/import.hpp"

#include <ctime>

#include "oci/image_config.hpp"
#include "oci/layer_writer.hpp"
#include "oci/manifest.hpp"
#include "oci/text.hpp"

namespace hoist {
namespace fs = std::filesystem;

Result<oci::Descriptor> import_rootfs(const fs::path& rootfs, const oci::Reference& name, const ImportOptions& options,
                                      oci::Store& store) {
    auto& layout = store.layout();
    auto blob = HOIST_TRY(layout.blob_writer());
    auto stream = HOIST_TRY(oci::LayerStream::create(blob, options.compression));
    oci::LayerWriteOptions write_options{.clamp_mtime = options.source_date_epoch};
    std::error_code ec;
    if (fs::is_directory(rootfs, ec)) {
        auto entries = HOIST_TRY(oci::scan_tree(rootfs));
        HOIST_TRY(oci::write_layer(std::move(entries), *stream, write_options));
    } else {
        HOIST_TRY(oci::rewrite_layer(rootfs, *stream, write_options));
    }
    auto layer = HOIST_TRY(stream->finish());
    auto layer_blob = HOIST_TRY(blob.commit(layer.descriptor.media_type, layer.descriptor));

    std::string created = rfc3339(options.source_date_epoch.value_or(std::time(nullptr)));
    oci::ImageConfig config;
    config.platform = options.platform;
    config.created = created;
    config.config.env = options.env;
    config.config.cmd = options.cmd;
    config.config.entrypoint = options.entrypoint;
    config.config.working_dir = options.working_dir;
    config.diff_ids = {layer.diff_id};
    config.history = {{.created = created, .created_by = "hoist import " + rootfs.filename().string()}};
    auto config_blob = HOIST_TRY(layout.put_bytes(oci::media_type::oci_config, config.to_json()));

    oci::Manifest manifest{.config = std::move(config_blob), .layers = {std::move(layer_blob)}};
    auto manifest_blob = HOIST_TRY(layout.put_bytes(oci::media_type::oci_manifest, manifest.to_json()));
    HOIST_TRY(store.tag(manifest_blob, name));
    return manifest_blob;
}

}  // namespace hoist
