// Content digests ("sha256:<64 hex>", "sha512:<128 hex>") and a streaming hasher over OpenSSL EVP.
#pragma once

#include <compare>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "oci/error.hpp"

struct evp_md_ctx_st;

namespace hoist::oci {

enum class DigestAlgorithm { sha256, sha512 };

class Digest {
public:
    // Accepts exactly "sha256:" + 64 lower-case hex digits or "sha512:" + 128. Anything else is
    // Errc::invalid_argument, except a well-formed digest of another algorithm, which is
    // Errc::unsupported.
    static Result<Digest> parse(std::string_view text);
    // The digest of `bytes`.
    static Digest of(std::string_view bytes, DigestAlgorithm algorithm = DigestAlgorithm::sha256);

    DigestAlgorithm algorithm() const { return m_algorithm; }
    std::string_view algorithm_name() const;
    const std::string& hex() const { return m_hex; }
    std::string to_string() const;
    // The first 12 hex digits, as docker shows image IDs.
    std::string short_hex() const { return m_hex.substr(0, 12); }

    auto operator<=>(const Digest&) const = default;

private:
    Digest(DigestAlgorithm algorithm, std::string hex) : m_algorithm(algorithm), m_hex(std::move(hex)) {}
    friend class Hasher;

    DigestAlgorithm m_algorithm;
    std::string m_hex;
};

// Feeds bytes through a hash; finish() yields the digest. Move-only.
class Hasher {
public:
    explicit Hasher(DigestAlgorithm algorithm = DigestAlgorithm::sha256);
    void update(const void* data, std::size_t size);
    void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
    // Ends the hash; the Hasher must not be used afterwards.
    Digest finish();

private:
    struct CtxFree {
        void operator()(evp_md_ctx_st* ctx) const;
    };
    DigestAlgorithm m_algorithm;
    std::unique_ptr<evp_md_ctx_st, CtxFree> m_ctx;
};

}  // namespace hoist::oci
