// docker-archive: the tar that `docker save` writes and `docker load` reads. Its manifest.json
// lists images as {Config, RepoTags, Layers} with paths into the tar; layers are plain tars
// (older docker: "<id>/layer.tar"; docker 25+: "blobs/sha256/<hex>"), possibly compressed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "oci/layout.hpp"
#include "oci/tar.hpp"

namespace hoist::oci {

struct ArchivedImage {
    Descriptor manifest;                 // a single-platform image manifest
    std::vector<std::string> repo_tags;  // as docker writes them: "app:dev", "127.0.0.1:5000/app:1"
};

// Reads the images of an extracted docker-archive `tree`, whose symbolic links extract_tree
// returned as `links`, into `layout`: the config as is (so
// the image ID is kept), each layer as a blob of its own compression, and a new OCI manifest.
// Uncompressed layers must match the config's diffIDs (Errc::digest_mismatch otherwise).
Result<std::vector<ArchivedImage>> import_docker_archive(const std::filesystem::path& tree, const Symlinks& links,
                                                         OciLayout& layout);

// Writes `images`, whose blobs are in `layout`, as a docker-archive at `file` (replaced
// atomically), as docker save does: "<config hex>.json", "<diffID hex>/layer.tar" (layers
// decompressed and checked against the diffIDs) and manifest.json.
Result<void> export_docker_archive(OciLayout& layout, const std::vector<ArchivedImage>& images,
                                   const std::filesystem::path& file);

// True when an extracted archive is a docker-archive (it has a manifest.json).
bool is_docker_archive(const std::filesystem::path& tree);

}  // namespace hoist::oci
