#include "src/dockerfile/dockerignore.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "oci/file.hpp"

using hoist::Errc;
using hoist::dockerfile::Dockerignore;

namespace {

Dockerignore ignore_file(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines) {
        text += line + "\n";
    }
    auto parsed = Dockerignore::parse(text);
    REQUIRE(parsed);
    return std::move(*parsed);
}

std::string parse_error(std::string_view text) {
    auto parsed = Dockerignore::parse(text, "ctx/.dockerignore");
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code() == Errc::invalid_argument);
    return parsed.error().what();
}

struct Case {
    std::vector<std::string> lines;
    std::string path;
    bool excluded;
};

}  // namespace

TEST_CASE("Dockerignore excludes as Docker documents and patternmatcher tests", "[dockerfile]") {
    const std::vector<Case> cases = {
        // docs.docker.com, "dockerignore file": its example, line by line.
        {{"*/temp*"}, "somedir/temporary.txt", true},
        {{"*/temp*"}, "somedir/temp", true},
        {{"*/temp*"}, "somedir/temp/inside", true},
        {{"*/temp*"}, "temp", false},
        {{"*/temp*"}, "a/b/temp", false},
        {{"*/*/temp*"}, "somedir/subdir/temporary.txt", true},
        {{"*/*/temp*"}, "somedir/temporary.txt", false},
        {{"temp?"}, "tempa", true},
        {{"temp?"}, "temp", false},
        {{"temp?"}, "tempab", false},
        {{"temp?"}, "dir/tempa", false},
        {{"**/*.go"}, "main.go", true},
        {{"**/*.go"}, "a/b/c.go", true},
        {{"**/*.go"}, "a/b/c.golang", false},
        // Exceptions, and their order.
        {{"*.md", "!README.md"}, "README.md", false},
        {{"*.md", "!README.md"}, "CHANGES.md", true},
        {{"*.md", "!README.md"}, "docs/guide.md", false},
        {{"*.md", "!README*.md", "README-secret.md"}, "README-secret.md", true},
        {{"*.md", "!README*.md", "README-secret.md"}, "README-public.md", false},
        {{"*.md", "README-secret.md", "!README*.md"}, "README-secret.md", false},
        {{"!keep", "*"}, "keep", true},
        {{"**", "!util/docker/web"}, "util/docker/web/foo", false},
        {{"**", "!util/docker/web", "util/docker/web/foo"}, "util/docker/web/foo", true},
        {{"**", "!dist/*.whl"}, "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false},
        // A directory's pattern excludes what is under it; an exception can take part of it back.
        {{"docs"}, "docs/sub/file", true},
        {{"docs", "!docs/README.md"}, "docs/README.md", false},
        {{"docs", "!docs/README.md"}, "docs/other.md", true},
        {{"docs/", "!docs/README.md"}, "docs/README.md", false},
        {{"docs/*", "!docs/README.md"}, "docs/README.md", false},
        {{"dir", "!dir/*.txt"}, "dir/a.txt", false},
        {{"dir", "!dir/*.txt"}, "dir/a.md", true},
        // Preprocessing: comments in the first column only, trimming, filepath.Clean, leading '/'.
        {{"# comment", "  # not a comment"}, "# not a comment", true},
        {{"# comment"}, "# comment", false},
        {{"  spaced\t"}, "spaced", true},
        {{"\u00a0nbsp\u00a0"}, "nbsp", true},
        {{"/foo/bar/"}, "foo/bar", true},
        {{"/foo/bar/"}, "foo/bar/baz", true},
        {{"foo/../bar"}, "bar", true},
        {{"foo/../bar"}, "foo", false},
        {{"./a//b/"}, "a/b", true},
        {{"", "   ", "\t"}, "anything", false},
        {{"! keep", "*"}, "keep", true},
        // patternmatcher's `**` cases.
        {{"**"}, "file", true},
        {{"**"}, "dir/file", true},
        {{"**/"}, "file", true},
        {{"**/**"}, "dir/file", true},
        {{"dir/**"}, "dir", false},
        {{"dir/**"}, "dir/file", true},
        {{"dir/**"}, "dir/dir2/file", true},
        {{"**/dir"}, "dir", true},
        {{"**/dir"}, "a/dir/file", true},
        {{"**/dir2/*"}, "dir/dir2/file", true},
        {{"**/dir2/**"}, "dir/dir2/dir3/file", true},
        {{"**file"}, "dir/dir/file", true},
        {{"**file"}, "dir/myfile", true},
        {{"**/file*.txt*"}, "dir/dir/file.txt", true},
        {{"**/**/*.txt2"}, "dir/dir/file.txt", false},
        {{"a**/*.txt"}, "a/dir/dir/file.txt", true},
        {{"a/*.txt"}, "a/dir/file.txt", false},
        {{"a/*.txt**"}, "a/file.txt", true},
        {{"**/foo/bar"}, "dir/dir2/foo/bar", true},
        {{"**/.foo"}, ".foo", true},
        {{"**/.foo"}, "bar.foo", false},
        // filepath.Match syntax: classes, '?', '*' not crossing '/', escapes, literal regexp characters.
        {{"a[b-d]e"}, "ace", true},
        {{"a[b-d]e"}, "aae", false},
        {{"a[^b-d]e"}, "aze", true},
        {{"a[^b-d]e"}, "ace", false},
        {{"[\\]a]"}, "]", true},
        {{"[\\-x]"}, "-", true},
        {{"[x\\-]"}, "z", false},
        {{"a?b"}, "a☺b", true},
        {{"a???b"}, "a☺b", false},
        {{"a?b"}, "a/b", false},
        {{"a*b"}, "a/b", false},
        {{"a*b*c*d*e*/f"}, "axbxcxdxexxx/f", true},
        {{"a*b?c*x"}, "abxbbxdbxebxczzy", false},
        {{"a\\*b"}, "a*b", true},
        {{"a\\*b"}, "axb", false},
        {{"a\\\\"}, "a\\", true},
        {{".*"}, ".foo", true},
        {{".*"}, "foo", false},
        {{"abc.def"}, "abcZdef", false},
        {{"abc?def"}, "abcZdef", true},
        {{"a(b)c/def"}, "a(b)c/def", true},
        {{"a.|)$(}+{bc"}, "a.|)$(}+{bc", true},
        {{"*.MD"}, "README.md", false},
        // Quirks of Docker's: a '!' that appears after cleaning makes an exception.
        {{"*", "/!keep"}, "keep", false},
    };
    for (const auto& c : cases) {
        INFO("patterns: " << Catch::Detail::stringify(c.lines) << ", path: " << c.path);
        CHECK(ignore_file(c.lines).excluded(c.path) == c.excluded);
    }
}

TEST_CASE("Dockerignore::parse reads comments, a BOM, CRLF and cleans each pattern", "[dockerfile]") {
    auto parsed = Dockerignore::parse(
        "\xEF\xBB\xBF"
        "first\r\n#comment\r\n  !  /a/./b/../c/  \r\n\r\nlast",
        "f");
    REQUIRE(parsed);
    const auto& patterns = parsed->patterns();
    REQUIRE(patterns.size() == 3);
    CHECK(patterns[0].text == "first");
    CHECK_FALSE(patterns[0].exception);
    CHECK(patterns[0].line == 1);
    CHECK(patterns[1].text == "a/c");
    CHECK(patterns[1].exception);
    CHECK(patterns[1].line == 3);
    CHECK(patterns[2].text == "last");
    CHECK(patterns[2].line == 5);
    CHECK(parsed->source() == "f");
}

TEST_CASE("Dockerignore::parse rejects malformed patterns with the file and line", "[dockerfile]") {
    CHECK(parse_error("!\n") == "ctx/.dockerignore:1: illegal exclusion pattern: \"!\"");
    CHECK(parse_error("!/\n") == "ctx/.dockerignore:1: illegal exclusion pattern: \"!\"");
    CHECK(parse_error("ok\n# c\n[x\n") == "ctx/.dockerignore:3: syntax error in pattern \"[x\"");
    CHECK(parse_error("a\\") == "ctx/.dockerignore:1: syntax error in pattern \"a\\\\\"");
    CHECK(parse_error("[]a]") == "ctx/.dockerignore:1: syntax error in pattern \"[]a]\"");
    CHECK(parse_error("[a-b-c]") == "ctx/.dockerignore:1: syntax error in pattern \"[a-b-c]\"");
    // Valid for filepath.Match, refused by the regular expression Docker compiles it to.
    CHECK(parse_error("[Local-Only]/") ==
          "ctx/.dockerignore:1: syntax error in pattern \"[Local-Only]\": invalid character class range");
    CHECK(parse_error(std::string(65536, 'a')) ==
          "ctx/.dockerignore:1: line longer than Docker's limit of 65535 bytes");
    CHECK(Dockerignore::parse(std::string(65535, 'a')));
}

TEST_CASE("Dockerignore::match with the directory's Match gives the walker's answers", "[dockerfile]") {
    auto ignore = ignore_file({"build", "!build/keep", "*.log"});
    auto build = ignore.match("build", nullptr);
    CHECK(build.excluded());
    CHECK(ignore.match("build/keep", &build).excluded() == false);
    CHECK(ignore.match("build/other", &build).excluded());
    auto src = ignore.match("src", nullptr);
    CHECK_FALSE(src.excluded());
    CHECK(ignore.match("src/x.log", &src).excluded() == false);  // *.log is for the root only
    CHECK(ignore.match("x.log", nullptr).excluded());
    // Without the directory's Match, the directories of the path are tried.
    CHECK(ignore.match("build/deep/file", nullptr).excluded());
}

TEST_CASE("Dockerignore::may_reinclude_under tells which excluded directories BuildKit skips", "[dockerfile]") {
    CHECK_FALSE(ignore_file({"dir"}).may_reinclude_under("dir"));
    auto keep = ignore_file({"dir", "!dir/sub/keep"});
    CHECK(keep.may_reinclude_under("dir"));
    CHECK(keep.may_reinclude_under("dir/sub"));
    CHECK_FALSE(keep.may_reinclude_under("dir/other"));
    CHECK_FALSE(keep.may_reinclude_under("dir/su"));
    auto trailing = ignore_file({"dir", "!dir/sub/**"});
    CHECK(trailing.may_reinclude_under("dir/sub"));
    CHECK_FALSE(trailing.may_reinclude_under("dir/subx"));
    // A wildcard in an exception could match anywhere: every excluded directory is walked.
    CHECK(ignore_file({"dir", "!*.txt"}).may_reinclude_under("dir/any"));
}

TEST_CASE("Dockerignore::excluded never excludes the root and cleans the path", "[dockerfile]") {
    auto everything = ignore_file({"**"});
    CHECK_FALSE(everything.excluded("."));
    CHECK_FALSE(everything.excluded(""));
    CHECK(everything.excluded("./a/"));
    auto docs = ignore_file({"docs"});
    CHECK(docs.excluded("/docs//x"));
    CHECK_FALSE(Dockerignore().excluded("anything"));
}

TEST_CASE("Dockerignore::load prefers <Dockerfile>.dockerignore to the context's .dockerignore", "[dockerfile]") {
    auto dir = hoist::TempDir::create(hoist::temp_directory()).value();
    auto context = dir.path() / "context";
    auto elsewhere = dir.path() / "elsewhere";
    REQUIRE(hoist::make_directories(context));
    REQUIRE(hoist::make_directories(elsewhere));
    auto dockerfile = elsewhere / "app.Dockerfile";

    auto none = Dockerignore::load(context, dockerfile);
    REQUIRE(none);
    CHECK(none->empty());
    CHECK(none->source().empty());

    REQUIRE(hoist::write_file_atomic(context / ".dockerignore", "from-context\n"));
    auto root = Dockerignore::load(context, dockerfile);
    REQUIRE(root);
    CHECK(root->source() == (context / ".dockerignore").string());
    CHECK(root->excluded("from-context"));

    REQUIRE(hoist::write_file_atomic(elsewhere / "app.Dockerfile.dockerignore", "beside\n"));
    auto beside = Dockerignore::load(context, dockerfile);
    REQUIRE(beside);
    CHECK(beside->source() == (elsewhere / "app.Dockerfile.dockerignore").string());
    CHECK(beside->excluded("beside"));
    CHECK_FALSE(beside->excluded("from-context"));

    // Even empty, the Dockerfile's own file wins.
    REQUIRE(hoist::write_file_atomic(elsewhere / "app.Dockerfile.dockerignore", ""));
    auto empty = Dockerignore::load(context, dockerfile);
    REQUIRE(empty);
    CHECK(empty->empty());
    CHECK_FALSE(empty->excluded("from-context"));

    // Without a Dockerfile, or with a directory where the file would be, the context's is used.
    CHECK(Dockerignore::load(context, "").value().excluded("from-context"));
    std::filesystem::remove(elsewhere / "app.Dockerfile.dockerignore");
    REQUIRE(hoist::make_directories(elsewhere / "app.Dockerfile.dockerignore"));
    CHECK(Dockerignore::load(context, dockerfile).value().excluded("from-context"));
}
