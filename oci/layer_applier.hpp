// Unpacking layers onto a directory, as a container runtime sees the image: whiteouts remove,
// opaque directories hide what lower layers put there, hardlinks and symlinks stay inside the
// root. Hostile archives are refused or contained; nothing is ever written outside the root.
//
// How names are read (the same for entries and hardlink targets):
// - A leading '/' is dropped, as docker does: "/etc/passwd" is <root>/etc/passwd.
// - Empty and "." components vanish ("a/./b//c" is "a/b/c").
// - Any ".." component is refused (Errc::unsafe), even one that lexical normalisation would keep
//   inside ("a/../b"): what "a/.." means depends on whether "a" is a symlink.
// - Every parent directory is resolved by the kernel (openat2 RESOLVE_IN_ROOT) as if `root` were
//   "/", so a symlink in the image, absolute or full of "..", leads somewhere inside `root`. The
//   last component is never followed: what is there is replaced (a directory over a directory
//   is merged). A symlink's target is stored as text and never followed by the applier.
// - Missing parents are created with mode 0755 (whatever the umask), as docker does. The entry for the root itself
//   ("./") is skipped, as docker does; any other type of entry for the root is refused.
//
// Whiteouts follow the OCI image spec (in the default mode, ApplyOptions::Whiteouts::apply):
// ".wh.NAME" removes NAME, recursively, as lower layers left it; ".wh..wh..opq" empties its
// directory of what lower layers put there (a missing directory has nothing to hide); neither
// removes what this same layer adds, whatever the order of entries, and neither is ever
// created. Other ".wh..wh." names (aufs metadata) are skipped. What this layer added is told
// apart by inode, so a lower file that this layer hardlinks to is kept too. The overlay mode
// writes them as overlayfs does instead (see ApplyOptions).
//
// Metadata: modes with every bit (set after the owner, which clears setuid), mtimes and atimes
// (not following symlinks), numeric owners, and xattrs. A directory's mode and times are set
// after the whole layer, so a read-only directory does not block its own children. Hardlink
// entries share their target's inode and so carry no metadata of their own.
//
// On failure `root` holds part of the layer: apply into a scratch directory and throw it away.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "oci/descriptor.hpp"
#include "oci/digest.hpp"
#include "oci/stream.hpp"

namespace hoist::oci {

struct ApplyOptions {
    // Without root: owners are not changed (a file whose owner is not 0:0 keeps it in the xattr
    // user.hoist.owner, "UID:GID", where the filesystem allows one: not on symlinks, fifos or
    // devices; a directory merged into with owner 0:0 loses the one an earlier layer gave it)
    // and device nodes are skipped with a warning (as they are wherever the kernel refuses
    // them: in a user namespace). So are security.* and trusted.* xattrs the kernel refuses.
    // Directories this user may not write to are opened up while the layer is applied and get
    // their modes back at the end.
    bool rootless = false;
    // apply: whiteouts remove what lower layers left in `root`. overlay: `root` is an empty
    // directory that becomes an overlayfs lower directory for this one layer: ".wh.NAME" is a
    // 0/0 character device at NAME (unless this layer has NAME too, which wins, whatever the
    // order of entries) and ".wh..wh..opq" sets `opaque_xattr` to "y" on its directory (made,
    // 0755, when the layer has no entry for it). overlayfs's own xattrs in the tar
    // (trusted.overlay.*, user.overlay.*) are not the image's and are skipped with a warning.
    // Making a 0/0 device needs root, or a user namespace's root.
    enum class Whiteouts { apply, overlay };
    Whiteouts whiteouts = Whiteouts::apply;
    std::string opaque_xattr = "trusted.overlay.opaque";  // or "user.overlay.opaque" (userxattr)
    // The layer's diffID, when it is to be checked too: the digest of the uncompressed tar,
    // Errc::digest_mismatch `blob sha256:...: uncompressed content has digest sha256:..., not
    // the diffID sha256:...` once the blob itself has been found to be what it says. Whatever
    // is keyed by the diffID (an unpacked layer kept for other images) needs this check.
    std::optional<Digest> diff_id;
    std::uint64_t max_bytes = std::uint64_t{64} << 30;  // the sum of the regular files' sizes
    std::uint64_t max_entries = 10'000'000;
    std::function<void(std::string_view)> warn = [](std::string_view) {};
};

// Applies one layer whose blob is `layer` (compressed or not; the format is detected) read
// from `content`, onto `root`. The blob's digest and size are verified to the end of the
// stream, even when the tar inside ends early. Errc::unsafe for entries that would escape the
// root, Errc::digest_mismatch for content that is not the blob.
//
// Errors name the entry: `entry "../x": path has a ".." component`, `entry "big": 2048 bytes
// would take the layer over its limit of 1024 bytes`, `layer has more than 10 entries`.
// Errc::invalid_argument ("read tar: ...") for what libarchive cannot read, reported only once
// the rest of the stream has been read and found to be the blob. Needs Linux 5.6 (openat2).
Result<void> apply_layer(const std::filesystem::path& root, Reader& content, const Descriptor& layer,
                         const ApplyOptions& options = {});

}  // namespace hoist::oci
