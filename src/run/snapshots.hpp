// Unpacked layers for RUN: one directory per layer, named by its diffID, each an overlayfs lower
// directory (whiteouts as 0/0 character devices, opaque directories marked by an xattr). The
// store is shared between builds and processes; a directory appears by rename, complete or not
// at all. Its files are owned as the id mapping the build runs under sees them, so each mapping
// has a store of its own (see SnapshotStore::open).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "oci/descriptor.hpp"
#include "oci/digest.hpp"
#include "oci/error.hpp"
#include "oci/file.hpp"
#include "oci/stream.hpp"

namespace hoist::run {

using oci::Descriptor;
using oci::Digest;
using oci::Reader;

// How overlayfs marks an opaque directory: as real root, the trusted.* xattr; inside a user
// namespace (mounted with `userxattr`), the user.* one.
enum class OverlayXattrs { trusted, user };

std::string_view opaque_xattr(OverlayXattrs flavour);  // "trusted.overlay.opaque"...

// Where a layer's blob is read from when it has to be unpacked.
using BlobOpener = std::function<Result<std::unique_ptr<Reader>>()>;

class SnapshotStore {
public:
    // The store at `root` (created if missing), e.g. $HOIST_ROOT/snapshots/<mapping key>.
    // `rootless`: owners cannot all be set (a single-id mapping): files keep the owner the
    // layer gave them in the user.hoist.owner xattr instead (see run/diff.hpp).
    static Result<SnapshotStore> open(std::filesystem::path root, OverlayXattrs flavour, bool rootless);

    // The directory of layer `diff_id`, unpacked from `open_blob()` (the blob `blob`, checked
    // against its digest) first when it is not there yet. Safe to call from several threads and
    // processes for the same layer: one unpacking wins, the others' work is thrown away.
    Result<std::filesystem::path> ensure(const Digest& diff_id, const Descriptor& blob, const BlobOpener& open_blob);

    // Moves the directory `dir` (on the store's filesystem, e.g. an overlay upper directory of
    // a scratch area) into the store as layer `diff_id`; when the layer is already there, `dir`
    // is removed instead. Returns the layer's directory.
    Result<std::filesystem::path> adopt(const Digest& diff_id, const std::filesystem::path& dir);

    // A new empty directory on the store's filesystem for one RUN's upper, work and mount
    // point directories; the caller removes it (remove_tree).
    Result<std::filesystem::path> scratch();

    const std::filesystem::path& root() const { return m_root; }
    OverlayXattrs flavour() const { return m_flavour; }

    // Removes every layer of the stores under `parent` (e.g. $HOIST_ROOT/snapshots) and what
    // interrupted builds left in their tmp/, skipping a store that is open (in any process): a
    // build is using it. The number of layers removed and of stores skipped.
    struct Pruned {
        std::size_t layers_removed = 0;
        std::size_t stores_busy = 0;
    };
    static Result<Pruned> prune(const std::filesystem::path& parent);

private:
    SnapshotStore(std::filesystem::path root, OverlayXattrs flavour, bool rootless, Fd lock_fd, FileLock lock)
        : m_root(std::move(root)),
          m_flavour(flavour),
          m_rootless(rootless),
          m_lock_fd(std::move(lock_fd)),
          m_lock(std::move(lock)) {}

    std::filesystem::path m_root;
    OverlayXattrs m_flavour;
    bool m_rootless;
    Fd m_lock_fd;     // root/lock: held shared while the store is open, exclusively by prune
    FileLock m_lock;
};

// Removes `path` and everything below it, making read-only directories writable on the way
// (a RUN can leave `chmod 0` directories behind). Symlinks are removed, never followed; a mount
// below `path` (of another filesystem, or a bind mount) is not entered: Errc::unsafe "remove
// PATH: another filesystem is mounted there". Missing is not an error.
Result<void> remove_tree(const std::filesystem::path& path);

}  // namespace hoist::run
