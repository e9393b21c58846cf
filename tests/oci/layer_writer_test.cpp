#include "oci/layer_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/support.hpp"
#include <memory>
#include <string>
#include <vector>

#include "oci/file.hpp"

namespace fs = std::filesystem;
using namespace hoist;
using namespace hoist::oci;

namespace {

using hoist::test::StringWriter;

struct ReadEntry {
    std::string path;
    unsigned type;
    unsigned mode;
    long uid;
    long gid;
    std::string uname;
    long mtime;
    std::string link;
    std::string hardlink;
    unsigned major;
    unsigned minor;
    std::string content;
    std::map<std::string, std::string> xattrs;
};

// Reads a tar back with libarchive.
std::vector<ReadEntry> read_tar(const std::string& bytes) {
    std::unique_ptr<archive, decltype(&archive_read_free)> in(archive_read_new(), archive_read_free);
    archive_read_support_format_tar(in.get());
    REQUIRE(archive_read_open_memory(in.get(), bytes.data(), bytes.size()) == ARCHIVE_OK);
    std::vector<ReadEntry> entries;
    archive_entry* e = nullptr;
    while (archive_read_next_header(in.get(), &e) == ARCHIVE_OK) {
        ReadEntry r{archive_entry_pathname(e),
                    archive_entry_filetype(e),
                    archive_entry_perm(e),
                    archive_entry_uid(e),
                    archive_entry_gid(e),
                    archive_entry_uname(e) != nullptr ? archive_entry_uname(e) : "",
                    archive_entry_mtime(e),
                    archive_entry_symlink(e) != nullptr ? archive_entry_symlink(e) : "",
                    archive_entry_hardlink(e) != nullptr ? archive_entry_hardlink(e) : "",
                    static_cast<unsigned>(archive_entry_rdevmajor(e)),
                    static_cast<unsigned>(archive_entry_rdevminor(e)),
                    "",
                    {}};
        char buffer[4096];
        la_ssize_t n;
        while ((n = archive_read_data(in.get(), buffer, sizeof buffer)) > 0) {
            r.content.append(buffer, static_cast<std::size_t>(n));
        }
        const char* name;
        const void* value;
        size_t size;
        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
            r.xattrs[name] = std::string(static_cast<const char*>(value), size);
        }
        entries.push_back(std::move(r));
    }
    return entries;
}

std::vector<std::string> paths_of(const std::vector<ReadEntry>& entries) {
    std::vector<std::string> paths;
    for (const auto& e : entries) {
        paths.push_back(e.path);
    }
    return paths;
}

}  // namespace

TEST_CASE("write_layer normalises, sorts parents first and adds missing parents", "[layer_writer]") {
    StringWriter out;
    std::vector<LayerEntry> entries{
        {.path = "./usr//bin/env", .content = "env"},
        {.path = "etc/", .type = LayerEntry::Type::directory, .mode = 0700},
        {.path = "/etc/passwd", .content = "root:x:0:0::/root:/bin/sh\n"},
        {.path = "a-b", .content = "dash"},
    };
    REQUIRE(write_layer(entries, out));
    auto read = read_tar(out.text);
    CHECK(paths_of(read) == std::vector<std::string>{"a-b", "etc/", "etc/passwd", "usr/", "usr/bin/", "usr/bin/env"});
    CHECK(read[1].mode == 0700);
    CHECK(read[3].mode == 0755);
    CHECK(read[3].uid == 0);
    CHECK(read[5].content == "env");
}

TEST_CASE("write_layer refuses .. and empty paths", "[layer_writer]") {
    StringWriter out;
    for (const char* path : {"a/../b", "..", "", "./"}) {
        auto written = write_layer({{.path = path}}, out);
        REQUIRE_FALSE(written);
        CHECK(written.error().code() == Errc::invalid_argument);
        CHECK(written.error().what() ==
              "layer entry \"" + std::string(path) + "\": " +
                  (std::string(path).find("..") != std::string::npos ? "\"..\" is not allowed" : "empty path"));
    }
}

TEST_CASE("write_layer writes owners, modes, links, devices, xattrs and whiteouts as given", "[layer_writer]") {
    StringWriter out;
    std::vector<LayerEntry> entries{
        {.path = "bin/su", .mode = 04755, .uid = 0, .gid = 0, .uname = "root", .gname = "root", .content = "su"},
        {.path = "bin/ping",
         .mode = 0755,
         .xattrs = {{"security.capability", std::string("\x01\x00\x00\x02", 4)}},
         .content = "ping"},
        {.path = "home/app",
         .type = LayerEntry::Type::directory,
         .mode = 0750,
         .uid = 1000,
         .gid = 1000,
         .uname = "app"},
        {.path = "tmp", .type = LayerEntry::Type::directory, .mode = 01777},
        {.path = "bin/sh", .type = LayerEntry::Type::symlink, .mode = 0777, .link_target = "busybox"},
        {.path = "bin/su2", .type = LayerEntry::Type::hardlink, .link_target = "bin/su"},
        {.path = "dev/null", .type = LayerEntry::Type::char_device, .mode = 0666, .dev_major = 1, .dev_minor = 3},
        {.path = "dev/sda", .type = LayerEntry::Type::block_device, .mode = 0660, .dev_major = 8, .dev_minor = 0},
        {.path = "run/fifo", .type = LayerEntry::Type::fifo, .mode = 0600},
        LayerEntry::whiteout("etc/old"),
        LayerEntry::opaque("var/cache"),
    };
    REQUIRE(write_layer(entries, out));
    auto read = read_tar(out.text);
    std::map<std::string, ReadEntry> by_path;
    for (auto& e : read) {
        by_path[e.path] = e;
    }
    CHECK(by_path["bin/su"].mode == 04755);
    CHECK(by_path["bin/su"].uname == "root");
    CHECK(by_path["bin/ping"].xattrs.at("security.capability") == std::string("\x01\x00\x00\x02", 4));
    CHECK(by_path["home/app/"].uid == 1000);
    CHECK(by_path["home/app/"].uname == "app");
    CHECK(by_path["tmp/"].mode == 01777);
    CHECK(by_path["bin/sh"].type == AE_IFLNK);
    CHECK(by_path["bin/sh"].link == "busybox");
    CHECK(by_path["bin/su2"].hardlink == "bin/su");
    CHECK(by_path["dev/null"].type == AE_IFCHR);
    CHECK((by_path["dev/null"].major == 1 && by_path["dev/null"].minor == 3));
    CHECK(by_path["dev/sda"].type == AE_IFBLK);
    CHECK(by_path["run/fifo"].type == AE_IFIFO);
    CHECK(by_path.contains("etc/.wh.old"));
    CHECK(by_path.contains("var/cache/.wh..wh..opq"));
}

TEST_CASE("write_layer clamps mtimes to SOURCE_DATE_EPOCH and gives the same bytes for the same entries",
          "[layer_writer]") {
    std::vector<LayerEntry> entries{{.path = "new", .mtime = 2000000000, .content = "n"},
                                    {.path = "old", .mtime = 1000, .content = "o"}};
    StringWriter first;
    StringWriter second;
    REQUIRE(write_layer(entries, first, {.clamp_mtime = 1700000000}));
    std::vector<LayerEntry> reversed(entries.rbegin(), entries.rend());
    REQUIRE(write_layer(reversed, second, {.clamp_mtime = 1700000000}));
    CHECK(first.text == second.text);
    auto read = read_tar(first.text);
    CHECK(read[0].mtime == 1700000000);
    CHECK(read[1].mtime == 1000);
    CHECK(first.text.size() % 512 == 0);
}

TEST_CASE("scan_tree reads a tree with hardlinks, symlinks, fifos, modes and xattrs", "[layer_writer]") {
    auto temp = TempDir::create(temp_directory(), "hoist-scan-test-").value();
    auto root = temp.path() / "root";
    REQUIRE(make_directories(root / "bin"));
    REQUIRE(write_file_atomic(root / "bin/busybox", "busybox", 0755));
    REQUIRE(::chmod((root / "bin/busybox").c_str(), 04755) == 0);
    REQUIRE(::link((root / "bin/busybox").c_str(), (root / "bin/zz-link").c_str()) == 0);
    REQUIRE(::symlink("busybox", (root / "bin/sh").c_str()) == 0);
    REQUIRE(::mkfifo((root / "fifo").c_str(), 0600) == 0);
    bool have_xattr = ::setxattr((root / "bin/busybox").c_str(), "user.hoist", "v", 1, 0) == 0;

    auto entries = scan_tree(root);
    REQUIRE(entries);
    std::map<std::string, LayerEntry> by_path;
    for (auto& e : *entries) {
        by_path[e.path] = e;
    }
    CHECK(by_path.size() == 5);
    CHECK(by_path["bin"].type == LayerEntry::Type::directory);
    CHECK(by_path["bin/busybox"].mode == 04755);
    CHECK(by_path["bin/busybox"].source == root / "bin/busybox");
    CHECK(by_path["bin/zz-link"].type == LayerEntry::Type::hardlink);
    CHECK(by_path["bin/zz-link"].link_target == "bin/busybox");
    CHECK(by_path["bin/sh"].type == LayerEntry::Type::symlink);
    CHECK(by_path["bin/sh"].link_target == "busybox");
    CHECK(by_path["fifo"].type == LayerEntry::Type::fifo);
    if (have_xattr) {
        CHECK(by_path["bin/busybox"].xattrs.at("user.hoist") == "v");
    }

    StringWriter out;
    REQUIRE(write_layer(*entries, out));
    auto read = read_tar(out.text);
    CHECK(paths_of(read) == std::vector<std::string>{"bin/", "bin/busybox", "bin/sh", "bin/zz-link", "fifo"});
    CHECK(read[1].content == "busybox");
    CHECK(read[3].hardlink == "bin/busybox");
}

TEST_CASE("rewrite_layer copies a root filesystem tar with paths normalised and mtimes clamped", "[layer_writer]") {
    auto temp = TempDir::create(temp_directory(), "hoist-rewrite-test-").value();
    StringWriter source;
    REQUIRE(write_layer({{.path = "bin/busybox", .mode = 04755, .uid = 0, .mtime = 2000000000, .content = "bb"},
                         {.path = "dev/null", .type = LayerEntry::Type::char_device, .dev_major = 1, .dev_minor = 3},
                         {.path = "home/app", .type = LayerEntry::Type::directory, .uid = 1000}},
                        source));
    REQUIRE(write_file_atomic(temp.path() / "rootfs.tar", source.text));

    StringWriter out;
    REQUIRE(rewrite_layer(temp.path() / "rootfs.tar", out, {.clamp_mtime = 1700000000}));
    auto read = read_tar(out.text);
    CHECK(paths_of(read) == std::vector<std::string>{"bin/", "bin/busybox", "dev/", "dev/null", "home/", "home/app/"});
    CHECK(read[1].mode == 04755);
    CHECK(read[1].mtime == 1700000000);
    CHECK(read[1].content == "bb");
    CHECK(read[3].type == AE_IFCHR);
    CHECK(read[5].uid == 1000);
}

TEST_CASE("rewrite_layer refuses an entry with ..", "[layer_writer]") {
    auto temp = TempDir::create(temp_directory(), "hoist-rewrite-test-").value();
    std::unique_ptr<archive, decltype(&archive_write_free)> tar(archive_write_new(), archive_write_free);
    archive_write_set_format_pax_restricted(tar.get());
    auto path = temp.path() / "evil.tar";
    REQUIRE(archive_write_open_filename(tar.get(), path.c_str()) == ARCHIVE_OK);
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), "a/../../evil");
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_size(entry.get(), 0);
    REQUIRE(archive_write_header(tar.get(), entry.get()) == ARCHIVE_OK);
    REQUIRE(archive_write_close(tar.get()) == ARCHIVE_OK);

    StringWriter out;
    auto rewritten = rewrite_layer(path, out);
    REQUIRE_FALSE(rewritten);
    CHECK(rewritten.error().what() == path.string() + ": layer entry \"a/../../evil\": \"..\" is not allowed");
}
