#include "src/build/copy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <thread>

#include "tests/build/fixtures.hpp"
#include "tests/oci/hostile_layers.hpp"

namespace fs = std::filesystem;
using namespace hoist;
using namespace hoist::build;
using hoist::test::error_of;
using hoist::test::ok;
using Type = oci::LayerEntry::Type;

namespace {

constexpr std::int64_t k_created = 1'700'000'000;

// A context directory, the base image as the stage, and the plan of steps over them.
struct Fixture {
    TempDir context_dir = test::temp_dir();
    test::Image image;
    std::unique_ptr<ImageTree> stage;
    std::string ignore;

    Fixture() { test::add_base_layer(image); }

    void put(const std::string& path, const std::string& content, unsigned mode = 0644) {
        test::put_file(context_dir.path(), path, content, mode);
    }

    ImageTree& stage_tree() {
        if (!stage) {
            stage = image.tree();
        }
        return *stage;
    }

    Result<CopyPlan> plan(CopyStep step, registry::Transport* transport = nullptr) {
        auto patterns = ok(dockerfile::Dockerignore::parse(ignore));
        auto context = ok(ContextTree::open(context_dir.path(), std::move(patterns)));
        step.created_mtime = k_created;
        return plan_copy(step, *context, stage_tree(), transport);
    }

    // The entries of a plan that must succeed, by path.
    std::map<std::string, oci::LayerEntry> entries(CopyStep step, registry::Transport* transport = nullptr) {
        auto result = ok(plan(std::move(step), transport));
        std::map<std::string, oci::LayerEntry> by_path;
        for (auto& entry : result.entries) {
            INFO(entry.path);
            CHECK_FALSE(by_path.contains(entry.path));
            by_path[entry.path] = std::move(entry);
        }
        return by_path;
    }
};

std::vector<std::string> paths_of(const std::map<std::string, oci::LayerEntry>& entries) {
    std::vector<std::string> paths;
    for (const auto& [path, entry] : entries) {
        paths.push_back(path);
    }
    return paths;
}

std::string content_of(const oci::LayerEntry& entry) {
    return entry.source.empty() ? entry.content : ok(read_file(entry.source));
}

CopyStep copy(std::vector<std::string> sources, std::string destination) {
    return CopyStep{.sources = std::move(sources), .destination = std::move(destination)};
}

}  // namespace

TEST_CASE("COPY of a directory copies its contents, and created parents are 0755 root", "[build]") {
    Fixture f;
    f.put("src/a.txt", "a", 0600);
    f.put("src/sub/b.sh", "b", 0755);
    auto entries = f.entries(copy({"src"}, "/opt/dst"));

    CHECK(paths_of(entries) == std::vector<std::string>{"opt", "opt/dst", "opt/dst/a.txt", "opt/dst/sub",
                                                         "opt/dst/sub/b.sh"});
    CHECK(entries["opt"].mode == 0755);
    CHECK(entries["opt"].mtime == k_created);
    CHECK(entries["opt/dst/a.txt"].mode == 0600);
    CHECK(entries["opt/dst/a.txt"].uid == 0);
    CHECK(content_of(entries["opt/dst/a.txt"]) == "a");
    CHECK(entries["opt/dst/sub/b.sh"].mode == 0755);
    CHECK(entries["opt/dst/sub"].type == Type::directory);
}

TEST_CASE("COPY of a file: the destination is the file, or a directory when it ends in / or exists", "[build]") {
    Fixture f;
    f.put("f.txt", "data");
    SECTION("a new name") {
        auto entries = f.entries(copy({"f.txt"}, "/srv/renamed"));
        CHECK(paths_of(entries) == std::vector<std::string>{"srv", "srv/renamed"});
    }
    SECTION("a trailing slash") {
        auto entries = f.entries(copy({"f.txt"}, "/srv/"));
        CHECK(paths_of(entries) == std::vector<std::string>{"srv", "srv/f.txt"});
    }
    SECTION("an existing directory keeps its metadata") {
        auto entries = f.entries(copy({"f.txt"}, "/app"));
        CHECK(paths_of(entries) == std::vector<std::string>{"app", "app/f.txt"});
        CHECK(entries["app"].mode == 0750);
        CHECK(entries["app"].uid == 1000);
    }
    SECTION("relative to WORKDIR") {
        auto step = copy({"f.txt"}, "sub/");
        step.workdir = "/app";
        auto entries = f.entries(step);
        CHECK(paths_of(entries) == std::vector<std::string>{"app", "app/sub", "app/sub/f.txt"});
    }
    SECTION("--link does not look at the stage") {
        auto step = copy({"f.txt"}, "/app");
        step.link = true;
        auto entries = f.entries(step);
        CHECK(paths_of(entries) == std::vector<std::string>{"app"});
        CHECK(entries["app"].type == Type::regular);
    }
    SECTION("a parent symlink of the stage is followed") {
        auto entries = f.entries(copy({"f.txt"}, "/var/run/"));
        CHECK(paths_of(entries) == std::vector<std::string>{"run", "run/f.txt"});
    }
}

TEST_CASE("COPY with wildcards matches each path component as Go's filepath.Match", "[build]") {
    Fixture f;
    f.put("a.txt", "a");
    f.put("b.txt", "b");
    f.put("c.md", "c");
    f.put("d1/x.txt", "x");
    f.put("d2/x.txt", "y");
    f.put("[x].txt", "z");
    CHECK(paths_of(f.entries(copy({"*.txt"}, "/w/"))) ==
          std::vector<std::string>{"w", "w/[x].txt", "w/a.txt", "w/b.txt"});
    CHECK(paths_of(f.entries(copy({"d?/x.txt"}, "/w/"))) == std::vector<std::string>{"w", "w/x.txt"});
    CHECK(paths_of(f.entries(copy({"[ab].txt", "c.*"}, "/w/"))) ==
          std::vector<std::string>{"w", "w/a.txt", "w/b.txt", "w/c.md"});
    CHECK(paths_of(f.entries(copy({"\\[x\\].txt"}, "/w"))) == std::vector<std::string>{"w"});
    // A wildcard that matches nothing copies nothing (BuildKit's testEmptyWildcard).
    CHECK(paths_of(f.entries(copy({"a.txt", "*.none"}, "/w/"))) == std::vector<std::string>{"w", "w/a.txt"});
}

TEST_CASE("COPY refuses several sources into a destination that is not a directory", "[build]") {
    Fixture f;
    f.put("a.txt", "a");
    f.put("b.txt", "b");
    std::string message =
        "When using COPY with more than one source file, the destination must be a directory and end with a /";
    CHECK(error_of(f.plan(copy({"a.txt", "b.txt"}, "/dst"))) == message);
    CHECK(error_of(f.plan(copy({"*.txt"}, "/dst"))) == message);
    CHECK(paths_of(f.entries(copy({"a.txt", "b.txt"}, "/app"))) ==
          std::vector<std::string>{"app", "app/a.txt", "app/b.txt"});
}

TEST_CASE("COPY names a missing source in Docker's words", "[build]") {
    Fixture f;
    auto missing = f.plan(copy({"missing.txt"}, "/"));
    CHECK(error_of(missing) == "\"/missing.txt\": not found");
    CHECK(missing.error().code() == Errc::not_found);
    CHECK(error_of(f.plan(copy({}, "/"))) == "no source files were specified");
    // A source cannot leave the context: "../x" is the context's "x".
    f.put("x", "inside");
    CHECK(paths_of(f.entries(copy({"../../x"}, "/y"))) == std::vector<std::string>{"y"});
}

TEST_CASE("COPY leaves out what .dockerignore excludes and keeps what it re-includes", "[build]") {
    Fixture f;
    f.put("keep.txt", "k");
    f.put("build/out.o", "o");
    f.put("build/keep.txt", "kk");
    f.put("notes.tmp", "t");
    f.ignore = "build\n*.tmp\n!build/keep.txt\n";
    CHECK(paths_of(f.entries(copy({"."}, "/c/"))) ==
          std::vector<std::string>{"c", "c/build", "c/build/keep.txt", "c/keep.txt"});
    CHECK(error_of(f.plan(copy({"notes.tmp"}, "/c/"))) == "\"/notes.tmp\": not found");
}

TEST_CASE("COPY --exclude drops matches relative to each source", "[build]") {
    Fixture f;
    f.put("src/a.txt", "a");
    f.put("src/b.log", "b");
    f.put("src/deep/c.log", "c");
    f.put("src/deep/d.txt", "d");
    auto step = copy({"src"}, "/e/");
    step.excludes = {"*.log", "deep/*.log"};
    CHECK(paths_of(f.entries(step)) == std::vector<std::string>{"e", "e/a.txt", "e/deep", "e/deep/d.txt"});
    auto wildcard = copy({"src/*"}, "/w/");
    wildcard.excludes = {"*.log"};
    // src/deep is a source of its own: its c.log matches "*.log" relative to it.
    CHECK(paths_of(f.entries(wildcard)) == std::vector<std::string>{"w", "w/a.txt", "w/d.txt"});
}

TEST_CASE("COPY --parents keeps each source's path, below a /./ pivot when there is one", "[build]") {
    Fixture f;
    f.put("a/b/file.txt", "f");
    f.put("x/a/other.txt", "o");
    auto step = copy({"a/b/file.txt"}, "/dst/");
    step.parents = true;
    CHECK(paths_of(f.entries(step)) ==
          std::vector<std::string>{"dst", "dst/a", "dst/a/b", "dst/a/b/file.txt"});
    auto pivot = copy({"x/./a/other.txt"}, "/dst/");
    pivot.parents = true;
    CHECK(paths_of(f.entries(pivot)) == std::vector<std::string>{"dst", "dst/a", "dst/a/other.txt"});
    auto directory = copy({"x/./a"}, "/dst/");
    directory.parents = true;
    CHECK(paths_of(f.entries(directory)) == std::vector<std::string>{"dst", "dst/a", "dst/a/other.txt"});
}

TEST_CASE("COPY --chown resolves names in the stage and owns created parents, not existing ones", "[build]") {
    Fixture f;
    f.put("dir/f.txt", "f");
    auto step = copy({"dir"}, "/tmp/new/place");
    step.chown = "app:staff";
    auto entries = f.entries(step);
    CHECK(paths_of(entries) == std::vector<std::string>{"tmp", "tmp/new", "tmp/new/place", "tmp/new/place/f.txt"});
    CHECK(entries["tmp"].mode == 01777);
    CHECK(entries["tmp"].uid == 0);
    CHECK(entries["tmp/new"].uid == 1000);
    CHECK(entries["tmp/new"].gid == 50);
    CHECK(entries["tmp/new"].mode == 0755);
    CHECK(entries["tmp/new/place"].uid == 1000);
    CHECK(entries["tmp/new/place/f.txt"].uid == 1000);
    CHECK(entries["tmp/new/place/f.txt"].gid == 50);

    auto numeric = copy({"dir/f.txt"}, "/n");
    numeric.chown = "123:456";
    auto by_id = f.entries(numeric);
    CHECK(by_id["n"].uid == 123);
    CHECK(by_id["n"].gid == 456);

    auto unknown = copy({"dir/f.txt"}, "/n");
    unknown.chown = "nobody";
    CHECK(error_of(f.plan(unknown)) == "unable to find user nobody: no matching entries in passwd file");
}

TEST_CASE("COPY --chmod sets the bits of copied files and directories but not of existing parents", "[build]") {
    Fixture f;
    f.put("dir/f.txt", "f", 0600);
    f.put("dir/sub/g", "g");
    auto step = copy({"dir"}, "/tmp/c");
    step.chmod = 0751;
    auto entries = f.entries(step);
    CHECK(entries["tmp"].mode == 01777);
    CHECK(entries["tmp/c"].mode == 0751);
    CHECK(entries["tmp/c/f.txt"].mode == 0751);
    CHECK(entries["tmp/c/sub"].mode == 0751);
    CHECK(entries["tmp/c/sub/g"].mode == 0751);
}

TEST_CASE("COPY follows a symlink named as a source and keeps symlinks inside directories", "[build]") {
    Fixture f;
    f.put("real/file.txt", "r");
    fs::create_symlink("real/file.txt", f.context_dir.path() / "named");
    fs::create_symlink("file.txt", f.context_dir.path() / "real/inner");
    auto named = f.entries(copy({"named"}, "/s/"));
    CHECK(named["s/named"].type == Type::regular);
    CHECK(content_of(named["s/named"]) == "r");
    auto tree = f.entries(copy({"real"}, "/t"));
    CHECK(tree["t/inner"].type == Type::symlink);
    CHECK(tree["t/inner"].link_target == "file.txt");
}

TEST_CASE("COPY keeps hardlinks of one copy as hardlinks to the first name", "[build]") {
    Fixture f;
    f.put("d/z", "same");
    REQUIRE(::link((f.context_dir.path() / "d/z").c_str(), (f.context_dir.path() / "d/a").c_str()) == 0);
    auto entries = f.entries(copy({"d"}, "/h"));
    CHECK(entries["h/a"].type == Type::regular);
    CHECK(content_of(entries["h/a"]) == "same");
    CHECK(entries["h/z"].type == Type::hardlink);
    CHECK(entries["h/z"].link_target == "h/a");
}

TEST_CASE("COPY --from an image keeps owners and takes contents from its layers", "[build]") {
    Fixture f;
    test::Image other;
    other.add({test::dir_entry("usr"), test::file_entry("usr/bin/tool", "binary", 04755, 5),
               test::link_entry("usr/bin/alias", "tool")});
    auto from = other.tree();
    auto plan = ok(plan_copy(copy({"/usr/bin"}, "/usr/local/bin/"), *from, f.stage_tree(), nullptr));
    std::map<std::string, oci::LayerEntry> entries;
    for (auto& entry : plan.entries) {
        entries[entry.path] = entry;
    }
    CHECK(entries["usr/local/bin/tool"].uid == 5);
    CHECK(entries["usr/local/bin/tool"].mode == 04755);
    CHECK(content_of(entries["usr/local/bin/tool"]) == "binary");
    CHECK(entries["usr/local/bin/alias"].type == Type::symlink);
}

TEST_CASE("ADD extracts a local tar archive into the destination directory", "[build]") {
    Fixture f;
    auto bytes = test::tar({test::dir("pkg"), test::file("pkg/data", "payload", 0640),
                            test::symlink_to("pkg/link", "data"), test::hardlink_to("pkg/again", "pkg/data")},
                           ARCHIVE_FILTER_GZIP);
    f.put("pkg.tar.gz", bytes);
    auto step = copy({"pkg.tar.gz"}, "/opt");
    step.add = true;
    auto entries = f.entries(step);
    CHECK(paths_of(entries) ==
          std::vector<std::string>{"opt", "opt/pkg", "opt/pkg/again", "opt/pkg/data", "opt/pkg/link"});
    CHECK(entries["opt/pkg/again"].type == Type::regular);
    CHECK(content_of(entries["opt/pkg/again"]) == "payload");
    CHECK(entries["opt/pkg/data"].type == Type::hardlink);
    CHECK(entries["opt/pkg/data"].link_target == "opt/pkg/again");
    CHECK(entries["opt/pkg/link"].link_target == "data");

    SECTION("--unpack=false copies the archive") {
        step.unpack = false;
        auto copied = f.entries(step);
        CHECK(paths_of(copied) == std::vector<std::string>{"opt"});
        CHECK(content_of(copied["opt"]) == bytes);
    }
    SECTION("COPY never extracts") {
        step.add = false;
        CHECK(paths_of(f.entries(step)) == std::vector<std::string>{"opt"});
    }
}

TEST_CASE("ADD refuses archives whose entries would leave the destination", "[build]") {
    Fixture f;
    auto add = [&](std::vector<test::TarEntry> entries) {
        f.put("evil.tar", test::tar(entries));
        auto step = copy({"evil.tar"}, "/x/");
        step.add = true;
        auto result = f.plan(step);
        CHECK(result.error().code() == Errc::unsafe);
        return error_of(result);
    };
    CHECK(add({test::file("../escape")}) == "ADD \"/evil.tar\": archive entry \"../escape\" has a \"..\" component");
    CHECK(add({test::file("/etc/passwd")}) == "ADD \"/evil.tar\": archive entry \"/etc/passwd\" has an absolute path");
    CHECK(add({test::symlink_to("up", "../../etc")}) ==
          "ADD \"/evil.tar\": archive entry \"up\" is a symlink to \"../../etc\", outside the archive");
    CHECK(add({test::symlink_to("l", "/etc"), test::file("l/passwd")}) ==
          "ADD \"/evil.tar\": archive entry \"l/passwd\" is below a symlink of the archive");
}

TEST_CASE("A heredoc source is a 0644 file named after its delimiter", "[build]") {
    Fixture f;
    CopyStep step{.inline_files = {{.name = "run.sh", .data = "echo hi\n"}}, .destination = "/scripts/"};
    auto entries = f.entries(step);
    CHECK(paths_of(entries) == std::vector<std::string>{"scripts", "scripts/run.sh"});
    CHECK(entries["scripts/run.sh"].mode == 0644);
    CHECK(entries["scripts/run.sh"].mtime == k_created);
    CHECK(content_of(entries["scripts/run.sh"]) == "echo hi\n");
    step.destination = "/named";
    CHECK(paths_of(f.entries(step)) == std::vector<std::string>{"named"});
}

TEST_CASE("plan_workdir makes the missing directories and nothing for an existing one", "[build]") {
    Fixture f;
    CHECK(ok(plan_workdir("/app", f.stage_tree(), Owner{}, k_created)).empty());
    CHECK(ok(plan_workdir("/var/run", f.stage_tree(), Owner{}, k_created)).empty());
    auto entries = ok(plan_workdir("/tmp/work/dir", f.stage_tree(), Owner{.uid = 1000, .gid = 1001}, k_created));
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].path == "tmp");
    CHECK(entries[0].mode == 01777);
    CHECK(entries[1].path == "tmp/work");
    CHECK(entries[1].uid == 1000);
    CHECK(entries[2].path == "tmp/work/dir");
    CHECK(entries[2].gid == 1001);
    CHECK(entries[2].mtime == k_created);
}

TEST_CASE("content_digest changes with a file's content and with nothing else", "[build]") {
    Fixture f;
    f.put("src/a", "one");
    f.put("src/b", "two");
    auto digest = [&f] { return ok(ok(f.plan(copy({"src"}, "/d"))).content_digest.get()); };
    auto first = digest();
    CHECK(digest() == first);
    f.put("src/a", "ONE");
    CHECK(digest() != first);
    f.put("src/a", "one");
    CHECK(digest() == first);
}

// --- ADD of URLs, against a one-response HTTP server on the loopback interface -------------

namespace {

// Answers every connection with the same response, until destroyed.
class HttpServer {
public:
    explicit HttpServer(std::string body) : m_body(std::move(body)) {
        m_socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(m_socket >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(m_socket, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(m_socket, 8) == 0);
        socklen_t length = sizeof address;
        REQUIRE(::getsockname(m_socket, reinterpret_cast<sockaddr*>(&address), &length) == 0);
        m_port = ntohs(address.sin_port);
        m_thread = std::thread([this] { serve(); });
    }
    ~HttpServer() {
        ::shutdown(m_socket, SHUT_RDWR);
        m_thread.join();
        ::close(m_socket);
    }
    std::string url(std::string_view path) const {
        return "http://127.0.0.1:" + std::to_string(m_port) + std::string(path);
    }

private:
    void serve() {
        for (;;) {
            int client = ::accept(m_socket, nullptr, nullptr);
            if (client < 0) {
                return;
            }
            std::string request;
            char buffer[4096];
            while (request.find("\r\n\r\n") == std::string::npos) {
                ssize_t n = ::read(client, buffer, sizeof buffer);
                if (n <= 0) {
                    break;
                }
                request.append(buffer, static_cast<std::size_t>(n));
            }
            std::string response = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(m_body.size()) +
                                   "\r\nLast-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\nConnection: close\r\n\r\n" +
                                   m_body;
            for (std::size_t sent = 0; sent < response.size();) {
                ssize_t n = ::write(client, response.data() + sent, response.size() - sent);
                if (n <= 0) {
                    break;
                }
                sent += static_cast<std::size_t>(n);
            }
            ::close(client);
        }
    }

    std::string m_body;
    int m_socket = -1;
    int m_port = 0;
    std::thread m_thread;
};

}  // namespace

TEST_CASE("ADD fetches a URL, checks --checksum and never extracts it", "[build]") {
    Fixture f;
    std::string body = test::tar({test::file("inside", "x")});
    HttpServer server(body);
    registry::Transport transport(registry::TransportOptions{.attempts = 1});
    auto digest = oci::Digest::of(body).to_string();

    auto step = copy({server.url("/files/pkg.tar?v=1")}, "/dl/");
    step.add = true;
    step.checksum = digest;
    auto entries = f.entries(step, &transport);
    CHECK(paths_of(entries) == std::vector<std::string>{"dl", "dl/pkg.tar"});
    CHECK(entries["dl/pkg.tar"].mode == 0600);
    CHECK(entries["dl/pkg.tar"].mtime == 1445412480);
    CHECK(content_of(entries["dl/pkg.tar"]) == body);

    auto named = copy({server.url("/files/pkg.tar")}, "/opt/file");
    named.add = true;
    CHECK(paths_of(f.entries(named, &transport)) == std::vector<std::string>{"opt", "opt/file"});

    std::string wrong = oci::Digest::of("other").to_string();
    step.checksum = wrong;
    auto mismatch = f.plan(step, &transport);
    CHECK(error_of(mismatch) == "checksum mismatch: expected " + wrong + ", got " + digest);
    CHECK(mismatch.error().code() == Errc::digest_mismatch);
}
