#include "oci/image_config.hpp"

#include <catch2/catch.hpp>

#include "tests/support.hpp"
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

using hoist::Errc;
using hoist::oci::ContainerConfig;
using hoist::oci::Digest;
using hoist::oci::HistoryEntry;
using hoist::oci::ImageConfig;
using hoist::oci::Platform;
using hoist::oci::json::StringMap;
using nlohmann::json;

namespace {

const std::string k_diff_id0 = "sha256:" + std::string(64, '0');
const std::string k_diff_id1 = "sha256:" + std::string(64, '1');

// A config as `docker build` writes it, unknown fields included.
const std::string k_docker_config = R"({
  "architecture": "arm",
  "os": "linux",
  "variant": "v7",
  "created": "2024-03-01T12:34:56.789Z",
  "author": "Jane Doe <jane@example.com>",
  "docker_version": "24.0.7",
  "container": "4bd8f3a9c2e1",
  "config": {
    "Hostname": "",
    "Domainname": "",
    "User": "app:app",
    "AttachStdin": false,
    "Tty": false,
    "Env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "LANG=C.UTF-8",
      "EMPTY="
    ],
    "Entrypoint": ["/usr/bin/tini", "--"],
    "Cmd": ["python3", "-m", "http.server", "8080"],
    "Image": "sha256:9f3b1c",
    "WorkingDir": "/srv/app",
    "Labels": {
      "org.opencontainers.image.source": "https://github.com/example/app",
      "maintainer": "jane@example.com"
    },
    "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
    "Volumes": {"/data": {}, "/var/log/app": {}},
    "StopSignal": "SIGTERM",
    "OnBuild": null,
    "Healthcheck": {"Test": ["CMD", "true"]}
  },
  "rootfs": {
    "type": "layers",
    "diff_ids": [
      "sha256:0000000000000000000000000000000000000000000000000000000000000000",
      "sha256:1111111111111111111111111111111111111111111111111111111111111111"
    ]
  },
  "history": [
    {
      "created": "2024-02-01T00:00:00Z",
      "created_by": "/bin/sh -c #(nop) ADD file:abc in / "
    },
    {
      "created": "2024-02-01T00:00:01Z",
      "created_by": "/bin/sh -c #(nop)  CMD [\"/bin/sh\"]",
      "empty_layer": true
    },
    {
      "created": "2024-03-01T12:34:56Z",
      "created_by": "RUN /bin/sh -c pip install app # buildkit",
      "author": "Jane Doe",
      "comment": "buildkit.dockerfile.v0",
      "empty_layer": false
    }
  ]
})";

// The smallest config hoist accepts.
json minimal_json() {
    return json{
        {"architecture", "amd64"}, {"os", "linux"}, {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}};
}

using hoist::test::with;
using hoist::test::without;

// minimal_json() with config[key] = value.
json with_config(const std::string& key, json value) {
    return with(minimal_json(), "config", {{key, std::move(value)}});
}

// minimal_json() with rootfs[key] = value.
json with_rootfs(const std::string& key, json value) {
    json object = minimal_json();
    object["rootfs"][key] = std::move(value);
    return object;
}

// A config built in code with every field hoist knows set.
ImageConfig full_config() {
    return ImageConfig{
        .platform = Platform{"windows", "amd64", "", "10.0.17763.1040", {"win32k"}},
        .created = "2024-03-01T12:34:56Z",
        .author = "hoist",
        .config =
            ContainerConfig{
                .user = "1000:1000",
                .env = {"B=2", "A=1"},
                .entrypoint = std::vector<std::string>{"/entry"},
                .cmd = std::vector<std::string>{},
                .working_dir = "/w",
                .labels = {{"b", "2"}, {"a", "1"}},
                .exposed_ports = {"80/tcp", "443/tcp"},
                .volumes = {"/v"},
                .stop_signal = "SIGINT",
            },
        .diff_ids = {Digest::of("layer0"), Digest::of("layer1")},
        .history =
            {
                HistoryEntry{.created = "2024-03-01T12:34:56Z",
                             .created_by = "ADD x /",
                             .author = "a",
                             .comment = "c",
                             .empty_layer = false},
                HistoryEntry{
                    .created = std::nullopt, .created_by = "ENV A=1", .author = "", .comment = "", .empty_layer = true},
                HistoryEntry{},
            },
    };
}

void check_same(const ImageConfig& a, const ImageConfig& b) {
    CHECK(a.platform == b.platform);
    CHECK(a.created == b.created);
    CHECK(a.author == b.author);
    CHECK(a.config.user == b.config.user);
    CHECK(a.config.env == b.config.env);
    CHECK(a.config.entrypoint == b.config.entrypoint);
    CHECK(a.config.cmd == b.config.cmd);
    CHECK(a.config.working_dir == b.config.working_dir);
    CHECK(a.config.labels == b.config.labels);
    CHECK(a.config.exposed_ports == b.config.exposed_ports);
    CHECK(a.config.volumes == b.config.volumes);
    CHECK(a.config.stop_signal == b.config.stop_signal);
    CHECK(a.diff_ids == b.diff_ids);
    REQUIRE(a.history.size() == b.history.size());
    for (std::size_t i = 0; i < a.history.size(); ++i) {
        CAPTURE(i);
        CHECK(a.history[i].created == b.history[i].created);
        CHECK(a.history[i].created_by == b.history[i].created_by);
        CHECK(a.history[i].author == b.history[i].author);
        CHECK(a.history[i].comment == b.history[i].comment);
        CHECK(a.history[i].empty_layer == b.history[i].empty_layer);
    }
}

struct ErrorCase {
    std::string name;
    std::string input;
    Errc code;
    std::string message;
};

}  // namespace

TEST_CASE("ImageConfig::parse reads a Docker config") {
    ImageConfig c = ImageConfig::parse(k_docker_config).value();
    CHECK(c.platform == Platform{"linux", "arm", "v7", "", {}});
    CHECK(c.created == "2024-03-01T12:34:56.789Z");
    CHECK(c.author == "Jane Doe <jane@example.com>");

    CHECK(c.config.user == "app:app");
    CHECK(c.config.env == std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                                   "LANG=C.UTF-8", "EMPTY="});
    CHECK(c.config.entrypoint == std::vector<std::string>{"/usr/bin/tini", "--"});
    CHECK(c.config.cmd == std::vector<std::string>{"python3", "-m", "http.server", "8080"});
    CHECK(c.config.working_dir == "/srv/app");
    CHECK(c.config.labels == StringMap{{"org.opencontainers.image.source", "https://github.com/example/app"},
                                       {"maintainer", "jane@example.com"}});
    CHECK(c.config.exposed_ports == std::set<std::string>{"8080/tcp", "53/udp"});
    CHECK(c.config.volumes == std::set<std::string>{"/data", "/var/log/app"});
    CHECK(c.config.stop_signal == "SIGTERM");

    CHECK(c.diff_ids == std::vector<Digest>{Digest::parse(k_diff_id0).value(), Digest::parse(k_diff_id1).value()});

    REQUIRE(c.history.size() == 3);
    CHECK(c.history[0].created == "2024-02-01T00:00:00Z");
    CHECK(c.history[0].created_by == "/bin/sh -c #(nop) ADD file:abc in / ");
    CHECK(c.history[0].author.empty());
    CHECK(c.history[0].comment.empty());
    CHECK_FALSE(c.history[0].empty_layer);
    CHECK(c.history[1].created_by == R"(/bin/sh -c #(nop)  CMD ["/bin/sh"])");
    CHECK(c.history[1].empty_layer);
    CHECK(c.history[2].author == "Jane Doe");
    CHECK(c.history[2].comment == "buildkit.dockerfile.v0");
    CHECK_FALSE(c.history[2].empty_layer);
}

TEST_CASE("ImageConfig::parse reads a config with nothing optional as empty") {
    ImageConfig c = ImageConfig::parse(minimal_json().dump()).value();
    CHECK(c.platform == Platform{"linux", "amd64", "", "", {}});
    CHECK_FALSE(c.created);
    CHECK(c.author.empty());
    CHECK(c.config.user.empty());
    CHECK(c.config.env.empty());
    CHECK_FALSE(c.config.entrypoint);
    CHECK_FALSE(c.config.cmd);
    CHECK(c.config.working_dir.empty());
    CHECK(c.config.labels.empty());
    CHECK(c.config.exposed_ports.empty());
    CHECK(c.config.volumes.empty());
    CHECK(c.config.stop_signal.empty());
    CHECK(c.diff_ids.empty());
    CHECK(c.history.empty());

    // Docker writes null for unset fields.
    json nulls = with(minimal_json(), "config",
                      {{"User", nullptr},
                       {"Env", nullptr},
                       {"WorkingDir", nullptr},
                       {"Labels", nullptr},
                       {"ExposedPorts", nullptr},
                       {"Volumes", nullptr},
                       {"StopSignal", nullptr}});
    nulls["created"] = nullptr;
    nulls["history"] = nullptr;
    ImageConfig n = ImageConfig::parse(nulls.dump()).value();
    check_same(n, c);
    CHECK(ImageConfig::parse(with(minimal_json(), "config", nullptr).dump()).value().config.env.empty());
}

TEST_CASE("ImageConfig::parse keeps a null Entrypoint and Cmd apart from an empty one") {
    ImageConfig absent = ImageConfig::parse(with(minimal_json(), "config", json::object()).dump()).value();
    CHECK_FALSE(absent.config.entrypoint);
    CHECK_FALSE(absent.config.cmd);

    ImageConfig explicit_null =
        ImageConfig::parse(with(minimal_json(), "config", {{"Entrypoint", nullptr}, {"Cmd", nullptr}}).dump()).value();
    CHECK_FALSE(explicit_null.config.entrypoint);
    CHECK_FALSE(explicit_null.config.cmd);

    ImageConfig empty =
        ImageConfig::parse(
            with(minimal_json(), "config", {{"Entrypoint", json::array()}, {"Cmd", json::array()}}).dump())
            .value();
    REQUIRE(empty.config.entrypoint);
    CHECK(empty.config.entrypoint->empty());
    REQUIRE(empty.config.cmd);
    CHECK(empty.config.cmd->empty());

    // And to_json keeps the difference.
    ImageConfig null_again = ImageConfig::parse(explicit_null.to_json()).value();
    CHECK_FALSE(null_again.config.entrypoint);
    CHECK_FALSE(null_again.config.cmd);
    ImageConfig empty_again = ImageConfig::parse(empty.to_json()).value();
    CHECK(empty_again.config.entrypoint == std::vector<std::string>{});
    CHECK(empty_again.config.cmd == std::vector<std::string>{});
}

TEST_CASE("ImageConfig::parse reads os.version and os.features") {
    ImageConfig c =
        ImageConfig::parse(with(with(minimal_json(), "os.version", "10.0.20348.1"), "os.features", {"win32k"}).dump())
            .value();
    CHECK(c.platform == Platform{"linux", "amd64", "", "10.0.20348.1", {"win32k"}});
}

TEST_CASE("ImageConfig::parse rejects a malformed config with the field that is wrong") {
    const std::vector<ErrorCase> cases = {
        // The document.
        {"invalid JSON", R"({"architecture": "amd64",)", Errc::invalid_argument,
         "image config: invalid JSON: parse error at line 1, column 26: syntax error while parsing "
         "object key - "
         "unexpected end of input; expected string literal"},
        {"array", "[]", Errc::invalid_argument, "image config: not a JSON object"},
        // Found by the image_json fuzz target: nlohmann throws out_of_range, not parse_error.
        {"number out of range", R"({"architecture": "amd64", "os": "linux", "x": 3e333})", Errc::invalid_argument,
         "image config: invalid JSON: number overflow parsing '3e333'"},
        // The platform.
        {"no architecture", without(minimal_json(), "architecture").dump(), Errc::invalid_argument,
         R"(image config: platform: "architecture" is missing)"},
        {"numeric architecture", with(minimal_json(), "architecture", 64).dump(), Errc::invalid_argument,
         R"(image config: platform: "architecture" must be a string)"},
        {"empty architecture", with(minimal_json(), "architecture", "").dump(), Errc::invalid_argument,
         R"(image config: platform: "architecture" must not be empty)"},
        {"no os", without(minimal_json(), "os").dump(), Errc::invalid_argument,
         R"(image config: platform: "os" is missing)"},
        {"numeric variant", with(minimal_json(), "variant", 7).dump(), Errc::invalid_argument,
         R"(image config: platform: "variant" must be a string)"},
        // Top-level fields.
        {"numeric created", with(minimal_json(), "created", 1709296496).dump(), Errc::invalid_argument,
         R"(image config: "created" must be a string)"},
        {"array author", with(minimal_json(), "author", {"a"}).dump(), Errc::invalid_argument,
         R"(image config: "author" must be a string)"},
        {"config an array", with(minimal_json(), "config", json::array()).dump(), Errc::invalid_argument,
         R"(image config: "config" must be an object)"},
        // rootfs.
        {"no rootfs", without(minimal_json(), "rootfs").dump(), Errc::invalid_argument,
         R"(image config: "rootfs" must be an object)"},
        {"null rootfs", with(minimal_json(), "rootfs", nullptr).dump(), Errc::invalid_argument,
         R"(image config: "rootfs" must be an object)"},
        {"rootfs an array", with(minimal_json(), "rootfs", json::array()).dump(), Errc::invalid_argument,
         R"(image config: "rootfs" must be an object)"},
        {"no rootfs.type", with(minimal_json(), "rootfs", {{"diff_ids", json::array()}}).dump(), Errc::invalid_argument,
         R"(image config: rootfs: "type" is missing)"},
        {"numeric rootfs.type", with_rootfs("type", 1).dump(), Errc::invalid_argument,
         R"(image config: rootfs: "type" must be a string)"},
        {"rootfs.type layer", with_rootfs("type", "layer").dump(), Errc::invalid_argument,
         R"(image config: rootfs: "type" must be "layers", not "layer")"},
        {"rootfs.type Layers", with_rootfs("type", "Layers").dump(), Errc::invalid_argument,
         R"(image config: rootfs: "type" must be "layers", not "Layers")"},
        {"diff_ids a string", with_rootfs("diff_ids", k_diff_id0).dump(), Errc::invalid_argument,
         R"(image config: rootfs: "diff_ids" must be an array of strings)"},
        {"diff_ids with a number", with_rootfs("diff_ids", {k_diff_id0, 1}).dump(), Errc::invalid_argument,
         R"(image config: rootfs: "diff_ids" must be an array of strings)"},
        {"short diff_ids[1]", with_rootfs("diff_ids", {k_diff_id0, "sha256:abc"}).dump(), Errc::invalid_argument,
         R"(image config: rootfs: diff_ids[1]: invalid digest "sha256:abc": sha256 needs 64 hex digits, not 3)"},
        {"upper-case diff_ids[1]", with_rootfs("diff_ids", {k_diff_id0, "sha256:" + std::string(64, 'A')}).dump(),
         Errc::invalid_argument,
         "image config: rootfs: diff_ids[1]: invalid digest \"sha256:" + std::string(64, 'A') +
             "\": the encoded part must be lower-case hex"},
        {"md5 diff_ids[0]", with_rootfs("diff_ids", {"md5:" + std::string(32, 'a')}).dump(), Errc::unsupported,
         "image config: rootfs: diff_ids[0]: unsupported digest algorithm \"md5\" in \"md5:" + std::string(32, 'a') +
             "\""},
        // The container config.
        {"Env a string", with_config("Env", "A=1").dump(), Errc::invalid_argument,
         R"(image config: config: "Env" must be an array of strings)"},
        {"Env with a number", with_config("Env", {"A=1", 2}).dump(), Errc::invalid_argument,
         R"(image config: config: "Env" must be an array of strings)"},
        {"Env an object", with_config("Env", {{"A", "1"}}).dump(), Errc::invalid_argument,
         R"(image config: config: "Env" must be an array of strings)"},
        {"Cmd a string", with_config("Cmd", "sh").dump(), Errc::invalid_argument,
         R"(image config: config: "Cmd" must be an array of strings)"},
        {"Entrypoint with null", with_config("Entrypoint", {"sh", nullptr}).dump(), Errc::invalid_argument,
         R"(image config: config: "Entrypoint" must be an array of strings)"},
        {"numeric User", with_config("User", 0).dump(), Errc::invalid_argument,
         R"(image config: config: "User" must be a string)"},
        {"array WorkingDir", with_config("WorkingDir", {"/"}).dump(), Errc::invalid_argument,
         R"(image config: config: "WorkingDir" must be a string)"},
        {"numeric label", with_config("Labels", {{"a", 1}}).dump(), Errc::invalid_argument,
         R"(image config: config: "Labels" must be an object of strings)"},
        {"ExposedPorts an array", with_config("ExposedPorts", {"80/tcp"}).dump(), Errc::invalid_argument,
         R"(image config: config: "ExposedPorts" must be an object)"},
        {"Volumes a string", with_config("Volumes", "/data").dump(), Errc::invalid_argument,
         R"(image config: config: "Volumes" must be an object)"},
        {"numeric StopSignal", with_config("StopSignal", 15).dump(), Errc::invalid_argument,
         R"(image config: config: "StopSignal" must be a string)"},
        // History.
        {"history an object", with(minimal_json(), "history", json::object()).dump(), Errc::invalid_argument,
         R"(image config: "history" must be an array of objects)"},
        {"history with a string", with(minimal_json(), "history", {"ADD"}).dump(), Errc::invalid_argument,
         R"(image config: "history" must be an array of objects)"},
        {"string empty_layer in history[1]",
         with(minimal_json(), "history", {json::object(), {{"empty_layer", "true"}}}).dump(), Errc::invalid_argument,
         R"(image config: history[1]: "empty_layer" must be a boolean)"},
        {"numeric created in history[0]", with(minimal_json(), "history", {{{"created", 0}}}).dump(),
         Errc::invalid_argument, R"(image config: history[0]: "created" must be a string)"},
        {"numeric created_by in history[0]", with(minimal_json(), "history", {{{"created_by", 0}}}).dump(),
         Errc::invalid_argument, R"(image config: history[0]: "created_by" must be a string)"},
    };
    for (const ErrorCase& c : cases) {
        CAPTURE(c.name, c.input);
        auto r = ImageConfig::parse(c.input);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == c.code);
        CHECK(r.error().what() == c.message);
    }
}

TEST_CASE("ImageConfig::to_json then parse gives an equal config") {
    SECTION("a Docker config") {
        ImageConfig c = ImageConfig::parse(k_docker_config).value();
        ImageConfig again = ImageConfig::parse(c.to_json()).value();
        check_same(again, c);
    }
    SECTION("a config made in code") {
        ImageConfig c = full_config();
        ImageConfig again = ImageConfig::parse(c.to_json()).value();
        check_same(again, c);
        // env keeps its order; it is a list, not a set.
        CHECK(again.config.env == std::vector<std::string>{"B=2", "A=1"});
    }
    SECTION("the smallest config") {
        ImageConfig c = ImageConfig::parse(minimal_json().dump()).value();
        ImageConfig again = ImageConfig::parse(c.to_json()).value();
        check_same(again, c);
    }
}

TEST_CASE("ImageConfig::to_json is deterministic") {
    CHECK(full_config().to_json() == full_config().to_json());
    ImageConfig c = ImageConfig::parse(k_docker_config).value();
    CHECK(c.to_json() == c.to_json());
    // A second trip through parse changes nothing.
    CHECK(ImageConfig::parse(c.to_json()).value().to_json() == c.to_json());

    // The same config with its keys in another order gives the same bytes.
    json shuffled = json::parse(k_docker_config);
    std::string reordered = "{";
    for (auto it = shuffled.rbegin(); it != shuffled.rend(); ++it) {
        reordered += (reordered.size() > 1 ? "," : "") + json(it.key()).dump() + ":" + it.value().dump();
    }
    reordered += "}";
    REQUIRE(reordered != shuffled.dump());
    CHECK(ImageConfig::parse(reordered).value().to_json() == c.to_json());
}

TEST_CASE("ImageConfig::to_json writes sorted keys and leaves out empty fields") {
    ImageConfig c = ImageConfig::parse(minimal_json().dump()).value();
    CHECK(c.to_json() ==
          R"({"architecture":"amd64","config":{},"os":"linux","rootfs":{"diff_ids":[],"type":"layers"}})");

    c.config.exposed_ports = {"80/tcp"};
    c.config.cmd = std::vector<std::string>{};
    c.diff_ids = {Digest::parse(k_diff_id0).value()};
    c.history = {HistoryEntry{.empty_layer = true}};
    CHECK(c.to_json() == R"({"architecture":"amd64","config":{"Cmd":[],"ExposedPorts":{"80/tcp":{}}},)"
                         R"("history":[{"empty_layer":true}],"os":"linux","rootfs":{"diff_ids":[")" +
                             k_diff_id0 + R"("],"type":"layers"}})");
}
