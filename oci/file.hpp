// Files and directories: an owning descriptor, whole-file reads, atomic writes, temporary
// directories and advisory locks. Every function reports errno as Errc::io with the path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "oci/error.hpp"

namespace hoist {

// An owned file descriptor. Move-only; closes on destruction.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : m_fd(fd) {}
    Fd(Fd&& other) noexcept : m_fd(other.release()) {}
    Fd& operator=(Fd&& other) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();

    int get() const { return m_fd; }
    int release();
    explicit operator bool() const { return m_fd >= 0; }

private:
    int m_fd = -1;
};

// Opens `path` with open(2) flags; O_CLOEXEC is always added.
Result<Fd> open_file(const std::filesystem::path& path, int flags, unsigned mode = 0644);

// Reads a whole file, refusing one larger than `limit` bytes.
Result<std::string> read_file(const std::filesystem::path& path, std::uint64_t limit = 64u << 20);

// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
Result<void> write_all(int fd, std::string_view bytes, std::string_view what);

// Replaces `path` with `bytes` so that readers see the old or the new file, never a part:
// a temporary file in the same directory, fsync, rename, fsync of the directory.
Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view bytes, unsigned mode = 0644);

Result<void> make_directories(const std::filesystem::path& path);

// A directory made with mkdtemp under `parent` and removed with everything in it on destruction.
class TempDir {
public:
    static Result<TempDir> create(const std::filesystem::path& parent, std::string_view prefix = "hoist-");
    TempDir(TempDir&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}
    TempDir& operator=(TempDir&&) = delete;
    ~TempDir();
    const std::filesystem::path& path() const { return m_path; }

private:
    explicit TempDir(std::filesystem::path path) : m_path(std::move(path)) {}
    std::filesystem::path m_path;
};

// The directory for temporary files: $TMPDIR, else /tmp.
std::filesystem::path temp_directory();

// An flock(2) on an open descriptor, released on destruction.
class FileLock {
public:
    enum class Mode { shared, exclusive };
    // Blocks until the lock is held.
    static Result<FileLock> acquire(int fd, Mode mode);
    // Errc::busy when another process holds a conflicting lock.
    static Result<FileLock> try_acquire(int fd, Mode mode);
    FileLock(FileLock&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    FileLock& operator=(FileLock&&) = delete;
    ~FileLock();

private:
    explicit FileLock(int fd) : m_fd(fd) {}
    static Result<FileLock> lock(int fd, Mode mode, bool wait);
    int m_fd;
};

}  // namespace hoist
