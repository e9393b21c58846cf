#include "oci/platform.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using hoist::Errc;
using hoist::oci::Platform;
using nlohmann::json;

namespace {

Platform make(std::string os, std::string architecture, std::string variant = "", std::string os_version = "") {
    return Platform{std::move(os), std::move(architecture), std::move(variant), std::move(os_version), {}};
}

struct ErrorCase {
    std::string input;
    std::string message;
};

}  // namespace

TEST_CASE("Platform::parse reads os/arch and os/arch/variant as written") {
    CHECK(Platform::parse("linux/amd64").value() == make("linux", "amd64"));
    CHECK(Platform::parse("linux/arm64/v8").value() == make("linux", "arm64", "v8"));
    CHECK(Platform::parse("linux/arm/v7").value() == make("linux", "arm", "v7"));
    CHECK(Platform::parse("windows/amd64").value() == make("windows", "amd64"));
    // Not normalised: that is normalized()'s job.
    CHECK(Platform::parse("linux/x86_64").value() == make("linux", "x86_64"));
    CHECK(Platform::parse("linux/x86-64/v1").value() == make("linux", "x86-64", "v1"));
}

TEST_CASE("Platform::to_string is the inverse of parse") {
    for (std::string text : {"linux/amd64", "linux/arm64/v8", "linux/arm/v7", "freebsd/riscv64", "linux/x86_64"}) {
        CAPTURE(text);
        CHECK(Platform::parse(text).value().to_string() == text);
    }
    CHECK(make("linux", "arm", "v6", "10.0").to_string() == "linux/arm/v6");
}

TEST_CASE("Platform::parse rejects malformed text with the reason") {
    const std::vector<ErrorCase> cases = {
        {"", R"(invalid platform "": want os/arch[/variant])"},
        {"linux", R"(invalid platform "linux": want os/arch[/variant])"},
        {"linux/arm/v7/extra", R"(invalid platform "linux/arm/v7/extra": want os/arch[/variant])"},
        {"/amd64", R"(invalid platform "/amd64": empty os)"},
        {"linux/", R"(invalid platform "linux/": empty architecture)"},
        {"linux//v7", R"(invalid platform "linux//v7": empty architecture)"},
        {"linux/arm/", R"(invalid platform "linux/arm/": empty variant)"},
        {"Linux/amd64", R"(invalid platform "Linux/amd64": os "Linux" must be lower case)"},
        {"linux/AMD64", R"(invalid platform "linux/AMD64": architecture "AMD64" must be lower case)"},
        {"linux/arm/V7", R"(invalid platform "linux/arm/V7": variant "V7" must be lower case)"},
        {"linux/amd 64",
         R"(invalid platform "linux/amd 64": architecture "amd 64" may contain only a-z, 0-9, '_' and '-')"},
        {"linux/arm64/v8.0",
         R"(invalid platform "linux/arm64/v8.0": variant "v8.0" may contain only a-z, 0-9, '_' and '-')"},
    };
    for (const ErrorCase& c : cases) {
        CAPTURE(c.input);
        auto r = Platform::parse(c.input);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Errc::invalid_argument);
        CHECK(r.error().what() == c.message);
    }
}

TEST_CASE("Platform::normalized maps aliases to the image spec's names") {
    struct Case {
        Platform input;
        Platform want;
    };
    const std::vector<Case> cases = {
        {make("linux", "amd64"), make("linux", "amd64")},
        {make("linux", "x86_64"), make("linux", "amd64")},
        {make("linux", "x86-64"), make("linux", "amd64")},
        {make("linux", "amd64", "v1"), make("linux", "amd64")},
        {make("linux", "amd64", "v3"), make("linux", "amd64", "v3")},
        {make("linux", "aarch64"), make("linux", "arm64")},
        {make("linux", "arm64", "v8"), make("linux", "arm64")},
        {make("linux", "aarch64", "8"), make("linux", "arm64")},
        {make("linux", "arm64", "v8.0"), make("linux", "arm64")},
        {make("linux", "arm64", "v9"), make("linux", "arm64", "v9")},
        {make("linux", "arm"), make("linux", "arm", "v7")},
        {make("linux", "arm", "7"), make("linux", "arm", "v7")},
        {make("linux", "arm", "6"), make("linux", "arm", "v6")},
        {make("linux", "arm", "v5"), make("linux", "arm", "v5")},
        {make("linux", "armhf"), make("linux", "arm", "v7")},
        {make("linux", "armel"), make("linux", "arm", "v6")},
        {make("linux", "i386"), make("linux", "386")},
        {make("linux", "386"), make("linux", "386")},
        {make("Linux", "AMD64"), make("linux", "amd64")},
        {make("Windows", "amd64", "", "10.0.17763.1"), make("windows", "amd64", "", "10.0.17763.1")},
    };
    for (const Case& c : cases) {
        CAPTURE(c.input.to_string());
        CHECK(c.input.normalized() == c.want);
    }
}

TEST_CASE("Platform::matches compares normalised os, architecture and variant") {
    struct Case {
        Platform have;
        Platform wanted;
        bool match;
    };
    const std::vector<Case> cases = {
        {make("linux", "amd64"), make("linux", "amd64"), true},
        {make("linux", "amd64"), make("linux", "x86_64"), true},
        {make("linux", "x86_64"), make("linux", "amd64"), true},
        {make("linux", "arm64"), make("linux", "aarch64"), true},
        {make("linux", "arm64", "v8"), make("linux", "arm64"), true},
        {make("linux", "arm64"), make("linux", "aarch64", "v8"), true},
        {make("linux", "arm"), make("linux", "arm", "v7"), true},
        {make("linux", "arm", "v7"), make("linux", "armhf"), true},
        {make("linux", "arm", "v6"), make("linux", "arm", "v7"), false},
        {make("linux", "arm", "v7"), make("linux", "arm", "v6"), false},
        {make("linux", "amd64"), make("windows", "amd64"), false},
        {make("linux", "amd64"), make("linux", "arm64"), false},
        {make("linux", "amd64", "v3"), make("linux", "amd64"), false},
    };
    for (const Case& c : cases) {
        CAPTURE(c.have.to_string(), c.wanted.to_string());
        CHECK(c.have.matches(c.wanted) == c.match);
    }
}

TEST_CASE("Platform::matches compares os_version only when the wanted platform has one") {
    Platform image = make("windows", "amd64", "", "10.0.17763.1");
    CHECK(image.matches(make("windows", "amd64")));
    CHECK(image.matches(make("windows", "amd64", "", "10.0.17763.1")));
    CHECK_FALSE(image.matches(make("windows", "amd64", "", "10.0.20348.1")));
    CHECK_FALSE(make("windows", "amd64").matches(make("windows", "amd64", "", "10.0.17763.1")));
}

TEST_CASE("Platform::host is a normalised platform of this machine") {
    Platform host = Platform::host();
    CHECK(host.os == "linux");
    CHECK_FALSE(host.architecture.empty());
    CHECK(host.normalized() == host);
    CHECK(host.matches(host));
}

TEST_CASE("Platform::to_json writes the image-spec keys and omits empty ones") {
    CHECK(make("linux", "amd64").to_json() == json{{"os", "linux"}, {"architecture", "amd64"}});
    Platform full = make("windows", "arm64", "v8", "10.0.17763.1");
    full.os_features = {"win32k"};
    json want = {{"os", "windows"},
                 {"architecture", "arm64"},
                 {"variant", "v8"},
                 {"os.version", "10.0.17763.1"},
                 {"os.features", {"win32k"}}};
    CHECK(full.to_json() == want);
    CHECK(Platform::from_json(want).value() == full);
}

TEST_CASE("Platform::from_json reads the image-spec keys and ignores unknown ones") {
    json j = {{"os", "linux"}, {"architecture", "arm"}, {"variant", "v7"}, {"features", {"x"}}};
    CHECK(Platform::from_json(j).value() == make("linux", "arm", "v7"));
}

TEST_CASE("Platform::from_json names the field that is wrong") {
    struct Case {
        json input;
        std::string message;
    };
    const std::vector<Case> cases = {
        {json::array(), "platform: must be a JSON object"},
        {json{{"architecture", "amd64"}}, R"(platform: "os" is missing)"},
        {json{{"os", "linux"}}, R"(platform: "architecture" is missing)"},
        {json{{"os", 1}, {"architecture", "amd64"}}, R"(platform: "os" must be a string)"},
        {json{{"os", "linux"}, {"architecture", nullptr}}, R"(platform: "architecture" is missing)"},
        {json{{"os", ""}, {"architecture", "amd64"}}, R"(platform: "os" must not be empty)"},
        {json{{"os", "linux"}, {"architecture", ""}}, R"(platform: "architecture" must not be empty)"},
        {json{{"os", "linux"}, {"architecture", "arm"}, {"variant", 7}}, R"(platform: "variant" must be a string)"},
        {json{{"os", "windows"}, {"architecture", "amd64"}, {"os.version", json::array()}},
         R"(platform: "os.version" must be a string)"},
        {json{{"os", "windows"}, {"architecture", "amd64"}, {"os.features", "win32k"}},
         R"(platform: "os.features" must be an array of strings)"},
        {json{{"os", "windows"}, {"architecture", "amd64"}, {"os.features", json::array({"win32k", 1})}},
         R"(platform: "os.features" must be an array of strings)"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.input.dump());
        auto r = Platform::from_json(c.input);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Errc::invalid_argument);
        CHECK(r.error().what() == c.message);
    }
}

TEST_CASE("Platform::from_json reads a null variant or os.version as absent", "[platform]") {
    auto p = Platform::from_json(
        json{{"os", "linux"}, {"architecture", "amd64"}, {"variant", nullptr}, {"os.version", nullptr}});
    REQUIRE(p);
    CHECK(p->variant.empty());
    CHECK(p->os_version.empty());
}
