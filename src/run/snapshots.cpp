#include "src/run/snapshots.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <random>

#include <fmt/core.h>

#include "oci/file.hpp"
#include "oci/layer_applier.hpp"

namespace hoist::run {

namespace fs = std::filesystem;

namespace {

// Opens (creating) the lock file of the store at `root`.
Result<Fd> open_lock(const fs::path& root) {
    return open_file(root / "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

// A name no other process or thread picks: pid, thread-local randomness.
std::string unique_name(std::string_view prefix) {
    thread_local std::mt19937_64 random{std::random_device{}()};
    return fmt::format("{}{}-{:016x}", prefix, ::getpid(), random());
}

// Renames `from` to `to` unless `to` exists: then `from` goes, and the one in place stays.
Result<void> rename_into_place(const fs::path& from, const fs::path& to) {
    // Not rename(): it would replace an empty directory in place, which a build may be using.
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
        return {};
    }
    int error = errno;
    if (error == EEXIST || error == ENOTEMPTY) {
        return remove_tree(from);
    }
    return std::unexpected(os_error("rename " + from.string() + " to " + to.string(), error));
}

}  // namespace

std::string_view opaque_xattr(OverlayXattrs flavour) {
    return flavour == OverlayXattrs::trusted ? "trusted.overlay.opaque" : "user.overlay.opaque";
}

Result<SnapshotStore> SnapshotStore::open(fs::path root, OverlayXattrs flavour, bool rootless) {
    HOIST_TRY(make_directories(root / "tmp"));
    auto fd = HOIST_TRY(open_lock(root));
    auto lock = HOIST_TRY(FileLock::acquire(fd.get(), FileLock::Mode::shared));
    return SnapshotStore(std::move(root), flavour, rootless, std::move(fd), std::move(lock));
}

Result<SnapshotStore::Pruned> SnapshotStore::prune(const fs::path& parent) {
    Pruned pruned;
    std::error_code ec;
    for (const auto& store : fs::directory_iterator(parent, ec)) {
        if (!store.is_directory(ec)) {
            continue;
        }
        auto fd = HOIST_TRY(open_lock(store.path()));
        auto lock = FileLock::try_acquire(fd.get(), FileLock::Mode::exclusive);
        if (!lock && lock.error().code() == Errc::busy) {
            ++pruned.stores_busy;
            continue;
        }
        auto held = HOIST_TRY(std::move(lock));
        for (const auto& entry : fs::directory_iterator(store.path(), ec)) {
            auto name = entry.path().filename().string();
            if (name == "lock") {
                continue;
            }
            HOIST_TRY(remove_tree(entry.path()));
            pruned.layers_removed += name == "tmp" ? 0 : 1;
        }
        HOIST_TRY(make_directories(store.path() / "tmp"));
    }
    return pruned;
}

Result<fs::path> SnapshotStore::ensure(const Digest& diff_id, const Descriptor& blob, const BlobOpener& open_blob) {
    auto dir = m_root / diff_id.hex();
    if (fs::is_directory(dir)) {
        return dir;
    }
    auto unpacking = m_root / "tmp" / unique_name("unpack-");
    HOIST_TRY(make_directories(unpacking));
    auto unpacked = [&]() -> Result<void> {
        auto content = HOIST_TRY(open_blob());
        // The directory is found by diffID, by any image that has the layer: its tar must be it.
        oci::ApplyOptions options{.rootless = m_rootless,
                                  .whiteouts = oci::ApplyOptions::Whiteouts::overlay,
                                  .opaque_xattr = std::string(opaque_xattr(m_flavour)),
                                  .diff_id = diff_id};
        return oci::apply_layer(unpacking, *content, blob, options);
    }();
    if (!unpacked) {
        (void)remove_tree(unpacking);
        return std::unexpected(std::move(unpacked).error().wrap("unpack layer " + diff_id.to_string()));
    }
    HOIST_TRY(rename_into_place(unpacking, dir));
    return dir;
}

Result<fs::path> SnapshotStore::adopt(const Digest& diff_id, const fs::path& dir) {
    auto target = m_root / diff_id.hex();
    HOIST_TRY(rename_into_place(dir, target));
    return target;
}

Result<fs::path> SnapshotStore::scratch() {
    auto dir = m_root / "tmp" / unique_name("run-");
    if (::mkdir(dir.c_str(), 0700) != 0) {
        return std::unexpected(os_error("mkdir " + dir.string(), errno));
    }
    return dir;
}

namespace {

// The mount a path (not followed) is on; nullopt when it is missing.
Result<std::optional<std::uint64_t>> mount_of(const fs::path& path, struct statx& info) {
    if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE | STATX_MNT_ID, &info) != 0) {
        return errno == ENOENT ? Result<std::optional<std::uint64_t>>{} : std::unexpected(os_error("stat " + path.string(), errno));
    }
    return info.stx_mnt_id;
}

Result<void> remove_below(const fs::path& path, std::uint64_t mount) {
    struct statx info {};
    auto here = HOIST_TRY(mount_of(path, info));
    if (!here) {
        return {};
    }
    if (*here != mount) {
        // A mount a killed command left: what is in it is not the tree's to remove.
        return fail(Errc::unsafe, "remove " + path.string() + ": another filesystem is mounted there");
    }
    if (S_ISDIR(info.stx_mode)) {
        // A command's `chmod 0` directory, or overlayfs's work directory, must open up first.
        if ((info.stx_mode & 0700) != 0700) {
            ::chmod(path.c_str(), 0700);
        }
        std::error_code error;
        for (fs::directory_iterator it(path, error), end; !error && it != end; it.increment(error)) {
            HOIST_TRY(remove_below(it->path(), mount));
        }
        if (error) {
            return fail(Errc::io, fmt::format("read {}: {}", path.string(), error.message()));
        }
        if (::rmdir(path.c_str()) != 0) {
            return std::unexpected(os_error("rmdir " + path.string(), errno));
        }
        return {};
    }
    if (::unlink(path.c_str()) != 0) {
        return std::unexpected(os_error("remove " + path.string(), errno));
    }
    return {};
}

}  // namespace

Result<void> remove_tree(const fs::path& path) {
    struct statx info {};
    auto mount = HOIST_TRY(mount_of(path, info));
    if (!mount) {
        return {};
    }
    return remove_below(path, *mount);
}

}  // namespace hoist::run
