#include "registry/challenge.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

using hoist::Errc;
using hoist::registry::Challenge;
using hoist::registry::parse_challenges;

namespace {

using Params = std::map<std::string, std::string>;

struct Expected {
    std::string scheme;
    Params params;
    std::string token68;
};

struct ValidCase {
    std::string header;
    std::vector<Expected> challenges;
};

struct InvalidCase {
    std::string header;
    std::string message;
};

std::string error_of(std::string_view header) {
    auto r = parse_challenges(header);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == Errc::invalid_argument);
    return r.error().what();
}

}  // namespace

TEST_CASE("parse_challenges reads what registries send", "[registry]") {
    const std::vector<ValidCase> cases = {
        // Docker Hub, GHCR, ECR, the reference registry.
        {R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull")",
         {{"bearer",
           {{"realm", "https://auth.docker.io/token"},
            {"service", "registry.docker.io"},
            {"scope", "repository:library/alpine:pull"}},
           ""}}},
        {R"(Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull")",
         {{"bearer",
           {{"realm", "https://ghcr.io/token"}, {"service", "ghcr.io"}, {"scope", "repository:user/image:pull"}},
           ""}}},
        {R"(Basic realm="https://123.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com")",
         {{"basic",
           {{"realm", "https://123.dkr.ecr.us-east-1.amazonaws.com/"}, {"service", "ecr.amazonaws.com"}},
           ""}}},
        {R"(Basic realm="Registry Realm")", {{"basic", {{"realm", "Registry Realm"}}, ""}}},
        // A scope with several actions, and the error parameters of a refused token.
        {R"(Bearer realm="http://127.0.0.1:5001/token",service="registry",scope="repository:a/b:pull,push",error="insufficient_scope")",
         {{"bearer",
           {{"realm", "http://127.0.0.1:5001/token"},
            {"service", "registry"},
            {"scope", "repository:a/b:pull,push"},
            {"error", "insufficient_scope"}},
           ""}}},
    };
    for (const ValidCase& c : cases) {
        CAPTURE(c.header);
        auto r = parse_challenges(c.header);
        REQUIRE(r);
        REQUIRE(r->size() == c.challenges.size());
        for (std::size_t i = 0; i < c.challenges.size(); ++i) {
            CHECK((*r)[i].scheme == c.challenges[i].scheme);
            CHECK((*r)[i].params == c.challenges[i].params);
            CHECK((*r)[i].token68 == c.challenges[i].token68);
        }
    }
}

TEST_CASE("parse_challenges follows RFC 7235's grammar", "[registry]") {
    const std::vector<ValidCase> cases = {
        // Schemes and parameter names are case-insensitive; values keep their case.
        {R"(BEARER Realm="X",SERVICE=Y)", {{"bearer", {{"realm", "X"}, {"service", "Y"}}, ""}}},
        // A scheme alone.
        {"Basic", {{"basic", {}, ""}}},
        {"  Basic  ", {{"basic", {}, ""}}},
        // Token values and every tchar.
        {"Bearer realm=abc", {{"bearer", {{"realm", "abc"}}, ""}}},
        {"X a=!#$%&'*+-.^_`|~09Az", {{"x", {{"a", "!#$%&'*+-.^_`|~09Az"}}, ""}}},
        // Whitespace around '=' and ',' (BWS and OWS), tabs too.
        {"Bearer realm = \"r\" ,\tservice\t=\ts", {{"bearer", {{"realm", "r"}, {"service", "s"}}, ""}}},
        {"Bearer\trealm=\"r\"", {{"bearer", {{"realm", "r"}}, ""}}},
        // Escapes in quoted strings; commas, '=' and spaces inside quotes.
        {R"(Bearer realm="a\"b\\c\d",scope="x, y=z")", {{"bearer", {{"realm", R"(a"b\cd)"}, {"scope", "x, y=z"}}, ""}}},
        {R"(Bearer realm="")", {{"bearer", {{"realm", ""}}, ""}}},
        // obs-text passes through.
        {"Basic realm=\"caf\xc3\xa9\"", {{"basic", {{"realm", "caf\xc3\xa9"}}, ""}}},
        // Several challenges in one value.
        {R"(Basic realm="a", Bearer realm="b",service="c")",
         {{"basic", {{"realm", "a"}}, ""}, {"bearer", {{"realm", "b"}, {"service", "c"}}, ""}}},
        {R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple")",
         {{"newauth", {{"realm", "apps"}, {"type", "1"}, {"title", R"(Login to "apps")"}}, ""},
          {"basic", {{"realm", "simple"}}, ""}}},
        {"Basic, Bearer", {{"basic", {}, ""}, {"bearer", {}, ""}}},
        {"Basic , Bearer realm=x", {{"basic", {}, ""}, {"bearer", {{"realm", "x"}}, ""}}},
        // Empty list elements are skipped.
        {R"(, ,Basic realm="a",, ,Bearer realm="b",)",
         {{"basic", {{"realm", "a"}}, ""}, {"bearer", {{"realm", "b"}}, ""}}},
        {R"(Bearer realm="a", , service="b")", {{"bearer", {{"realm", "a"}, {"service", "b"}}, ""}}},
        // token68.
        {"Negotiate YIIabc+/==", {{"negotiate", {}, "YIIabc+/=="}}},
        {"Basic abc", {{"basic", {}, "abc"}}},
        {"Basic abc=", {{"basic", {}, "abc="}}},
        {"Negotiate a.b-c_d~e , Basic realm=x", {{"negotiate", {}, "a.b-c_d~e"}, {"basic", {{"realm", "x"}}, ""}}},
        // "realm=x" is a parameter, not a token68; "realm=" alone is a token68, and a name alone
        // after a parameter is the next challenge's scheme.
        {"Basic realm=x", {{"basic", {{"realm", "x"}}, ""}}},
        {"Bearer realm=,", {{"bearer", {}, "realm="}}},
        {"Bearer a=b, realm", {{"bearer", {{"a", "b"}}, ""}, {"realm", {}, ""}}},
    };
    for (const ValidCase& c : cases) {
        CAPTURE(c.header);
        auto r = parse_challenges(c.header);
        REQUIRE(r);
        REQUIRE(r->size() == c.challenges.size());
        for (std::size_t i = 0; i < c.challenges.size(); ++i) {
            CAPTURE(i);
            CHECK((*r)[i].scheme == c.challenges[i].scheme);
            CHECK((*r)[i].params == c.challenges[i].params);
            CHECK((*r)[i].token68 == c.challenges[i].token68);
        }
    }
}

TEST_CASE("parse_challenges rejects malformed values naming the offset", "[registry]") {
    const std::vector<InvalidCase> cases = {
        {"", "invalid WWW-Authenticate value at offset 0: no challenge"},
        {" , ,", "invalid WWW-Authenticate value at offset 4: no challenge"},
        {R"(="x")", "invalid WWW-Authenticate value at offset 0: expected an auth scheme"},
        {R"(Basic realm="a", "b")", "invalid WWW-Authenticate value at offset 17: expected an auth scheme"},
        {R"(Bearer realm="abc)", "invalid WWW-Authenticate value at offset 13: unterminated quoted string"},
        {R"(Bearer realm="abc\")", "invalid WWW-Authenticate value at offset 13: unterminated quoted string"},
        {R"(Bearer realm="a", service="b)", "invalid WWW-Authenticate value at offset 26: unterminated quoted string"},
        {"Bearer realm=\"a\nb\"", "invalid WWW-Authenticate value at offset 15: control character in a quoted string"},
        {"Bearer realm=\"a\\\x01\"",
         "invalid WWW-Authenticate value at offset 16: control character in a quoted string"},
        {R"(Bearer realm "x")",
         R"(invalid WWW-Authenticate value at offset 13: expected '=' after the parameter "realm")"},
        {R"(Bearer a=b, realm=)",
         R"(invalid WWW-Authenticate value at offset 18: expected a token or a quoted string after "realm=")"},
        {R"(Bearer "x")", "invalid WWW-Authenticate value at offset 7: expected a parameter name"},
        {R"(Bearer realm="a" service="b")",
         R"(invalid WWW-Authenticate value at offset 17: expected ',' after the value of "realm")"},
        {R"(Bearer"x")",
         R"(invalid WWW-Authenticate value at offset 6: expected ' ' or ',' after the auth scheme "Bearer")"},
        {R"(Bearer realm="a",Realm="b")",
         R"(invalid WWW-Authenticate value at offset 23: the parameter "realm" is given twice)"},
        {"Negotiate abc, realm=x",
         R"(invalid WWW-Authenticate value at offset 20: expected ' ' or ',' after the auth scheme "realm")"},
    };
    for (const InvalidCase& c : cases) {
        CAPTURE(c.header);
        CHECK(error_of(c.header) == c.message);
    }
}
