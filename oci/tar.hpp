// Tar files that carry images (oci-archive, docker-archive), through libarchive. These hold
// plain files and directories only; layer tars, with links, owners and whiteouts, are another
// matter (issue #3).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>

#include "oci/digest.hpp"

namespace hoist::oci {

struct ExtractLimits {
    std::uint64_t max_bytes = std::uint64_t{64} << 30;  // the sum of all file sizes
    std::uint64_t max_entries = 1'000'000;
};

// Symbolic links of an archive: the link's path -> its target, both relative to the root.
using Symlinks = std::map<std::filesystem::path, std::filesystem::path>;

// Unpacks `archive` into the existing empty directory `dest`. Creates regular files and
// directories only; symbolic links are not created but returned, when their target stays
// inside the archive (skopeo's docker-archives link "<id>/layer.tar" to "<diffID>.tar").
// Refuses, with Errc::unsafe, absolute names, ".." components, links that leave the root,
// hardlinks, devices and archives over the limits. Files are created with O_EXCL|O_NOFOLLOW
// and no link is ever made, so nothing is written outside `dest`.
Result<Symlinks> extract_tree(const std::filesystem::path& archive, const std::filesystem::path& dest,
                              const ExtractLimits& limits = {});

// Writes the files and directories under `dir` as a tar file at `archive` (replaced atomically):
// names sorted, parents first, owner root, mtime 0, modes 0644/0755, so equal trees give equal bytes.
Result<void> write_tree(const std::filesystem::path& dir, const std::filesystem::path& archive);

// Decompresses a gzip, zstd or plain stream (detected from its first bytes) from `compressed`
// into a new file `out`, returning the digest of what it wrote (a layer's diffID).
Result<Digest> decompress_file(const std::filesystem::path& compressed, const std::filesystem::path& out);

}  // namespace hoist::oci
