// Helpers that several unit tests share.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "oci/stream.hpp"

namespace hoist::test {

// `object` with `key` set to `value`, or removed: for tables of malformed documents.
inline nlohmann::json with(nlohmann::json object, const std::string& key, nlohmann::json value) {
    object[key] = std::move(value);
    return object;
}

inline nlohmann::json without(nlohmann::json object, const std::string& key) {
    object.erase(key);
    return object;
}

// A Reader of `bytes`, at most `chunk` bytes a read.
class StringReader final : public oci::Reader {
public:
    explicit StringReader(std::string bytes, std::size_t chunk = SIZE_MAX)
        : m_bytes(std::move(bytes)), m_chunk(chunk) {}
    Result<std::size_t> read(std::span<char> buffer) override {
        std::size_t n = std::min({buffer.size(), m_chunk, m_bytes.size() - m_offset});
        std::copy_n(m_bytes.data() + m_offset, n, buffer.data());
        m_offset += n;
        return n;
    }
    std::size_t offset() const { return m_offset; }

private:
    std::string m_bytes;
    std::size_t m_chunk;
    std::size_t m_offset = 0;
};

// A Writer that keeps everything in memory.
class StringWriter final : public oci::Writer {
public:
    Result<void> write(std::string_view bytes) override {
        text.append(bytes);
        return {};
    }
    std::string text;
};

}  // namespace hoist::test
