#include "oci/tar.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "oci/file.hpp"

namespace fs = std::filesystem;
using namespace hoist;
using namespace hoist::oci;

namespace {

struct TarEntry {
    std::string name;
    std::string data;
    unsigned type = AE_IFREG;
    std::string link;
};

// Writes `entries` as a tar with libarchive, optionally through a compression filter.
void write_tar(const fs::path& path, const std::vector<TarEntry>& entries, int filter = ARCHIVE_FILTER_NONE) {
    std::unique_ptr<archive, decltype(&archive_write_free)> out(archive_write_new(), archive_write_free);
    archive_write_set_format_pax_restricted(out.get());
    archive_write_add_filter(out.get(), filter);
    REQUIRE(archive_write_open_filename(out.get(), path.c_str()) == ARCHIVE_OK);
    for (const auto& e : entries) {
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
        archive_entry_set_pathname(entry.get(), e.name.c_str());
        archive_entry_set_filetype(entry.get(), e.type);
        archive_entry_set_perm(entry.get(), 0644);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.data.size()));
        if (e.type == AE_IFLNK) {
            archive_entry_set_symlink(entry.get(), e.link.c_str());
        }
        REQUIRE(archive_write_header(out.get(), entry.get()) == ARCHIVE_OK);
        archive_write_data(out.get(), e.data.data(), e.data.size());
    }
    REQUIRE(archive_write_close(out.get()) == ARCHIVE_OK);
}

TempDir scratch() {
    return TempDir::create(temp_directory(), "hoist-tar-test-").value();
}

}  // namespace

TEST_CASE("extract_tree unpacks files and directories and returns the links that stay inside", "[tar]") {
    auto temp = scratch();
    write_tar(temp.path() / "a.tar", {{"dir/", "", AE_IFDIR},
                                      {"dir/file", "hello"},
                                      {"1234.tar", "layer"},
                                      {"id/layer.tar", "", AE_IFLNK, "../1234.tar"}});
    fs::create_directory(temp.path() / "out");
    auto links = extract_tree(temp.path() / "a.tar", temp.path() / "out");
    REQUIRE(links);
    CHECK(read_file(temp.path() / "out/dir/file").value() == "hello");
    CHECK(*links == Symlinks{{"id/layer.tar", "1234.tar"}});
    CHECK_FALSE(fs::exists(temp.path() / "out/id/layer.tar"));
}

TEST_CASE("extract_tree refuses archives over the byte and entry limits", "[tar]") {
    auto temp = scratch();
    write_tar(temp.path() / "big.tar", {{"a", std::string(600, 'a')}, {"b", std::string(600, 'b')}});
    fs::create_directory(temp.path() / "out");
    auto path = (temp.path() / "big.tar").string();

    auto bytes = extract_tree(temp.path() / "big.tar", temp.path() / "out", {.max_bytes = 1000, .max_entries = 10});
    REQUIRE_FALSE(bytes);
    CHECK(bytes.error().code() == Errc::unsafe);
    CHECK(bytes.error().what() == path + ": b: more than the limit of 400 bytes");

    fs::remove_all(temp.path() / "out");
    fs::create_directory(temp.path() / "out");
    auto entries = extract_tree(temp.path() / "big.tar", temp.path() / "out", {.max_bytes = 10000, .max_entries = 1});
    REQUIRE_FALSE(entries);
    CHECK(entries.error().what() == path + ": more than 1 entries");
}

TEST_CASE("extract_tree refuses a file that already exists instead of writing through it", "[tar]") {
    auto temp = scratch();
    write_tar(temp.path() / "twice.tar", {{"x", "one"}, {"x", "two"}});
    fs::create_directory(temp.path() / "out");
    auto result = extract_tree(temp.path() / "twice.tar", temp.path() / "out");
    REQUIRE_FALSE(result);
    CHECK(result.error().what() == "open " + (temp.path() / "out/x").string() + ": File exists");
    CHECK(read_file(temp.path() / "out/x").value() == "one");
}

TEST_CASE("extract_tree refuses what is not a tar", "[tar]") {
    auto temp = scratch();
    REQUIRE(write_file_atomic(temp.path() / "junk.tar", std::string(1024, 'z')));
    auto result = extract_tree(temp.path() / "junk.tar", temp.path());
    REQUIRE_FALSE(result);
    CHECK(result.error().code() == Errc::invalid_argument);
    CHECK(result.error().what() == "open " + (temp.path() / "junk.tar").string() + ": Unrecognized archive format");
}

TEST_CASE("write_tree gives the same bytes for the same tree, sorted with parents first", "[tar]") {
    auto temp = scratch();
    for (auto name : {"one", "two"}) {
        auto root = temp.path() / name;
        // Created in a different order each time.
        if (std::string(name) == "one") {
            REQUIRE(make_directories(root / "b/c"));
            REQUIRE(write_file_atomic(root / "b/c/z", "z"));
            REQUIRE(write_file_atomic(root / "a", "a"));
        } else {
            REQUIRE(make_directories(root / "b/c"));
            REQUIRE(write_file_atomic(root / "a", "a"));
            REQUIRE(write_file_atomic(root / "b/c/z", "z"));
        }
        REQUIRE(write_tree(root, temp.path() / (std::string(name) + ".tar")));
    }
    auto one = read_file(temp.path() / "one.tar").value();
    CHECK(one == read_file(temp.path() / "two.tar").value());

    fs::create_directory(temp.path() / "out");
    REQUIRE(extract_tree(temp.path() / "one.tar", temp.path() / "out"));
    CHECK(read_file(temp.path() / "out/b/c/z").value() == "z");
    CHECK(one.find("b/c/z") > one.find("b/c/"));
    CHECK(one.find("b/c/") > one.find("b/"));
}

TEST_CASE("decompress_file detects gzip, zstd and plain streams and returns the digest", "[tar]") {
    auto temp = scratch();
    std::string content(100000, 'q');
    int n = 0;
    for (int filter : {ARCHIVE_FILTER_NONE, ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_ZSTD}) {
        auto tar = temp.path() / ("layer" + std::to_string(n) + ".tar");
        write_tar(tar, {{"file", content}}, filter);
        auto plain = temp.path() / ("plain" + std::to_string(n++) + ".tar");
        auto digest = decompress_file(tar, plain);
        REQUIRE(digest);
        auto bytes = read_file(plain).value();
        CHECK(bytes.find(content) != std::string::npos);
        CHECK(*digest == Digest::of(bytes));
    }
}
