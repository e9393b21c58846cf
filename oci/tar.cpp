#include "oci/tar.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "oci/file.hpp"

namespace hoist::oci {
namespace fs = std::filesystem;

namespace {

struct ReadFree {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteFree {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using ReadArchive = std::unique_ptr<archive, ReadFree>;
using WriteArchive = std::unique_ptr<archive, WriteFree>;
using Entry = std::unique_ptr<archive_entry, EntryFree>;

std::unexpected<Error> archive_error(archive* a, const std::string& what) {
    const char* message = archive_error_string(a);
    return fail(Errc::invalid_argument, what + ": " + (message != nullptr ? message : "unreadable archive"));
}

// The path of `name` under the root, or an Errc::unsafe error for names that could leave it.
Result<fs::path> safe_relative(std::string_view name, const std::string& what) {
    fs::path relative;
    if (name.starts_with("/")) {
        return fail(Errc::unsafe, what + ": entry \"" + std::string(name) + "\" has an absolute path");
    }
    for (const auto& part : fs::path(name)) {
        if (part == "..") {
            return fail(Errc::unsafe, what + ": entry \"" + std::string(name) + "\" leaves the archive root");
        }
        if (!part.empty() && part != ".") {
            relative /= part;
        }
    }
    return relative;
}

Result<ReadArchive> open_read(const fs::path& path, bool raw) {
    ReadArchive a(archive_read_new());
    if (raw) {
        archive_read_support_filter_all(a.get());
        archive_read_support_format_raw(a.get());
    } else {
        archive_read_support_filter_none(a.get());
        archive_read_support_format_tar(a.get());
    }
    if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
        return archive_error(a.get(), "open " + path.string());
    }
    return a;
}

// Copies the current entry's data from `in` to `fd`, hashing it when `hasher` is given.
Result<std::uint64_t> copy_data(archive* in, int fd, Hasher* hasher, std::uint64_t limit, const std::string& what) {
    std::vector<char> buffer(1 << 20);
    std::uint64_t total = 0;
    for (;;) {
        la_ssize_t n = archive_read_data(in, buffer.data(), buffer.size());
        if (n < 0) {
            return archive_error(in, what);
        }
        if (n == 0) {
            return total;
        }
        total += static_cast<std::uint64_t>(n);
        if (total > limit) {
            return fail(Errc::unsafe, what + ": more than the limit of " + std::to_string(limit) + " bytes");
        }
        HOIST_TRY(write_all(fd, std::string_view(buffer.data(), static_cast<std::size_t>(n)), what));
        if (hasher != nullptr) {
            hasher->update(buffer.data(), static_cast<std::size_t>(n));
        }
    }
}

}  // namespace

Result<Symlinks> extract_tree(const fs::path& archive_path, const fs::path& dest, const ExtractLimits& limits) {
    const std::string what = archive_path.string();
    auto in = HOIST_TRY(open_read(archive_path, false));
    std::uint64_t bytes = 0;
    std::uint64_t entries = 0;
    Symlinks links;
    archive_entry* entry = nullptr;
    for (;;) {
        int status = archive_read_next_header(in.get(), &entry);
        if (status == ARCHIVE_EOF) {
            return links;
        }
        if (status < ARCHIVE_WARN) {
            return archive_error(in.get(), what);
        }
        if (++entries > limits.max_entries) {
            return fail(Errc::unsafe, what + ": more than " + std::to_string(limits.max_entries) + " entries");
        }
        std::string name = archive_entry_pathname(entry) != nullptr ? archive_entry_pathname(entry) : "";
        auto relative = HOIST_TRY(safe_relative(name, what));
        auto type = archive_entry_filetype(entry);
        if (relative.empty()) {
            continue;  // "./"
        }
        if (type == AE_IFDIR) {
            // create_directories follows no symlinks that could exist: only directories and
            // regular files are ever created here.
            HOIST_TRY(make_directories(dest / relative));
            continue;
        }
        if (type == AE_IFLNK) {
            std::string target = archive_entry_symlink(entry) != nullptr ? archive_entry_symlink(entry) : "";
            fs::path resolved = (relative.parent_path() / target).lexically_normal();
            if (fs::path(target).is_absolute() || resolved.empty() || *resolved.begin() == "..") {
                return fail(Errc::unsafe,
                            what + ": entry \"" + name + "\" links to \"" + target + "\", outside the archive");
            }
            links[relative] = resolved;
            continue;
        }
        if (type != AE_IFREG || archive_entry_hardlink(entry) != nullptr) {
            return fail(Errc::unsafe, what + ": entry \"" + name + "\" is not a regular file or directory");
        }
        HOIST_TRY(make_directories(dest / relative.parent_path()));
        auto fd = HOIST_TRY(open_file(dest / relative, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644));
        bytes += HOIST_TRY(copy_data(in.get(), fd.get(), nullptr, limits.max_bytes - bytes, what + ": " + name));
    }
}

Result<void> write_tree(const fs::path& dir, const fs::path& archive_path) {
    std::vector<fs::path> paths;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        paths.push_back(it->path().lexically_relative(dir));
    }
    if (ec) {
        return fail(Errc::io, "read " + dir.string() + ": " + ec.message());
    }
    // Sorting the generic strings puts every directory right before its contents.
    std::ranges::sort(paths, {}, [](const fs::path& p) { return p.generic_string(); });

    fs::path temp =
        archive_path.parent_path() / ("." + archive_path.filename().string() + ".tmp-" + std::to_string(::getpid()));
    WriteArchive out(archive_write_new());
    archive_write_set_format_pax_restricted(out.get());
    if (archive_write_open_filename(out.get(), temp.c_str()) != ARCHIVE_OK) {
        return archive_error(out.get(), "create " + archive_path.string());
    }
    auto written = [&]() -> Result<void> {
        for (const auto& relative : paths) {
            fs::path full = dir / relative;
            bool directory = fs::is_directory(full, ec);
            Entry entry(archive_entry_new());
            archive_entry_set_pathname(entry.get(), relative.generic_string().c_str());
            archive_entry_set_filetype(entry.get(), directory ? AE_IFDIR : AE_IFREG);
            archive_entry_set_perm(entry.get(), directory ? 0755 : 0644);
            archive_entry_set_size(entry.get(), directory ? 0 : static_cast<la_int64_t>(fs::file_size(full, ec)));
            archive_entry_set_mtime(entry.get(), 0, 0);
            if (archive_write_header(out.get(), entry.get()) != ARCHIVE_OK) {
                return archive_error(out.get(), "write " + archive_path.string());
            }
            if (directory) {
                continue;
            }
            auto fd = HOIST_TRY(open_file(full, O_RDONLY));
            std::vector<char> buffer(1 << 20);
            for (;;) {
                ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
                if (n < 0) {
                    return std::unexpected(os_error("read " + full.string(), errno));
                }
                if (n == 0) {
                    break;
                }
                if (archive_write_data(out.get(), buffer.data(), static_cast<std::size_t>(n)) < 0) {
                    return archive_error(out.get(), "write " + archive_path.string());
                }
            }
        }
        if (archive_write_close(out.get()) != ARCHIVE_OK) {
            return archive_error(out.get(), "write " + archive_path.string());
        }
        return {};
    }();
    if (!written) {
        fs::remove(temp, ec);
        return written;
    }
    // archive_write_close flushed the file; sync it before it takes the final name.
    auto fd = HOIST_TRY(open_file(temp, O_RDONLY));
    ::fsync(fd.get());
    if (::rename(temp.c_str(), archive_path.c_str()) != 0) {
        fs::remove(temp, ec);
        return std::unexpected(os_error("rename to " + archive_path.string(), errno));
    }
    return {};
}

Result<Digest> decompress_file(const fs::path& compressed, const fs::path& out_path) {
    auto in = HOIST_TRY(open_read(compressed, true));
    archive_entry* entry = nullptr;
    int status = archive_read_next_header(in.get(), &entry);
    auto out = HOIST_TRY(open_file(out_path, O_WRONLY | O_CREAT | O_EXCL, 0644));
    Hasher hasher;
    // An empty stream has no raw entry at all.
    if (status == ARCHIVE_OK) {
        HOIST_TRY(copy_data(in.get(), out.get(), &hasher, UINT64_MAX, "decompress " + compressed.string()));
    } else if (status != ARCHIVE_EOF) {
        return archive_error(in.get(), "decompress " + compressed.string());
    }
    return hasher.finish();
}

}  // namespace hoist::oci
