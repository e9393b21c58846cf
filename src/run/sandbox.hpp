// What a build (or `hoist run`) needs to run commands in images: the id mapping the process
// runs under, the store of unpacked layers for that mapping, and whether overlayfs can be
// mounted here (probed once) or root filesystems must be copies.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "oci/descriptor.hpp"
#include "oci/digest.hpp"
#include "oci/error.hpp"
#include "oci/image_source.hpp"
#include "src/run/executor.hpp"
#include "src/run/snapshots.hpp"
#include "src/run/userns.hpp"

namespace hoist::run {

enum class Snapshotter { automatic, overlay, copy };

// A directory from SnapshotStore::scratch(), removed (remove_tree) with its owner.
class ScratchDir {
public:
    explicit ScratchDir(std::filesystem::path path) : m_path(std::move(path)) {}
    ScratchDir(ScratchDir&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}
    ScratchDir& operator=(ScratchDir&&) = delete;
    ~ScratchDir();
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

struct SandboxOptions {
    Isolation isolation = Isolation::namespaces;
    // automatic: overlayfs where it can be mounted, else copies of the root filesystem.
    Snapshotter snapshotter = Snapshotter::automatic;
};

class Sandbox {
public:
    // For the store at `store_root`. Errc::unsupported when this process can run nothing: not
    // root and in no user namespace of its own (enter_user_namespace failed), or chroot
    // isolation without root.
    static Result<std::unique_ptr<Sandbox>> open(const std::filesystem::path& store_root, const SandboxOptions& options);

    bool overlay() const { return m_overlay; }
    Isolation isolation() const { return m_options.isolation; }
    const IdMapping& mapping() const { return m_mapping; }
    SnapshotStore& snapshots() { return m_snapshots; }

    // The directories of `layers` (bottom first, with their `diff_ids`), unpacked from `source`
    // when not yet in the snapshot store; top-most first, as overlayfs lists lower directories.
    Result<std::vector<std::filesystem::path>> lowers(oci::ImageSource& source, const std::vector<Descriptor>& layers,
                                                      const std::vector<Digest>& diff_ids);

    // Applies `layers` in order onto the directory `rootfs` (the copy snapshotter's root).
    Result<void> apply(oci::ImageSource& source, const std::vector<Descriptor>& layers, const std::filesystem::path& rootfs);

    // A spec whose root filesystem is an overlay of `lowers` with its upper, work and mount
    // directories in `scratch` (an empty directory from snapshots().scratch()), or, when
    // `rootfs` is given, that directory; with copies of the host's /etc/hosts and
    // /etc/resolv.conf in `scratch` to mount.
    Result<RunSpec> spec(const std::filesystem::path& scratch, std::vector<std::filesystem::path> lowers,
                         const std::filesystem::path& rootfs = {});

private:
    Sandbox(SandboxOptions options, IdMapping mapping, SnapshotStore snapshots)
        : m_options(options), m_mapping(std::move(mapping)), m_snapshots(std::move(snapshots)) {}

    SandboxOptions m_options;
    IdMapping m_mapping;
    SnapshotStore m_snapshots;
    bool m_overlay = false;
};

}  // namespace hoist::run
