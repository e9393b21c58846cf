#include "oci/descriptor.hpp"

#include <catch2/catch.hpp>

#include "tests/support.hpp"
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oci/media_type.hpp"

using hoist::Errc;
using hoist::oci::Descriptor;
using hoist::oci::Digest;
using hoist::oci::DigestAlgorithm;
using hoist::oci::Platform;
using nlohmann::json;
namespace media_type = hoist::oci::media_type;

namespace {

const std::string k_empty_digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// "abc" and its base64.
const std::string k_abc_digest = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string k_abc_base64 = "YWJj";

// A descriptor with every image-spec 1.1 field set.
json full_json() {
    return json{
        {"mediaType", media_type::oci_manifest},
        {"digest", k_abc_digest},
        {"size", 3},
        {"urls", {"https://example.com/a", "https://mirror.example.com/a"}},
        {"annotations",
         {{"org.opencontainers.image.ref.name", "v1"}, {"org.opencontainers.image.created", "2024-01-02T03:04:05Z"}}},
        {"data", k_abc_base64},
        {"artifactType", "application/vnd.example.sbom.v1+json"},
        {"platform",
         {{"architecture", "arm64"},
          {"os", "linux"},
          {"variant", "v8"},
          {"os.version", "10.0.17763.1040"},
          {"os.features", {"win32k"}}}},
    };
}

// A minimal descriptor: only the three required fields.
json minimal_json() {
    return json{{"mediaType", media_type::oci_layer_gzip}, {"digest", k_empty_digest}, {"size", 0}};
}

using hoist::test::with;
using hoist::test::without;

struct ErrorCase {
    std::string name;
    json input;
    Errc code;
    std::string message;
};

}  // namespace

TEST_CASE("Descriptor::from_json reads every image-spec 1.1 field") {
    Descriptor d = Descriptor::from_json(full_json(), "descriptor").value();
    CHECK(d.media_type == media_type::oci_manifest);
    CHECK(d.digest.to_string() == k_abc_digest);
    CHECK(d.size == 3);
    CHECK(d.urls == std::vector<std::string>{"https://example.com/a", "https://mirror.example.com/a"});
    CHECK(d.annotations ==
          hoist::oci::json::StringMap{{std::string(hoist::oci::k_ref_name_annotation), "v1"},
                                      {std::string(hoist::oci::k_created_annotation), "2024-01-02T03:04:05Z"}});
    CHECK(d.data == k_abc_base64);
    CHECK(d.artifact_type == "application/vnd.example.sbom.v1+json");
    REQUIRE(d.platform);
    CHECK(*d.platform == Platform{"linux", "arm64", "v8", "10.0.17763.1040", {"win32k"}});
}

TEST_CASE("Descriptor::from_json leaves optional fields empty when absent or null") {
    json nulls = minimal_json();
    for (const char* key : {"urls", "annotations", "data", "artifactType", "platform"}) {
        nulls[key] = nullptr;
    }
    for (const json& input : {minimal_json(), nulls}) {
        CAPTURE(input.dump());
        Descriptor d = Descriptor::from_json(input, "descriptor").value();
        CHECK(d.media_type == media_type::oci_layer_gzip);
        CHECK(d.digest.to_string() == k_empty_digest);
        CHECK(d.size == 0);
        CHECK(d.urls.empty());
        CHECK(d.annotations.empty());
        CHECK_FALSE(d.data);
        CHECK_FALSE(d.artifact_type);
        CHECK_FALSE(d.platform);
    }
}

TEST_CASE("Descriptor::from_json ignores fields it does not know") {
    Descriptor d = Descriptor::from_json(with(minimal_json(), "x-vendor", {{"a", 1}}), "descriptor").value();
    CHECK(d.to_json() == minimal_json());
}

TEST_CASE("Descriptor::to_json writes back exactly what from_json read") {
    for (const json& input : {full_json(), minimal_json()}) {
        CAPTURE(input.dump());
        Descriptor d = Descriptor::from_json(input, "descriptor").value();
        json output = d.to_json();
        CHECK(output == input);

        Descriptor again = Descriptor::from_json(output, "descriptor").value();
        CHECK(again.media_type == d.media_type);
        CHECK(again.digest == d.digest);
        CHECK(again.size == d.size);
        CHECK(again.urls == d.urls);
        CHECK(again.annotations == d.annotations);
        CHECK(again.data == d.data);
        CHECK(again.artifact_type == d.artifact_type);
        CHECK(again.platform == d.platform);
    }
}

TEST_CASE("Descriptor::to_json leaves out empty optional fields") {
    Descriptor d = Descriptor::of(media_type::oci_config, "{}");
    CHECK(d.to_json().dump() ==
          R"({"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",)"
          R"("mediaType":"application/vnd.oci.image.config.v1+json","size":2})");
    d.platform = Platform{"linux", "amd64", "", "", {}};
    CHECK(d.to_json()["platform"] == json{{"architecture", "amd64"}, {"os", "linux"}});
}

TEST_CASE("Descriptor::from_json rejects missing and ill-typed fields with the reason") {
    const std::vector<ErrorCase> cases = {
        {"no mediaType", without(minimal_json(), "mediaType"), Errc::invalid_argument,
         R"(descriptor: "mediaType" is missing)"},
        {"null mediaType", with(minimal_json(), "mediaType", nullptr), Errc::invalid_argument,
         R"(descriptor: "mediaType" is missing)"},
        {"numeric mediaType", with(minimal_json(), "mediaType", 1), Errc::invalid_argument,
         R"(descriptor: "mediaType" must be a string)"},
        {"no digest", without(minimal_json(), "digest"), Errc::invalid_argument, R"(descriptor: "digest" is missing)"},
        {"array digest", with(minimal_json(), "digest", json::array({k_empty_digest})), Errc::invalid_argument,
         R"(descriptor: "digest" must be a string)"},
        {"short digest", with(minimal_json(), "digest", "sha256:abc"), Errc::invalid_argument,
         R"(descriptor: invalid digest "sha256:abc": sha256 needs 64 hex digits, not 3)"},
        {"bare hex digest", with(minimal_json(), "digest", k_empty_digest.substr(7)), Errc::invalid_argument,
         "descriptor: invalid digest \"" + k_empty_digest.substr(7) +
             "\": missing algorithm prefix (want sha256:<hex>)"},
        {"md5 digest", with(minimal_json(), "digest", "md5:" + std::string(32, '0')), Errc::unsupported,
         "descriptor: unsupported digest algorithm \"md5\" in \"md5:" + std::string(32, '0') + "\""},
        {"no size", without(minimal_json(), "size"), Errc::invalid_argument, R"(descriptor: "size" is missing)"},
        {"null size", with(minimal_json(), "size", nullptr), Errc::invalid_argument,
         R"(descriptor: "size" is missing)"},
        {"negative size", with(minimal_json(), "size", -1), Errc::invalid_argument,
         R"(descriptor: "size" must be a non-negative integer)"},
        {"float size", with(minimal_json(), "size", 1.5), Errc::invalid_argument,
         R"(descriptor: "size" must be a non-negative integer)"},
        {"integral float size", with(minimal_json(), "size", 0.0), Errc::invalid_argument,
         R"(descriptor: "size" must be a non-negative integer)"},
        {"string size", with(minimal_json(), "size", "0"), Errc::invalid_argument,
         R"(descriptor: "size" must be a non-negative integer)"},
        {"boolean size", with(minimal_json(), "size", false), Errc::invalid_argument,
         R"(descriptor: "size" must be a non-negative integer)"},
        {"size beyond int64", with(minimal_json(), "size", 18446744073709551615ULL), Errc::invalid_argument,
         R"(descriptor: "size" must be a non-negative integer)"},
        {"urls not an array", with(minimal_json(), "urls", "https://example.com"), Errc::invalid_argument,
         R"(descriptor: "urls" must be an array of strings)"},
        {"urls with a number", with(minimal_json(), "urls", {"https://example.com", 1}), Errc::invalid_argument,
         R"(descriptor: "urls" must be an array of strings)"},
        {"annotations an array", with(minimal_json(), "annotations", json::array()), Errc::invalid_argument,
         R"(descriptor: "annotations" must be an object of strings)"},
        {"annotation not a string", with(minimal_json(), "annotations", {{"a", 1}}), Errc::invalid_argument,
         R"(descriptor: "annotations" must be an object of strings)"},
        {"numeric data", with(minimal_json(), "data", 0), Errc::invalid_argument,
         R"(descriptor: "data" must be a string)"},
        {"object artifactType", with(minimal_json(), "artifactType", json::object()), Errc::invalid_argument,
         R"(descriptor: "artifactType" must be a string)"},
        {"string platform", with(minimal_json(), "platform", "linux/amd64"), Errc::invalid_argument,
         "descriptor: platform: must be a JSON object"},
        {"platform without os", with(minimal_json(), "platform", {{"architecture", "amd64"}}), Errc::invalid_argument,
         R"(descriptor: platform: "os" is missing)"},
        {"platform with numeric variant",
         with(minimal_json(), "platform", {{"architecture", "arm"}, {"os", "linux"}, {"variant", 7}}),
         Errc::invalid_argument, R"(descriptor: platform: "variant" must be a string)"},
    };
    for (const ErrorCase& c : cases) {
        CAPTURE(c.name, c.input.dump());
        auto r = Descriptor::from_json(c.input, "descriptor");
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == c.code);
        CHECK(r.error().what() == c.message);
    }
}

TEST_CASE("Descriptor::from_json reads the largest size JSON allows") {
    auto d = Descriptor::from_json(with(minimal_json(), "size", 9223372036854775807LL), "descriptor");
    REQUIRE(d);
    CHECK(d->size == 9223372036854775807LL);
}

TEST_CASE("Descriptor::from_json names the descriptor it was given") {
    auto r = Descriptor::from_json(without(minimal_json(), "size"), "index: manifests[3]");
    REQUIRE_FALSE(r);
    CHECK(r.error().what() == R"(index: manifests[3]: "size" is missing)");
}

TEST_CASE("Descriptor::from_json accepts embedded data that is the described content") {
    struct Case {
        std::string content;
        std::string base64;
        DigestAlgorithm algorithm;
    };
    const std::vector<Case> cases = {
        {"", "", DigestAlgorithm::sha256},        {"a", "YQ==", DigestAlgorithm::sha256},
        {"ab", "YWI=", DigestAlgorithm::sha256},  {"abc", "YWJj", DigestAlgorithm::sha256},
        {"{}", "e30=", DigestAlgorithm::sha256},  {std::string("\0\xff\x10", 3), "AP8Q", DigestAlgorithm::sha256},
        {"abc", "YWJj", DigestAlgorithm::sha512},
    };
    for (const Case& c : cases) {
        const Digest digest = Digest::of(c.content, c.algorithm);
        CAPTURE(c.base64, digest.to_string());
        json input = {{"mediaType", media_type::oci_empty},
                      {"digest", digest.to_string()},
                      {"size", c.content.size()},
                      {"data", c.base64}};
        auto d = Descriptor::from_json(input, "descriptor");
        REQUIRE(d);
        CHECK(d->data == c.base64);
    }
}

TEST_CASE("Descriptor::from_json refuses data that is not base64") {
    for (const std::string& data : std::vector<std::string>{"YWJ", "YWJjZ", "!!!!", "YW\"j", "Y*Jj", "YQ==YQ==", "YQ=a",
                                                            "====", "    YQ==", "YWJj    ", "YQ==\n\n\n\n"}) {
        CAPTURE(data);
        auto r = Descriptor::from_json(with(with(minimal_json(), "data", data), "digest", k_abc_digest), "descriptor");
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Errc::invalid_argument);
        CHECK(r.error().what() == R"(descriptor: "data" is not valid base64)");
    }
}

TEST_CASE(
    "Descriptor::from_json gives Errc::digest_mismatch for data that is not the described "
    "content") {
    struct Case {
        std::string name;
        std::string data;
        std::string digest;
        std::int64_t size;
    };
    const std::vector<Case> cases = {
        {"other content", "YWJk", k_abc_digest, 3},  // "abd"
        {"right content, wrong size", k_abc_base64, k_abc_digest, 4},
        {"right size, wrong digest", k_abc_base64, k_empty_digest, 3},
        {"empty data for content", "", k_abc_digest, 3},
        {"content for empty data", k_abc_base64, k_empty_digest, 0},
        {"sha512 of other content", k_abc_base64, Digest::of("abd", DigestAlgorithm::sha512).to_string(), 3},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        json input = {{"mediaType", media_type::oci_config}, {"digest", c.digest}, {"size", c.size}, {"data", c.data}};
        auto r = Descriptor::from_json(input, "manifest: config");
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Errc::digest_mismatch);
        CHECK(r.error().what() == R"(manifest: config: "data" does not match the size and digest)");
    }
}

TEST_CASE("Descriptor::of describes bytes by sha256 and size") {
    Descriptor d = Descriptor::of(media_type::oci_layer, "abc");
    CHECK(d.media_type == media_type::oci_layer);
    CHECK(d.digest.to_string() == k_abc_digest);
    CHECK(d.size == 3);
    CHECK(d.urls.empty());
    CHECK(d.annotations.empty());
    CHECK_FALSE(d.data);
    CHECK_FALSE(d.artifact_type);
    CHECK_FALSE(d.platform);

    Descriptor empty = Descriptor::of(media_type::oci_empty, "");
    CHECK(empty.digest.to_string() == k_empty_digest);
    CHECK(empty.size == 0);

    // Binary content is hashed whole, NUL bytes included.
    Descriptor binary = Descriptor::of(media_type::oci_layer, std::string_view("\0\0\0", 3));
    CHECK(binary.size == 3);
    CHECK(binary.digest == Digest::of(std::string_view("\0\0\0", 3)));
}

TEST_CASE("Descriptor::of with data reads back through from_json") {
    Descriptor d = Descriptor::of(media_type::oci_empty, "{}");
    d.data = "e30=";
    Descriptor again = Descriptor::from_json(d.to_json(), "descriptor").value();
    CHECK(again.digest == d.digest);
    CHECK(again.size == 2);
    CHECK(again.data == "e30=");
}
