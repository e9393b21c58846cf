#include "oci/layer_applier.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "oci/compression.hpp"

namespace hoist::oci {

namespace {

constexpr std::string_view k_whiteout_prefix = ".wh.";
constexpr std::string_view k_whiteout_meta_prefix = ".wh..wh.";
constexpr std::string_view k_opaque_marker = ".wh..wh..opq";

struct ReadFree {
    void operator()(archive* a) const { archive_read_free(a); }
};
using ReadArchive = std::unique_ptr<archive, ReadFree>;

struct DirClose {
    void operator()(DIR* d) const { ::closedir(d); }
};

std::string in_quotes(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

using Parts = std::vector<std::string>;

// The components of a name relative to the root (see the header), or nothing when one is "..".
std::optional<Parts> components(std::string_view name) {
    Parts parts;
    while (!name.empty()) {
        auto slash = name.find('/');
        auto part = name.substr(0, slash);
        name = slash == std::string_view::npos ? std::string_view() : name.substr(slash + 1);
        if (part == "..") {
            return std::nullopt;
        }
        if (!part.empty() && part != ".") {
            parts.emplace_back(part);
        }
    }
    return parts;
}

std::string join(std::span<const std::string> parts) {
    std::string path;
    for (const auto& part : parts) {
        path += path.empty() ? part : "/" + part;
    }
    return path;
}

std::span<const std::string> dirs_of(const Parts& parts) {
    return std::span<const std::string>(parts).first(parts.size() - 1);
}

// Opens the directory at `path` below `root` as O_PATH, every symlink on the way resolved by
// the kernel as if `root` were "/": neither "..", nor an absolute link, nor a magic /proc link
// leads out. -1 with errno on failure.
int open_dir_in_root(int root, const std::string& path) {
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    for (int attempt = 0;; ++attempt) {
        long fd = ::syscall(SYS_openat2, root, path.empty() ? "." : path.c_str(), &how, sizeof how);
        if (fd >= 0) {
            return static_cast<int>(fd);
        }
        // EAGAIN: a rename elsewhere in the tree raced with the lookup; the kernel asks to retry.
        if (errno == EINTR || (errno == EAGAIN && attempt < 32)) {
            continue;
        }
        return -1;
    }
}

// The name through which the kernel reaches `leaf` in the directory `dir` without following a
// symlink at `leaf` (for the calls that have no *at form, like lsetxattr).
std::string proc_path(int dir, std::string_view leaf) {
    std::string path = "/proc/self/fd/" + std::to_string(dir);
    if (!leaf.empty()) {
        path += "/" + std::string(leaf);
    }
    return path;
}

// A byte-count guard in front of the VerifyingReader: a stream longer than the descriptor says
// is refused as soon as it is, so draining a hostile endless stream ends.
class BoundedReader final : public Reader {
public:
    BoundedReader(Reader& inner, const Descriptor& layer) : m_inner(inner), m_layer(layer) {}

    Result<std::size_t> read(std::span<char> buffer) override {
        auto n = HOIST_TRY(m_inner.read(buffer));
        m_count += static_cast<std::int64_t>(n);
        if (m_count > m_layer.size) {
            return fail(Errc::digest_mismatch, "blob " + m_layer.digest.to_string() + ": more than the " +
                                                   std::to_string(m_layer.size) + " bytes its descriptor says");
        }
        return n;
    }

private:
    Reader& m_inner;
    const Descriptor& m_layer;
    std::int64_t m_count = 0;
};

// The uncompressed tar of a verified blob, decompressed here rather than in libarchive so that
// its digest, the diffID, can be checked. The blob is checked first: at the end of the tar, and
// when decompressing fails (corrupt data is more likely a blob that is not the one named).
class DiffIdReader final : public Reader {
public:
    static Result<std::unique_ptr<DiffIdReader>> create(Reader& blob, const Descriptor& layer, const Digest& diff_id) {
        std::unique_ptr<DiffIdReader> reader(new DiffIdReader(blob, layer, diff_id));
        auto tar = decompressing_reader(std::make_unique<Borrowed>(blob));
        if (!tar) {
            return std::unexpected(reader->blob_error_or(std::move(tar).error()));
        }
        reader->m_tar = std::move(*tar);
        return reader;
    }

    Result<std::size_t> read(std::span<char> buffer) override {
        if (m_checked) {
            return 0;
        }
        auto n = m_tar->read(buffer);
        if (!n) {
            return std::unexpected(blob_error_or(std::move(n).error()));
        }
        m_hasher.update(buffer.data(), *n);
        if (*n == 0 && !buffer.empty()) {
            m_checked = true;
            HOIST_TRY(drain_blob());
            auto digest = m_hasher.finish();
            if (digest != m_diff_id) {
                return fail(Errc::digest_mismatch, "blob " + m_layer.digest.to_string() +
                                                       ": uncompressed content has digest " + digest.to_string() +
                                                       ", not the diffID " + m_diff_id.to_string());
            }
        }
        return n;
    }

private:
    // The blob reader, not owned: decompressing_reader wants one it can own.
    class Borrowed final : public Reader {
    public:
        explicit Borrowed(Reader& inner) : m_inner(inner) {}
        Result<std::size_t> read(std::span<char> buffer) override { return m_inner.read(buffer); }

    private:
        Reader& m_inner;
    };

    DiffIdReader(Reader& blob, const Descriptor& layer, const Digest& diff_id)
        : m_blob(blob), m_layer(layer), m_diff_id(diff_id), m_hasher(diff_id.algorithm()) {}

    // Reads the blob to its end, where the verifying reader below checks digest and size.
    Result<void> drain_blob() {
        std::vector<char> buffer(std::size_t{1} << 16);
        for (;;) {
            auto n = HOIST_TRY(m_blob.read(buffer));
            if (n == 0) {
                return {};
            }
        }
    }

    Error blob_error_or(Error error) {
        auto drained = drain_blob();
        return drained ? std::move(error) : std::move(drained).error();
    }

    Reader& m_blob;
    const Descriptor& m_layer;
    Digest m_diff_id;
    Hasher m_hasher;
    std::unique_ptr<Reader> m_tar;
    bool m_checked = false;
};

// What libarchive's read callback reads from, and the first error the stream gave it.
struct Source {
    Reader* reader;
    std::vector<char> buffer = std::vector<char>(std::size_t{1} << 16);
    std::optional<Error> error;
};

la_ssize_t read_callback(archive* a, void* data, const void** out) {
    auto* source = static_cast<Source*>(data);
    auto n = source->reader->read(source->buffer);
    if (!n) {
        archive_set_error(a, EIO, "%s", n.error().what().c_str());
        source->error = std::move(n).error();
        return -1;
    }
    *out = source->buffer.data();
    return static_cast<la_ssize_t>(*n);
}

// Reads the stream to its end, so that the VerifyingReader checks digest and size.
Result<void> drain(Source& source) {
    if (source.error) {
        return std::unexpected(*source.error);
    }
    for (;;) {
        auto n = HOIST_TRY(source.reader->read(source.buffer));
        if (n == 0) {
            return {};
        }
    }
}

// The error for what libarchive could not read. A stream error (a digest mismatch, an I/O
// error) is the cause when there is one, even one found only by reading on past the failure.
Error archive_failure(archive* a, Source& source) {
    auto drained = drain(source);
    if (!drained) {
        return std::move(drained).error();
    }
    const char* message = archive_error_string(a);
    return Error(Errc::invalid_argument,
                 std::string("read tar: ") + (message != nullptr ? message : "unreadable archive"));
}

// An entry's atime and mtime for utimensat; the atime is the mtime when the tar has none.
std::array<timespec, 2> entry_times(archive_entry* entry) {
    std::array<timespec, 2> times = {timespec{0, UTIME_OMIT}, timespec{0, UTIME_OMIT}};
    if (archive_entry_mtime_is_set(entry)) {
        times[1] = {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)};
        times[0] = times[1];
    }
    if (archive_entry_atime_is_set(entry)) {
        times[0] = {archive_entry_atime(entry), archive_entry_atime_nsec(entry)};
    }
    return times;
}

// What a directory gets once the whole layer is in: its mode, and its times unless unset.
struct DirectoryMetadata {
    mode_t mode = 0;
    std::optional<std::array<timespec, 2>> times;
};

class Applier {
public:
    Applier(int root, const ApplyOptions& options, Source& source)
        : m_root(root), m_options(options), m_source(source), m_data(std::size_t{1} << 20) {}

    // Applies every entry, up to the tar's end-of-archive.
    Result<void> apply_entries(archive* in);
    // Gives directories their modes and times, deepest first.
    Result<void> finish_directories();

private:
    Result<void> apply_entry(archive* in, archive_entry* entry, const Parts& parts);
    Result<void> apply_whiteout(const Parts& parts);
    Result<void> mark_whiteout(const Parts& parts);
    Result<void> make_file(archive* in, archive_entry* entry, const Parts& parts);
    Result<void> make_directory(archive_entry* entry, const Parts& parts);
    Result<void> make_symlink(archive_entry* entry, const Parts& parts);
    Result<void> make_hardlink(const Parts& parts, std::string_view target);
    Result<void> make_node(archive_entry* entry, const Parts& parts, mode_t type);

    Result<Fd> parent(std::span<const std::string> dirs, bool create);
    Result<bool> clear(int dir, const std::string& dir_path, const std::string& leaf, bool keep_directory);
    Result<bool> remove(int dir, const std::string& dir_path, const std::string& leaf, bool keep_this_layer);
    Result<std::vector<std::string>> list(int dir, const std::string& dir_path);
    template <class Op>
    int writable(int dir, const std::string& dir_path, Op op);
    bool make_writable(int dir, const std::string& dir_path);

    Result<void> set_owner(archive_entry* entry, int fd, int dir, const std::string& leaf);
    Result<void> set_xattrs(archive_entry* entry, int fd, int dir, const std::string& leaf);
    Result<void> mark_created(int dir, const std::string& leaf);
    Error os_failure(std::string_view what, int errnum) const {
        return os_error(m_what + ": " + std::string(what), errnum);
    }
    Error archive_error(archive* in) { return archive_failure(in, m_source); }

    int m_root;
    const ApplyOptions& m_options;
    Source& m_source;
    std::vector<char> m_data;
    std::string m_what;  // `entry "NAME"`, for messages
    std::uint64_t m_entries = 0;
    std::uint64_t m_bytes = 0;
    // What this layer made or merged into, by inode: whiteouts leave these alone.
    std::set<std::pair<dev_t, ino_t>> m_created;
    // Paths of directories as this layer names them; "a/b" sorts after "a", so walking
    // backwards visits children before their parents.
    std::map<std::string, DirectoryMetadata> m_directories;
};

Result<void> Applier::apply_entries(archive* in) {
    archive_entry* entry = nullptr;
    for (;;) {
        int status = archive_read_next_header(in, &entry);
        if (status == ARCHIVE_EOF) {
            return {};
        }
        // ARCHIVE_WARN is, for one, a UTF-8 name in the C locale: the raw bytes are kept.
        if (status < ARCHIVE_WARN) {
            return std::unexpected(archive_error(in));
        }
        const char* name = archive_entry_pathname(entry);
        m_what = "entry " + in_quotes(name != nullptr ? name : "");
        if (++m_entries > m_options.max_entries) {
            return fail(Errc::unsafe, "layer has more than " + std::to_string(m_options.max_entries) + " entries");
        }
        if (name == nullptr) {
            return fail(Errc::invalid_argument, "an entry of the layer has no name");
        }
        auto parts = components(name);
        if (!parts) {
            return fail(Errc::unsafe, m_what + ": path has a \"..\" component");
        }
        HOIST_TRY(apply_entry(in, entry, *parts));
    }
}

Result<void> Applier::apply_entry(archive* in, archive_entry* entry, const Parts& parts) {
    const char* hardlink = archive_entry_hardlink(entry);
    auto type = archive_entry_filetype(entry);
    if (parts.empty()) {
        if (type == AE_IFDIR && hardlink == nullptr) {
            return {};
        }
        return fail(Errc::unsafe, m_what + ": only a directory can be the root");
    }
    if (parts.back().starts_with(k_whiteout_prefix)) {
        return apply_whiteout(parts);
    }
    if (hardlink != nullptr) {
        return make_hardlink(parts, hardlink);
    }
    switch (type) {
        case AE_IFREG:
            return make_file(in, entry, parts);
        case AE_IFDIR:
            return make_directory(entry, parts);
        case AE_IFLNK:
            return make_symlink(entry, parts);
        case AE_IFCHR:
            return make_node(entry, parts, S_IFCHR);
        case AE_IFBLK:
            return make_node(entry, parts, S_IFBLK);
        case AE_IFIFO:
            return make_node(entry, parts, S_IFIFO);
        default:
            return fail(Errc::unsupported, m_what + ": unsupported file type");
    }
}

// Runs `op` (a syscall in `dir` returning -1 and errno on failure); when it fails for lack of
// permission, opens `dir` up for its owner and runs it again (rootless, a read-only directory
// of a lower layer). The mode comes back in finish_directories.
template <class Op>
int Applier::writable(int dir, const std::string& dir_path, Op op) {
    int result = op();
    if (result >= 0 || errno != EACCES || !make_writable(dir, dir_path)) {
        return result;
    }
    return op();
}

// The directory holding the entry whose parent directories are `dirs`. With `create`, missing
// ones are made (0755); without, an empty Fd when there is none.
Result<Fd> Applier::parent(std::span<const std::string> dirs, bool create) {
    std::string path = join(dirs);
    Fd found(open_dir_in_root(m_root, path));
    if (found) {
        return found;
    }
    if (!create && (errno == ENOENT || errno == ENOTDIR)) {
        return Fd();
    }
    if (errno != ENOENT && errno != EACCES) {
        return std::unexpected(os_failure("open parent " + in_quotes(path), errno));
    }
    // Walk down from the root, resolving each prefix in the root, opening up what this user
    // may not search and making what is missing: mkdirat makes a plain name in a directory
    // already resolved, never through a link.
    Fd current(open_dir_in_root(m_root, ""));
    if (!current) {
        return std::unexpected(os_failure("open the root", errno));
    }
    std::string prefix;
    for (const auto& part : dirs) {
        std::string current_path = prefix;
        prefix = prefix.empty() ? part : prefix + "/" + part;
        Fd next(open_dir_in_root(m_root, prefix));
        if (!next && errno == EACCES && make_writable(current.get(), current_path)) {
            next = Fd(open_dir_in_root(m_root, prefix));
        }
        if (!next) {
            if (!create && (errno == ENOENT || errno == ENOTDIR)) {
                return Fd();
            }
            if (errno != ENOENT || !create) {
                return std::unexpected(os_failure("open parent " + in_quotes(prefix), errno));
            }
            // EEXIST here is a symlink to something missing: it is never made.
            if (writable(current.get(), current_path, [&] { return ::mkdirat(current.get(), part.c_str(), 0755); }) !=
                0) {
                return std::unexpected(os_failure("create parent " + in_quotes(prefix), errno));
            }
            // 0755 whatever the umask; it is a directory just made, not a link to follow.
            if (::fchmodat(current.get(), part.c_str(), 0755, 0) != 0) {
                return std::unexpected(os_failure("chmod parent " + in_quotes(prefix), errno));
            }
            HOIST_TRY(mark_created(current.get(), part));
            next = Fd(::openat(current.get(), part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!next) {
                return std::unexpected(os_failure("open parent " + in_quotes(prefix), errno));
            }
        }
        current = std::move(next);
    }
    return current;
}

bool Applier::make_writable(int dir, const std::string& dir_path) {
    struct stat st {};
    if (dir_path.empty() || ::fstat(dir, &st) != 0 || (st.st_mode & S_IRWXU) == S_IRWXU) {
        errno = EACCES;
        return false;
    }
    m_directories.try_emplace(dir_path, DirectoryMetadata{st.st_mode & 07777, std::nullopt});
    if (::chmod(proc_path(dir, "").c_str(), (st.st_mode & 07777) | S_IRWXU) != 0) {
        errno = EACCES;
        return false;
    }
    return true;
}

// Removes what is at `leaf` in `dir` so that the entry can take its place; true when it is a
// directory and `keep_directory` asked to merge into it.
Result<bool> Applier::clear(int dir, const std::string& dir_path, const std::string& leaf, bool keep_directory) {
    struct stat st {};
    if (writable(dir, dir_path, [&] { return ::fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW); }) != 0) {
        if (errno == ENOENT) {
            return false;
        }
        return std::unexpected(os_failure("stat", errno));
    }
    if (keep_directory && S_ISDIR(st.st_mode)) {
        return true;
    }
    HOIST_TRY(remove(dir, dir_path, leaf, false));
    return false;
}

// Removes `leaf` in `dir` with everything below it, except, with `keep_this_layer`, what this
// layer made (and the directories that lead to it). True when something was kept.
Result<bool> Applier::remove(int dir, const std::string& dir_path, const std::string& leaf, bool keep_this_layer) {
    struct stat st {};
    if (writable(dir, dir_path, [&] { return ::fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW); }) != 0) {
        if (errno == ENOENT) {
            return false;
        }
        return std::unexpected(os_failure("stat " + in_quotes(leaf), errno));
    }
    keep_this_layer = keep_this_layer && !m_created.empty();
    bool kept = keep_this_layer && m_created.contains({st.st_dev, st.st_ino});
    if (!S_ISDIR(st.st_mode)) {
        if (kept) {
            return true;
        }
        if (writable(dir, dir_path, [&] { return ::unlinkat(dir, leaf.c_str(), 0); }) != 0 && errno != ENOENT) {
            return std::unexpected(os_failure("remove " + in_quotes(leaf), errno));
        }
        return false;
    }
    std::string path = dir_path.empty() ? leaf : dir_path + "/" + leaf;
    Fd child(writable(dir, dir_path,
                      [&] { return ::openat(dir, leaf.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); }));
    if (!child) {
        return std::unexpected(os_failure("open " + in_quotes(path), errno));
    }
    auto names = HOIST_TRY(list(child.get(), path));
    for (const auto& name : names) {
        kept = HOIST_TRY(remove(child.get(), path, name, keep_this_layer)) || kept;
    }
    if (kept) {
        return true;
    }
    if (writable(dir, dir_path, [&] { return ::unlinkat(dir, leaf.c_str(), AT_REMOVEDIR); }) != 0) {
        return std::unexpected(os_failure("remove " + in_quotes(path), errno));
    }
    // The modes this directory and those below were to get are not for whatever takes its
    // place later in the layer.
    m_directories.erase(path);
    m_directories.erase(m_directories.lower_bound(path + "/"),
                        m_directories.lower_bound(path + "0"));  // '0' follows '/'
    return false;
}

// The names in the directory `dir` (an O_PATH descriptor), read before anything is removed.
Result<std::vector<std::string>> Applier::list(int dir, const std::string& dir_path) {
    int fd = writable(dir, dir_path, [&] { return ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
    if (fd < 0) {
        return std::unexpected(os_failure("open " + in_quotes(dir_path), errno));
    }
    std::unique_ptr<DIR, DirClose> stream(::fdopendir(fd));
    if (!stream) {
        int errnum = errno;
        ::close(fd);
        return std::unexpected(os_failure("read " + in_quotes(dir_path), errnum));
    }
    std::vector<std::string> names;
    errno = 0;
    while (dirent* d = ::readdir(stream.get())) {
        std::string_view name = d->d_name;
        if (name != "." && name != "..") {
            names.emplace_back(name);
        }
    }
    if (errno != 0) {
        return std::unexpected(os_failure("read " + in_quotes(dir_path), errno));
    }
    return names;
}

Result<void> Applier::apply_whiteout(const Parts& parts) {
    const std::string& base = parts.back();
    auto dirs = dirs_of(parts);
    std::string dir_path = join(dirs);
    if (m_options.whiteouts == ApplyOptions::Whiteouts::overlay) {
        return mark_whiteout(parts);
    }
    if (base == k_opaque_marker) {
        Fd dir(open_dir_in_root(m_root, dir_path));
        if (!dir) {
            if (errno == ENOENT || errno == ENOTDIR) {
                return {};  // nothing below to hide
            }
            return std::unexpected(os_failure("open " + in_quotes(dir_path), errno));
        }
        auto names = HOIST_TRY(list(dir.get(), dir_path));
        for (const auto& name : names) {
            HOIST_TRY(remove(dir.get(), dir_path, name, true));
        }
        return {};
    }
    if (base.starts_with(k_whiteout_meta_prefix)) {
        return {};  // aufs metadata (.wh..wh.plnk and the like), skipped as docker does
    }
    std::string target = base.substr(k_whiteout_prefix.size());
    if (target.empty() || target == "." || target == "..") {
        return fail(Errc::unsafe, m_what + ": whiteout of an invalid name");
    }
    auto dir = HOIST_TRY(parent(dirs, false));
    if (!dir) {
        return {};
    }
    HOIST_TRY(remove(dir.get(), dir_path, target, true));
    return {};
}

// Overlay mode: the whiteout as overlayfs writes it, for a lower directory of one layer.
Result<void> Applier::mark_whiteout(const Parts& parts) {
    const std::string& base = parts.back();
    auto dirs = dirs_of(parts);
    std::string dir_path = join(dirs);
    if (base == k_opaque_marker) {
        auto parent_dir = HOIST_TRY(parent(dirs, true));
        // The descriptor is O_PATH: the xattr goes through its /proc link.
        auto link = "/proc/self/fd/" + std::to_string(parent_dir.get());
        if (::setxattr(link.c_str(), m_options.opaque_xattr.c_str(), "y", 1, 0) != 0) {
            return std::unexpected(os_failure("mark " + in_quotes(dir_path) + " opaque", errno));
        }
        return {};
    }
    if (base.starts_with(k_whiteout_meta_prefix)) {
        return {};
    }
    std::string target = base.substr(k_whiteout_prefix.size());
    if (target.empty() || target == "." || target == "..") {
        return fail(Errc::unsafe, m_what + ": whiteout of an invalid name");
    }
    auto dir = HOIST_TRY(parent(dirs, true));
    struct stat existing {};
    if (::fstatat(dir.get(), target.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
        return {};  // this layer has the name: it wins
    }
    if (::mknodat(dir.get(), target.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) {
        return std::unexpected(os_failure("make the whiteout of " + in_quotes(target), errno));
    }
    return {};
}

Result<void> Applier::make_file(archive* in, archive_entry* entry, const Parts& parts) {
    la_int64_t declared = archive_entry_size(entry);
    if (declared < 0) {
        return fail(Errc::invalid_argument, m_what + ": negative size");
    }
    auto size = static_cast<std::uint64_t>(declared);
    // Checked before a byte is written: the size in the header is what libarchive will deliver.
    if (size > m_options.max_bytes - m_bytes) {
        return fail(Errc::unsafe, m_what + ": " + std::to_string(size) +
                                      " bytes would take the layer over its limit of " +
                                      std::to_string(m_options.max_bytes) + " bytes");
    }
    m_bytes += size;
    auto dirs = dirs_of(parts);
    std::string dir_path = join(dirs);
    const std::string& leaf = parts.back();
    auto dir = HOIST_TRY(parent(dirs, true));
    HOIST_TRY(clear(dir.get(), dir_path, leaf, false));
    // O_EXCL|O_NOFOLLOW: whatever might appear at the name, it is never written through.
    Fd fd(writable(dir.get(), dir_path, [&] {
        return ::openat(dir.get(), leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }));
    if (!fd) {
        return std::unexpected(os_failure("create", errno));
    }
    for (;;) {
        la_ssize_t n = archive_read_data(in, m_data.data(), m_data.size());
        if (n < 0) {
            return std::unexpected(archive_error(in));
        }
        if (n == 0) {
            break;
        }
        HOIST_TRY(write_all(fd.get(), std::string_view(m_data.data(), static_cast<std::size_t>(n)), m_what));
    }
    // The owner first: chown clears setuid and setgid.
    HOIST_TRY(set_owner(entry, fd.get(), dir.get(), leaf));
    // fchmod, not the mode of openat: the umask does not apply.
    if (::fchmod(fd.get(), archive_entry_perm(entry) & 07777) != 0) {
        return std::unexpected(os_failure("chmod", errno));
    }
    HOIST_TRY(set_xattrs(entry, fd.get(), dir.get(), leaf));
    auto times = entry_times(entry);
    if (::futimens(fd.get(), times.data()) != 0) {
        return std::unexpected(os_failure("set times", errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return std::unexpected(os_failure("stat", errno));
    }
    m_created.insert({st.st_dev, st.st_ino});
    return {};
}

Result<void> Applier::make_directory(archive_entry* entry, const Parts& parts) {
    auto dirs = dirs_of(parts);
    std::string dir_path = join(dirs);
    const std::string& leaf = parts.back();
    auto dir = HOIST_TRY(parent(dirs, true));
    bool merged = HOIST_TRY(clear(dir.get(), dir_path, leaf, true));
    // 0700 until the end, so that the layer's own children can go in.
    if (!merged && writable(dir.get(), dir_path, [&] { return ::mkdirat(dir.get(), leaf.c_str(), 0700); }) != 0) {
        return std::unexpected(os_failure("create", errno));
    }
    HOIST_TRY(set_owner(entry, -1, dir.get(), leaf));
    if (merged && m_options.rootless && archive_entry_uid(entry) == 0 && archive_entry_gid(entry) == 0) {
        // An owner an earlier layer gave this directory is not its owner any more.
        ::lremovexattr(proc_path(dir.get(), leaf).c_str(), "user.hoist.owner");
    }
    HOIST_TRY(set_xattrs(entry, -1, dir.get(), leaf));
    HOIST_TRY(mark_created(dir.get(), leaf));
    m_directories[parts.size() == 1 ? leaf : dir_path + "/" + leaf] = {archive_entry_perm(entry) & 07777,
                                                                       entry_times(entry)};
    return {};
}

Result<void> Applier::make_symlink(archive_entry* entry, const Parts& parts) {
    const char* target = archive_entry_symlink(entry);
    if (target == nullptr) {
        return fail(Errc::invalid_argument, m_what + ": symlink without a target");
    }
    auto dirs = dirs_of(parts);
    std::string dir_path = join(dirs);
    const std::string& leaf = parts.back();
    auto dir = HOIST_TRY(parent(dirs, true));
    HOIST_TRY(clear(dir.get(), dir_path, leaf, false));
    // The target is text: stored as it is, resolved by whoever follows it later.
    if (writable(dir.get(), dir_path, [&] { return ::symlinkat(target, dir.get(), leaf.c_str()); }) != 0) {
        return std::unexpected(os_failure("create symlink", errno));
    }
    HOIST_TRY(set_owner(entry, -1, dir.get(), leaf));
    HOIST_TRY(set_xattrs(entry, -1, dir.get(), leaf));
    auto times = entry_times(entry);
    if (::utimensat(dir.get(), leaf.c_str(), times.data(), AT_SYMLINK_NOFOLLOW) != 0) {
        return std::unexpected(os_failure("set times", errno));
    }
    return mark_created(dir.get(), leaf);
}

Result<void> Applier::make_hardlink(const Parts& parts, std::string_view target) {
    std::string what_target = "hardlink target " + in_quotes(target);
    auto target_parts = components(target);
    if (!target_parts) {
        return fail(Errc::unsafe, m_what + ": " + what_target + " has a \"..\" component");
    }
    if (target_parts->empty()) {
        return fail(Errc::unsafe, m_what + ": " + what_target + " is a directory");
    }
    // The target's parents resolve inside the root; its last component is linked as it is,
    // a symlink included (linkat without AT_SYMLINK_FOLLOW).
    auto target_dirs = dirs_of(*target_parts);
    auto target_dir = HOIST_TRY(parent(target_dirs, false));
    struct stat target_st {};
    if (!target_dir || writable(target_dir.get(), join(target_dirs), [&] {
                           return ::fstatat(target_dir.get(), target_parts->back().c_str(), &target_st,
                                            AT_SYMLINK_NOFOLLOW);
                       }) != 0) {
        if (!target_dir || errno == ENOENT || errno == ENOTDIR) {
            return fail(Errc::unsafe, m_what + ": " + what_target + " does not exist");
        }
        return std::unexpected(os_failure("stat " + what_target, errno));
    }
    if (S_ISDIR(target_st.st_mode)) {
        return fail(Errc::unsafe, m_what + ": " + what_target + " is a directory");
    }
    auto dirs = dirs_of(parts);
    std::string dir_path = join(dirs);
    const std::string& leaf = parts.back();
    auto dir = HOIST_TRY(parent(dirs, true));
    struct stat st {};
    if (::fstatat(dir.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == target_st.st_dev &&
        st.st_ino == target_st.st_ino) {
        m_created.insert({st.st_dev, st.st_ino});  // a link to itself, or already linked
        return {};
    }
    HOIST_TRY(clear(dir.get(), dir_path, leaf, false));
    if (writable(dir.get(), dir_path, [&] {
            return ::linkat(target_dir.get(), target_parts->back().c_str(), dir.get(), leaf.c_str(), 0);
        }) != 0) {
        if (errno == ENOENT) {  // the target was what this entry replaced
            return fail(Errc::unsafe, m_what + ": " + what_target + " does not exist");
        }
        return std::unexpected(os_failure("link to " + in_quotes(target), errno));
    }
    m_created.insert({target_st.st_dev, target_st.st_ino});
    return {};
}

Result<void> Applier::make_node(archive_entry* entry, const Parts& parts, mode_t type) {
    if (type != S_IFIFO && m_options.rootless) {
        m_options.warn(m_what + ": " + (type == S_IFCHR ? "character" : "block") + " device skipped (rootless)");
        return {};
    }
    auto dirs = dirs_of(parts);
    std::string dir_path = join(dirs);
    const std::string& leaf = parts.back();
    auto dir = HOIST_TRY(parent(dirs, true));
    HOIST_TRY(clear(dir.get(), dir_path, leaf, false));
    dev_t device = type == S_IFIFO ? 0 : makedev(archive_entry_rdevmajor(entry), archive_entry_rdevminor(entry));
    if (writable(dir.get(), dir_path, [&] { return ::mknodat(dir.get(), leaf.c_str(), type | 0600, device); }) != 0) {
        // A user namespace may not make devices even as its root: as without root, skipped.
        if (type != S_IFIFO && errno == EPERM) {
            m_options.warn(m_what + ": " + (type == S_IFCHR ? "character" : "block") + " device skipped (not permitted)");
            return {};
        }
        return std::unexpected(os_failure("create node", errno));
    }
    HOIST_TRY(set_owner(entry, -1, dir.get(), leaf));
    // fchmodat follows a symlink at `leaf`, but this node has just been made there.
    if (::fchmodat(dir.get(), leaf.c_str(), archive_entry_perm(entry) & 07777, 0) != 0) {
        return std::unexpected(os_failure("chmod", errno));
    }
    HOIST_TRY(set_xattrs(entry, -1, dir.get(), leaf));
    auto times = entry_times(entry);
    if (::utimensat(dir.get(), leaf.c_str(), times.data(), AT_SYMLINK_NOFOLLOW) != 0) {
        return std::unexpected(os_failure("set times", errno));
    }
    return mark_created(dir.get(), leaf);
}

Result<void> Applier::set_owner(archive_entry* entry, int fd, int dir, const std::string& leaf) {
    la_int64_t uid = archive_entry_uid(entry);
    la_int64_t gid = archive_entry_gid(entry);
    if (uid < 0 || gid < 0 || uid >= la_int64_t{0xffffffff} || gid >= la_int64_t{0xffffffff}) {
        return fail(Errc::invalid_argument,
                    m_what + ": owner " + std::to_string(uid) + ":" + std::to_string(gid) + " out of range");
    }
    if (m_options.rootless) {
        // Kept where it can be: a later snapshot of this tree gives the file its owner back.
        if (uid != 0 || gid != 0) {
            std::string owner = std::to_string(uid) + ":" + std::to_string(gid);
            Fd opened(fd >= 0 ? -1 : ::openat(dir, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
            int target = fd >= 0 ? fd : opened.get();
            if (target >= 0) {
                ::fsetxattr(target, "user.hoist.owner", owner.data(), owner.size(), 0);
            }
        }
        return {};
    }
    int result =
        fd >= 0 ? ::fchown(fd, static_cast<uid_t>(uid), static_cast<gid_t>(gid))
                : ::fchownat(dir, leaf.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid), AT_SYMLINK_NOFOLLOW);
    if (result != 0) {
        return std::unexpected(os_failure("chown", errno));
    }
    return {};
}

Result<void> Applier::set_xattrs(archive_entry* entry, int fd, int dir, const std::string& leaf) {
    if (archive_entry_xattr_reset(entry) == 0) {
        return {};
    }
    const char* key = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    // libarchive lists a name twice when a pax header has it both as SCHILY.xattr and as
    // LIBARCHIVE.xattr (its own writer's habit); the first is applied.
    std::set<std::string_view> seen;
    while (archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK) {
        if (!seen.insert(key).second) {
            continue;
        }
        std::string_view name = key;
        // In a lower directory overlayfs would read them as its own (a redirect, a metacopy).
        if (m_options.whiteouts == ApplyOptions::Whiteouts::overlay &&
            (name.starts_with("trusted.overlay.") || name.starts_with("user.overlay."))) {
            m_options.warn(m_what + ": xattr " + std::string(name) + " skipped (overlayfs's own)");
            continue;
        }
        // Only regular files are opened; for the rest the name goes through /proc/self/fd so
        // that a symlink at `leaf` is given the attribute, never followed.
        int result = fd >= 0 ? ::fsetxattr(fd, key, value, size, 0)
                             : ::lsetxattr(proc_path(dir, leaf).c_str(), key, value, size, 0);
        if (result == 0) {
            continue;
        }
        int errnum = errno;
        if (m_options.rootless && (name.starts_with("security.") || name.starts_with("trusted."))) {
            m_options.warn(m_what + ": xattr " + std::string(name) + " not set (rootless): " + std::strerror(errnum));
            continue;
        }
        return std::unexpected(os_failure("set xattr " + std::string(name), errnum));
    }
    return {};
}

Result<void> Applier::mark_created(int dir, const std::string& leaf) {
    struct stat st {};
    if (::fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return std::unexpected(os_failure("stat", errno));
    }
    m_created.insert({st.st_dev, st.st_ino});
    return {};
}

Result<void> Applier::finish_directories() {
    for (auto it = m_directories.rbegin(); it != m_directories.rend(); ++it) {
        const auto& [path, metadata] = *it;
        m_what = "directory " + in_quotes(path);
        auto parts = *components(path);
        // Resolved as the entries were; a directory replaced since then by something else is
        // not touched.
        Fd dir(open_dir_in_root(m_root, join(dirs_of(parts))));
        struct stat st {};
        if (!dir || ::fstatat(dir.get(), parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) {
            continue;
        }
        if (::fchmodat(dir.get(), parts.back().c_str(), metadata.mode, 0) != 0) {
            return std::unexpected(os_failure("chmod", errno));
        }
        if (metadata.times &&
            ::utimensat(dir.get(), parts.back().c_str(), metadata.times->data(), AT_SYMLINK_NOFOLLOW) != 0) {
            return std::unexpected(os_failure("set times", errno));
        }
    }
    return {};
}

}  // namespace

Result<void> apply_layer(const std::filesystem::path& root, Reader& content, const Descriptor& layer,
                         const ApplyOptions& options) {
    auto root_fd = HOIST_TRY(open_file(root, O_PATH | O_DIRECTORY));
    // Every byte libarchive sees has gone through the digest; the bound stops a stream that
    // runs on past the size the descriptor gives.
    VerifyingReader verifying(std::make_unique<BoundedReader>(content, layer), layer);
    Source source{&verifying};
    std::unique_ptr<DiffIdReader> uncompressed;
    if (options.diff_id) {
        uncompressed = HOIST_TRY(DiffIdReader::create(verifying, layer, *options.diff_id));
        source.reader = uncompressed.get();
    }

    ReadArchive in(archive_read_new());
    archive_read_support_filter_gzip(in.get());
    archive_read_support_filter_zstd(in.get());
    archive_read_support_format_tar(in.get());    // ustar, pax and GNU tar
    archive_read_support_format_empty(in.get());  // a zero-byte layer has no entries
    if (archive_read_open(in.get(), &source, nullptr, read_callback, nullptr) != ARCHIVE_OK) {
        return std::unexpected(archive_failure(in.get(), source));
    }

    Applier applier(root_fd.get(), options, source);
    // The entries, up to the tar's end-of-archive.
    HOIST_TRY(applier.apply_entries(in.get()));
    // The rest of the stream, which a tar that ends early leaves unread: digest and size.
    HOIST_TRY(drain(source));
    // Directory modes and times, now that nothing more goes into them.
    HOIST_TRY(applier.finish_directories());
    return {};
}

}  // namespace hoist::oci
