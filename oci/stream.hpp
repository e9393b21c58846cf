// Byte streams: the Reader and Writer interfaces, a file reader and writer, and a reader that
// verifies a digest.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "oci/descriptor.hpp"
#include "oci/file.hpp"

namespace hoist::oci {

class Reader {
public:
    virtual ~Reader() = default;
    // Reads up to buffer.size() bytes; 0 means the end.
    virtual Result<std::size_t> read(std::span<char> buffer) = 0;
};

class Writer {
public:
    virtual ~Writer() = default;
    // Takes all of `bytes`.
    virtual Result<void> write(std::string_view bytes) = 0;
};

class FileReader final : public Reader {
public:
    FileReader(Fd fd, std::string name) : m_fd(std::move(fd)), m_name(std::move(name)) {}
    Result<std::size_t> read(std::span<char> buffer) override;

private:
    Fd m_fd;
    std::string m_name;  // for error messages
};

// Writes to an open file, retrying short writes and EINTR.
class FileWriter final : public Writer {
public:
    FileWriter(Fd fd, std::string name) : m_fd(std::move(fd)), m_name(std::move(name)) {}
    Result<void> write(std::string_view bytes) override;

private:
    Fd m_fd;
    std::string m_name;  // for error messages
};

// Passes `inner` through; at its end, fails with Errc::digest_mismatch unless the bytes had the
// digest and size of `expected`.
class VerifyingReader final : public Reader {
public:
    VerifyingReader(std::unique_ptr<Reader> inner, Descriptor expected)
        : m_inner(std::move(inner)), m_expected(std::move(expected)), m_hasher(m_expected.digest.algorithm()) {}
    Result<std::size_t> read(std::span<char> buffer) override;

private:
    std::unique_ptr<Reader> m_inner;
    Descriptor m_expected;
    Hasher m_hasher;
    std::int64_t m_size = 0;
    bool m_verified = false;  // the end was reached and checked
};

// The error for content that is not what `expected` describes.
Error mismatch_error(const Descriptor& expected, const Digest& digest, std::int64_t size);

}  // namespace hoist::oci
