#include "oci/manifest.hpp"

#include <catch2/catch.hpp>

#include "tests/support.hpp"
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "oci/index.hpp"
#include "oci/media_type.hpp"

using hoist::Errc;
using hoist::oci::Descriptor;
using hoist::oci::Digest;
using hoist::oci::Index;
using hoist::oci::Manifest;
using hoist::oci::Platform;
using hoist::oci::json::StringMap;
using nlohmann::json;
namespace media_type = hoist::oci::media_type;
using media_type::Compression;

namespace {

// The descriptor of `content`, as JSON.
json descriptor(std::string_view type, std::string_view content) {
    return json{{"mediaType", type}, {"digest", Digest::of(content).to_string()}, {"size", content.size()}};
}

using hoist::test::with;
using hoist::test::without;

// An OCI image-spec 1.1 manifest using every field.
json oci_manifest_json() {
    return json{
        {"schemaVersion", 2},
        {"mediaType", media_type::oci_manifest},
        {"artifactType", "application/vnd.example.sbom.v1+json"},
        {"config", descriptor(media_type::oci_config, "config")},
        {"layers",
         {
             with(descriptor(media_type::oci_layer_gzip, "layer0"), "annotations",
                  {{"org.opencontainers.image.title", "base.tar.gz"}}),
             descriptor(media_type::oci_layer_zstd, "layer1"),
             with(descriptor(media_type::oci_layer_nondistributable_gzip, "layer2"), "urls",
                  {"https://example.com/layer2"}),
         }},
        {"subject", descriptor(media_type::oci_manifest, "subject")},
        {"annotations", {{"org.opencontainers.image.created", "2024-01-02T03:04:05Z"}, {"com.example.key", "v"}}},
    };
}

// A Docker image manifest v2 schema 2 as `docker push` sends it, with a foreign layer.
json docker_manifest_json() {
    return json{
        {"schemaVersion", 2},
        {"mediaType", media_type::docker_manifest},
        {"config", descriptor(media_type::docker_config, "config")},
        {"layers",
         {
             with(descriptor(media_type::docker_foreign_layer_gzip, "windows base"), "urls",
                  {"https://mcr.microsoft.com/v2/windows/servercore/blobs/x"}),
             descriptor(media_type::docker_layer_gzip, "layer1"),
         }},
    };
}

json platform_json(std::string os, std::string architecture, std::string variant = "") {
    json p = {{"os", std::move(os)}, {"architecture", std::move(architecture)}};
    if (!variant.empty()) {
        p["variant"] = std::move(variant);
    }
    return p;
}

// An OCI index with platforms, an attestation-style artifact entry, a subject and annotations.
json oci_index_json() {
    return json{
        {"schemaVersion", 2},
        {"mediaType", media_type::oci_index},
        {"artifactType", "application/vnd.example.collection.v1"},
        {"manifests",
         {
             with(with(descriptor(media_type::oci_manifest, "amd64"), "platform", platform_json("linux", "amd64")),
                  "annotations", {{"org.opencontainers.image.ref.name", "1.0"}}),
             with(descriptor(media_type::oci_manifest, "arm64"), "platform", platform_json("linux", "arm64", "v8")),
             with(with(descriptor(media_type::oci_manifest, "windows"), "platform",
                       with(with(platform_json("windows", "amd64"), "os.version", "10.0.17763.1040"), "os.features",
                            {"win32k"})),
                  "urls", {"https://example.com/windows"}),
             with(descriptor(media_type::oci_manifest, "sbom"), "artifactType", "application/spdx+json"),
         }},
        {"subject", descriptor(media_type::oci_index, "other index")},
        {"annotations", {{"org.opencontainers.image.created", "2024-01-02T03:04:05Z"}}},
    };
}

// A Docker manifest list as registries serve it for multi-arch images.
json docker_list_json() {
    return json{
        {"schemaVersion", 2},
        {"mediaType", media_type::docker_manifest_list},
        {"manifests",
         {
             with(descriptor(media_type::docker_manifest, "amd64"), "platform", platform_json("linux", "amd64")),
             with(descriptor(media_type::docker_manifest, "armv7"), "platform", platform_json("linux", "arm", "v7")),
         }},
    };
}

Descriptor read_descriptor(const json& object) {
    return Descriptor::from_json(object, "test").value();
}

void check_same(const Descriptor& a, const Descriptor& b) {
    CHECK(a.media_type == b.media_type);
    CHECK(a.digest == b.digest);
    CHECK(a.size == b.size);
    CHECK(a.urls == b.urls);
    CHECK(a.annotations == b.annotations);
    CHECK(a.data == b.data);
    CHECK(a.artifact_type == b.artifact_type);
    CHECK(a.platform == b.platform);
}

void check_same(const std::optional<Descriptor>& a, const std::optional<Descriptor>& b) {
    REQUIRE(a.has_value() == b.has_value());
    if (a) {
        check_same(*a, *b);
    }
}

void check_same(const Manifest& a, const Manifest& b) {
    CHECK(a.media_type == b.media_type);
    CHECK(a.artifact_type == b.artifact_type);
    check_same(a.config, b.config);
    REQUIRE(a.layers.size() == b.layers.size());
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
        CAPTURE(i);
        check_same(a.layers[i], b.layers[i]);
    }
    check_same(a.subject, b.subject);
    CHECK(a.annotations == b.annotations);
}

void check_same(const Index& a, const Index& b) {
    CHECK(a.media_type == b.media_type);
    CHECK(a.artifact_type == b.artifact_type);
    REQUIRE(a.manifests.size() == b.manifests.size());
    for (std::size_t i = 0; i < a.manifests.size(); ++i) {
        CAPTURE(i);
        check_same(a.manifests[i], b.manifests[i]);
    }
    check_same(a.subject, b.subject);
    CHECK(a.annotations == b.annotations);
}

struct ErrorCase {
    std::string name;
    std::string input;
    Errc code;
    std::string message;
};

template <class T>
void check_errors(const std::vector<ErrorCase>& cases) {
    for (const ErrorCase& c : cases) {
        CAPTURE(c.name, c.input);
        auto r = T::parse(c.input);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == c.code);
        CHECK(r.error().what() == c.message);
    }
}

}  // namespace

TEST_CASE("Manifest::parse reads an OCI manifest with subject, artifactType and annotations") {
    Manifest m = Manifest::parse(oci_manifest_json().dump()).value();
    CHECK(m.media_type == media_type::oci_manifest);
    CHECK(m.artifact_type == "application/vnd.example.sbom.v1+json");
    check_same(m.config, read_descriptor(descriptor(media_type::oci_config, "config")));
    REQUIRE(m.layers.size() == 3);
    CHECK(m.layers[0].media_type == media_type::oci_layer_gzip);
    CHECK(m.layers[0].digest == Digest::of("layer0"));
    CHECK(m.layers[0].size == 6);
    CHECK(m.layers[0].annotations == StringMap{{"org.opencontainers.image.title", "base.tar.gz"}});
    CHECK(m.layers[1].media_type == media_type::oci_layer_zstd);
    CHECK(m.layers[1].digest == Digest::of("layer1"));
    CHECK(m.layers[2].media_type == media_type::oci_layer_nondistributable_gzip);
    CHECK(m.layers[2].urls == std::vector<std::string>{"https://example.com/layer2"});
    REQUIRE(m.subject);
    check_same(*m.subject, read_descriptor(descriptor(media_type::oci_manifest, "subject")));
    CHECK(m.annotations ==
          StringMap{{"org.opencontainers.image.created", "2024-01-02T03:04:05Z"}, {"com.example.key", "v"}});
}

TEST_CASE("Manifest::parse reads a Docker schema 2 manifest with a foreign layer") {
    Manifest m = Manifest::parse(docker_manifest_json().dump()).value();
    CHECK(m.media_type == media_type::docker_manifest);
    CHECK_FALSE(m.artifact_type);
    CHECK(m.config.media_type == media_type::docker_config);
    CHECK(m.config.digest == Digest::of("config"));
    CHECK(m.config.size == 6);
    REQUIRE(m.layers.size() == 2);
    CHECK(m.layers[0].media_type == media_type::docker_foreign_layer_gzip);
    CHECK(m.layers[0].urls == std::vector<std::string>{"https://mcr.microsoft.com/v2/windows/servercore/blobs/x"});
    CHECK(m.layers[1].media_type == media_type::docker_layer_gzip);
    CHECK_FALSE(m.subject);
    CHECK(m.annotations.empty());
}

TEST_CASE("Manifest::parse takes a manifest without mediaType to be OCI") {
    for (const json& input :
         {without(docker_manifest_json(), "mediaType"), with(docker_manifest_json(), "mediaType", nullptr)}) {
        CAPTURE(input.dump());
        Manifest m = Manifest::parse(input.dump()).value();
        CHECK(m.media_type == media_type::oci_manifest);
        CHECK(m.layers.size() == 2);
    }
}

TEST_CASE("Manifest::parse accepts an empty layers array and ignores unknown fields") {
    json input = with(with(docker_manifest_json(), "layers", json::array()), "x-vendor", {{"k", 1}});
    input["subject"] = nullptr;
    Manifest m = Manifest::parse(input.dump()).value();
    CHECK(m.layers.empty());
    CHECK_FALSE(m.subject);
}

TEST_CASE("Manifest::to_json then parse gives equal fields") {
    for (const json& input :
         {oci_manifest_json(), docker_manifest_json(), without(docker_manifest_json(), "mediaType")}) {
        CAPTURE(input.dump());
        Manifest m = Manifest::parse(input.dump()).value();
        std::string text = m.to_json();
        Manifest again = Manifest::parse(text).value();
        check_same(again, m);
        CHECK(again.to_json() == text);
    }
    // A manifest made in code.
    Manifest made{.config = Descriptor::of(media_type::oci_config, "{}"),
                  .layers = {Descriptor::of(media_type::oci_layer_gzip, "layer")}};
    Manifest again = Manifest::parse(made.to_json()).value();
    check_same(again, made);
    CHECK(again.media_type == media_type::oci_manifest);
}

TEST_CASE("Manifest::to_json writes schemaVersion and mediaType and leaves out empty fields") {
    Manifest m{.config = Descriptor::of(media_type::oci_config, "{}")};
    json written = json::parse(m.to_json());
    CHECK(written == json{{"schemaVersion", 2},
                          {"mediaType", media_type::oci_manifest},
                          {"config", descriptor(media_type::oci_config, "{}")},
                          {"layers", json::array()}});
}

TEST_CASE("Manifest::parse rejects a schemaVersion other than 2") {
    std::vector<ErrorCase> cases;
    for (const json& version : {json(1), json(3), json("2"), json(2.0), json(nullptr), json::array({2})}) {
        cases.push_back({"schemaVersion " + version.dump(), with(oci_manifest_json(), "schemaVersion", version).dump(),
                         Errc::invalid_argument, R"(manifest: "schemaVersion" must be 2)"});
    }
    cases.push_back({"no schemaVersion", without(oci_manifest_json(), "schemaVersion").dump(), Errc::invalid_argument,
                     R"(manifest: "schemaVersion" must be 2)"});
    check_errors<Manifest>(cases);
}

TEST_CASE("Manifest::parse refuses an index and Index::parse refuses a manifest") {
    check_errors<Manifest>({
        {"OCI index", oci_index_json().dump(), Errc::invalid_argument,
         "manifest: media type application/vnd.oci.image.index.v1+json is not an image manifest"},
        {"Docker manifest list", docker_list_json().dump(), Errc::invalid_argument,
         "manifest: media type application/vnd.docker.distribution.manifest.list.v2+json is not an "
         "image manifest"},
        {"index without mediaType", without(oci_index_json(), "mediaType").dump(), Errc::invalid_argument,
         R"(manifest: "config" must be an object)"},
    });
    check_errors<Index>({
        {"OCI manifest", oci_manifest_json().dump(), Errc::invalid_argument,
         "index: media type application/vnd.oci.image.manifest.v1+json is not an image index"},
        {"Docker manifest", docker_manifest_json().dump(), Errc::invalid_argument,
         "index: media type application/vnd.docker.distribution.manifest.v2+json is not an image "
         "index"},
        {"manifest without mediaType", without(oci_manifest_json(), "mediaType").dump(), Errc::invalid_argument,
         R"(index: "manifests" must be an array)"},
    });
}

TEST_CASE("Manifest::parse and Index::parse give Errc::unsupported for an unknown media type") {
    check_errors<Manifest>({
        {"Docker schema 1",
         with(oci_manifest_json(), "mediaType", "application/vnd.docker.distribution.manifest.v1+prettyjws").dump(),
         Errc::unsupported,
         "manifest: media type application/vnd.docker.distribution.manifest.v1+prettyjws is not an "
         "image manifest"},
        {"a config type", with(oci_manifest_json(), "mediaType", media_type::oci_config).dump(), Errc::unsupported,
         "manifest: media type application/vnd.oci.image.config.v1+json is not an image manifest"},
        {"empty", with(oci_manifest_json(), "mediaType", "").dump(), Errc::unsupported,
         "manifest: media type  is not an image manifest"},
    });
    check_errors<Index>({
        {"artifact manifest",
         with(oci_index_json(), "mediaType", "application/vnd.oci.artifact.manifest.v1+json").dump(), Errc::unsupported,
         "index: media type application/vnd.oci.artifact.manifest.v1+json is not an image index"},
    });
}

TEST_CASE("Manifest::parse rejects documents that are not a JSON object") {
    check_errors<Manifest>({
        {"truncated", R"({"schemaVersion":2,)", Errc::invalid_argument,
         "manifest: invalid JSON: parse error at line 1, column 20: syntax error while parsing "
         "object key - "
         "unexpected end of input; expected string literal"},
        {"empty", "", Errc::invalid_argument,
         "manifest: invalid JSON: parse error at line 1, column 1: syntax error while parsing "
         "value - "
         "unexpected end of input; expected '[', '{', or a literal"},
        {"not JSON", "not json", Errc::invalid_argument,
         "manifest: invalid JSON: parse error at line 1, column 2: syntax error while parsing "
         "value - "
         "invalid literal; last read: 'no'"},
        {"second line", "{\n  \"schemaVersion\": 2,\n  }", Errc::invalid_argument,
         "manifest: invalid JSON: parse error at line 3, column 3: syntax error while parsing "
         "object key - "
         "unexpected '}'; expected string literal"},
        {"array", "[]", Errc::invalid_argument, "manifest: not a JSON object"},
        {"string", R"("manifest")", Errc::invalid_argument, "manifest: not a JSON object"},
    });
    check_errors<Index>({
        {"truncated", "{", Errc::invalid_argument,
         "index: invalid JSON: parse error at line 1, column 2: syntax error while parsing object "
         "key - "
         "unexpected end of input; expected string literal"},
        {"number", "2", Errc::invalid_argument, "index: not a JSON object"},
    });
}

TEST_CASE("Manifest::parse rejects a malformed config or layers with the field that is wrong") {
    json bad_size = with(descriptor(media_type::oci_layer_gzip, "layer1"), "size", -1);
    check_errors<Manifest>({
        {"no config", without(oci_manifest_json(), "config").dump(), Errc::invalid_argument,
         R"(manifest: "config" must be an object)"},
        {"string config", with(oci_manifest_json(), "config", "sha256:abc").dump(), Errc::invalid_argument,
         R"(manifest: "config" must be an object)"},
        {"config without digest",
         with(oci_manifest_json(), "config", without(descriptor(media_type::oci_config, "c"), "digest")).dump(),
         Errc::invalid_argument, R"(manifest: config: "digest" is missing)"},
        {"no layers", without(oci_manifest_json(), "layers").dump(), Errc::invalid_argument,
         R"(manifest: "layers" must be an array)"},
        {"layers an object", with(oci_manifest_json(), "layers", json::object()).dump(), Errc::invalid_argument,
         R"(manifest: "layers" must be an array)"},
        {"null layers", with(oci_manifest_json(), "layers", nullptr).dump(), Errc::invalid_argument,
         R"(manifest: "layers" must be an array)"},
        {"a layer that is a string", with(oci_manifest_json(), "layers", {"sha256:abc"}).dump(), Errc::invalid_argument,
         R"(manifest: "layers" must be an array of objects)"},
        {"negative size in layers[1]",
         with(oci_manifest_json(), "layers", {descriptor(media_type::oci_layer_gzip, "layer0"), bad_size}).dump(),
         Errc::invalid_argument, R"(manifest: layers[1]: "size" must be a non-negative integer)"},
        {"bad digest in layers[1]",
         with(oci_manifest_json(), "layers",
              {descriptor(media_type::oci_layer_gzip, "layer0"),
               with(descriptor(media_type::oci_layer_gzip, "layer1"), "digest", "sha256:abc")})
             .dump(),
         Errc::invalid_argument,
         R"(manifest: layers[1]: invalid digest "sha256:abc": sha256 needs 64 hex digits, not 3)"},
        {"md5 digest in layers[1]",
         with(oci_manifest_json(), "layers",
              {descriptor(media_type::oci_layer_gzip, "layer0"),
               with(descriptor(media_type::oci_layer_gzip, "layer1"), "digest", "md5:" + std::string(32, 'a'))})
             .dump(),
         Errc::unsupported,
         "manifest: layers[1]: unsupported digest algorithm \"md5\" in \"md5:" + std::string(32, 'a') + "\""},
        {"bad subject",
         with(oci_manifest_json(), "subject", without(descriptor(media_type::oci_manifest, "s"), "mediaType")).dump(),
         Errc::invalid_argument, R"(manifest: subject: "mediaType" is missing)"},
        {"numeric mediaType", with(oci_manifest_json(), "mediaType", 2).dump(), Errc::invalid_argument,
         R"(manifest: "mediaType" must be a string)"},
        {"numeric artifactType", with(oci_manifest_json(), "artifactType", 2).dump(), Errc::invalid_argument,
         R"(manifest: "artifactType" must be a string)"},
        {"annotation not a string", with(oci_manifest_json(), "annotations", {{"k", true}}).dump(),
         Errc::invalid_argument, R"(manifest: "annotations" must be an object of strings)"},
    });
}

TEST_CASE("Index::parse reads an OCI index with platforms, artifactType, subject and annotations") {
    Index index = Index::parse(oci_index_json().dump()).value();
    CHECK(index.media_type == media_type::oci_index);
    CHECK(index.artifact_type == "application/vnd.example.collection.v1");
    REQUIRE(index.manifests.size() == 4);

    const Descriptor& amd64 = index.manifests[0];
    CHECK(amd64.media_type == media_type::oci_manifest);
    CHECK(amd64.digest == Digest::of("amd64"));
    CHECK(amd64.size == 5);
    CHECK(amd64.platform == Platform{"linux", "amd64", "", "", {}});
    CHECK(amd64.annotations == StringMap{{"org.opencontainers.image.ref.name", "1.0"}});

    CHECK(index.manifests[1].platform == Platform{"linux", "arm64", "v8", "", {}});

    const Descriptor& windows = index.manifests[2];
    CHECK(windows.platform == Platform{"windows", "amd64", "", "10.0.17763.1040", {"win32k"}});
    CHECK(windows.urls == std::vector<std::string>{"https://example.com/windows"});

    const Descriptor& sbom = index.manifests[3];
    CHECK(sbom.artifact_type == "application/spdx+json");
    CHECK_FALSE(sbom.platform);

    REQUIRE(index.subject);
    CHECK(index.subject->media_type == media_type::oci_index);
    CHECK(index.subject->digest == Digest::of("other index"));
    CHECK(index.annotations == StringMap{{"org.opencontainers.image.created", "2024-01-02T03:04:05Z"}});
}

TEST_CASE("Index::parse reads a Docker manifest list") {
    Index index = Index::parse(docker_list_json().dump()).value();
    CHECK(index.media_type == media_type::docker_manifest_list);
    CHECK_FALSE(index.artifact_type);
    REQUIRE(index.manifests.size() == 2);
    CHECK(index.manifests[0].media_type == media_type::docker_manifest);
    CHECK(index.manifests[0].platform == Platform{"linux", "amd64", "", "", {}});
    CHECK(index.manifests[1].platform == Platform{"linux", "arm", "v7", "", {}});
    CHECK_FALSE(index.subject);
    CHECK(index.annotations.empty());
}

TEST_CASE("Index::parse takes an index without mediaType to be OCI") {
    // The layout's index.json often has no mediaType.
    Index index = Index::parse(R"({"schemaVersion":2,"manifests":[]})").value();
    CHECK(index.media_type == media_type::oci_index);
    CHECK(index.manifests.empty());
    CHECK(Index::parse(without(docker_list_json(), "mediaType").dump()).value().media_type == media_type::oci_index);
}

TEST_CASE("Index::parse rejects a malformed index with the field that is wrong") {
    check_errors<Index>({
        {"schemaVersion 1", with(oci_index_json(), "schemaVersion", 1).dump(), Errc::invalid_argument,
         R"(index: "schemaVersion" must be 2)"},
        {"no schemaVersion", without(oci_index_json(), "schemaVersion").dump(), Errc::invalid_argument,
         R"(index: "schemaVersion" must be 2)"},
        {"no manifests", without(oci_index_json(), "manifests").dump(), Errc::invalid_argument,
         R"(index: "manifests" must be an array)"},
        {"manifests an object", with(oci_index_json(), "manifests", json::object()).dump(), Errc::invalid_argument,
         R"(index: "manifests" must be an array)"},
        {"a manifest that is a number", with(oci_index_json(), "manifests", {1}).dump(), Errc::invalid_argument,
         R"(index: "manifests" must be an array of objects)"},
        {"float size in manifests[1]",
         with(oci_index_json(), "manifests",
              {descriptor(media_type::oci_manifest, "a"), with(descriptor(media_type::oci_manifest, "b"), "size", 1.0)})
             .dump(),
         Errc::invalid_argument, R"(index: manifests[1]: "size" must be a non-negative integer)"},
        {"platform without architecture in manifests[0]",
         with(oci_index_json(), "manifests",
              {with(descriptor(media_type::oci_manifest, "a"), "platform", {{"os", "linux"}})})
             .dump(),
         Errc::invalid_argument, R"(index: manifests[0]: platform: "architecture" is missing)"},
        {"bad subject",
         with(oci_index_json(), "subject", with(descriptor(media_type::oci_index, "s"), "size", "1")).dump(),
         Errc::invalid_argument, R"(index: subject: "size" must be a non-negative integer)"},
        {"annotations an array", with(oci_index_json(), "annotations", {"a"}).dump(), Errc::invalid_argument,
         R"(index: "annotations" must be an object of strings)"},
    });
}

TEST_CASE("Index::to_json then parse gives equal fields") {
    for (const json& input :
         {oci_index_json(), docker_list_json(), json{{"schemaVersion", 2}, {"manifests", json::array()}}}) {
        CAPTURE(input.dump());
        Index index = Index::parse(input.dump()).value();
        std::string text = index.to_json();
        Index again = Index::parse(text).value();
        check_same(again, index);
        CHECK(again.to_json() == text);
    }
    CHECK(json::parse(Index{}.to_json()) ==
          json{{"schemaVersion", 2}, {"mediaType", media_type::oci_index}, {"manifests", json::array()}});
}

TEST_CASE("media_type predicates classify every known type") {
    struct Case {
        std::string_view type;
        bool manifest;
        bool index;
        bool config;
        bool layer;
        bool non_distributable;
        std::optional<Compression> compression;
    };
    const std::vector<Case> cases = {
        {media_type::oci_manifest, true, false, false, false, false, std::nullopt},
        {media_type::docker_manifest, true, false, false, false, false, std::nullopt},
        {media_type::oci_index, false, true, false, false, false, std::nullopt},
        {media_type::docker_manifest_list, false, true, false, false, false, std::nullopt},
        {media_type::oci_config, false, false, true, false, false, std::nullopt},
        {media_type::docker_config, false, false, true, false, false, std::nullopt},
        {media_type::oci_empty, false, false, false, false, false, std::nullopt},
        {media_type::oci_layer, false, false, false, true, false, Compression::none},
        {media_type::oci_layer_gzip, false, false, false, true, false, Compression::gzip},
        {media_type::oci_layer_zstd, false, false, false, true, false, Compression::zstd},
        {media_type::oci_layer_nondistributable, false, false, false, true, true, Compression::none},
        {media_type::oci_layer_nondistributable_gzip, false, false, false, true, true, Compression::gzip},
        {media_type::oci_layer_nondistributable_zstd, false, false, false, true, true, Compression::zstd},
        {media_type::docker_layer, false, false, false, true, false, Compression::none},
        {media_type::docker_layer_gzip, false, false, false, true, false, Compression::gzip},
        {media_type::docker_layer_zstd, false, false, false, true, false, Compression::zstd},
        {media_type::docker_foreign_layer_gzip, false, false, false, true, true, Compression::gzip},
        // Unknown, and near misses: matching is exact.
        {"", false, false, false, false, false, std::nullopt},
        {"application/json", false, false, false, false, false, std::nullopt},
        {"application/vnd.docker.distribution.manifest.v1+prettyjws", false, false, false, false, false, std::nullopt},
        {"application/vnd.oci.image.manifest.v1+json ", false, false, false, false, false, std::nullopt},
        {"APPLICATION/VND.OCI.IMAGE.INDEX.V1+JSON", false, false, false, false, false, std::nullopt},
        {"application/vnd.oci.image.layer.v1.tar+GZIP", false, false, false, false, false, std::nullopt},
        {"application/vnd.oci.image.layer.v1.tar+bzip2", false, false, false, false, false, std::nullopt},
        {"application/vnd.docker.image.rootfs.foreign.diff.tar", false, false, false, false, false, std::nullopt},
    };
    for (const Case& c : cases) {
        CAPTURE(c.type);
        CHECK(media_type::is_manifest(c.type) == c.manifest);
        CHECK(media_type::is_index(c.type) == c.index);
        CHECK(media_type::is_config(c.type) == c.config);
        CHECK(media_type::is_layer(c.type) == c.layer);
        CHECK(media_type::is_non_distributable(c.type) == c.non_distributable);
        CHECK(media_type::layer_compression(c.type) == c.compression);
    }
}

TEST_CASE("media_type::oci_layer_type names the OCI layer type of each compression") {
    CHECK(media_type::oci_layer_type(Compression::none) == "application/vnd.oci.image.layer.v1.tar");
    CHECK(media_type::oci_layer_type(Compression::gzip) == "application/vnd.oci.image.layer.v1.tar+gzip");
    CHECK(media_type::oci_layer_type(Compression::zstd) == "application/vnd.oci.image.layer.v1.tar+zstd");
    for (Compression compression : {Compression::none, Compression::gzip, Compression::zstd}) {
        CHECK(media_type::layer_compression(media_type::oci_layer_type(compression)) == compression);
        CHECK_FALSE(media_type::is_non_distributable(media_type::oci_layer_type(compression)));
    }
}

TEST_CASE("Manifest::parse and Index::parse refuse a schemaVersion that only wraps around to 2") {
    for (const char* version : {"4294967298", "-4294967294", "18446744073709551615", "2.0"}) {
        CAPTURE(version);
        auto index = Index::parse(std::string(R"({"schemaVersion":)") + version + R"(,"manifests":[]})");
        REQUIRE_FALSE(index);
        CHECK(index.error().what() == R"(index: "schemaVersion" must be 2)");
    }
}
