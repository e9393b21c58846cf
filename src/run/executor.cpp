#include "src/run/executor.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <sstream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "oci/file.hpp"
#include "oci/process.hpp"
#include "src/run/userns.hpp"

namespace hoist::run {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr int k_spec_fd = 3;
constexpr int k_report_fd = 4;
constexpr std::string_view k_default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// ---- the spec on the wire -------------------------------------------------------------------

Json to_json(const RunSpec& spec) {
    Json mounts = Json::array();
    for (const auto& mount : spec.mounts) {
        Json lowers = Json::array();
        for (const auto& lower : mount.lowers) {
            lowers.push_back(lower.string());
        }
        mounts.push_back({{"kind", static_cast<int>(mount.kind)},
                          {"source", mount.source.string()},
                          {"target", mount.target},
                          {"read_only", mount.read_only},
                          {"size", mount.size},
                          {"lowers", lowers},
                          {"subpath", mount.subpath}});
    }
    Json lowers = Json::array();
    for (const auto& lower : spec.lowers) {
        lowers.push_back(lower.string());
    }
    return {{"lowers", lowers},
            {"upper", spec.upper.string()},
            {"work", spec.work.string()},
            {"rootfs", spec.rootfs.string()},
            {"userxattr", spec.flavour == OverlayXattrs::user},
            {"mount_point", spec.mount_point.string()},
            {"args", spec.args},
            {"env", spec.env},
            {"user", spec.user},
            {"working_dir", spec.working_dir},
            {"hostname", spec.hostname},
            {"network", spec.network},
            {"chroot", spec.isolation == Isolation::chroot},
            {"mounts", mounts},
            {"hosts", spec.hosts.string()},
            {"resolv_conf", spec.resolv_conf.string()}};
}

RunSpec from_json(const Json& json) {
    RunSpec spec;
    for (const auto& lower : json.at("lowers")) {
        spec.lowers.emplace_back(lower.get<std::string>());
    }
    spec.upper = json.at("upper").get<std::string>();
    spec.work = json.at("work").get<std::string>();
    spec.rootfs = json.at("rootfs").get<std::string>();
    spec.flavour = json.at("userxattr").get<bool>() ? OverlayXattrs::user : OverlayXattrs::trusted;
    spec.mount_point = json.at("mount_point").get<std::string>();
    spec.args = json.at("args").get<std::vector<std::string>>();
    spec.env = json.at("env").get<std::vector<std::string>>();
    spec.user = json.at("user").get<std::string>();
    spec.working_dir = json.at("working_dir").get<std::string>();
    spec.hostname = json.at("hostname").get<std::string>();
    spec.network = json.at("network").get<bool>();
    spec.isolation = json.at("chroot").get<bool>() ? Isolation::chroot : Isolation::namespaces;
    for (const auto& mount : json.at("mounts")) {
        MountPoint point{.kind = static_cast<MountPoint::Kind>(mount.at("kind").get<int>()),
                         .source = mount.at("source").get<std::string>(),
                         .target = mount.at("target").get<std::string>(),
                         .read_only = mount.at("read_only").get<bool>(),
                         .size = mount.at("size").get<std::uint64_t>(),
                         .subpath = mount.at("subpath").get<std::string>()};
        for (const auto& lower : mount.at("lowers")) {
            point.lowers.emplace_back(lower.get<std::string>());
        }
        spec.mounts.push_back(std::move(point));
    }
    spec.hosts = json.at("hosts").get<std::string>();
    spec.resolv_conf = json.at("resolv_conf").get<std::string>();
    return spec;
}

// ---- the parent's side ----------------------------------------------------------------------

// A descriptor moved to 10 or above, so that the helper's dup2 onto 3 and 4 cannot clobber it.
Result<Fd> high_fd(Fd fd) {
    int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 10);
    if (moved < 0) {
        return std::unexpected(os_error("fcntl", errno));
    }
    return Fd(moved);
}

// Reads `fd` to its end, handing each chunk to `sink`.
Result<void> drain(const Fd& fd, const std::function<void(std::string_view)>& sink) {
    std::array<char, 16384> buffer{};
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return std::unexpected(os_error("read the command's output", errno));
        }
        if (n == 0) {
            return {};
        }
        sink(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    }
}

// Runs the helper with `spec` (JSON); the helper's wait status, or the error it reported.
Result<int> run_helper(const Json& spec, const OutputSink& output, bool interactive) {
    Pipe spec_pipe = HOIST_TRY(make_pipe("the executor"));
    Pipe report = HOIST_TRY(make_pipe("the executor"));
    std::optional<Pipe> out;
    if (output) {
        out = HOIST_TRY(make_pipe("the command's output"));
    }
    Fd spec_read = HOIST_TRY(high_fd(std::move(spec_pipe.read)));
    Fd report_write = HOIST_TRY(high_fd(std::move(report.write)));

    SpawnActions actions;
    SpawnAttributes attributes;
    if (actions.status() != 0 || attributes.status() != 0) {
        return std::unexpected(os_error("spawn the executor", actions.status() | attributes.status()));
    }
    ::posix_spawn_file_actions_adddup2(&actions.value, spec_read.get(), k_spec_fd);
    ::posix_spawn_file_actions_adddup2(&actions.value, report_write.get(), k_report_fd);
    if (!interactive) {
        ::posix_spawn_file_actions_addopen(&actions.value, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    }
    if (out) {
        ::posix_spawn_file_actions_adddup2(&actions.value, out->write.get(), STDOUT_FILENO);
        ::posix_spawn_file_actions_adddup2(&actions.value, out->write.get(), STDERR_FILENO);
    }
    sigset_t no_signals;
    sigemptyset(&no_signals);
    sigset_t default_signals;
    sigfillset(&default_signals);
    ::posix_spawnattr_setsigmask(&attributes.value, &no_signals);
    ::posix_spawnattr_setsigdefault(&attributes.value, &default_signals);
    ::posix_spawnattr_setflags(&attributes.value, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::array<char*, 3> argv{const_cast<char*>("hoist"), const_cast<char*>("__exec"), nullptr};
    pid_t pid = 0;
    int spawned = ::posix_spawn(&pid, "/proc/self/exe", &actions.value, &attributes.value, argv.data(), environ);
    if (spawned != 0) {
        return std::unexpected(os_error("spawn the executor (/proc/self/exe)", spawned));
    }
    Child child(pid);
    spec_read = Fd();
    report_write = Fd();
    HOIST_TRY(write_all(spec_pipe.write.get(), spec.dump(), "the executor"));
    spec_pipe.write = Fd();
    if (out) {
        out->write = Fd();
        HOIST_TRY(drain(out->read, output));
    }
    std::string reported;
    HOIST_TRY(drain(report.read, [&](std::string_view chunk) { reported += chunk; }));
    int status = HOIST_TRY(child.wait("the executor"));
    if (!reported.empty()) {
        // "CODE MESSAGE": the helper's own failure, not the command's.
        auto space = reported.find(' ');
        auto code = reported.substr(0, space) == "unsupported" ? Errc::unsupported : Errc::invalid_argument;
        return fail(code, space == std::string::npos ? reported : reported.substr(space + 1));
    }
    return status;
}

// ---- the helper's side ----------------------------------------------------------------------

[[noreturn]] void report_and_exit(const Error& error) {
    std::string text = (error.code() == Errc::unsupported ? "unsupported " : "error ") + error.what();
    (void)::write(k_report_fd, text.data(), text.size());
    ::_exit(125);
}

Result<void> os_call(int result, std::string_view what) {
    if (result != 0) {
        return std::unexpected(os_error(what, errno));
    }
    return {};
}

// Opens `relative` below the directory `root` as if `root` were "/" (symlinks in the image
// cannot lead out), the last component followed only with `follow`: with O_PATH, a mount on
// /proc/self/fd/N lands exactly there.
Result<Fd> open_in_root(int root, const std::string& relative, int flags = O_PATH, bool follow = false) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, root, relative.empty() ? "." : relative.c_str(), &how, sizeof how);
    if (fd < 0) {
        return std::unexpected(os_error("open /" + relative + " in the root filesystem", errno));
    }
    return Fd(static_cast<int>(fd));
}

std::string fd_path(const Fd& fd) {
    return "/proc/self/fd/" + std::to_string(fd.get());
}

// Mount points made in the root filesystem: what was created (to be removed again) and which
// existing directories were written to (to be restored).
struct Placeholders {
    struct Touched {
        std::string path;
        struct timespec times[2];
    };
    std::vector<std::string> created;  // in creation order
    std::vector<Touched> touched;
};

// Makes sure `target` (absolute in the container) exists under `root`, as a directory or, with
// `file`, an empty file, recording what it had to create.
Result<void> make_mount_point(int root, const std::string& target, bool file, Placeholders& placeholders) {
    std::string relative;
    std::istringstream parts(target);
    std::vector<std::string> names;
    for (std::string name; std::getline(parts, name, '/');) {
        if (!name.empty() && name != ".") {
            if (name == "..") {
                return fail(Errc::unsafe, "mount target " + target + " has a \"..\" component");
            }
            names.push_back(name);
        }
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
        std::string parent = relative;
        relative = relative.empty() ? names[i] : relative + "/" + names[i];
        if (open_in_root(root, relative)) {
            continue;
        }
        Fd directory = HOIST_TRY(open_in_root(root, parent, O_RDONLY | O_DIRECTORY));
        struct stat info {};
        if (::fstat(directory.get(), &info) == 0 &&
            std::none_of(placeholders.created.begin(), placeholders.created.end(),
                         [&](const std::string& made) { return made == parent; })) {
            placeholders.touched.push_back({parent, {info.st_atim, info.st_mtim}});
        }
        bool last = i + 1 == names.size();
        if (last && file) {
            int fd = ::openat(directory.get(), names[i].c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
            HOIST_TRY(os_call(fd < 0 ? -1 : ::close(fd), "create mount point " + target));
        } else {
            HOIST_TRY(os_call(::mkdirat(directory.get(), names[i].c_str(), 0755), "create mount point " + target));
        }
        placeholders.created.push_back(relative);
    }
    return {};
}

// Takes the mount points back out of `dir` (the upper directory, or the root filesystem): what
// was created, if it is still an empty file or directory, and then the directories overlayfs
// copied up only because a mount point was made in them.
void remove_placeholders(const fs::path& dir, const Placeholders& placeholders, bool overlay) {
    for (auto it = placeholders.created.rbegin(); it != placeholders.created.rend(); ++it) {
        fs::path path = dir / *it;
        struct stat info {};
        if (::lstat(path.c_str(), &info) != 0) {
            continue;
        }
        if (S_ISDIR(info.st_mode)) {
            ::rmdir(path.c_str());
        } else if (S_ISREG(info.st_mode) && info.st_size == 0) {
            ::unlink(path.c_str());
        }
    }
    for (auto it = placeholders.touched.rbegin(); it != placeholders.touched.rend(); ++it) {
        fs::path path = dir / it->path;
        if (overlay && !it->path.empty()) {
            std::array<char, 8> value{};
            bool opaque = ::lgetxattr(path.c_str(), "user.overlay.opaque", value.data(), value.size()) > 0 ||
                          ::lgetxattr(path.c_str(), "trusted.overlay.opaque", value.data(), value.size()) > 0;
            if (!opaque && ::rmdir(path.c_str()) == 0) {
                continue;
            }
        }
        ::utimensat(AT_FDCWD, path.c_str(), it->times, AT_SYMLINK_NOFOLLOW);
    }
}

// Mounts the root filesystem on spec.mount_point.
Result<void> mount_root(const RunSpec& spec) {
    if (!spec.rootfs.empty()) {
        return os_call(::mount(spec.rootfs.c_str(), spec.mount_point.c_str(), nullptr, MS_BIND | MS_REC, nullptr),
                       "bind-mount the root filesystem");
    }
    // The option string is limited to a page: lower directories are named relative to their
    // common parent, which becomes the working directory.
    std::vector<fs::path> lowers = spec.lowers;
    if (lowers.empty()) {
        fs::path empty = spec.work.parent_path() / "empty-lower";
        ::mkdir(empty.c_str(), 0755);
        lowers.push_back(empty);
    }
    fs::path parent = lowers.front().parent_path();
    bool shared_parent = std::all_of(lowers.begin(), lowers.end(), [&](const fs::path& p) { return p.parent_path() == parent; });
    std::string options = "lowerdir=";
    for (std::size_t i = 0; i < lowers.size(); ++i) {
        options += (i == 0 ? "" : ":") + (shared_parent ? lowers[i].filename().string() : lowers[i].string());
    }
    options += ",upperdir=" + spec.upper.string() + ",workdir=" + spec.work.string();
    if (spec.flavour == OverlayXattrs::user) {
        options += ",userxattr";
    }
    if (shared_parent) {
        HOIST_TRY(os_call(::chdir(parent.c_str()), "chdir " + parent.string()));
    }
    if (::mount("overlay", spec.mount_point.c_str(), "overlay", 0, options.c_str()) != 0) {
        int error = errno;
        if (options.size() >= 4096) {
            return fail(Errc::unsupported, fmt::format("mount overlayfs: {} layers are too many for one mount", lowers.size()));
        }
        return fail(Errc::unsupported, fmt::format("mount overlayfs: {}", std::strerror(error)));
    }
    return {};
}

// The flags a read-only remount of a bind mount must keep: in a user namespace, nosuid, nodev
// and noexec of the original are locked.
unsigned long locked_flags(const char* path) {
    struct statvfs info {};
    unsigned long flags = 0;
    if (::statvfs(path, &info) == 0) {
        for (auto [from, to] : {std::pair{ST_NOSUID, MS_NOSUID}, std::pair{ST_NODEV, MS_NODEV},
                                std::pair{ST_NOEXEC, MS_NOEXEC}, std::pair{ST_NOATIME, MS_NOATIME},
                                std::pair{ST_NODIRATIME, MS_NODIRATIME}, std::pair{ST_RELATIME, MS_RELATIME}}) {
            if ((info.f_flag & from) != 0) {
                flags |= to;
            }
        }
    }
    return flags;
}

// Binds `source` on `target` (relative to `root`), read-only when asked: a remount of the new
// mount, reached by opening the target again.
Result<void> bind(int root, const fs::path& source, const std::string& target, bool read_only) {
    {
        Fd under = HOIST_TRY(open_in_root(root, target, O_PATH, true));
        HOIST_TRY(os_call(::mount(source.c_str(), fd_path(under).c_str(), nullptr, MS_BIND | MS_REC, nullptr),
                          "bind-mount " + source.string() + " on /" + target));
    }
    if (read_only) {
        Fd mounted = HOIST_TRY(open_in_root(root, target, O_PATH, true));
        std::string path = fd_path(mounted);
        unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(path.c_str());
        HOIST_TRY(os_call(::mount(nullptr, path.c_str(), nullptr, flags, nullptr), "make /" + target + " read-only"));
    }
    return {};
}

// A minimal /dev: a tmpfs with the host's harmless devices bound in (a user namespace cannot
// make device nodes), pts, shm and the usual links.
Result<void> mount_dev(int root) {
    Fd dev = HOIST_TRY(open_in_root(root, "dev", O_PATH, true));
    HOIST_TRY(os_call(::mount("tmpfs", fd_path(dev).c_str(), "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"),
                      "mount /dev"));
    Fd fresh = HOIST_TRY(open_in_root(root, "dev", O_RDONLY | O_DIRECTORY));
    for (const char* name : {"null", "zero", "full", "random", "urandom", "tty"}) {
        int fd = ::openat(fresh.get(), name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
        HOIST_TRY(os_call(fd < 0 ? -1 : ::close(fd), fmt::format("create /dev/{}", name)));
        Fd target = HOIST_TRY(open_in_root(root, fmt::format("dev/{}", name)));
        HOIST_TRY(os_call(::mount(fmt::format("/dev/{}", name).c_str(), fd_path(target).c_str(), nullptr, MS_BIND, nullptr),
                          fmt::format("bind /dev/{}", name)));
    }
    for (auto [name, target] : {std::pair{"fd", "/proc/self/fd"}, std::pair{"stdin", "/proc/self/fd/0"},
                                std::pair{"stdout", "/proc/self/fd/1"}, std::pair{"stderr", "/proc/self/fd/2"},
                                std::pair{"ptmx", "pts/ptmx"}}) {
        HOIST_TRY(os_call(::symlinkat(target, fresh.get(), name), fmt::format("link /dev/{}", name)));
    }
    HOIST_TRY(os_call(::mkdirat(fresh.get(), "pts", 0755), "mkdir /dev/pts"));
    HOIST_TRY(os_call(::mkdirat(fresh.get(), "shm", 01777), "mkdir /dev/shm"));
    ::fchmodat(fresh.get(), "shm", 01777, 0);
    Fd pts = HOIST_TRY(open_in_root(root, "dev/pts"));
    // Without a pts instance only terminals are missing: not worth failing a build for.
    ::mount("devpts", fd_path(pts).c_str(), "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
    Fd shm = HOIST_TRY(open_in_root(root, "dev/shm"));
    return os_call(::mount("shm", fd_path(shm).c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k"),
                   "mount /dev/shm");
}

// /sys: its own instance where the network namespace is ours, else the host's, read-only.
Result<void> mount_sys(int root, const RunSpec& spec) {
    Fd sys = HOIST_TRY(open_in_root(root, "sys", O_PATH, true));
    std::string target = fd_path(sys);
    if (!spec.network &&
        ::mount("sysfs", target.c_str(), "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0) {
        return {};
    }
    HOIST_TRY(os_call(::mount("/sys", target.c_str(), nullptr, MS_BIND | MS_REC, nullptr), "bind /sys"));
    // Read-only where the kernel lets us.
    Fd mounted = HOIST_TRY(open_in_root(root, "sys", O_PATH, true));
    std::string path = fd_path(mounted);
    ::mount(nullptr, path.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(path.c_str()), nullptr);
    return {};
}

Result<void> mount_proc(int root, const RunSpec& spec) {
    Fd proc = HOIST_TRY(open_in_root(root, "proc", O_PATH, true));
    if (spec.isolation == Isolation::chroot) {
        return os_call(::mount("/proc", fd_path(proc).c_str(), nullptr, MS_BIND | MS_REC, nullptr), "bind /proc");
    }
    return os_call(::mount("proc", fd_path(proc).c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr),
                   "mount /proc");
}

// One of the command's own mounts, its mount point made first.
Result<void> add_mount(int root, const MountPoint& mount, OverlayXattrs flavour, Placeholders& placeholders) {
    fs::path source = mount.source;
    if (mount.kind == MountPoint::Kind::overlay) {
        std::string options = "lowerdir=";
        for (std::size_t i = 0; i < mount.lowers.size(); ++i) {
            options += (i == 0 ? "" : ":") + mount.lowers[i].string();
        }
        if (flavour == OverlayXattrs::user) {
            options += ",userxattr";
        }
        HOIST_TRY(os_call(::mount("overlay", source.c_str(), "overlay", MS_RDONLY, options.c_str()),
                          "mount the layers for " + mount.target));
        source /= mount.subpath;
    }
    bool file = mount.kind != MountPoint::Kind::tmpfs && !fs::is_directory(source);
    HOIST_TRY(make_mount_point(root, mount.target, file, placeholders));
    std::string target = mount.target.substr(mount.target.find_first_not_of('/'));
    if (mount.kind == MountPoint::Kind::tmpfs) {
        Fd under = HOIST_TRY(open_in_root(root, target, O_PATH, true));
        std::string options = mount.size > 0 ? fmt::format("size={}", mount.size) : "";
        return os_call(::mount("tmpfs", fd_path(under).c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()),
                       "mount a tmpfs on " + mount.target);
    }
    return bind(root, source, target, mount.read_only || mount.kind == MountPoint::Kind::overlay);
}

// ---- users ------------------------------------------------------------------------------

struct Credentials {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
    std::string home = "/";
};

std::vector<std::vector<std::string>> read_database(const char* path) {
    std::vector<std::vector<std::string>> rows;
    auto text = read_file(path);
    if (!text) {
        return rows;
    }
    std::istringstream lines(*text);
    for (std::string line; std::getline(lines, line);) {
        std::vector<std::string> fields;
        std::istringstream parts(line);
        for (std::string field; std::getline(parts, field, ':');) {
            fields.push_back(field);
        }
        if (line.ends_with(':')) {
            fields.emplace_back();
        }
        if (!line.empty() && line[0] != '#') {
            rows.push_back(std::move(fields));
        }
    }
    return rows;
}

std::optional<std::uint32_t> number(const std::string& text) {
    if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(std::stoul(text));
}

// USER as runc reads it, in the image's /etc/passwd and /etc/group.
Result<Credentials> resolve_user(const std::string& spec) {
    Credentials credentials;
    std::string user = spec.empty() ? "0" : spec.substr(0, spec.find(':'));
    std::optional<std::string> group;
    if (auto colon = spec.find(':'); colon != std::string::npos) {
        group = spec.substr(colon + 1);
    }
    auto passwd = read_database("/etc/passwd");
    std::string name;
    auto entry = std::find_if(passwd.begin(), passwd.end(), [&](const auto& row) {
        return row.size() >= 7 && (row[0] == user || (number(user) && number(row[2]) == number(user)));
    });
    if (entry != passwd.end()) {
        name = (*entry)[0];
        credentials.uid = number((*entry)[2]).value_or(0);
        credentials.gid = number((*entry)[3]).value_or(0);
        credentials.home = (*entry)[5];
    } else if (auto uid = number(user)) {
        credentials.uid = *uid;
    } else {
        return fail(Errc::not_found, fmt::format("unable to find user {}: no matching entries in passwd file", user));
    }
    auto groups = read_database("/etc/group");
    if (group) {
        auto found = std::find_if(groups.begin(), groups.end(), [&](const auto& row) {
            return row.size() >= 3 && (row[0] == *group || (number(*group) && number(row[2]) == number(*group)));
        });
        if (found != groups.end()) {
            credentials.gid = number((*found)[2]).value_or(0);
        } else if (auto gid = number(*group)) {
            credentials.gid = *gid;
        } else {
            return fail(Errc::not_found, fmt::format("unable to find group {}: no matching entries in group file", *group));
        }
    } else if (!name.empty()) {
        for (const auto& row : groups) {
            if (row.size() < 4) {
                continue;
            }
            std::istringstream members(row[3]);
            for (std::string member; std::getline(members, member, ',');) {
                if (member == name) {
                    if (auto gid = number(row[2])) {
                        credentials.groups.push_back(*gid);
                    }
                }
            }
        }
    }
    return credentials;
}

Result<void> become(const Credentials& credentials) {
    auto mapping = HOIST_TRY(IdMapping::current());
    for (auto [id, what, mapped] : {std::tuple{credentials.uid, "uid", mapping.maps_uid(credentials.uid)},
                                    std::tuple{credentials.gid, "gid", mapping.maps_gid(credentials.gid)}}) {
        if (!mapped) {
            return fail(Errc::unsupported,
                        fmt::format("cannot run as {} {}: only {} 0 is mapped (no subordinate ID range for this user in "
                                    "/etc/subuid and /etc/subgid)",
                                    what, id, what));
        }
    }
    auto setgroups_allowed = read_file("/proc/self/setgroups");
    if (!setgroups_allowed || setgroups_allowed->starts_with("allow")) {
        std::vector<gid_t> groups;
        for (gid_t group : credentials.groups) {
            if (mapping.maps_gid(group)) {
                groups.push_back(group);
            }
        }
        HOIST_TRY(os_call(::setgroups(groups.size(), groups.data()), "setgroups"));
    }
    HOIST_TRY(os_call(::setresgid(credentials.gid, credentials.gid, credentials.gid), fmt::format("setgid {}", credentials.gid)));
    return os_call(::setresuid(credentials.uid, credentials.uid, credentials.uid), fmt::format("setuid {}", credentials.uid));
}

std::optional<std::string> env_value(const std::vector<std::string>& env, std::string_view key) {
    for (const auto& item : env) {
        if (item.size() > key.size() && item.starts_with(key) && item[key.size()] == '=') {
            return item.substr(key.size() + 1);
        }
    }
    return std::nullopt;
}

// ---- the command, as PID 1 of the new namespace -----------------------------------------------

// Enters the root filesystem, becomes the user and runs the command; returns only on failure.
Result<void> start_command(const RunSpec& spec, int root) {
    HOIST_TRY(mount_proc(root, spec));
    if (spec.isolation == Isolation::namespaces) {
        // pivot_root moves every process of the mount namespace whose root is the old one: this
        // one gets a namespace of its own first, so the helper keeps its root.
        HOIST_TRY(os_call(::unshare(CLONE_NEWNS), "unshare the mount namespace"));
        HOIST_TRY(os_call(::chdir(spec.mount_point.c_str()), "chdir to the root filesystem"));
        HOIST_TRY(os_call(static_cast<int>(::syscall(SYS_pivot_root, ".", ".")), "pivot_root"));
        HOIST_TRY(os_call(::umount2(".", MNT_DETACH), "detach the old root"));
        HOIST_TRY(os_call(::chdir("/"), "chdir /"));
        ::sethostname(spec.hostname.data(), spec.hostname.size());
    } else {
        HOIST_TRY(os_call(::chdir(spec.mount_point.c_str()), "chdir to the root filesystem"));
        HOIST_TRY(os_call(::chroot("."), "chroot"));
        HOIST_TRY(os_call(::chdir("/"), "chdir /"));
    }
    auto credentials = HOIST_TRY(resolve_user(spec.user));
    std::vector<std::string> env = spec.env;
    if (!env_value(env, "PATH")) {
        env.push_back("PATH=" + std::string(k_default_path));
    }
    if (!env_value(env, "HOME")) {
        env.push_back("HOME=" + (credentials.home.empty() ? std::string("/") : credentials.home));
    }
    std::string working_dir = spec.working_dir.empty() ? "/" : spec.working_dir;
    std::error_code ignored;
    fs::create_directories(working_dir, ignored);
    HOIST_TRY(become(credentials));
    HOIST_TRY(os_call(::chdir(working_dir.c_str()), "chdir " + working_dir));
    ::umask(022);
    if (spec.args.empty()) {
        return fail(Errc::invalid_argument, "no command");
    }
    std::string program = spec.args[0];
    if (program.find('/') == std::string::npos) {
        auto found = find_executable(program, *env_value(env, "PATH"));
        if (!found) {
            return fail(Errc::not_found, fmt::format("exec: \"{}\": executable file not found in $PATH", program));
        }
        program = found->string();
    }
    std::vector<char*> argv;
    for (const auto& arg : spec.args) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& item : env) {
        envp.push_back(const_cast<char*>(item.c_str()));
    }
    envp.push_back(nullptr);
    ::execve(program.c_str(), argv.data(), envp.data());
    return std::unexpected(os_error(fmt::format("exec {}", spec.args[0]), errno));
}

// Everything the helper does before the command starts and after it ends; the command's wait
// status.
Result<int> run_in_namespaces(const RunSpec& spec) {
    // --network none holds under chroot isolation too: no network is no network.
    int flags = CLONE_NEWNS | (spec.network ? 0 : CLONE_NEWNET);
    if (spec.isolation == Isolation::namespaces) {
        flags |= CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
    }
    HOIST_TRY(os_call(::unshare(flags), "unshare namespaces"));
    HOIST_TRY(os_call(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "make mounts private"));
    HOIST_TRY(mount_root(spec));
    Fd root = HOIST_TRY(open_file(spec.mount_point, O_RDONLY | O_DIRECTORY));

    Placeholders placeholders;
    auto mounted = [&]() -> Result<void> {
        for (const char* dir : {"/dev", "/proc", "/sys"}) {
            HOIST_TRY(make_mount_point(root.get(), dir, false, placeholders));
        }
        for (auto [file, source] : {std::pair{"/etc/hosts", &spec.hosts}, std::pair{"/etc/resolv.conf", &spec.resolv_conf}}) {
            if (!source->empty()) {
                HOIST_TRY(make_mount_point(root.get(), file, true, placeholders));
            }
        }
        HOIST_TRY(mount_dev(root.get()));
        HOIST_TRY(mount_sys(root.get(), spec));
        for (auto [file, source] : {std::pair{"etc/hosts", &spec.hosts}, std::pair{"etc/resolv.conf", &spec.resolv_conf}}) {
            if (!source->empty()) {
                HOIST_TRY(bind(root.get(), *source, file, false));
            }
        }
        // After /dev: a mount may go below it (RUN's heredoc scripts are in /dev/pipes).
        for (const auto& mount : spec.mounts) {
            HOIST_TRY(add_mount(root.get(), mount, spec.flavour, placeholders));
        }
        return {};
    }();

    Result<int> status = 0;
    if (mounted) {
        pid_t pid = ::fork();
        if (pid < 0) {
            status = std::unexpected(os_error("fork", errno));
        } else if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            auto started = start_command(spec, root.get());
            report_and_exit(started.error());
        } else {
            Child command(pid);
            status = command.wait("the command");
        }
    }
    root = Fd();
    // Every mount of this namespace hangs below the mount point; then the upper directory (or
    // the root filesystem) is quiet and the mount points can go.
    ::chdir("/");
    ::umount2(spec.mount_point.c_str(), MNT_DETACH);
    remove_placeholders(spec.rootfs.empty() ? spec.upper : spec.rootfs, placeholders, spec.rootfs.empty());
    if (!mounted) {
        return std::unexpected(mounted.error());
    }
    return status;
}

}  // namespace

Result<int> execute(const RunSpec& spec, const OutputSink& output) {
    int status = HOIST_TRY(run_helper(to_json(spec), output, spec.interactive));
    return exit_status(status);
}

Result<bool> overlay_works(const fs::path& scratch, OverlayXattrs flavour) {
    RunSpec spec{.lowers = {scratch / "lower"},
                 .upper = scratch / "upper",
                 .work = scratch / "work",
                 .flavour = flavour,
                 .mount_point = scratch / "merged"};
    for (const auto& dir : {spec.lowers[0], spec.upper, spec.work, spec.mount_point}) {
        HOIST_TRY(make_directories(dir));
    }
    Json json = to_json(spec);
    json["probe"] = true;
    auto status = run_helper(json, [](std::string_view) {}, false);
    if (!status) {
        if (status.error().code() == Errc::unsupported) {
            return false;
        }
        return std::unexpected(status.error());
    }
    return *status == 0;
}

void helper_main() {
    std::string text;
    {
        Fd spec_fd(k_spec_fd);
        auto read = drain(spec_fd, [&](std::string_view chunk) { text += chunk; });
        if (!read) {
            report_and_exit(read.error());
        }
    }
    ::fcntl(k_report_fd, F_SETFD, FD_CLOEXEC);
    Json json = Json::parse(text, nullptr, false);
    if (json.is_discarded()) {
        report_and_exit(Error(Errc::invalid_argument, "the executor's spec is not JSON"));
    }
    RunSpec spec;
    try {
        spec = from_json(json);
    } catch (const nlohmann::json::exception& e) {
        report_and_exit(Error(Errc::invalid_argument, std::string("the executor's spec: ") + e.what()));
    }
    if (json.value("probe", false)) {
        auto probed = [&]() -> Result<void> {
            HOIST_TRY(os_call(::unshare(CLONE_NEWNS), "unshare the mount namespace"));
            HOIST_TRY(os_call(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "make mounts private"));
            return mount_root(spec);
        }();
        if (!probed) {
            report_and_exit(probed.error());
        }
        ::_exit(0);
    }
    auto status = run_in_namespaces(spec);
    if (!status) {
        report_and_exit(status.error());
    }
    // The command's status as this process's: a signal becomes 128 + its number, as in shells.
    ::_exit(exit_status(*status));
}

}  // namespace hoist::run
