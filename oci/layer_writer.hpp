// Writing layers: a file tree, or an explicit list of entries, as a deterministic PAX tar.
// Owners, modes, device numbers and xattrs come from the entries, not from the machine, so a
// layer can say root owns a setuid binary or /dev/null exists without any privilege.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/stream.hpp"

namespace hoist::oci {

struct LayerEntry {
    enum class Type { regular, directory, symlink, hardlink, char_device, block_device, fifo };

    std::string path;  // inside the layer: "usr/bin/env"; normalised by write_layer
    Type type = Type::regular;
    std::uint32_t mode = 0644;  // permission bits, setuid, setgid and sticky included
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::string uname;
    std::string gname;
    std::int64_t mtime = 0;   // seconds since the epoch
    std::string link_target;  // a symlink's text, or the layer path a hardlink points at
    std::uint32_t dev_major = 0;
    std::uint32_t dev_minor = 0;
    std::map<std::string, std::string> xattrs;  // "security.capability" -> its raw bytes
    // A regular file's content: the file at `source`, else `content`.
    std::filesystem::path source;
    std::string content;

    // "DIR/.wh.NAME": NAME is deleted from the layers below.
    static LayerEntry whiteout(std::string_view path);
    // "DIR/.wh..wh..opq": what the layers below have in DIR is hidden.
    static LayerEntry opaque(std::string_view directory);
};

struct LayerWriteOptions {
    // SOURCE_DATE_EPOCH: later mtimes are clamped to it.
    std::optional<std::int64_t> clamp_mtime;
};

// Writes `entries` as a PAX tar to `out`. Paths are normalised ("./a//b/" is "a/b"; ".." and
// empty paths are Errc::invalid_argument), sorted byte-wise so each parent precedes its
// children, and missing parents are added as directories (0755, root, mtime 0). The bytes
// depend on the entries alone.
Result<void> write_layer(std::vector<LayerEntry> entries, Writer& out, const LayerWriteOptions& options = {});

// Copies the tar (plain or compressed) at `tar` to `out` entry by entry, in its own order, with
// paths normalised (".." refused) and mtimes clamped: a root filesystem tar as a layer, owners
// and devices kept without privileges.
Result<void> rewrite_layer(const std::filesystem::path& tar, Writer& out, const LayerWriteOptions& options = {});

// The entries of the tree at `root`, as write_layer wants them: types, modes, owners, mtimes,
// xattrs and device numbers from lstat, symlinks unfollowed, and files with several names
// written once and hardlinked after (in sorted order). Sockets are skipped.
Result<std::vector<LayerEntry>> scan_tree(const std::filesystem::path& root);

// The entries scan_tree would give for just `paths` (files under `root`), hardlinks told apart
// among them.
Result<std::vector<LayerEntry>> scan_paths(const std::filesystem::path& root, std::vector<std::filesystem::path> paths);

// The extended attributes of `path` (not following a symlink); none where the filesystem has
// none.
Result<std::map<std::string, std::string>> read_xattrs(const std::filesystem::path& path);

}  // namespace hoist::oci
