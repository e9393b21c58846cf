#include "oci/digest.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

namespace hoist::oci {
namespace {

std::size_t hex_length(DigestAlgorithm algorithm) {
    return algorithm == DigestAlgorithm::sha256 ? 64 : 128;
}

const EVP_MD* evp_md(DigestAlgorithm algorithm) {
    return algorithm == DigestAlgorithm::sha256 ? EVP_sha256() : EVP_sha512();
}

// The OCI grammar: algorithm ::= component (separator component)*, component ::= [a-z0-9]+,
// separator ::= [+._-].
bool valid_algorithm(std::string_view text) {
    bool after_separator = true;
    for (char c : text) {
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        bool separator = c == '+' || c == '.' || c == '_' || c == '-';
        if (!alnum && !(separator && !after_separator)) {
            return false;
        }
        after_separator = separator;
    }
    return !after_separator;
}

bool valid_encoded(std::string_view text) {
    return !text.empty() && std::ranges::all_of(text, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '=' || c == '_' ||
               c == '-';
    });
}

}  // namespace

Result<Digest> Digest::parse(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return fail(Errc::invalid_argument, "invalid digest \"" + std::string(text) + "\": " + std::string(why));
    };
    auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        return bad("missing algorithm prefix (want sha256:<hex>)");
    }
    std::string_view name = text.substr(0, colon);
    std::string_view encoded = text.substr(colon + 1);
    if (!valid_algorithm(name) || !valid_encoded(encoded)) {
        return bad("not of the form algorithm:encoded");
    }
    DigestAlgorithm algorithm;
    if (name == "sha256") {
        algorithm = DigestAlgorithm::sha256;
    } else if (name == "sha512") {
        algorithm = DigestAlgorithm::sha512;
    } else {
        return fail(Errc::unsupported,
                    "unsupported digest algorithm \"" + std::string(name) + "\" in \"" + std::string(text) + "\"");
    }
    if (encoded.size() != hex_length(algorithm)) {
        return bad(std::string(name) + " needs " + std::to_string(hex_length(algorithm)) + " hex digits, not " +
                   std::to_string(encoded.size()));
    }
    if (!std::ranges::all_of(encoded, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
        return bad("the encoded part must be lower-case hex");
    }
    return Digest(algorithm, std::string(encoded));
}

Digest Digest::of(std::string_view bytes, DigestAlgorithm algorithm) {
    Hasher hasher(algorithm);
    hasher.update(bytes);
    return hasher.finish();
}

std::string_view Digest::algorithm_name() const {
    return m_algorithm == DigestAlgorithm::sha256 ? "sha256" : "sha512";
}

std::string Digest::to_string() const {
    return std::string(algorithm_name()) + ":" + m_hex;
}

void Hasher::CtxFree::operator()(evp_md_ctx_st* ctx) const {
    EVP_MD_CTX_free(ctx);
}

Hasher::Hasher(DigestAlgorithm algorithm) : m_algorithm(algorithm), m_ctx(EVP_MD_CTX_new()) {
    // Allocation failure or a missing SHA-2 in libcrypto leaves nothing sensible to return.
    if (!m_ctx || EVP_DigestInit_ex(m_ctx.get(), evp_md(algorithm), nullptr) != 1) {
        throw std::runtime_error("OpenSSL: cannot initialise a SHA-2 digest");
    }
}

void Hasher::update(const void* data, std::size_t size) {
    EVP_DigestUpdate(m_ctx.get(), data, size);
}

Digest Hasher::finish() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(m_ctx.get(), md, &length);
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        hex += k_hex[md[i] >> 4];
        hex += k_hex[md[i] & 0xf];
    }
    return Digest(m_algorithm, std::move(hex));
}

}  // namespace hoist::oci
