#include "oci/file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

namespace hoist {

Fd& Fd::operator=(Fd&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = other.release();
    }
    return *this;
}

Fd::~Fd() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

int Fd::release() {
    return std::exchange(m_fd, -1);
}

Result<Fd> open_file(const std::filesystem::path& path, int flags, unsigned mode) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) {
        return std::unexpected(os_error("open " + path.string(), errno));
    }
    return Fd(fd);
}

Result<std::string> read_file(const std::filesystem::path& path, std::uint64_t limit) {
    Fd fd = HOIST_TRY(open_file(path, O_RDONLY));
    std::string bytes;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return std::unexpected(os_error("read " + path.string(), errno));
        }
        if (n == 0) {
            return bytes;
        }
        if (bytes.size() + static_cast<std::uint64_t>(n) > limit) {
            return fail(Errc::invalid_argument,
                        "read " + path.string() + ": larger than the limit of " + std::to_string(limit) + " bytes");
        }
        bytes.append(buffer, static_cast<std::size_t>(n));
    }
}

Result<void> write_all(int fd, std::string_view bytes, std::string_view what) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return std::unexpected(os_error("write " + std::string(what), errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view bytes, unsigned mode) {
    std::string pattern = (path.parent_path() / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    Fd fd(::mkostemp(name.data(), O_CLOEXEC));
    if (!fd) {
        return std::unexpected(os_error("create a temporary file for " + path.string(), errno));
    }
    auto written = [&]() -> Result<void> {
        HOIST_TRY(write_all(fd.get(), bytes, path.string()));
        if (::fchmod(fd.get(), mode) != 0 || ::fsync(fd.get()) != 0) {
            return std::unexpected(os_error("sync " + path.string(), errno));
        }
        if (::rename(name.data(), path.c_str()) != 0) {
            return std::unexpected(os_error("rename to " + path.string(), errno));
        }
        return {};
    }();
    if (!written) {
        ::unlink(name.data());
        return written;
    }
    // The rename is durable only once the directory is.
    Fd dir = HOIST_TRY(open_file(path.parent_path().empty() ? "." : path.parent_path(), O_RDONLY | O_DIRECTORY));
    ::fsync(dir.get());
    return {};
}

Result<void> make_directories(const std::filesystem::path& path) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) {
        return fail(Errc::io, "create directory " + path.string() + ": " + ec.message());
    }
    return {};
}

Result<TempDir> TempDir::create(const std::filesystem::path& parent, std::string_view prefix) {
    std::string pattern = (parent / (std::string(prefix) + "XXXXXX")).string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (::mkdtemp(name.data()) == nullptr) {
        return std::unexpected(os_error("create a temporary directory in " + parent.string(), errno));
    }
    return TempDir(std::filesystem::path(name.data()));
}

TempDir::~TempDir() {
    if (!m_path.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
}

std::filesystem::path temp_directory() {
    const char* dir = std::getenv("TMPDIR");
    return dir != nullptr && *dir != '\0' ? std::filesystem::path(dir) : std::filesystem::path("/tmp");
}

Result<FileLock> FileLock::lock(int fd, Mode mode, bool wait) {
    int operation = (mode == Mode::shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
    while (::flock(fd, operation) != 0) {
        if (errno == EWOULDBLOCK) {
            return fail(Errc::busy, "locked by another process");
        }
        if (errno != EINTR) {
            return std::unexpected(os_error("flock", errno));
        }
    }
    return FileLock(fd);
}

Result<FileLock> FileLock::acquire(int fd, Mode mode) {
    return lock(fd, mode, true);
}

Result<FileLock> FileLock::try_acquire(int fd, Mode mode) {
    return lock(fd, mode, false);
}

FileLock::~FileLock() {
    if (m_fd >= 0) {
        ::flock(m_fd, LOCK_UN);
    }
}

}  // namespace hoist
