#include "oci/stream.hpp"

#include <unistd.h>

#include <cerrno>

namespace hoist::oci {

Result<std::size_t> FileReader::read(std::span<char> buffer) {
    for (;;) {
        ssize_t n = ::read(m_fd.get(), buffer.data(), buffer.size());
        if (n >= 0) {
            return static_cast<std::size_t>(n);
        }
        if (errno != EINTR) {
            return std::unexpected(os_error("read " + m_name, errno));
        }
    }
}

Result<void> FileWriter::write(std::string_view bytes) {
    return write_all(m_fd.get(), bytes, m_name);
}

Result<std::size_t> VerifyingReader::read(std::span<char> buffer) {
    if (m_verified) {
        return 0;
    }
    auto n = HOIST_TRY(m_inner->read(buffer));
    m_hasher.update(buffer.data(), n);
    m_size += static_cast<std::int64_t>(n);
    if (n == 0 && !buffer.empty()) {
        m_verified = true;
        auto digest = m_hasher.finish();
        if (digest != m_expected.digest || m_size != m_expected.size) {
            return std::unexpected(mismatch_error(m_expected, digest, m_size));
        }
    }
    return n;
}

Error mismatch_error(const Descriptor& expected, const Digest& digest, std::int64_t size) {
    std::string what = "blob " + expected.digest.to_string() + ": ";
    if (size != expected.size) {
        return Error(Errc::digest_mismatch, what + std::to_string(size) + " bytes, not the " +
                                                std::to_string(expected.size) + " its descriptor says");
    }
    return Error(Errc::digest_mismatch, what + "content has digest " + digest.to_string());
}

}  // namespace hoist::oci
