#include "src/sync.hpp"

#include <fmt/core.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using hoist::SemverRange;
using hoist::SyncConfig;
using hoist::TagSelector;
using hoist::Version;

namespace {

std::string error_of(const std::string& text) {
    auto config = SyncConfig::parse(text, "sync.json");
    REQUIRE_FALSE(config);
    CHECK(config.error().code() == hoist::Errc::invalid_argument);
    return config.error().what();
}

std::string with_repository(const std::string& repository) {
    return R"({"destination": {"registry": "127.0.0.1:5000"}, "repositories": [)" + repository + "]}";
}

std::vector<std::string> semver_select(const std::string& range, const std::vector<std::string>& tags) {
    auto config = SyncConfig::parse(with_repository(R"({"source": "alpine", "tags": {"semver": ")" + range + R"("}})"),
                                    "sync.json");
    REQUIRE(config);
    return config->repositories[0].tags.select(tags);
}

const std::vector<std::string> k_tags = {"latest", "1",      "1.24",  "1.24.0", "1.25.3", "1.25.4-alpine", "1.26.0",
                                         "2.0.0",  "v2.1.0", "0.2.3", "0.2.9",  "0.3.0",  "edge"};

}  // namespace

TEST_CASE("sync: SyncConfig::parse reads a whole config") {
    auto config = SyncConfig::parse(R"({
        "destination": {"registry": "123456789012.dkr.ecr.us-east-1.amazonaws.com", "prefix": "mirror/"},
        "platforms": ["linux/amd64", "linux/arm64"],
        "images_at_once": 2,
        "repositories": [
            {"source": "alpine", "tags": ["3.19", "3.20"]},
            {"source": "docker.io/library/nginx", "tags": {"semver": ">=1.25 <2"}},
            {"source": "127.0.0.1:5000/app", "tags": "all", "destination": "apps/app"}
        ]})",
                                    "sync.json");
    REQUIRE(config);
    CHECK(config->registry == "123456789012.dkr.ecr.us-east-1.amazonaws.com");
    CHECK(config->images_at_once == 2);
    REQUIRE(config->platforms.size() == 2);
    CHECK(config->platforms[1].to_string() == "linux/arm64");
    REQUIRE(config->repositories.size() == 3);
    CHECK(config->repositories[0].source.to_string() == "docker.io/library/alpine");
    CHECK(config->repositories[0].destination == "mirror/library/alpine");
    CHECK(config->repositories[0].tags.kind == TagSelector::Kind::list);
    CHECK(config->repositories[0].tags.tags == std::vector<std::string>{"3.19", "3.20"});
    CHECK(config->repositories[1].destination == "mirror/library/nginx");
    CHECK(config->repositories[1].tags.kind == TagSelector::Kind::semver);
    CHECK(config->repositories[2].destination == "apps/app");
    CHECK(config->repositories[2].tags.kind == TagSelector::Kind::all);
}

TEST_CASE("sync: SyncConfig::parse names the file and key of each mistake") {
    CHECK(error_of("{") == "sync.json: not valid JSON");
    CHECK(error_of("[]") == "sync.json: must be a JSON object");
    CHECK(error_of(R"({"destination": {"registry": "r.example"}, "repository": []})") ==
          "sync.json: unknown key \"repository\"");
    CHECK(error_of(R"({"repositories": []})") == "sync.json: destination: must be an object with \"registry\"");
    CHECK(error_of(R"({"destination": {"registry": 5}})") == "sync.json: destination.registry: must be a string");
    CHECK(error_of(R"({"destination": {"registry": "r.example", "path": "x"}})") ==
          "sync.json: destination: unknown key \"path\"");
    CHECK(error_of(R"({"destination": {"registry": "Not A Host"}})") ==
          "sync.json: destination.registry: \"Not A Host\" is not a registry host");
    CHECK(error_of(R"({"destination": {"registry": "r.example", "prefix": 1}})") ==
          "sync.json: destination.prefix: must be a string");
    CHECK(error_of(R"({"destination": {"registry": "r.example"}, "repositories": []})") ==
          "sync.json: repositories: must be a non-empty list");
    CHECK(error_of(R"({"destination": {"registry": "r.example"}, "platforms": "linux/amd64", "repositories": [{}]})") ==
          "sync.json: platforms: must be a list such as [\"linux/amd64\"]");
    CHECK(error_of(R"({"destination": {"registry": "r.example"}, "images_at_once": 0, "repositories": [{}]})") ==
          "sync.json: images_at_once: must be a number from 1 to 64");
    CHECK(error_of(with_repository(R"("alpine")")) == "sync.json: repositories[0]: must be an object");
    CHECK(error_of(with_repository(R"({"tags": "all"})")) == "sync.json: repositories[0].source: must be a string");
    CHECK(error_of(with_repository(R"({"source": "alpine"})")) ==
          "sync.json: repositories[0].tags: missing (\"all\" takes every tag)");
    CHECK(error_of(with_repository(R"({"source": "alpine", "tags": "every"})")) ==
          "sync.json: repositories[0].tags: must be \"all\", a list of tags, {\"regex\": \"...\"} or "
          "{\"semver\": \"...\"}");
    CHECK(error_of(with_repository(R"({"source": "alpine", "tags": ["3.19", "no spaces"]})")) ==
          "sync.json: repositories[0].tags[1]: \"no spaces\" is not a valid tag");
    CHECK(error_of(with_repository(R"({"source": "alpine", "tags": {"regex": "(3"}})")) ==
          "sync.json: repositories[0].tags.regex: \"(3\" is not a valid regular expression");
    CHECK(error_of(with_repository(R"({"source": "alpine", "tags": {"semver": ">=one"}})")) ==
          "sync.json: repositories[0].tags.semver: \">=one\" is not a semver range");
    CHECK(error_of(with_repository(R"({"source": "alpine", "tags": "all", "tag": "x"})")) ==
          "sync.json: repositories[0]: unknown key \"tag\"");
    CHECK(error_of(with_repository(R"({"source": "alpine", "tags": "all", "destination": 3})")) ==
          "sync.json: repositories[0].destination: must be a string");
}

TEST_CASE("sync: a tag list is taken as written, without listing the repository") {
    auto config = SyncConfig::parse(with_repository(R"({"source": "alpine", "tags": ["b", "a"]})"), "sync.json");
    REQUIRE(config);
    CHECK(config->repositories[0].tags.select({}) == std::vector<std::string>{"b", "a"});
}

TEST_CASE("sync: a tag regex must match the whole tag") {
    auto config = SyncConfig::parse(with_repository(R"({"source": "alpine", "tags": {"regex": "1\\.2[45](\\..*)?"}})"),
                                    "sync.json");
    REQUIRE(config);
    CHECK(config->repositories[0].tags.select(k_tags) ==
          std::vector<std::string>{"1.24", "1.24.0", "1.25.3", "1.25.4-alpine"});
}

TEST_CASE("sync: \"all\" takes every tag, sorted") {
    auto config = SyncConfig::parse(with_repository(R"({"source": "alpine", "tags": "all"})"), "sync.json");
    REQUIRE(config);
    CHECK(config->repositories[0].tags.select({"b", "c", "a"}) == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("sync: a semver range takes the version tags within it") {
    CHECK(semver_select(">=1.25 <2", k_tags) == std::vector<std::string>{"1.25.3", "1.26.0"});
    CHECK(semver_select("1.24", k_tags) == std::vector<std::string>{"1.24", "1.24.0"});
    CHECK(semver_select("1.x", k_tags) == std::vector<std::string>{"1", "1.24", "1.24.0", "1.25.3", "1.26.0"});
    CHECK(semver_select("^2", k_tags) == std::vector<std::string>{"2.0.0", "v2.1.0"});
    CHECK(semver_select("^0.2.3", k_tags) == std::vector<std::string>{"0.2.3", "0.2.9"});
    CHECK(semver_select("~1.25.0", k_tags) == std::vector<std::string>{"1.25.3"});
    CHECK(semver_select(">1.25", k_tags) == std::vector<std::string>{"1.26.0", "2.0.0", "v2.1.0"});
    CHECK(semver_select("<=1.24 || =2.0.0", k_tags) ==
          std::vector<std::string>{"0.2.3", "0.2.9", "0.3.0", "1", "1.24", "1.24.0", "2.0.0"});
    CHECK(semver_select("*", k_tags).size() == 10);  // every tag that is a version
}

TEST_CASE("sync: Version::parse takes [v]MAJOR[.MINOR[.PATCH]] and nothing else") {
    CHECK(Version::parse("v1.2.3") == Version{1, 2, 3});
    CHECK(Version::parse("7") == Version{7, 0, 0});
    CHECK_FALSE(Version::parse("1.2.3-rc1"));
    CHECK_FALSE(Version::parse("1.x"));
    CHECK_FALSE(Version::parse("1.2.3.4"));
    CHECK_FALSE(Version::parse("latest"));
    CHECK_FALSE(Version::parse(""));
}

TEST_CASE("sync: SemverRange::parse refuses what is not a range") {
    for (const auto* text : {"", "abc", ">", "1.2.3.4", ">=1 ||", "1 - 2"}) {
        INFO(text);
        auto range = SemverRange::parse(text);
        REQUIRE_FALSE(range);
        CHECK(range.error().what() == fmt::format("\"{}\" is not a semver range", text));
    }
}
