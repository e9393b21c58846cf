#include "src/build/tree.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/build/fixtures.hpp"

namespace fs = std::filesystem;
using namespace hoist;
using namespace hoist::build;
using hoist::test::error_of;
using hoist::test::ok;
using Type = oci::LayerEntry::Type;

namespace {

std::unique_ptr<ContextTree> context(const fs::path& dir, std::string_view ignore = "") {
    auto patterns = ok(dockerfile::Dockerignore::parse(ignore));
    return ok(ContextTree::open(dir, std::move(patterns)));
}

std::string content_of(Tree& tree, const std::string& path) {
    auto entry = ok(tree.lstat(path));
    REQUIRE(entry);
    std::vector<oci::LayerEntry> entries{*entry};
    ok(tree.materialize(entries, {entry->path}));
    if (entries[0].source.empty()) {
        return entries[0].content;
    }
    return ok(read_file(entries[0].source));
}

}  // namespace

TEST_CASE("ContextTree lists sorted names and stats without following the last symlink", "[build]") {
    auto dir = test::temp_dir();
    test::put_file(dir.path(), "b.txt", "b");
    test::put_file(dir.path(), "a/x.txt", "x", 0600);
    fs::create_symlink("/a", dir.path() / "link");
    auto tree = context(dir.path());

    CHECK(ok(tree->list("")) == std::vector<std::string>{"a", "b.txt", "link"});
    auto link = ok(tree->lstat("link"));
    REQUIRE(link);
    CHECK(link->type == Type::symlink);
    CHECK(link->link_target == "/a");
    // A parent symlink is followed, its absolute target taken inside the context.
    auto file = ok(tree->lstat("/link/x.txt"));
    REQUIRE(file);
    CHECK(file->path == "a/x.txt");
    CHECK(file->mode == 0600);
    CHECK(content_of(*tree, "link/x.txt") == "x");
    CHECK_FALSE(ok(tree->lstat("missing")));
    CHECK_FALSE(ok(tree->lstat("b.txt/under")));
}

TEST_CASE("ContextTree hides what .dockerignore excludes, but not a directory something under it re-includes",
          "[build]") {
    auto dir = test::temp_dir();
    test::put_file(dir.path(), "keep.txt", "k");
    test::put_file(dir.path(), "secret.key", "s");
    test::put_file(dir.path(), "logs/a.log", "a");
    test::put_file(dir.path(), "docs/skip.md", "x");
    test::put_file(dir.path(), "docs/README.md", "r");
    auto tree = context(dir.path(), "*.key\nlogs\ndocs\n!docs/README.md\n");

    CHECK(ok(tree->list("")) == std::vector<std::string>{"docs", "keep.txt"});
    CHECK_FALSE(ok(tree->lstat("secret.key")));
    CHECK_FALSE(ok(tree->lstat("logs/a.log")));
    CHECK(ok(tree->lstat("docs")));
    CHECK(ok(tree->list("docs")) == std::vector<std::string>{"README.md"});
    CHECK_FALSE(ok(tree->lstat("docs/skip.md")));
}

TEST_CASE("ContextTree gives the names of one file a shared key", "[build]") {
    auto dir = test::temp_dir();
    test::put_file(dir.path(), "a", "same");
    REQUIRE(::link((dir.path() / "a").c_str(), (dir.path() / "b").c_str()) == 0);
    test::put_file(dir.path(), "c", "other");
    auto tree = context(dir.path());
    auto a = ok(tree->lstat("a"));
    auto b = ok(tree->lstat("b"));
    auto c = ok(tree->lstat("c"));
    CHECK_FALSE(a->link_target.empty());
    CHECK(a->link_target == b->link_target);
    CHECK(c->link_target.empty());
}

TEST_CASE("ContextTree::open refuses what is not a directory", "[build]") {
    auto dir = test::temp_dir();
    test::put_file(dir.path(), "file", "x");
    auto result = ContextTree::open(dir.path() / "file", dockerfile::Dockerignore());
    CHECK(result.error().code() == Errc::not_found);
}

TEST_CASE("ImageTree applies whiteouts and opaque directories of upper layers", "[build]") {
    test::Image image;
    image.add({test::file_entry("a/gone.txt", "1"), test::file_entry("a/kept.txt", "2"),
               test::file_entry("o/lower.txt", "3"), test::dir_entry("o/sub")});
    image.add({oci::LayerEntry::whiteout("a/gone.txt"), oci::LayerEntry::opaque("o"),
               test::file_entry("o/upper.txt", "4")});
    auto tree = image.tree();

    CHECK(ok(tree->list("a")) == std::vector<std::string>{"kept.txt"});
    CHECK_FALSE(ok(tree->lstat("a/gone.txt")));
    CHECK(ok(tree->list("o")) == std::vector<std::string>{"upper.txt"});
    CHECK(content_of(*tree, "o/upper.txt") == "4");
    CHECK(content_of(*tree, "a/kept.txt") == "2");
}

TEST_CASE("ImageTree keeps metadata and follows parent symlinks inside the image", "[build]") {
    test::Image image;
    test::add_base_layer(image);
    image.add({test::file_entry("run/app.pid", "42", 0600, 7)});
    auto tree = image.tree();

    auto tmp = ok(tree->lstat("/tmp"));
    REQUIRE(tmp);
    CHECK(tmp->type == Type::directory);
    CHECK(tmp->mode == 01777);
    auto pid = ok(tree->lstat("var/run/app.pid"));
    REQUIRE(pid);
    CHECK(pid->path == "run/app.pid");
    CHECK(pid->uid == 7);
    CHECK(pid->mode == 0600);
    auto app = ok(tree->lstat("app"));
    CHECK(app->uid == 1000);
    CHECK(app->mode == 0750);
}

TEST_CASE("ImageTree materializes files from their layers, hardlinks included", "[build]") {
    test::Image image;
    std::string big(300000, 'z');
    image.add({test::file_entry("bin/tool", big, 0755), test::file_entry("etc/conf", "one")});
    image.add({test::file_entry("etc/conf", "two"),
               test::link_entry("bin/alias", "bin/tool", Type::hardlink)});
    auto tree = image.tree();

    CHECK(content_of(*tree, "bin/tool") == big);
    CHECK(content_of(*tree, "bin/alias") == big);
    CHECK(content_of(*tree, "etc/conf") == "two");
    auto tool = ok(tree->lstat("bin/tool"));
    auto alias = ok(tree->lstat("bin/alias"));
    CHECK(alias->type == Type::regular);
    CHECK(alias->mode == 0755);
    CHECK_FALSE(tool->link_target.empty());
    CHECK(tool->link_target == alias->link_target);
}

TEST_CASE("ImageTree::read_file follows symlinks and refuses what is over the limit", "[build]") {
    test::Image image;
    image.add({test::file_entry("real/passwd", "root:x:0:0::/:/bin/sh\n"), test::link_entry("etc", "real")});
    auto tree = image.tree();
    CHECK(ok(tree->read_file("/etc/passwd")) == "root:x:0:0::/:/bin/sh\n");
    CHECK_FALSE(ok(tree->read_file("etc/missing")));
    CHECK(error_of(tree->read_file("etc/passwd", 4)) == "\"/etc/passwd\": larger than the limit of 4 bytes");
}

TEST_CASE("ImageTree::add_layer applies a build step's entries on top", "[build]") {
    test::Image image;
    test::add_base_layer(image);
    auto tree = image.tree();
    auto scratch = test::temp_dir();
    test::put_file(scratch.path(), "content", "from disk");
    oci::LayerEntry from_disk{.path = "var/run/x", .mode = 0640};
    from_disk.source = scratch.path() / "content";
    tree->add_layer({from_disk, test::file_entry("new/inline", "inline"), oci::LayerEntry::whiteout("etc/group")});

    CHECK(content_of(*tree, "run/x") == "from disk");
    CHECK(content_of(*tree, "new/inline") == "inline");
    CHECK_FALSE(ok(tree->lstat("etc/group")));
    CHECK(ok(tree->lstat("new"))->mode == 0755);
}

TEST_CASE("An ImageTree of no layers is empty", "[build]") {
    test::Image image;
    auto tree = image.tree();
    CHECK(ok(tree->list("")).empty());
    CHECK_FALSE(ok(tree->read_file("etc/passwd")));
}

TEST_CASE("resolve_owner reads names from the image's passwd and group files", "[build]") {
    test::Image image;
    test::add_base_layer(image);
    auto tree = image.tree();

    auto check = [&](std::string_view spec, std::uint32_t uid, std::uint32_t gid) {
        INFO(spec);
        auto owner = ok(resolve_owner(*tree, spec));
        CHECK(owner.uid == uid);
        CHECK(owner.gid == gid);
    };
    check("app", 1000, 1001);
    check("app:staff", 1000, 50);
    check("app:7", 1000, 7);
    // A numeric user is its own group, as BuildKit resolves it.
    check("1000", 1000, 1000);
    check("4242", 4242, 4242);
    check("4242:4343", 4242, 4343);
    check("root:apps", 0, 1001);
    check("", 0, 0);
    CHECK(error_of(resolve_owner(*tree, "nobody")) ==
          "unable to find user nobody: no matching entries in passwd file");
    CHECK(error_of(resolve_owner(*tree, "app:nogroup")) ==
          "unable to find group nogroup: no matching entries in group file");
    CHECK(resolve_owner(*tree, "nobody").error().code() == Errc::not_found);
}
