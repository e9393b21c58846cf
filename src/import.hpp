// hoist import: a one-layer image from a root filesystem (a directory or a tar), the offline way
// to make base images.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "oci/compression.hpp"
#include "oci/platform.hpp"
#include "oci/reference.hpp"
#include "oci/store.hpp"

namespace hoist {

struct ImportOptions {
    oci::Platform platform = oci::Platform::host();
    std::vector<std::string> env;  // "KEY=value"
    std::optional<std::vector<std::string>> cmd;
    std::optional<std::vector<std::string>> entrypoint;
    std::string working_dir;
    oci::CompressionOptions compression;
    // SOURCE_DATE_EPOCH: the image's created time and the clamp for mtimes; now when unset.
    std::optional<std::int64_t> source_date_epoch;
};

// Writes the layer, config and manifest into the store and names the image `name`.
Result<oci::Descriptor> import_rootfs(const std::filesystem::path& rootfs, const oci::Reference& name,
                                      const ImportOptions& options, oci::Store& store);

}  // namespace hoist
