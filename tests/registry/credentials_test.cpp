#include "registry/credentials.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "oci/file.hpp"

using hoist::Errc;
using hoist::TempDir;
using hoist::registry::Credential;
using hoist::registry::CredentialSources;
using hoist::registry::Environment;
using hoist::registry::erase_credential;
using hoist::registry::find_credential;
using hoist::registry::login_file;
using hoist::registry::parse_creds;
using hoist::registry::registry_key;
using hoist::registry::server_url;
using hoist::registry::store_credential;
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

TempDir make_temp_dir() {
    return TempDir::create(hoist::temp_directory(), "hoist-credentials-test-").value();
}

void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

std::string read_text(const fs::path& path) {
    return hoist::read_file(path).value();
}

unsigned mode_of(const fs::path& path) {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

// "docker-credential-NAME" in `bin`, a bash script with `body` after the shebang.
void write_helper(const fs::path& bin, const std::string& name, const std::string& body) {
    fs::path file = bin / ("docker-credential-" + name);
    write_text(file, "#!/bin/bash\n" + body);
    fs::permissions(file, fs::perms::owner_all);
}

// A credential store in a temporary directory: `docker-credential-test` answers get, store and
// erase from one file per server URL, and logs each call ("ACTION INPUT") to `log`.
class HelperFixture {
public:
    HelperFixture() : m_dir(make_temp_dir()) {
        fs::create_directories(bin());
        fs::create_directories(data());
        write_helper(bin(), "test", "data='" + data().string() + "'\n" + R"SH(input=$(cat)
printf '%s %s\n' "$1" "$input" >> "$data/log"
key() { printf '%s' "$1" | tr -c 'A-Za-z0-9' _; }
case "$1" in
get)
    if [ -f "$data/$(key "$input")" ]; then
        cat "$data/$(key "$input")"
    else
        echo "credentials not found in native keychain"
        exit 1
    fi ;;
store)
    url=$(printf '%s' "$input" | sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p')
    printf '%s' "$input" > "$data/$(key "$url")" ;;
erase)
    if [ -f "$data/$(key "$input")" ]; then
        rm "$data/$(key "$input")"
    else
        echo "credentials not found in native keychain"
        exit 1
    fi ;;
*)
    echo "unknown action $1"
    exit 2 ;;
esac
)SH");
    }

    fs::path root() const { return m_dir.path(); }
    fs::path bin() const { return m_dir.path() / "bin"; }
    fs::path data() const { return m_dir.path() / "data"; }
    // The PATH helpers are looked up on: the fixture's bin, then the tools the scripts use.
    std::string path() const { return bin().string() + ":/usr/bin:/bin"; }

    void holds(const std::string& server, const std::string& username, const std::string& secret) const {
        std::string key;
        for (char c : server) {
            bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            key.push_back(alnum ? c : '_');
        }
        Json answer = {{"ServerURL", server}, {"Username", username}, {"Secret", secret}};
        write_text(data() / key, answer.dump());
    }

    std::string log() const {
        std::error_code error;
        return fs::exists(data() / "log", error) ? read_text(data() / "log") : "";
    }

    CredentialSources sources(std::vector<fs::path> files) const {
        CredentialSources sources;
        sources.files = std::move(files);
        sources.path = path();
        return sources;
    }

private:
    TempDir m_dir;
};

std::string auth(const std::string& user_password) {
    // Fixed values, so that the encoder in the library is not what checks itself.
    if (user_password == "alice:s3cret") {
        return "YWxpY2U6czNjcmV0";
    }
    if (user_password == "bob:pa:ss") {
        return "Ym9iOnBhOnNz";
    }
    FAIL("no base64 for " << user_password);
    return "";
}

Credential found(const CredentialSources& sources, std::string_view registry) {
    auto r = find_credential(sources, registry);
    REQUIRE(r);
    REQUIRE(r->has_value());
    return **r;
}

bool finds_none(const CredentialSources& sources, std::string_view registry) {
    auto r = find_credential(sources, registry);
    REQUIRE(r);
    return !r->has_value();
}

std::string lookup_error(const CredentialSources& sources, std::string_view registry) {
    auto r = find_credential(sources, registry);
    REQUIRE_FALSE(r);
    return r.error().what();
}

}  // namespace

TEST_CASE("parse_creds splits USER[:PASSWORD] at the first colon", "[registry]") {
    Credential c = parse_creds("alice:s3cret").value();
    CHECK(c.username == "alice");
    CHECK(c.password == "s3cret");
    CHECK(c.identity_token.empty());
    c = parse_creds("bob:pa:ss").value();
    CHECK(c.username == "bob");
    CHECK(c.password == "pa:ss");
    c = parse_creds("carol").value();
    CHECK(c.username == "carol");
    CHECK(c.password.empty());
    c = parse_creds("dave:").value();
    CHECK(c.username == "dave");
    CHECK(c.password.empty());
}

TEST_CASE("parse_creds refuses an empty username without echoing the password", "[registry]") {
    for (std::string text : {"", ":s3cret", ":"}) {
        CAPTURE(text);
        auto r = parse_creds(text);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Errc::invalid_argument);
        CHECK(r.error().what() == "invalid --creds: the username is empty");
    }
}

TEST_CASE("registry_key names Docker Hub docker.io and strips schemes and paths", "[registry]") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"docker.io", "docker.io"},
        {"index.docker.io", "docker.io"},
        {"registry-1.docker.io", "docker.io"},
        {"https://index.docker.io/v1/", "docker.io"},
        {"http://index.docker.io/v2/", "docker.io"},
        {"https://registry-1.docker.io", "docker.io"},
        {"quay.io", "quay.io"},
        {"https://quay.io/v2/", "quay.io"},
        {"Quay.IO", "quay.io"},
        {"localhost:5000", "localhost:5000"},
        {"http://127.0.0.1:5000/v2/", "127.0.0.1:5000"},
        {"[::1]:5000", "[::1]:5000"},
        {"ghcr.io/owner/repo", "ghcr.io"},
        {"123.dkr.ecr.us-east-1.amazonaws.com", "123.dkr.ecr.us-east-1.amazonaws.com"},
    };
    for (const auto& [server, key] : cases) {
        CAPTURE(server);
        CHECK(registry_key(server) == key);
    }
}

TEST_CASE("server_url is docker's legacy URL for Docker Hub and host[:port] otherwise", "[registry]") {
    CHECK(server_url("docker.io") == "https://index.docker.io/v1/");
    CHECK(server_url("index.docker.io") == "https://index.docker.io/v1/");
    CHECK(server_url("registry-1.docker.io") == "https://index.docker.io/v1/");
    CHECK(server_url("quay.io") == "quay.io");
    CHECK(server_url("https://LOCALHOST:5000/v2/") == "localhost:5000");
}

TEST_CASE("CredentialSources::from_environment lists the auth files in DESIGN.md's order", "[registry]") {
    Environment env = {{"REGISTRY_AUTH_FILE", "/r/auth.json"},
                       {"DOCKER_CONFIG", "/d"},
                       {"HOME", "/h"},
                       {"XDG_RUNTIME_DIR", "/run/user/7"},
                       {"PATH", "/p:/q"}};
    CredentialSources sources = CredentialSources::from_environment(env);
    CHECK(sources.files == std::vector<fs::path>{"/r/auth.json", "/d/config.json", "/h/.docker/config.json",
                                                 "/run/user/7/containers/auth.json"});
    CHECK(sources.path == "/p:/q");
    CHECK_FALSE(sources.explicit_credential);
    CHECK(sources.helper_timeout == std::chrono::seconds(30));

    SECTION("--authfile alone") {
        sources = CredentialSources::from_environment(env, fs::path("/a.json"));
        CHECK(sources.files == std::vector<fs::path>{"/a.json"});
    }
    SECTION("unset and empty variables are skipped, and a file is listed once") {
        sources = CredentialSources::from_environment(
            {{"REGISTRY_AUTH_FILE", ""}, {"DOCKER_CONFIG", "/h/.docker"}, {"HOME", "/h"}});
        CHECK(sources.files == std::vector<fs::path>{"/h/.docker/config.json"});
        CHECK(sources.path == "/usr/local/bin:/usr/bin:/bin");
    }
}

TEST_CASE("login_file is --authfile, $REGISTRY_AUTH_FILE, $DOCKER_CONFIG or ~/.docker", "[registry]") {
    Environment env = {{"REGISTRY_AUTH_FILE", "/r/auth.json"}, {"DOCKER_CONFIG", "/d"}, {"HOME", "/h"}};
    CHECK(login_file(env, fs::path("/a.json")) == "/a.json");
    CHECK(login_file(env, std::nullopt) == "/r/auth.json");
    env.erase("REGISTRY_AUTH_FILE");
    CHECK(login_file(env, std::nullopt) == "/d/config.json");
    env.erase("DOCKER_CONFIG");
    CHECK(login_file(env, std::nullopt) == "/h/.docker/config.json");
    env["XDG_RUNTIME_DIR"] = "/run/user/7";
    CHECK(login_file(env, std::nullopt) == "/h/.docker/config.json");
}

TEST_CASE("find_credential decodes auths entries", "[registry]") {
    HelperFixture f;
    fs::path file = f.root() / "config.json";
    write_text(file, Json{{"auths",
                           {{"quay.io", {{"auth", auth("alice:s3cret")}}},
                            {"ghcr.io", {{"auth", auth("bob:pa:ss")}}},
                            {"token.example", {{"auth", auth("alice:s3cret")}, {"identitytoken", "refresh-me"}}},
                            {"only-token.example", {{"identitytoken", "refresh-me"}}}}}}
                         .dump());
    CredentialSources sources = f.sources({file});

    Credential c = found(sources, "quay.io");
    CHECK(c.username == "alice");
    CHECK(c.password == "s3cret");
    CHECK(c.identity_token.empty());
    c = found(sources, "ghcr.io");
    CHECK(c.username == "bob");
    CHECK(c.password == "pa:ss");
    c = found(sources, "token.example");
    CHECK(c.username == "alice");
    CHECK(c.identity_token == "refresh-me");
    c = found(sources, "only-token.example");
    CHECK(c.username.empty());
    CHECK(c.identity_token == "refresh-me");
    CHECK(finds_none(sources, "elsewhere.example"));
}

TEST_CASE("find_credential matches auths keys with or without scheme and /v1/ or /v2/", "[registry]") {
    HelperFixture f;
    fs::path file = f.root() / "config.json";
    for (std::string key : {"quay.io", "https://quay.io", "http://quay.io/", "https://quay.io/v1/", "quay.io/v2",
                            "https://QUAY.io/v2/"}) {
        CAPTURE(key);
        write_text(file, Json{{"auths", {{key, {{"auth", auth("alice:s3cret")}}}}}}.dump());
        CHECK(found(f.sources({file}), "quay.io").username == "alice");
    }
    SECTION("a key naming a repository is not the registry's") {
        write_text(file, Json{{"auths", {{"quay.io/org", {{"auth", auth("alice:s3cret")}}}}}}.dump());
        CHECK(finds_none(f.sources({file}), "quay.io"));
    }
    SECTION("the server URL's entry wins over the other spellings") {
        write_text(file, Json{{"auths",
                               {{"https://quay.io/v2/", {{"auth", auth("bob:pa:ss")}}},
                                {"quay.io", {{"auth", auth("alice:s3cret")}}}}}}
                             .dump());
        CHECK(found(f.sources({file}), "quay.io").username == "alice");
    }
}

TEST_CASE("find_credential finds Docker Hub under each of its names", "[registry]") {
    HelperFixture f;
    fs::path file = f.root() / "config.json";
    for (std::string key : {"https://index.docker.io/v1/", "docker.io", "index.docker.io", "registry-1.docker.io"}) {
        write_text(file, Json{{"auths", {{key, {{"auth", auth("alice:s3cret")}}}}}}.dump());
        for (std::string registry : {"docker.io", "index.docker.io", "registry-1.docker.io"}) {
            CAPTURE(key, registry);
            CHECK(found(f.sources({file}), registry).username == "alice");
        }
    }
}

TEST_CASE("find_credential takes the explicit credential, then the first file that has one", "[registry]") {
    HelperFixture f;
    fs::path first = f.root() / "first.json";
    fs::path second = f.root() / "second.json";
    fs::path missing = f.root() / "missing" / "config.json";
    write_text(first, Json{{"auths", {{"quay.io", {{"auth", auth("alice:s3cret")}}}}}}.dump());
    write_text(second,
               Json{{"auths", {{"quay.io", {{"auth", auth("bob:pa:ss")}}}, {"ghcr.io", {{"auth", auth("bob:pa:ss")}}}}}}
                   .dump());

    CredentialSources sources = f.sources({missing, first, second});
    CHECK(found(sources, "quay.io").username == "alice");
    CHECK(found(sources, "ghcr.io").username == "bob");
    CHECK(finds_none(sources, "docker.io"));
    sources.files = {second, first};
    CHECK(found(sources, "quay.io").username == "bob");
    sources.explicit_credential = Credential{"carol", "pw", ""};
    CHECK(found(sources, "quay.io").username == "carol");
    CHECK(found(sources, "docker.io").username == "carol");
    CHECK(finds_none(f.sources({}), "quay.io"));
}

TEST_CASE("find_credential asks credHelpers before auths before credsStore", "[registry]") {
    HelperFixture f;
    fs::path file = f.root() / "config.json";
    write_text(file, Json{{"auths",
                           {{"quay.io", {{"auth", auth("alice:s3cret")}}},
                            {"ghcr.io", {{"auth", auth("alice:s3cret")}}},
                            {"stored.example", Json::object()}}},
                          {"credHelpers", {{"quay.io", "test"}}},
                          {"credsStore", "test"}}
                         .dump());
    f.holds("quay.io", "from-helper", "helper-secret");
    f.holds("ghcr.io", "from-store", "store-secret");
    f.holds("stored.example", "from-store", "store-secret");
    f.holds("https://index.docker.io/v1/", "hub-user", "hub-secret");
    CredentialSources sources = f.sources({file});

    Credential c = found(sources, "quay.io");
    CHECK(c.username == "from-helper");
    CHECK(c.password == "helper-secret");
    // auths before credsStore.
    CHECK(found(sources, "ghcr.io").username == "alice");
    // An empty entry, as docker leaves next to credsStore, is skipped.
    CHECK(found(sources, "stored.example").username == "from-store");
    // Helpers are given docker's server URL.
    CHECK(found(sources, "docker.io").username == "hub-user");
    CHECK(finds_none(sources, "nothing.example"));
    CHECK(f.log() ==
          "get quay.io\n"
          "get stored.example\n"
          "get https://index.docker.io/v1/\n"
          "get nothing.example\n");
}

TEST_CASE("find_credential goes on past a helper that has nothing", "[registry]") {
    HelperFixture f;
    fs::path first = f.root() / "first.json";
    fs::path second = f.root() / "second.json";
    write_text(first, Json{{"credHelpers", {{"https://index.docker.io/v1/", "test"}}},
                           {"auths", {{"https://index.docker.io/v1/", {{"auth", auth("alice:s3cret")}}}}}}
                          .dump());
    write_text(second, Json{{"credsStore", "test"}}.dump());
    f.holds("ghcr.io", "from-store", "store-secret");

    CHECK(found(f.sources({first, second}), "docker.io").username == "alice");
    CHECK(found(f.sources({first, second}), "ghcr.io").username == "from-store");
}

TEST_CASE("find_credential reads a helper's <token> answer as an identity token", "[registry]") {
    HelperFixture f;
    fs::path file = f.root() / "config.json";
    write_text(file, Json{{"credsStore", "test"}}.dump());
    f.holds("quay.io", "<token>", "refresh-me");
    Credential c = found(f.sources({file}), "quay.io");
    CHECK(c.username.empty());
    CHECK(c.password.empty());
    CHECK(c.identity_token == "refresh-me");
}

TEST_CASE("find_credential treats an empty auth file as an empty configuration", "[registry]") {
    HelperFixture f;
    fs::path file = f.root() / "config.json";
    write_text(file, " \n");
    CHECK(finds_none(f.sources({file}), "quay.io"));
}

TEST_CASE("find_credential names the file and never the secret for a malformed auth file", "[registry]") {
    HelperFixture f;
    fs::path file = f.root() / "config.json";
    const std::string secret = "TopSecretValue";
    struct Case {
        std::string text;
        std::string message;
    };
    const std::vector<Case> cases = {
        {R"({"auths": {"quay.io": {"auth": ")" + secret, "invalid JSON at offset 46"},
        {R"({"auths": {"quay.io": {"auth": ")" + secret + R"(" +}}})", "invalid JSON at offset 48"},
        {R"(["TopSecretValue"])", "not a JSON object"},
        {R"({"auths": []})", R"("auths" must be an object)"},
        {R"({"auths": {"quay.io": "TopSecretValue"}})", R"(auths["quay.io"] must be an object)"},
        {R"({"auths": {"quay.io": {"auth": 7}}})", R"(auths["quay.io"]: "auth" must be a string)"},
        {R"({"auths": {"quay.io": {"identitytoken": []}}})", R"(auths["quay.io"]: "identitytoken" must be a string)"},
        {R"({"auths": {"quay.io": {"auth": "TopSecretValue!"}}})", R"(auths["quay.io"]: "auth" is not valid base64)"},
        {R"({"auths": {"quay.io": {"auth": "TopSecretValu"}}})", R"(auths["quay.io"]: "auth" is not valid base64)"},
        {R"({"auths": {"quay.io": {"auth": "TopSecret-Value="}}})", R"(auths["quay.io"]: "auth" is not valid base64)"},
        // base64("TopSecretValue"), without a colon, and base64(":TopSecretValue").
        {R"({"auths": {"quay.io": {"auth": "VG9wU2VjcmV0VmFsdWU="}}})",
         R"(auths["quay.io"]: "auth" is not the base64 of "user:password")"},
        {R"({"auths": {"quay.io": {"auth": "OlRvcFNlY3JldFZhbHVl"}}})",
         R"(auths["quay.io"]: "auth" is not the base64 of "user:password")"},
        {R"({"credHelpers": ["x"]})", R"("credHelpers" must be an object)"},
        {R"({"credHelpers": {"quay.io": 1}})", R"(credHelpers["quay.io"] must be a string)"},
        {R"({"credsStore": {}})", R"("credsStore" must be a string)"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.text);
        write_text(file, c.text);
        std::string message = lookup_error(f.sources({file}), "quay.io");
        CHECK(message == file.string() + ": " + c.message);
        CHECK(message.find(secret) == std::string::npos);
    }
}

TEST_CASE("find_credential reports a helper that is missing, fails or answers nonsense", "[registry]") {
    HelperFixture f;
    fs::path file = f.root() / "config.json";
    auto uses = [&](const std::string& helper) {
        write_text(file, Json{{"credHelpers", {{"quay.io", helper}}}}.dump());
    };
    const std::string prefix = file.string() + ": ";

    uses("nope");
    CHECK(lookup_error(f.sources({file}), "quay.io") == prefix + "docker-credential-nope: not found in " + f.path());
    uses("../bin/docker-credential-test");
    CHECK(lookup_error(f.sources({file}), "quay.io") ==
          prefix + R"(invalid credential helper name "../bin/docker-credential-test")");

    write_helper(f.bin(), "broken", "echo 'keychain locked' >&2\nexit 3\n");
    uses("broken");
    CHECK(lookup_error(f.sources({file}), "quay.io") ==
          prefix + "docker-credential-broken get: exit status 3: keychain locked");

    write_helper(f.bin(), "leaky", "echo '{\"Username\": \"alice\", \"Secret\": \"TopSecretValue\"}'\nexit 1\n");
    uses("leaky");
    CHECK(lookup_error(f.sources({file}), "quay.io") == prefix + "docker-credential-leaky get: exit status 1");

    write_helper(f.bin(), "quiet", "exit 4\n");
    uses("quiet");
    CHECK(lookup_error(f.sources({file}), "quay.io") == prefix + "docker-credential-quiet get: exit status 4");

    write_helper(f.bin(), "signalled", "kill -TERM $$\n");
    uses("signalled");
    CHECK(lookup_error(f.sources({file}), "quay.io") == prefix + "docker-credential-signalled get: killed by SIGTERM");

    write_helper(f.bin(), "garbage", "echo '{\"Username\": \"alice\", \"Secret\": \"TopSecretValue'\n");
    uses("garbage");
    std::string message = lookup_error(f.sources({file}), "quay.io");
    CHECK(message == prefix +
                         "docker-credential-garbage get: the answer is not a JSON object with the strings "
                         "\"Username\" and \"Secret\"");

    write_helper(f.bin(), "nothing", "echo '{\"ServerURL\": \"quay.io\", \"Username\": \"\", \"Secret\": \"\"}'\n");
    uses("nothing");
    CHECK(finds_none(f.sources({file}), "quay.io"));
}

TEST_CASE("find_credential runs helpers with this process's environment", "[registry]") {
    // A variable of this process that the script can print as it is.
    std::string name;
    for (const auto& [key, value] : hoist::registry::current_environment()) {
        bool plain_name =
            !key.empty() && key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") == std::string::npos;
        bool plain_value = !value.empty() && value.find_first_of("\"\\\n\t") == std::string::npos;
        if (plain_name && plain_value && key != "PATH") {
            name = key;
            break;
        }
    }
    if (name.empty()) {
        WARN("no environment variable to check");
        return;
    }
    CAPTURE(name);
    HelperFixture f;
    fs::path file = f.root() / "config.json";
    write_helper(f.bin(), "env", "printf '{\"Username\":\"%s\",\"Secret\":\"x\"}' \"$" + name + "\"\n");
    write_text(file, Json{{"credsStore", "env"}}.dump());
    CHECK(found(f.sources({file}), "quay.io").username == hoist::registry::current_environment().at(name));
}

TEST_CASE("find_credential kills a helper that does not answer in time", "[registry]") {
    HelperFixture f;
    fs::path file = f.root() / "config.json";
    write_helper(f.bin(), "slow", "exec sleep 20\n");
    write_text(file, Json{{"credsStore", "slow"}}.dump());
    CredentialSources sources = f.sources({file});
    sources.helper_timeout = std::chrono::milliseconds(300);

    auto start = std::chrono::steady_clock::now();
    auto r = find_credential(sources, "quay.io");
    auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(r);
    CHECK(r.error().what() == file.string() + ": docker-credential-slow get: no answer after 300 ms, killed");
    CHECK(elapsed < std::chrono::seconds(5));

    SECTION("also when it closes its output and keeps running") {
        write_helper(f.bin(), "slow", "exec >&- 2>&-\nexec sleep 20\n");
        r = find_credential(sources, "quay.io");
        REQUIRE_FALSE(r);
        CHECK(r.error().what() == file.string() + ": docker-credential-slow get: no answer after 300 ms, killed");
    }
}

TEST_CASE("store_credential writes an auths entry 0600 in a new 0700 directory", "[registry]") {
    HelperFixture f;
    fs::path file = f.root() / "home" / ".docker" / "config.json";
    REQUIRE(store_credential(file, "quay.io", Credential{"alice", "s3cret", ""}, f.path()));
    CHECK(mode_of(file) == 0600);
    CHECK(mode_of(file.parent_path()) == 0700);
    CHECK(Json::parse(read_text(file)) == Json{{"auths", {{"quay.io", {{"auth", auth("alice:s3cret")}}}}}});
    Credential c = found(f.sources({file}), "quay.io");
    CHECK(c.username == "alice");
    CHECK(c.password == "s3cret");

    SECTION("Docker Hub under docker's server URL") {
        REQUIRE(store_credential(file, "registry-1.docker.io", Credential{"bob", "pa:ss", ""}, f.path()));
        CHECK(Json::parse(read_text(file))["auths"] ==
              Json{{"quay.io", {{"auth", auth("alice:s3cret")}}},
                   {"https://index.docker.io/v1/", {{"auth", auth("bob:pa:ss")}}}});
        CHECK(found(f.sources({file}), "docker.io").password == "pa:ss");
    }
    SECTION("an identity token") {
        REQUIRE(store_credential(file, "quay.io", Credential{"alice", "", "refresh-me"}, f.path()));
        CHECK(Json::parse(read_text(file))["auths"]["quay.io"] ==
              Json{{"auth", "YWxpY2U6"}, {"identitytoken", "refresh-me"}});
        REQUIRE(store_credential(file, "quay.io", Credential{"", "", "refresh-me"}, f.path()));
        CHECK(Json::parse(read_text(file))["auths"]["quay.io"] == Json{{"identitytoken", "refresh-me"}});
        CHECK(found(f.sources({file}), "quay.io").identity_token == "refresh-me");
    }
}

TEST_CASE("store_credential keeps the rest of the file and makes it 0600", "[registry]") {
    HelperFixture f;
    fs::path file = f.root() / "config.json";
    Json before = {{"psFormat", "table {{.ID}}"},
                   {"auths",
                    {{"ghcr.io", {{"auth", auth("bob:pa:ss")}}},
                     {"https://quay.io/v1/", {{"auth", auth("bob:pa:ss")}}},
                     {"quay.io", {{"auth", auth("bob:pa:ss")}, {"email", "bob@example.com"}}},
                     {"quay.io/org", {{"auth", auth("bob:pa:ss")}}}}},
                   {"credHelpers", {{"123.dkr.ecr.us-east-1.amazonaws.com", "ecr-login"}}},
                   {"proxies", {{"default", {{"httpProxy", "http://proxy:3128"}}}}},
                   {"number", 1.5}};
    write_text(file, before.dump(4));
    fs::permissions(file,
                    fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);

    REQUIRE(store_credential(file, "https://quay.io", Credential{"alice", "s3cret", ""}, f.path()));
    Json expected = before;
    // Other spellings of the registry go; the entry keeps its place and its other fields.
    expected["auths"].erase("https://quay.io/v1/");
    expected["auths"]["quay.io"]["auth"] = auth("alice:s3cret");
    Json after = Json::parse(read_text(file));
    CHECK(after == expected);
    CHECK(after.dump() == expected.dump());
    CHECK(mode_of(file) == 0600);
}

TEST_CASE("store_credential writes through a symbolic link", "[registry]") {
    HelperFixture f;
    fs::path target = f.root() / "dotfiles" / "config.json";
    fs::path link = f.root() / "config.json";
    write_text(target, "{}");
    fs::create_symlink(target, link);
    REQUIRE(store_credential(link, "quay.io", Credential{"alice", "s3cret", ""}, f.path()));
    CHECK(fs::is_symlink(link));
    CHECK(found(f.sources({target}), "quay.io").username == "alice");
}

TEST_CASE("store_credential hands the secret to credHelpers or credsStore", "[registry]") {
    HelperFixture f;
    fs::path file = f.root() / "config.json";

    SECTION("credHelpers, leaving the file as it was") {
        std::string text = Json{{"credHelpers", {{"https://index.docker.io/v1/", "test"}}}}.dump();
        write_text(file, text);
        REQUIRE(store_credential(file, "docker.io", Credential{"alice", "s3cret", ""}, f.path()));
        CHECK(f.log() == R"(store {"ServerURL":"https://index.docker.io/v1/","Username":"alice","Secret":"s3cret"})"
                         "\n");
        CHECK(read_text(file) == text);
        CHECK(found(f.sources({file}), "docker.io").password == "s3cret");
    }
    SECTION("credsStore, leaving an empty auths entry in place of any stale secret") {
        write_text(
            file,
            Json{{"credsStore", "test"},
                 {"auths",
                  {{"https://ghcr.io", {{"auth", auth("bob:pa:ss")}}}, {"quay.io", {{"auth", auth("bob:pa:ss")}}}}}}
                .dump());
        REQUIRE(store_credential(file, "ghcr.io", Credential{"", "", "refresh-me"}, f.path()));
        CHECK(f.log() == R"(store {"ServerURL":"ghcr.io","Username":"<token>","Secret":"refresh-me"})"
                         "\n");
        CHECK(Json::parse(read_text(file)) ==
              Json{{"credsStore", "test"},
                   {"auths", {{"quay.io", {{"auth", auth("bob:pa:ss")}}}, {"ghcr.io", Json::object()}}}});
        CHECK(mode_of(file) == 0600);
        CHECK(found(f.sources({file}), "ghcr.io").identity_token == "refresh-me");
    }
}

TEST_CASE("store_credential fails without writing, and without the secret in the message", "[registry]") {
    HelperFixture f;
    fs::path file = f.root() / "config.json";

    SECTION("a malformed file is left alone") {
        write_text(file, "{\"auths\": ");
        auto r = store_credential(file, "quay.io", Credential{"alice", "s3cret", ""}, f.path());
        REQUIRE_FALSE(r);
        CHECK(r.error().what() == file.string() + ": invalid JSON at offset 10");
        CHECK(read_text(file) == "{\"auths\": ");
    }
    SECTION("a helper that fails and echoes its input") {
        write_helper(f.bin(), "echo", "cat\nexit 1\n");
        write_text(file, Json{{"credsStore", "echo"}}.dump());
        auto r = store_credential(file, "quay.io", Credential{"alice", "s3cret", ""}, f.path());
        REQUIRE_FALSE(r);
        CHECK(r.error().what() == file.string() + ": docker-credential-echo store: exit status 1");
        CHECK(Json::parse(read_text(file)) == Json{{"credsStore", "echo"}});
    }
    SECTION("a credential with no username") {
        auto r = store_credential(file, "quay.io", Credential{"", "s3cret", ""}, f.path());
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Errc::invalid_argument);
        CHECK(r.error().what() == "a credential needs a username or an identity token");
        CHECK_FALSE(fs::exists(file));
    }
}

TEST_CASE("erase_credential removes every auths entry for the registry and keeps the rest", "[registry]") {
    HelperFixture f;
    fs::path file = f.root() / "config.json";
    write_text(file, Json{{"auths",
                           {{"quay.io", {{"auth", auth("alice:s3cret")}}},
                            {"https://index.docker.io/v1/", {{"auth", auth("alice:s3cret")}}},
                            {"docker.io", {{"auth", auth("alice:s3cret")}}}}},
                          {"psFormat", "x"}}
                         .dump());
    REQUIRE(erase_credential(file, "index.docker.io", f.path()));
    CHECK(Json::parse(read_text(file)) ==
          Json{{"auths", {{"quay.io", {{"auth", auth("alice:s3cret")}}}}}, {"psFormat", "x"}});
    CHECK(mode_of(file) == 0600);
    CHECK(finds_none(f.sources({file}), "docker.io"));

    auto r = erase_credential(file, "docker.io", f.path());
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == Errc::not_found);
    CHECK(r.error().what() == "no credentials for docker.io in " + file.string());

    r = erase_credential(f.root() / "missing.json", "quay.io", f.path());
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == Errc::not_found);
    CHECK(r.error().what() == "no credentials for quay.io in " + (f.root() / "missing.json").string());
}

TEST_CASE("erase_credential asks the helper to erase", "[registry]") {
    HelperFixture f;
    fs::path file = f.root() / "config.json";
    write_text(file, Json{{"credsStore", "test"}, {"auths", {{"quay.io", Json::object()}}}}.dump());
    REQUIRE(store_credential(file, "quay.io", Credential{"alice", "s3cret", ""}, f.path()));
    REQUIRE(found(f.sources({file}), "quay.io").username == "alice");

    REQUIRE(erase_credential(file, "quay.io", f.path()));
    CHECK(Json::parse(read_text(file)) == Json{{"credsStore", "test"}, {"auths", Json::object()}});
    CHECK(finds_none(f.sources({file}), "quay.io"));
    auto r = erase_credential(file, "quay.io", f.path());
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == Errc::not_found);
    CHECK(r.error().what() == "no credentials for quay.io in " + file.string());
    CHECK(f.log().find("erase quay.io\nget quay.io\nerase quay.io\n") != std::string::npos);
}
