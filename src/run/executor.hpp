// The executor: runs one command in an image's filesystem, isolated, as a RUN step or `hoist
// run` needs it. A helper process (this executable again, `hoist __exec`, so that the builder's
// threads never fork) takes new mount, PID, IPC and UTS namespaces (and a network namespace
// with only `lo` for --network none), mounts the root filesystem (an overlay of unpacked layers
// with an upper directory that becomes the new layer, or a plain directory where overlayfs is
// not allowed), a minimal /dev, /proc and /sys, copies of the host's /etc/hosts and
// /etc/resolv.conf and the step's mounts, then starts the command as PID 1 of the new PID
// namespace, in the new root (pivot_root), as the configured user. Every mount dies with the
// helper; the files and directories it had to create as mount points are taken out of the upper
// directory again, so none of them reaches a layer.
//
// Rootless, all of this happens inside the user namespace hoist entered first (userns.hpp).
// With Isolation::chroot there are no namespaces at all: the command shares the host's PIDs,
// network and hostname and is only chroot()ed into the root filesystem (for runners where user
// namespaces are forbidden; needs root, and gives the command the power to see and signal the
// host's processes).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/error.hpp"
#include "src/run/snapshots.hpp"

namespace hoist::run {

enum class Isolation { namespaces, chroot };

// One mount into the command's filesystem.
struct MountPoint {
    enum class Kind {
        bind,     // `source`, a host file or directory
        tmpfs,    // a new tmpfs of `size` bytes (0: the kernel's default)
        overlay,  // read-only: `lowers` (top-most first) stacked on the empty directory `source`,
                  // of which `subpath` is mounted
    };
    Kind kind = Kind::bind;
    std::filesystem::path source;
    std::string target;  // absolute, inside the container
    bool read_only = false;
    std::uint64_t size = 0;
    std::vector<std::filesystem::path> lowers;
    std::string subpath;
    bool operator==(const MountPoint&) const = default;
};

struct RunSpec {
    // The root filesystem: an overlay of `lowers` (top-most first; none is allowed) with
    // `upper` and `work` (on one filesystem) when `rootfs` is empty, else `rootfs` as it is.
    std::vector<std::filesystem::path> lowers;
    std::filesystem::path upper;
    std::filesystem::path work;
    std::filesystem::path rootfs;
    OverlayXattrs flavour = OverlayXattrs::trusted;
    // An empty directory the root filesystem is mounted on.
    std::filesystem::path mount_point;

    std::vector<std::string> args;  // args[0] is looked up in the PATH of `env` when it has no '/'
    std::vector<std::string> env;   // "KEY=VALUE"; HOME is added from /etc/passwd when missing
    std::string user;               // "NAME|UID[:GROUP|GID]", resolved in the image; empty: root
    std::string working_dir = "/";  // created when missing, as runc does
    std::string hostname = "hoist";
    bool network = true;  // false: a network namespace of its own, with only lo
    Isolation isolation = Isolation::namespaces;
    std::vector<MountPoint> mounts;
    std::filesystem::path hosts;        // files bind-mounted on /etc/hosts and /etc/resolv.conf
    std::filesystem::path resolv_conf;  // (empty: not mounted)
    bool interactive = false;           // stdin is this process's, not /dev/null
};

// The command's output, as it comes (stdout and stderr interleaved), a chunk at a time.
using OutputSink = std::function<void(std::string_view)>;

// Runs `spec`; its exit status (128 + N when killed by signal N). With `output`, the command's
// stdout and stderr are sent there; without it they are this process's. Errors are for what
// kept the command from starting: no such user, an executable not found in $PATH, a mount the
// kernel refused (Errc::unsupported for overlayfs itself, so callers can fall back to a copy).
Result<int> execute(const RunSpec& spec, const OutputSink& output = {});

// Whether overlayfs can be mounted here with `flavour` (one tiny mount in a throwaway helper),
// using `scratch` (an empty directory on the store's filesystem).
Result<bool> overlay_works(const std::filesystem::path& scratch, OverlayXattrs flavour);

// The helper's side of execute(): `hoist __exec` with the spec on descriptor 3 and a report
// descriptor 4. Ends the process with _exit: once the command's PID namespace has lost its
// init, this process can fork no more, and what runs at exit may want to (LeakSanitizer does).
[[noreturn]] void helper_main();

}  // namespace hoist::run
