#include "oci/layer_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <set>
#include <vector>

#include "oci/file.hpp"

namespace hoist::oci {
namespace fs = std::filesystem;

namespace {

struct WriteFree {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};

// "./a//b/" -> "a/b"; ".." anywhere and empty paths are refused.
Result<std::string> normalise(std::string_view path) {
    std::string out;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = std::min(path.find('/', start), path.size());
        std::string_view part = path.substr(start, end - start);
        if (part == "..") {
            return fail(Errc::invalid_argument, "layer entry \"" + std::string(path) + "\": \"..\" is not allowed");
        }
        if (!part.empty() && part != ".") {
            if (!out.empty()) {
                out += '/';
            }
            out += part;
        }
        start = end + 1;
    }
    if (out.empty()) {
        return fail(Errc::invalid_argument, "layer entry \"" + std::string(path) + "\": empty path");
    }
    return out;
}

unsigned file_type(LayerEntry::Type type) {
    switch (type) {
        case LayerEntry::Type::directory:
            return AE_IFDIR;
        case LayerEntry::Type::symlink:
            return AE_IFLNK;
        case LayerEntry::Type::char_device:
            return AE_IFCHR;
        case LayerEntry::Type::block_device:
            return AE_IFBLK;
        case LayerEntry::Type::fifo:
            return AE_IFIFO;
        case LayerEntry::Type::regular:
        case LayerEntry::Type::hardlink:
            break;
    }
    return AE_IFREG;
}

// Passes libarchive's output to a Writer, keeping the first error for the caller.
struct Sink {
    Writer* out;
    std::optional<Error> error;
};

la_ssize_t sink_write(archive*, void* data, const void* buffer, size_t size) {
    auto* sink = static_cast<Sink*>(data);
    auto written = sink->out->write(std::string_view(static_cast<const char*>(buffer), size));
    if (!written) {
        sink->error = written.error();
        return -1;
    }
    return static_cast<la_ssize_t>(size);
}

class LayerTar {
public:
    explicit LayerTar(Writer& out) : m_sink{&out, std::nullopt}, m_archive(archive_write_new()) {}

    Result<void> open() {
        archive_write_set_format_pax_restricted(m_archive.get());
        // Stop after the end-of-archive blocks rather than padding to 10 KiB, as Go's tar does.
        archive_write_set_bytes_in_last_block(m_archive.get(), 1);
        if (archive_write_open(m_archive.get(), &m_sink, nullptr, sink_write, nullptr) != ARCHIVE_OK) {
            return failure("start the layer");
        }
        return {};
    }

    Result<void> add(const LayerEntry& e, const std::string& path) {
        std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
        archive_entry_set_pathname(entry.get(),
                                   e.type == LayerEntry::Type::directory ? (path + "/").c_str() : path.c_str());
        archive_entry_set_filetype(entry.get(), file_type(e.type));
        archive_entry_set_perm(entry.get(), e.mode & 07777);
        archive_entry_set_uid(entry.get(), e.uid);
        archive_entry_set_gid(entry.get(), e.gid);
        if (!e.uname.empty()) {
            archive_entry_set_uname(entry.get(), e.uname.c_str());
        }
        if (!e.gname.empty()) {
            archive_entry_set_gname(entry.get(), e.gname.c_str());
        }
        archive_entry_set_mtime(entry.get(), e.mtime, 0);
        for (const auto& [name, value] : e.xattrs) {
            archive_entry_xattr_add_entry(entry.get(), name.c_str(), value.data(), value.size());
        }
        std::optional<Fd> content;
        std::int64_t size = 0;
        switch (e.type) {
            case LayerEntry::Type::symlink:
                archive_entry_set_symlink(entry.get(), e.link_target.c_str());
                break;
            case LayerEntry::Type::hardlink:
                archive_entry_set_hardlink(entry.get(), HOIST_TRY(normalise(e.link_target)).c_str());
                break;
            case LayerEntry::Type::char_device:
            case LayerEntry::Type::block_device:
                archive_entry_set_rdevmajor(entry.get(), e.dev_major);
                archive_entry_set_rdevminor(entry.get(), e.dev_minor);
                break;
            case LayerEntry::Type::regular:
                if (e.source.empty()) {
                    size = static_cast<std::int64_t>(e.content.size());
                } else {
                    content = HOIST_TRY(open_file(e.source, O_RDONLY | O_NOFOLLOW));
                    struct stat st {};
                    if (::fstat(content->get(), &st) != 0) {
                        return std::unexpected(os_error("stat " + e.source.string(), errno));
                    }
                    size = st.st_size;
                }
                break;
            case LayerEntry::Type::directory:
            case LayerEntry::Type::fifo:
                break;
        }
        archive_entry_set_size(entry.get(), size);
        if (archive_write_header(m_archive.get(), entry.get()) != ARCHIVE_OK) {
            return failure("write " + path);
        }
        if (e.type != LayerEntry::Type::regular) {
            return {};
        }
        if (!content) {
            return write_data(e.content, path);
        }
        // The file is read to exactly the size the header announced, so a file that grows or
        // shrinks meanwhile cannot make a malformed tar.
        std::int64_t left = size;
        while (left > 0) {
            ssize_t n = ::read(content->get(), m_buffer.get(),
                               static_cast<std::size_t>(std::min<std::int64_t>(left, k_buffer_size)));
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return n < 0 ? std::unexpected(os_error("read " + e.source.string(), errno))
                             : fail(Errc::io, "read " + e.source.string() + ": the file shrank while it was written");
            }
            HOIST_TRY(write_data(std::string_view(m_buffer.get(), static_cast<std::size_t>(n)), path));
            left -= n;
        }
        return {};
    }

    // Copies the current entry of `in`, with its path normalised and its mtime clamped.
    Result<void> copy_from(archive* in, archive_entry* entry, const LayerWriteOptions& options) {
        std::string path = HOIST_TRY(normalise(archive_entry_pathname(entry)));
        bool directory = archive_entry_filetype(entry) == AE_IFDIR;
        archive_entry_set_pathname(entry, directory ? (path + "/").c_str() : path.c_str());
        if (const char* target = archive_entry_hardlink(entry); target != nullptr) {
            archive_entry_set_hardlink(entry, HOIST_TRY(normalise(target)).c_str());
        }
        if (options.clamp_mtime && archive_entry_mtime(entry) > *options.clamp_mtime) {
            archive_entry_set_mtime(entry, *options.clamp_mtime, 0);
        }
        if (archive_write_header(m_archive.get(), entry) != ARCHIVE_OK) {
            return failure("write " + path);
        }
        for (;;) {
            la_ssize_t n = archive_read_data(in, m_buffer.get(), k_buffer_size);
            if (n < 0) {
                const char* message = archive_error_string(in);
                return fail(Errc::invalid_argument, path + ": " + (message != nullptr ? message : "unreadable"));
            }
            if (n == 0) {
                return {};
            }
            HOIST_TRY(write_data(std::string_view(m_buffer.get(), static_cast<std::size_t>(n)), path));
        }
    }

    Result<void> close() {
        if (archive_write_close(m_archive.get()) != ARCHIVE_OK) {
            return failure("finish the layer");
        }
        return {};
    }

private:
    Result<void> write_data(std::string_view bytes, const std::string& path) {
        if (!bytes.empty() && archive_write_data(m_archive.get(), bytes.data(), bytes.size()) < 0) {
            return failure("write " + path);
        }
        return {};
    }

    std::unexpected<Error> failure(const std::string& what) {
        if (m_sink.error) {
            return std::unexpected(std::move(*m_sink.error));
        }
        const char* message = archive_error_string(m_archive.get());
        return fail(Errc::io, what + ": " + (message != nullptr ? message : "libarchive failed"));
    }

    Sink m_sink;
    std::unique_ptr<archive, WriteFree> m_archive;
    // One read buffer for every file, left uninitialised: zeroing 1 MiB per file of a tree of
    // small files costs more than reading them.
    static constexpr std::size_t k_buffer_size = std::size_t{1} << 20;
    std::unique_ptr<char[]> m_buffer = std::make_unique_for_overwrite<char[]>(k_buffer_size);
};

}  // namespace

LayerEntry LayerEntry::whiteout(std::string_view path) {
    fs::path p(path);
    return LayerEntry{.path = (p.parent_path() / (".wh." + p.filename().string())).string()};
}

LayerEntry LayerEntry::opaque(std::string_view directory) {
    return LayerEntry{.path = (fs::path(directory) / ".wh..wh..opq").string()};
}

Result<void> write_layer(std::vector<LayerEntry> entries, Writer& out, const LayerWriteOptions& options) {
    std::map<std::string, const LayerEntry*> by_path;
    std::vector<std::string> paths;
    for (auto& entry : entries) {
        entry.path = HOIST_TRY(normalise(entry.path));
        if (options.clamp_mtime && entry.mtime > *options.clamp_mtime) {
            entry.mtime = *options.clamp_mtime;
        }
    }
    // The last entry for a path wins, as when a later COPY overwrites an earlier one.
    for (const auto& entry : entries) {
        by_path[entry.path] = &entry;
    }
    std::set<std::string> missing;
    for (const auto& [path, entry] : by_path) {
        for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
            if (!by_path.contains(path.substr(0, slash))) {
                missing.insert(path.substr(0, slash));
            }
        }
    }
    std::vector<LayerEntry> parents;
    for (const auto& path : missing) {
        parents.push_back(LayerEntry{.path = path, .type = LayerEntry::Type::directory, .mode = 0755});
    }
    for (const auto& parent : parents) {
        by_path[parent.path] = &parent;
    }
    LayerTar tar(out);
    HOIST_TRY(tar.open());
    // std::map orders byte-wise, and a parent, being a prefix of its children, comes first.
    for (const auto& [path, entry] : by_path) {
        HOIST_TRY(tar.add(*entry, path));
    }
    return tar.close();
}

Result<void> rewrite_layer(const fs::path& tar, Writer& out, const LayerWriteOptions& options) {
    std::unique_ptr<archive, decltype(&archive_read_free)> in(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(in.get());
    archive_read_support_format_tar(in.get());
    archive_read_support_format_gnutar(in.get());
    if (archive_read_open_filename(in.get(), tar.c_str(), 1 << 16) != ARCHIVE_OK) {
        return fail(Errc::invalid_argument, "open " + tar.string() + ": " + archive_error_string(in.get()));
    }
    LayerTar layer(out);
    HOIST_TRY(layer.open());
    archive_entry* entry = nullptr;
    for (;;) {
        int status = archive_read_next_header(in.get(), &entry);
        if (status == ARCHIVE_EOF) {
            return layer.close();
        }
        if (status < ARCHIVE_WARN) {
            return fail(Errc::invalid_argument, tar.string() + ": " + archive_error_string(in.get()));
        }
        // "./" names the root itself, which a layer does not carry.
        if (std::string_view name = archive_entry_pathname(entry); name == "." || name == "./" || name == "/") {
            continue;
        }
        HOIST_TRY(in_context(layer.copy_from(in.get(), entry, options), tar.string()));
    }
}

Result<std::vector<LayerEntry>> scan_tree(const fs::path& root) {
    std::error_code ec;
    std::vector<fs::path> paths;
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        paths.push_back(it->path());
    }
    if (ec) {
        return fail(Errc::io, "read " + root.string() + ": " + ec.message());
    }
    return scan_paths(root, std::move(paths));
}

Result<std::map<std::string, std::string>> read_xattrs(const fs::path& path) {
    std::map<std::string, std::string> xattrs;
    ssize_t length = ::llistxattr(path.c_str(), nullptr, 0);
    if (length < 0) {
        // A filesystem without xattrs has none to keep.
        return errno == ENOTSUP ? Result<std::map<std::string, std::string>>(xattrs)
                                : std::unexpected(os_error("list xattrs of " + path.string(), errno));
    }
    std::string names(static_cast<std::size_t>(length), '\0');
    length = ::llistxattr(path.c_str(), names.data(), names.size());
    if (length < 0) {
        return std::unexpected(os_error("list xattrs of " + path.string(), errno));
    }
    for (std::size_t start = 0; start < static_cast<std::size_t>(length);) {
        std::string name(names.c_str() + start);
        start += name.size() + 1;
        ssize_t size = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
        std::string value(size > 0 ? static_cast<std::size_t>(size) : 0, '\0');
        if (size < 0 || ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size()) != size) {
            return std::unexpected(os_error("read xattr " + name + " of " + path.string(), errno));
        }
        xattrs.emplace(std::move(name), std::move(value));
    }
    return xattrs;
}


Result<std::vector<LayerEntry>> scan_paths(const fs::path& root, std::vector<fs::path> paths) {
    std::vector<LayerEntry> entries;
    std::map<std::pair<dev_t, ino_t>, std::string> first_names;
    std::ranges::sort(paths);
    for (const auto& path : paths) {
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) {
            return std::unexpected(os_error("stat " + path.string(), errno));
        }
        LayerEntry entry{
            .path = path.lexically_relative(root).generic_string(),
            .mode = static_cast<std::uint32_t>(st.st_mode & 07777),
            .uid = st.st_uid,
            .gid = st.st_gid,
            .mtime = st.st_mtim.tv_sec,
        };
        entry.xattrs = HOIST_TRY(read_xattrs(path));
        switch (st.st_mode & S_IFMT) {
            case S_IFDIR:
                entry.type = LayerEntry::Type::directory;
                break;
            case S_IFLNK: {
                entry.type = LayerEntry::Type::symlink;
                std::error_code link_ec;
                entry.link_target = fs::read_symlink(path, link_ec).string();
                if (link_ec) {
                    return fail(Errc::io, "read link " + path.string() + ": " + link_ec.message());
                }
                break;
            }
            case S_IFCHR:
            case S_IFBLK:
                entry.type = S_ISCHR(st.st_mode) ? LayerEntry::Type::char_device : LayerEntry::Type::block_device;
                entry.dev_major = major(st.st_rdev);
                entry.dev_minor = minor(st.st_rdev);
                break;
            case S_IFIFO:
                entry.type = LayerEntry::Type::fifo;
                break;
            case S_IFREG:
                if (st.st_nlink > 1) {
                    auto [it, first] = first_names.try_emplace({st.st_dev, st.st_ino}, entry.path);
                    if (!first) {
                        entry.type = LayerEntry::Type::hardlink;
                        entry.link_target = it->second;
                        break;
                    }
                }
                entry.source = path;
                break;
            default:
                continue;  // sockets have no place in a layer
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

}  // namespace hoist::oci
