#include "oci/reference.hpp"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

using hoist::Errc;
using hoist::oci::Digest;
using hoist::oci::Reference;

namespace {

// sha256 of the empty string.
const std::string k_hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string k_digest = "sha256:" + k_hex;

struct ValidCase {
    std::string input;
    std::string domain;
    std::string path;
    std::optional<std::string> tag;
    std::string digest;  // empty: none
    std::string familiar;
};

const std::vector<ValidCase>& valid_cases() {
    static const std::vector<ValidCase> cases = {
        // Docker Hub names and their normalisation.
        {"alpine", "docker.io", "library/alpine", "latest", "", "alpine:latest"},
        {"alpine:3.19", "docker.io", "library/alpine", "3.19", "", "alpine:3.19"},
        {"user/app", "docker.io", "user/app", "latest", "", "user/app:latest"},
        {"user/app:1", "docker.io", "user/app", "1", "", "user/app:1"},
        {"a/b/c/d", "docker.io", "a/b/c/d", "latest", "", "a/b/c/d:latest"},
        {"index.docker.io/alpine", "docker.io", "library/alpine", "latest", "", "alpine:latest"},
        {"index.docker.io/user/app:2", "docker.io", "user/app", "2", "", "user/app:2"},
        {"docker.io/alpine", "docker.io", "library/alpine", "latest", "", "alpine:latest"},
        {"docker.io/library/alpine:edge", "docker.io", "library/alpine", "edge", "", "alpine:edge"},
        {"docker.io/library/foo/bar", "docker.io", "library/foo/bar", "latest", "", "library/foo/bar:latest"},
        // A Hub path whose first component looks like a domain keeps docker.io in the short form.
        {"docker.io/foo.bar/x", "docker.io", "foo.bar/x", "latest", "", "docker.io/foo.bar/x:latest"},
        {"docker.io/localhost/x", "docker.io", "localhost/x", "latest", "", "docker.io/localhost/x:latest"},
        // Other registries.
        {"localhost/app", "localhost", "app", "latest", "", "localhost/app:latest"},
        {"localhost:5000/app:1", "localhost:5000", "app", "1", "", "localhost:5000/app:1"},
        // Without a '/', "localhost:5000" is the Hub image "localhost" with tag 5000, as in docker.
        {"localhost:5000", "docker.io", "library/localhost", "5000", "", "localhost:5000"},
        {"127.0.0.1:5000/app:1", "127.0.0.1:5000", "app", "1", "", "127.0.0.1:5000/app:1"},
        {"[::1]:5000/app", "[::1]:5000", "app", "latest", "", "[::1]:5000/app:latest"},
        {"[fe80::1]/app:v1", "[fe80::1]", "app", "v1", "", "[fe80::1]/app:v1"},
        {"a.b.c/deep/path/x", "a.b.c", "deep/path/x", "latest", "", "a.b.c/deep/path/x:latest"},
        {"registry-1.example.com:443/team/app:1.0-rc_1", "registry-1.example.com:443", "team/app", "1.0-rc_1", "",
         "registry-1.example.com:443/team/app:1.0-rc_1"},
        {"Example.COM/app", "Example.COM", "app", "latest", "", "Example.COM/app:latest"},
        // Upper case makes the first component a domain, as it cannot be a Hub user.
        {"Registry/app", "Registry", "app", "latest", "", "Registry/app:latest"},
        // Path separators.
        {"a__b", "docker.io", "library/a__b", "latest", "", "a__b:latest"},
        {"a--b", "docker.io", "library/a--b", "latest", "", "a--b:latest"},
        {"a.b", "docker.io", "library/a.b", "latest", "", "a.b:latest"},
        {"a_b-c.d__e---f9", "docker.io", "library/a_b-c.d__e---f9", "latest", "", "a_b-c.d__e---f9:latest"},
        // Tags.
        {"app:_x", "docker.io", "library/app", "_x", "", "app:_x"},
        {"app:X.Y-z", "docker.io", "library/app", "X.Y-z", "", "app:X.Y-z"},
        {"app:" + std::string(128, 't'), "docker.io", "library/app", std::string(128, 't'), "",
         "app:" + std::string(128, 't')},
        // A 64-hex name is refused only on its own.
        {k_hex + ":1", "docker.io", "library/" + k_hex, "1", "", k_hex + ":1"},
        // Digests, with and without a tag.
        {"app@" + k_digest, "docker.io", "library/app", std::nullopt, k_digest, "app@" + k_digest},
        {"app:1@" + k_digest, "docker.io", "library/app", "1", k_digest, "app:1@" + k_digest},
        {"localhost:5000/app@" + k_digest, "localhost:5000", "app", std::nullopt, k_digest,
         "localhost:5000/app@" + k_digest},
        {"user/app@sha512:" + std::string(128, 'a'), "docker.io", "user/app", std::nullopt,
         "sha512:" + std::string(128, 'a'), "user/app@sha512:" + std::string(128, 'a')},
        // The longest name: 18 characters of "docker.io/library/" and 237 of path.
        {std::string(237, 'a'), "docker.io", "library/" + std::string(237, 'a'), "latest", "",
         std::string(237, 'a') + ":latest"},
    };
    return cases;
}

struct InvalidCase {
    std::string input;
    std::string message;
};

std::string error_of(std::string_view text) {
    auto r = Reference::parse(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == Errc::invalid_argument);
    return r.error().what();
}

}  // namespace

TEST_CASE("Reference::parse reads and normalises every form docker accepts") {
    for (const ValidCase& c : valid_cases()) {
        CAPTURE(c.input);
        auto r = Reference::parse(c.input);
        REQUIRE(r);
        CHECK(r->domain() == c.domain);
        CHECK(r->path() == c.path);
        CHECK(r->tag() == c.tag);
        CHECK((r->digest() ? r->digest()->to_string() : "") == c.digest);
        CHECK(r->familiar() == c.familiar);
    }
}

TEST_CASE("Reference::parse reads back to_string() and familiar() as an equal reference") {
    for (const ValidCase& c : valid_cases()) {
        CAPTURE(c.input);
        Reference r = Reference::parse(c.input).value();
        CAPTURE(r.to_string(), r.familiar());
        CHECK(Reference::parse(r.to_string()).value() == r);
        CHECK(Reference::parse(r.familiar()).value() == r);
    }
}

TEST_CASE("Reference::to_string spells out domain, path, tag and digest") {
    CHECK(Reference::parse("alpine").value().to_string() == "docker.io/library/alpine:latest");
    CHECK(Reference::parse("user/app:1").value().to_string() == "docker.io/user/app:1");
    CHECK(Reference::parse("127.0.0.1:5000/app:1").value().to_string() == "127.0.0.1:5000/app:1");
    CHECK(Reference::parse("app@" + k_digest).value().to_string() == "docker.io/library/app@" + k_digest);
    CHECK(Reference::parse("app:1@" + k_digest).value().to_string() == "docker.io/library/app:1@" + k_digest);
    CHECK(Reference::parse("[::1]:5000/app").value().repository() == "[::1]:5000/app");
}

TEST_CASE("Reference::parse rejects malformed references with the reason") {
    const std::string long_path(238, 'a');
    const std::string long_tag(129, 't');
    const std::vector<InvalidCase> cases = {
        {"", R"(invalid reference "": empty)"},
        {"Alpine", R"(invalid reference "Alpine": repository name must be lowercase)"},
        {"user/App:1", R"(invalid reference "user/App:1": repository name must be lowercase)"},
        {"localhost:5000/App", R"(invalid reference "localhost:5000/App": repository name must be lowercase)"},
        {"a:b:c", R"(invalid reference "a:b:c": invalid reference format)"},
        {"app name", R"(invalid reference "app name": invalid reference format)"},
        {"user/a+b", R"(invalid reference "user/a+b": invalid reference format)"},
        {"x/y:-bad", R"(invalid reference "x/y:-bad": invalid tag "-bad")"},
        {"x:.bad", R"(invalid reference "x:.bad": invalid tag ".bad")"},
        {"x:", R"(invalid reference "x:": invalid tag "")"},
        {"x:a/b", R"(invalid reference "x:a/b": invalid domain "x:a": the port must be decimal digits)"},
        {"x:" + long_tag, "invalid reference \"x:" + long_tag + "\": invalid tag \"" + long_tag + "\""},
        {"a_-b",
         R"(invalid reference "a_-b": invalid path component "a_-b": want lower-case letters and digits joined by '.', '_', '__' or '-')"},
        {"a..b",
         R"(invalid reference "a..b": invalid path component "a..b": want lower-case letters and digits joined by '.', '_', '__' or '-')"},
        {"a___b",
         R"(invalid reference "a___b": invalid path component "a___b": want lower-case letters and digits joined by '.', '_', '__' or '-')"},
        {"-a",
         R"(invalid reference "-a": invalid path component "-a": want lower-case letters and digits joined by '.', '_', '__' or '-')"},
        {"user/a-",
         R"(invalid reference "user/a-": invalid path component "a-": want lower-case letters and digits joined by '.', '_', '__' or '-')"},
        {"a/", R"(invalid reference "a/": empty path component)"},
        {"a//b", R"(invalid reference "a//b": empty path component)"},
        {"/a", R"(invalid reference "/a": empty path component)"},
        {"localhost:5000/", R"(invalid reference "localhost:5000/": empty path component)"},
        {":1", R"(invalid reference ":1": missing repository name)"},
        {"@" + k_digest, "invalid reference \"@" + k_digest + "\": missing repository name"},
        {"localhost:abc/app",
         R"(invalid reference "localhost:abc/app": invalid domain "localhost:abc": the port must be decimal digits)"},
        {"localhost:/app",
         R"(invalid reference "localhost:/app": invalid domain "localhost:": the port must be decimal digits)"},
        {"-bad.com/app", R"(invalid reference "-bad.com/app": invalid domain "-bad.com")"},
        {"bad_host.com/app", R"(invalid reference "bad_host.com/app": invalid domain "bad_host.com")"},
        {"a..com/app", R"(invalid reference "a..com/app": invalid domain "a..com")"},
        {"[::1/app", R"(invalid reference "[::1/app": invalid domain "[::1": want [ipv6-address])"},
        {"[::g]/app", R"(invalid reference "[::g]/app": invalid domain "[::g]": want [ipv6-address])"},
        {"[::1]x/app", R"(invalid reference "[::1]x/app": invalid domain "[::1]x": the port must be decimal digits)"},
        {k_hex, "invalid reference \"" + k_hex + "\": a 64-character hex string is an image ID, not a repository name"},
        {long_path, "invalid reference \"" + long_path + "\": repository name must not be more than 255 characters"},
        {"app@sha256:abc",
         R"(invalid reference "app@sha256:abc": invalid digest "sha256:abc": sha256 needs 64 hex digits, not 3)"},
        {"app@", R"(invalid reference "app@": invalid digest "": missing algorithm prefix (want sha256:<hex>))"},
        {"app:1@" + k_hex, "invalid reference \"app:1@" + k_hex + "\": invalid digest \"" + k_hex +
                               "\": missing algorithm prefix (want sha256:<hex>)"},
    };
    for (const InvalidCase& c : cases) {
        CAPTURE(c.input);
        CHECK(error_of(c.input) == c.message);
    }
}

TEST_CASE("Reference::parse keeps Errc::unsupported for a digest of an unknown algorithm") {
    auto r = Reference::parse("app@md5:" + std::string(32, 'a'));
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == Errc::unsupported);
    CHECK(r.error().what() == "invalid reference \"app@md5:" + std::string(32, 'a') +
                                  "\": unsupported digest algorithm \"md5\" in \"md5:" + std::string(32, 'a') + "\"");
}

TEST_CASE("Reference::parse_repository accepts a name without tag and adds none") {
    Reference r = Reference::parse_repository("alpine").value();
    CHECK(r.repository() == "docker.io/library/alpine");
    CHECK_FALSE(r.tag());
    CHECK_FALSE(r.digest());
    CHECK(r.to_string() == "docker.io/library/alpine");
    CHECK(r.familiar() == "alpine");
    CHECK(Reference::parse_repository("localhost:5000/team/app").value().to_string() == "localhost:5000/team/app");
    CHECK(Reference::parse_repository("[::1]:5000/app").value().domain() == "[::1]:5000");
}

TEST_CASE("Reference::parse_repository refuses a tag or a digest") {
    const std::vector<InvalidCase> cases = {
        {"alpine:1", R"(invalid reference "alpine:1": a repository name may not have a tag or digest)"},
        {"localhost:5000", R"(invalid reference "localhost:5000": a repository name may not have a tag or digest)"},
        {"app@" + k_digest,
         "invalid reference \"app@" + k_digest + "\": a repository name may not have a tag or digest"},
        {"Alpine", R"(invalid reference "Alpine": repository name must be lowercase)"},
        {"", R"(invalid reference "": empty)"},
    };
    for (const InvalidCase& c : cases) {
        CAPTURE(c.input);
        auto r = Reference::parse_repository(c.input);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Errc::invalid_argument);
        CHECK(r.error().what() == c.message);
    }
}

TEST_CASE("Reference::with_tag replaces the tag and drops the digest") {
    Reference r = Reference::parse("app:1@" + k_digest).value().with_tag("2");
    CHECK(r.tag() == "2");
    CHECK_FALSE(r.digest());
    CHECK(r.to_string() == "docker.io/library/app:2");
    CHECK(Reference::parse_repository("user/app").value().with_tag("v1") == Reference::parse("user/app:v1").value());
}

TEST_CASE("Reference::with_digest sets the digest and drops the tag") {
    Digest d = Digest::parse(k_digest).value();
    Reference r = Reference::parse("localhost:5000/app:1").value().with_digest(d);
    CHECK_FALSE(r.tag());
    CHECK(r.digest() == d);
    CHECK(r.familiar() == "localhost:5000/app@" + k_digest);
    CHECK(r == Reference::parse("localhost:5000/app@" + k_digest).value());
}

TEST_CASE("Reference::valid_tag allows word characters, '.' and '-', 128 at most") {
    for (const std::string& tag :
         std::vector<std::string>{"latest", "1", "_", "1.0-rc_1", "V2", std::string(128, 'a')}) {
        CAPTURE(tag);
        CHECK(Reference::valid_tag(tag));
    }
    for (const std::string& tag :
         std::vector<std::string>{"", ".x", "-x", "a/b", "a:b", "a@b", "a b", std::string(129, 'a')}) {
        CAPTURE(tag);
        CHECK_FALSE(Reference::valid_tag(tag));
    }
}
