// User namespaces: how hoist gets to be root (of its own namespace) without being root. As a
// user with a subordinate range in /etc/subuid and /etc/subgid, the namespace maps that whole
// range through the setuid helpers newuidmap and newgidmap, so a RUN can own files as any user
// and `apt-get` can drop to `_apt`; without one (or where the helpers are not allowed, as in
// many pods), only the user's own id is mapped, to 0: files are then all root's inside, and
// changing owners fails, as it does for rootless podman.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "oci/error.hpp"

namespace hoist::run {

// The process's id mapping, as /proc/self/uid_map and gid_map give it.
struct IdMapping {
    enum class Kind {
        host,    // no user namespace of hoist's own: real root, or an unprivileged user outside one
        range,   // a subordinate range: every id from 0 to (at least) 65535 exists inside
        single,  // only 0 exists inside
    };
    Kind kind = Kind::host;
    std::string uid_map;  // the maps as the kernel prints them
    std::string gid_map;

    // The mapping of this process, read from /proc/self.
    static Result<IdMapping> current();

    // A name for what the mapping makes of files' owners, for stores of unpacked layers that
    // only processes with the same mapping may share: "host", "userns-" + a hash of the maps.
    std::string key() const;
    // Whether `uid` exists inside (a file can be given to it, a process can become it).
    bool maps_uid(std::uint32_t uid) const;
    bool maps_gid(std::uint32_t gid) const;
    // Whether this process can give files any owner a layer names (root, or a subordinate range).
    bool owners_settable() const;
};

// Moves this process into a new user namespace in which it is root, mapping the user's
// subordinate ranges when there are some and newuidmap/newgidmap accept them, else just the
// user's own ids (with `warn` told why). Needs a process with one thread: call it first thing.
// Does nothing for real root. Errc::unsupported when the kernel refuses user namespaces, with
// what to do instead.
Result<IdMapping> enter_user_namespace(const std::function<void(std::string_view)>& warn);

}  // namespace hoist::run
