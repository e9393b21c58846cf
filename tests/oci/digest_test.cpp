#include "oci/digest.hpp"

#include <catch2/catch.hpp>
#include <cstddef>
#include <string>
#include <vector>

using hoist::Errc;
using hoist::oci::Digest;
using hoist::oci::DigestAlgorithm;
using hoist::oci::Hasher;

namespace {

// Known answers (FIPS 180-2 examples and the empty string).
const std::string k_sha256_empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string k_sha256_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string k_sha256_two_blocks = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
const std::string k_sha256_million_a = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
const std::string k_sha512_empty =
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
const std::string k_sha512_abc =
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
const std::string k_two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

struct InvalidCase {
    std::string input;
    std::string message;
};

std::string error_of(std::string_view text, Errc code = Errc::invalid_argument) {
    auto r = Digest::parse(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == code);
    return r.error().what();
}

}  // namespace

TEST_CASE("Digest::parse reads sha256 and sha512 digests") {
    Digest sha256 = Digest::parse("sha256:" + k_sha256_abc).value();
    CHECK(sha256.algorithm() == DigestAlgorithm::sha256);
    CHECK(sha256.algorithm_name() == "sha256");
    CHECK(sha256.hex() == k_sha256_abc);

    Digest sha512 = Digest::parse("sha512:" + k_sha512_abc).value();
    CHECK(sha512.algorithm() == DigestAlgorithm::sha512);
    CHECK(sha512.algorithm_name() == "sha512");
    CHECK(sha512.hex() == k_sha512_abc);

    // Every hex digit is accepted.
    const std::string all_digits = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    CHECK(Digest::parse("sha256:" + all_digits).value().hex() == all_digits);
}

TEST_CASE("Digest::to_string is the exact inverse of parse") {
    for (const std::string& text : std::vector<std::string>{
             "sha256:" + k_sha256_empty,
             "sha256:" + k_sha256_abc,
             "sha256:" + std::string(64, '0'),
             "sha512:" + k_sha512_abc,
             "sha512:" + std::string(128, 'f'),
         }) {
        CAPTURE(text);
        Digest digest = Digest::parse(text).value();
        CHECK(digest.to_string() == text);
        CHECK(Digest::parse(digest.to_string()).value() == digest);
    }
}

TEST_CASE("Digest::parse rejects malformed digests with the reason") {
    const std::string hex64 = k_sha256_abc;
    const std::string upper64 = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
    const std::vector<InvalidCase> cases = {
        // No colon at all.
        {"", R"(invalid digest "": missing algorithm prefix (want sha256:<hex>))"},
        {hex64, "invalid digest \"" + hex64 + "\": missing algorithm prefix (want sha256:<hex>)"},
        {"sha256", R"(invalid digest "sha256": missing algorithm prefix (want sha256:<hex>))"},
        // An empty algorithm or an empty encoded part.
        {":", R"(invalid digest ":": not of the form algorithm:encoded)"},
        {":" + hex64, "invalid digest \":" + hex64 + "\": not of the form algorithm:encoded"},
        {"sha256:", R"(invalid digest "sha256:": not of the form algorithm:encoded)"},
        // The algorithm grammar: [a-z0-9]+ joined by single [+._-].
        {"SHA256:" + hex64, "invalid digest \"SHA256:" + hex64 + "\": not of the form algorithm:encoded"},
        {"sha-:" + hex64, "invalid digest \"sha-:" + hex64 + "\": not of the form algorithm:encoded"},
        {"-sha:" + hex64, "invalid digest \"-sha:" + hex64 + "\": not of the form algorithm:encoded"},
        {"sha..256:" + hex64, "invalid digest \"sha..256:" + hex64 + "\": not of the form algorithm:encoded"},
        {"sha 256:" + hex64, "invalid digest \"sha 256:" + hex64 + "\": not of the form algorithm:encoded"},
        {"sha/256:" + hex64, "invalid digest \"sha/256:" + hex64 + "\": not of the form algorithm:encoded"},
        // The encoded grammar: [a-zA-Z0-9=_-]+.
        {"sha256:" + hex64 + ":x", "invalid digest \"sha256:" + hex64 + ":x\": not of the form algorithm:encoded"},
        {"sha256:" + hex64.substr(0, 63) + "+",
         "invalid digest \"sha256:" + hex64.substr(0, 63) + "+\": not of the form algorithm:encoded"},
        {"sha256: " + hex64.substr(1),
         "invalid digest \"sha256: " + hex64.substr(1) + "\": not of the form algorithm:encoded"},
        // Wrong length.
        {"sha256:abc", R"(invalid digest "sha256:abc": sha256 needs 64 hex digits, not 3)"},
        {"sha256:" + hex64 + "0", "invalid digest \"sha256:" + hex64 + "0\": sha256 needs 64 hex digits, not 65"},
        {"sha256:" + hex64.substr(1),
         "invalid digest \"sha256:" + hex64.substr(1) + "\": sha256 needs 64 hex digits, not 63"},
        {"sha512:" + hex64, "invalid digest \"sha512:" + hex64 + "\": sha512 needs 128 hex digits, not 64"},
        // Right length, but not lower-case hex.
        {"sha256:" + upper64, "invalid digest \"sha256:" + upper64 + "\": the encoded part must be lower-case hex"},
        {"sha256:" + hex64.substr(0, 63) + "g",
         "invalid digest \"sha256:" + hex64.substr(0, 63) + "g\": the encoded part must be lower-case hex"},
        {"sha256:" + hex64.substr(0, 63) + "=",
         "invalid digest \"sha256:" + hex64.substr(0, 63) + "=\": the encoded part must be lower-case hex"},
        {"sha512:" + std::string(127, 'a') + "A",
         "invalid digest \"sha512:" + std::string(127, 'a') + "A\": the encoded part must be lower-case hex"},
    };
    for (const InvalidCase& c : cases) {
        CAPTURE(c.input);
        CHECK(error_of(c.input) == c.message);
    }
}

TEST_CASE("Digest::parse gives Errc::unsupported for a well-formed digest of another algorithm") {
    const std::vector<InvalidCase> cases = {
        {"md5:" + std::string(32, 'a'), "unsupported digest algorithm \"md5\" in \"md5:" + std::string(32, 'a') + "\""},
        {"sha384:" + std::string(96, 'a'),
         "unsupported digest algorithm \"sha384\" in \"sha384:" + std::string(96, 'a') + "\""},
        // The grammar allows separators and any encoded characters for other algorithms.
        {"multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
         R"(unsupported digest algorithm "multihash+base58" in "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8")"},
        {"sha256.v2:abc", R"(unsupported digest algorithm "sha256.v2" in "sha256.v2:abc")"},
        {"a_b-c:=", R"(unsupported digest algorithm "a_b-c" in "a_b-c:=")"},
    };
    for (const InvalidCase& c : cases) {
        CAPTURE(c.input);
        CHECK(error_of(c.input, Errc::unsupported) == c.message);
    }
}

TEST_CASE("Digest::of hashes known vectors") {
    struct Case {
        std::string input;
        DigestAlgorithm algorithm;
        std::string digest;
    };
    const std::vector<Case> cases = {
        {"", DigestAlgorithm::sha256, "sha256:" + k_sha256_empty},
        {"abc", DigestAlgorithm::sha256, "sha256:" + k_sha256_abc},
        {k_two_blocks, DigestAlgorithm::sha256, "sha256:" + k_sha256_two_blocks},
        {"", DigestAlgorithm::sha512, "sha512:" + k_sha512_empty},
        {"abc", DigestAlgorithm::sha512, "sha512:" + k_sha512_abc},
    };
    for (const Case& c : cases) {
        CAPTURE(c.input, c.digest);
        Digest digest = Digest::of(c.input, c.algorithm);
        CHECK(digest.algorithm() == c.algorithm);
        CHECK(digest.to_string() == c.digest);
        CHECK(digest == Digest::parse(c.digest).value());
    }
    // sha256 is the default.
    CHECK(Digest::of("abc").to_string() == "sha256:" + k_sha256_abc);
}

TEST_CASE("Digest::of hashes bytes, not C strings") {
    const std::string with_nul("a\0b", 3);
    CHECK(Digest::of(with_nul) != Digest::of("a"));
    Hasher hasher;
    hasher.update("a", 1);
    hasher.update("\0", 1);
    hasher.update("b", 1);
    CHECK(hasher.finish() == Digest::of(with_nul));
}

TEST_CASE("Hasher fed in pieces gives the one-shot digest") {
    const std::string text = k_two_blocks + k_two_blocks + "0123456789" + std::string(300, 'x');
    for (DigestAlgorithm algorithm : {DigestAlgorithm::sha256, DigestAlgorithm::sha512}) {
        const Digest whole = Digest::of(text, algorithm);
        for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{55}, std::size_t{64}, std::size_t{65},
                                  std::size_t{128}, std::size_t{1000}}) {
            CAPTURE(whole.to_string(), piece);
            Hasher hasher(algorithm);
            for (std::size_t at = 0; at < text.size(); at += piece) {
                hasher.update(std::string_view(text).substr(at, piece));
            }
            CHECK(hasher.finish() == whole);
        }
        // Empty updates change nothing.
        Hasher hasher(algorithm);
        hasher.update("");
        hasher.update(text.data(), text.size());
        hasher.update(nullptr, 0);
        CHECK(hasher.finish() == whole);
    }
}

TEST_CASE("Hasher streams a million bytes to the FIPS 180-2 answer") {
    const std::string chunk(1000, 'a');
    Hasher hasher;
    for (int i = 0; i < 1000; ++i) {
        hasher.update(chunk);
    }
    CHECK(hasher.finish().to_string() == "sha256:" + k_sha256_million_a);
}

TEST_CASE("Hasher with nothing fed gives the digest of the empty string") {
    CHECK(Hasher().finish().to_string() == "sha256:" + k_sha256_empty);
    CHECK(Hasher(DigestAlgorithm::sha512).finish().to_string() == "sha512:" + k_sha512_empty);
}

TEST_CASE("Digest::short_hex is the first 12 hex digits") {
    CHECK(Digest::of("").short_hex() == "e3b0c44298fc");
    CHECK(Digest::of("abc").short_hex() == "ba7816bf8f01");
    CHECK(Digest::of("abc", DigestAlgorithm::sha512).short_hex() == "ddaf35a19361");
}

TEST_CASE("Digests compare by algorithm and hex") {
    Digest a = Digest::parse("sha256:" + k_sha256_abc).value();
    CHECK(a == Digest::of("abc"));
    CHECK(a != Digest::of(""));
    CHECK(a != Digest::of("abc", DigestAlgorithm::sha512));
    CHECK(Digest::parse("sha256:" + std::string(64, '0')).value() <
          Digest::parse("sha256:" + std::string(64, '1')).value());
}
