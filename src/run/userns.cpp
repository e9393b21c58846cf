#include "src/run/userns.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <sstream>

#include <fmt/core.h>

#include "oci/digest.hpp"
#include "oci/file.hpp"
#include "oci/process.hpp"

namespace hoist::run {
namespace {

namespace fs = std::filesystem;

struct Range {
    std::uint32_t inside = 0;
    std::uint32_t outside = 0;
    std::uint64_t count = 0;
};

std::vector<Range> parse_map(const std::string& text) {
    std::vector<Range> ranges;
    std::istringstream lines(text);
    Range range;
    while (lines >> range.inside >> range.outside >> range.count) {
        ranges.push_back(range);
    }
    return ranges;
}

// How many ids from 0 up exist inside, without a gap.
std::uint64_t mapped_from_zero(const std::vector<Range>& ranges) {
    std::uint64_t next = 0;
    bool grew = true;
    while (grew) {
        grew = false;
        for (const auto& range : ranges) {
            if (range.inside <= next && next < range.inside + range.count) {
                next = range.inside + range.count;
                grew = true;
            }
        }
    }
    return next;
}

// The user's subordinate range in /etc/subuid or /etc/subgid: the first line naming the user
// (or their id) with a range of at least 65536 ids, as newuidmap checks it.
std::optional<Range> subordinate_range(const fs::path& file, const std::string& name, std::uint32_t id) {
    auto text = read_file(file);
    if (!text) {
        return std::nullopt;
    }
    std::istringstream lines(*text);
    std::string line;
    while (std::getline(lines, line)) {
        auto first = line.find(':');
        auto second = line.find(':', first == std::string::npos ? first : first + 1);
        if (first == std::string::npos || second == std::string::npos) {
            continue;
        }
        std::string owner = line.substr(0, first);
        if (owner != name && owner != std::to_string(id)) {
            continue;
        }
        char* end = nullptr;
        unsigned long long start = std::strtoull(line.c_str() + first + 1, &end, 10);
        unsigned long long count = std::strtoull(line.c_str() + second + 1, &end, 10);
        if (count >= 65536) {
            return Range{.inside = 1, .outside = static_cast<std::uint32_t>(start), .count = count};
        }
    }
    return std::nullopt;
}

std::string user_name(uid_t uid) {
    struct passwd entry {};
    struct passwd* found = nullptr;
    std::array<char, 4096> buffer{};
    if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
        return found->pw_name;
    }
    return std::to_string(uid);
}

// Runs newuidmap or newgidmap for process `pid`: 0 -> `own`, 1.. -> the subordinate range.
// Their own complaints go to stderr; the result says whether the map is in place.
bool run_map_helper(const char* helper, pid_t pid, std::uint32_t own, const Range& range) {
    auto path = find_executable(helper, "/usr/bin:/bin:/usr/sbin:/sbin");
    if (!path) {
        return false;
    }
    auto arguments = std::array<std::string, 8>{helper,
                                                std::to_string(pid),
                                                "0",
                                                std::to_string(own),
                                                "1",
                                                "1",
                                                std::to_string(range.outside),
                                                std::to_string(range.count)};
    std::array<char*, 9> argv{};
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        argv[i] = arguments[i].data();
    }
    pid_t child = 0;
    if (::posix_spawn(&child, path->c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
        return false;
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

Result<void> write_proc(const char* file, std::string_view text) {
    auto fd = HOIST_TRY(open_file(fs::path("/proc/self") / file, O_WRONLY));
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        return std::unexpected(os_error(fmt::format("write /proc/self/{}", file), errno));
    }
    return {};
}

}  // namespace

Result<IdMapping> IdMapping::current() {
    IdMapping mapping;
    mapping.uid_map = HOIST_TRY(read_file("/proc/self/uid_map"));
    mapping.gid_map = HOIST_TRY(read_file("/proc/self/gid_map"));
    auto uids = parse_map(mapping.uid_map);
    auto gids = parse_map(mapping.gid_map);
    bool identity = uids.size() == 1 && uids[0].inside == 0 && uids[0].outside == 0 && uids[0].count == 4294967295;
    if (identity || ::geteuid() != 0) {
        mapping.kind = Kind::host;
    } else if (std::min(mapped_from_zero(uids), mapped_from_zero(gids)) >= 65536) {
        mapping.kind = Kind::range;
    } else {
        mapping.kind = Kind::single;
    }
    return mapping;
}

std::string IdMapping::key() const {
    if (kind == Kind::host) {
        return "host";
    }
    return "userns-" + oci::Digest::of(uid_map + "\n" + gid_map).short_hex();
}

namespace {

bool maps(const std::string& map, std::uint32_t id) {
    auto ranges = parse_map(map);
    return std::any_of(ranges.begin(), ranges.end(),
                       [&](const Range& range) { return range.inside <= id && id < range.inside + range.count; });
}

}  // namespace

bool IdMapping::maps_uid(std::uint32_t uid) const {
    return kind == Kind::host || maps(uid_map, uid);
}

bool IdMapping::maps_gid(std::uint32_t gid) const {
    return kind == Kind::host || maps(gid_map, gid);
}

bool IdMapping::owners_settable() const {
    return ::geteuid() == 0 && kind != Kind::single;
}

Result<IdMapping> enter_user_namespace(const std::function<void(std::string_view)>& warn) {
    if (::geteuid() == 0) {
        return IdMapping::current();
    }
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    std::string name = user_name(uid);
    auto uids = subordinate_range("/etc/subuid", name, uid);
    auto gids = subordinate_range("/etc/subgid", name, uid);

    // newuidmap must be run from outside the namespace, on this process: a child waits for the
    // namespace to exist, maps it, and reports through its exit status.
    Pipe ready = HOIST_TRY(make_pipe("user namespace"));
    std::optional<Child> mapper;
    if (uids && gids) {
        pid_t parent = ::getpid();
        pid_t pid = ::fork();
        if (pid < 0) {
            return std::unexpected(os_error("fork", errno));
        }
        if (pid == 0) {
            ready.write = Fd();
            char byte = 0;
            if (::read(ready.read.get(), &byte, 1) != 1) {
                ::_exit(1);
            }
            bool mapped = run_map_helper("newuidmap", parent, uid, *uids) && run_map_helper("newgidmap", parent, gid, *gids);
            ::_exit(mapped ? 0 : 1);
        }
        mapper.emplace(pid);
    }
    ready.read = Fd();
    if (::unshare(CLONE_NEWUSER) != 0) {
        int error = errno;
        return fail(Errc::unsupported,
                    fmt::format("cannot create a user namespace ({}): the kernel or the container forbids them "
                                "(sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone); run hoist as "
                                "root with --isolation chroot instead",
                                std::strerror(error)));
    }
    bool mapped = false;
    if (mapper) {
        char byte = 1;
        if (::write(ready.write.get(), &byte, 1) == 1) {
            auto status = HOIST_TRY(mapper->wait("newuidmap"));
            mapped = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        }
        if (!mapped) {
            warn(fmt::format("newuidmap/newgidmap could not map the subordinate ids of {}: only {} is mapped, to 0",
                             name, name));
        }
    }
    if (!mapped) {
        // Before the maps exist nothing can be owned: so "deny" and the single mappings, as
        // `unshare -r` writes them. (A failed newuidmap may have left the uid map written.)
        HOIST_TRY(write_proc("setgroups", "deny"));
        if (HOIST_TRY(read_file("/proc/self/uid_map")).empty()) {
            HOIST_TRY(write_proc("uid_map", fmt::format("0 {} 1\n", uid)));
        }
        HOIST_TRY(write_proc("gid_map", fmt::format("0 {} 1\n", gid)));
    }
    return IdMapping::current();
}

}  // namespace hoist::run
