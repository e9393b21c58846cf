#include "oci/docker_archive.hpp"

#include <fcntl.h>

#include <set>

#include "oci/image_config.hpp"
#include "oci/manifest.hpp"
#include "oci/media_type.hpp"
#include "oci/tar.hpp"

namespace hoist::oci {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_manifest_file = "manifest.json";

// A path from manifest.json, which must stay inside the archive; symbolic links in the archive
// are followed through `links` (a few hops at most), never through the filesystem.
Result<fs::path> member(const fs::path& tree, const Symlinks& links, const std::string& name) {
    fs::path relative = fs::path(name).lexically_normal();
    if (relative.is_absolute() || relative.empty() || *relative.begin() == "..") {
        return fail(Errc::unsafe, "docker-archive: manifest.json names \"" + name + "\" outside the archive");
    }
    for (int hops = 0; links.contains(relative); ++hops) {
        if (hops == 8) {
            return fail(Errc::unsafe, "docker-archive: \"" + name + "\" is a loop of symbolic links");
        }
        relative = links.at(relative);
    }
    return tree / relative;
}

// The compression of a layer file, from its first bytes.
Result<media_type::Compression> sniff(const fs::path& path) {
    auto fd = HOIST_TRY(open_file(path, O_RDONLY));
    FileReader reader(std::move(fd), path.string());
    char magic[4] = {};
    auto n = HOIST_TRY(reader.read(magic));
    if (n >= 2 && magic[0] == '\x1f' && magic[1] == '\x8b') {
        return media_type::Compression::gzip;
    }
    if (n == 4 && std::string_view(magic, 4) == "\x28\xb5\x2f\xfd") {
        return media_type::Compression::zstd;
    }
    return media_type::Compression::none;
}

Result<ArchivedImage> import_image(const fs::path& tree, const Symlinks& links, const json::Json& entry,
                                   std::size_t number, OciLayout& layout) {
    const std::string what = "docker-archive: manifest.json[" + std::to_string(number) + "]";
    auto config_path = HOIST_TRY(member(tree, links, HOIST_TRY(json::string_field(entry, "Config", what))));
    auto config_bytes = HOIST_TRY(read_file(config_path));
    auto config = HOIST_TRY(in_context(ImageConfig::parse(config_bytes), what));
    auto layer_paths = HOIST_TRY(json::string_array(entry, "Layers", what));
    if (layer_paths.size() != config.diff_ids.size()) {
        return fail(Errc::invalid_argument, what + ": " + std::to_string(layer_paths.size()) + " layers but " +
                                                std::to_string(config.diff_ids.size()) + " diffIDs in the config");
    }
    auto config_blob = HOIST_TRY(layout.put_bytes(media_type::oci_config, config_bytes));
    Manifest manifest{.config = std::move(config_blob)};
    for (std::size_t i = 0; i < layer_paths.size(); ++i) {
        auto path = HOIST_TRY(member(tree, links, layer_paths[i]));
        auto compression = HOIST_TRY(sniff(path));
        auto layer = HOIST_TRY(layout.put_file(media_type::oci_layer_type(compression), path));
        if (compression == media_type::Compression::none && layer.digest != config.diff_ids[i]) {
            return fail(Errc::digest_mismatch, what + ": layer " + layer_paths[i] + " has digest " +
                                                   layer.digest.to_string() + ", but the config's diffID is " +
                                                   config.diff_ids[i].to_string());
        }
        manifest.layers.push_back(std::move(layer));
    }
    auto repo_tags = HOIST_TRY(json::string_array(entry, "RepoTags", what));
    auto manifest_blob = HOIST_TRY(layout.put_bytes(media_type::oci_manifest, manifest.to_json()));
    return ArchivedImage{.manifest = std::move(manifest_blob), .repo_tags = std::move(repo_tags)};
}

}  // namespace

bool is_docker_archive(const fs::path& tree) {
    std::error_code ec;
    return fs::is_regular_file(tree / k_manifest_file, ec);
}

Result<std::vector<ArchivedImage>> import_docker_archive(const fs::path& tree, const Symlinks& links,
                                                         OciLayout& layout) {
    auto text = HOIST_TRY(read_file(tree / k_manifest_file));
    json::Json entries;
    try {
        entries = json::Json::parse(text);
    } catch (const json::Json::exception&) {  // a syntax error or a number out of range
        return fail(Errc::invalid_argument, "docker-archive: manifest.json is not valid JSON");
    }
    if (!entries.is_array() || entries.empty()) {
        return fail(Errc::invalid_argument, "docker-archive: manifest.json must be a non-empty array");
    }
    std::vector<ArchivedImage> images;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (!entries[i].is_object()) {
            return fail(Errc::invalid_argument,
                        "docker-archive: manifest.json[" + std::to_string(i) + "] must be an object");
        }
        images.push_back(HOIST_TRY(import_image(tree, links, entries[i], i, layout)));
    }
    return images;
}

Result<void> export_docker_archive(OciLayout& layout, const std::vector<ArchivedImage>& images, const fs::path& file) {
    auto work =
        HOIST_TRY(TempDir::create(file.parent_path().empty() ? fs::path(".") : file.parent_path(), ".hoist-save-"));
    json::Json entries = json::Json::array();
    std::set<Digest> written;
    for (const auto& image : images) {
        const std::string what = "docker-archive: " + image.manifest.digest.to_string();
        if (!media_type::is_manifest(image.manifest.media_type)) {
            return fail(Errc::invalid_argument, what + ": a docker-archive holds single-platform images only");
        }
        auto manifest = HOIST_TRY(Manifest::parse(HOIST_TRY(layout.read_blob(image.manifest))));
        auto config_bytes = HOIST_TRY(layout.read_blob(manifest.config));
        auto config = HOIST_TRY(in_context(ImageConfig::parse(config_bytes), what));
        if (config.diff_ids.size() != manifest.layers.size()) {
            return fail(Errc::invalid_argument, what + ": the config lists " + std::to_string(config.diff_ids.size()) +
                                                    " diffIDs for " + std::to_string(manifest.layers.size()) +
                                                    " layers");
        }
        std::string config_name = manifest.config.digest.hex() + ".json";
        HOIST_TRY(write_file_atomic(work.path() / config_name, config_bytes));
        json::Json layer_names = json::Json::array();
        for (std::size_t i = 0; i < manifest.layers.size(); ++i) {
            const Digest& diff_id = config.diff_ids[i];
            std::string name = diff_id.hex() + "/layer.tar";
            layer_names.push_back(name);
            if (!written.insert(diff_id).second) {
                continue;
            }
            HOIST_TRY(make_directories(work.path() / diff_id.hex()));
            auto digest = HOIST_TRY(decompress_file(layout.blob_path(manifest.layers[i].digest), work.path() / name));
            if (digest != diff_id) {
                return fail(Errc::digest_mismatch, what + ": layer " + manifest.layers[i].digest.to_string() +
                                                       " unpacks to " + digest.to_string() + ", not to the diffID " +
                                                       diff_id.to_string());
            }
        }
        entries.push_back({{"Config", config_name}, {"RepoTags", image.repo_tags}, {"Layers", layer_names}});
    }
    HOIST_TRY(write_file_atomic(work.path() / k_manifest_file, entries.dump()));
    return write_tree(work.path(), file);
}

}  // namespace hoist::oci
