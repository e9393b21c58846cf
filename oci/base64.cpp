#include "oci/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace hoist::oci {

std::string encode_base64(std::string_view bytes) {
    std::string text((bytes.size() + 2) / 3 * 4 + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    text.resize(static_cast<std::size_t>(n));
    return text;
}

// EVP_DecodeBlock itself skips whitespace and reads '=' anywhere, so the alphabet and the
// padding are checked first.
std::optional<std::string> decode_base64(std::string_view text) {
    std::size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
    auto in_alphabet = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    };
    if (text.size() % 4 != 0 || !std::ranges::all_of(text.substr(0, text.size() - padding), in_alphabet)) {
        return std::nullopt;
    }
    std::string bytes(text.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) {
        return std::nullopt;
    }
    // EVP_DecodeBlock counts the padding as zero bytes.
    bytes.resize(static_cast<std::size_t>(n) - padding);
    return bytes;
}

}  // namespace hoist::oci
