// What a RUN changed, as layer entries: from an overlayfs upper directory (cheap: only what
// changed is there), or, where overlayfs cannot be mounted, by comparing a root filesystem's
// metadata before and after (a walk of the whole tree, but never a read of unchanged files and
// never a global sync()).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "oci/error.hpp"
#include "oci/layer_writer.hpp"
#include "src/run/snapshots.hpp"

namespace hoist::run {

// The entries of the upper directory `upper` of an overlay mounted with `flavour`'s xattrs:
// a 0/0 character device becomes a whiteout ("DIR/.wh.NAME"); a directory with the opaque
// xattr becomes the directory and "DIR/.wh..wh..opq"; overlayfs's own xattrs (trusted.overlay.*,
// user.overlay.*) are dropped; a user.hoist.owner xattr ("UID:GID", left by a rootless unpack)
// gives the owner of a file whose owner is 0:0 and is dropped too. Regular files' `source`
// points into `upper`, so it must stay until the layer is written. Hardlinks among the files
// become hardlink entries, as in oci::scan_tree.
Result<std::vector<oci::LayerEntry>> upper_entries(const std::filesystem::path& upper, OverlayXattrs flavour);

// The metadata of every file under a root filesystem, to tell later what changed.
class TreeState {
public:
    struct Node {
        std::uint64_t inode = 0;
        std::int64_t ctime_ns = 0;
        std::int64_t mtime_ns = 0;
        std::uint64_t size = 0;
        std::uint32_t mode = 0;  // st_mode: type and permission bits
        std::uint32_t uid = 0;
        std::uint32_t gid = 0;
        std::map<std::string, std::string> xattrs;

        bool operator==(const Node&) const = default;
    };

    // Walks `root` (not following symlinks, not crossing into other filesystems).
    static Result<TreeState> scan(const std::filesystem::path& root);

    // The entries of a layer that turns the tree this state was taken of into the tree now at
    // `root`: new and changed files (and directories whose own metadata changed), whiteouts for
    // what is gone (one for a removed directory, not one per file in it), a file that became a
    // directory (or the reverse) as a whiteout-free replacement. Paths in `ignore` (relative,
    // e.g. "proc") and everything below them are left out.
    Result<std::vector<oci::LayerEntry>> changes(const std::filesystem::path& root,
                                                 const std::vector<std::string>& ignore = {}) const;

private:
    std::map<std::string, Node> m_nodes;  // relative path ("" for the root) -> metadata
};

}  // namespace hoist::run
