// Layer tars for the applier's tests: a builder over libarchive for well-formed layers, raw
// ustar/pax/GNU blocks for what libarchive would never write, and the generator of hostile
// layers, each with the outcome the applier must give.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "oci/descriptor.hpp"
#include "oci/error.hpp"
#include "oci/file.hpp"

namespace hoist::test {

inline constexpr std::string_view k_layer_media_type = "application/vnd.oci.image.layer.v1.tar";

// One entry of a tar written with libarchive.
struct TarEntry {
    std::string name;
    std::string data;
    unsigned type = AE_IFREG;
    std::string symlink;   // for AE_IFLNK
    std::string hardlink;  // a hardlink entry when not empty
    unsigned mode = 0644;
    std::int64_t uid = 0;
    std::int64_t gid = 0;
    std::int64_t mtime = 1'600'000'000;
    long mtime_nsec = 0;
    unsigned rdev_major = 0;
    unsigned rdev_minor = 0;
    std::vector<std::pair<std::string, std::string>> xattrs;
};

inline TarEntry dir(std::string name, unsigned mode = 0755) {
    return {.name = std::move(name), .type = AE_IFDIR, .mode = mode};
}
inline TarEntry file(std::string name, std::string data = "x", unsigned mode = 0644) {
    return {.name = std::move(name), .data = std::move(data), .mode = mode};
}
inline TarEntry symlink_to(std::string name, std::string target) {
    return {.name = std::move(name), .type = AE_IFLNK, .symlink = std::move(target), .mode = 0777};
}
inline TarEntry hardlink_to(std::string name, std::string target) {
    return {.name = std::move(name), .hardlink = std::move(target)};
}
inline TarEntry whiteout(std::string name) {
    return {.name = std::move(name), .data = "", .mode = 0};
}

// The bytes of a tar of `entries`, through a libarchive filter (ARCHIVE_FILTER_GZIP, _ZSTD)
// and in a libarchive format (pax by default).
inline std::string tar(const std::vector<TarEntry>& entries, int filter = ARCHIVE_FILTER_NONE,
                       int format = ARCHIVE_FORMAT_TAR_PAX_RESTRICTED) {
    std::string out;
    std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(), archive_write_free);
    archive_write_set_format(a.get(), format);
    archive_write_add_filter(a.get(), filter);
    archive_write_set_bytes_in_last_block(a.get(), 1);
    auto append = [](archive*, void* data, const void* buffer, std::size_t size) -> la_ssize_t {
        static_cast<std::string*>(data)->append(static_cast<const char*>(buffer), size);
        return static_cast<la_ssize_t>(size);
    };
    if (archive_write_open(a.get(), &out, nullptr, append, nullptr) != ARCHIVE_OK) {
        throw std::runtime_error(archive_error_string(a.get()));
    }
    for (const auto& e : entries) {
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
        archive_entry_set_pathname(entry.get(), e.name.c_str());
        archive_entry_set_filetype(entry.get(), e.type);
        archive_entry_set_perm(entry.get(), e.mode);
        archive_entry_set_uid(entry.get(), e.uid);
        archive_entry_set_gid(entry.get(), e.gid);
        archive_entry_set_mtime(entry.get(), e.mtime, e.mtime_nsec);
        bool has_data = e.type == AE_IFREG && e.hardlink.empty();
        archive_entry_set_size(entry.get(), has_data ? static_cast<la_int64_t>(e.data.size()) : 0);
        if (e.type == AE_IFLNK) {
            archive_entry_set_symlink(entry.get(), e.symlink.c_str());
        }
        if (!e.hardlink.empty()) {
            archive_entry_set_hardlink(entry.get(), e.hardlink.c_str());
        }
        if (e.type == AE_IFCHR || e.type == AE_IFBLK) {
            archive_entry_set_rdevmajor(entry.get(), e.rdev_major);
            archive_entry_set_rdevminor(entry.get(), e.rdev_minor);
        }
        for (const auto& [key, value] : e.xattrs) {
            archive_entry_xattr_add_entry(entry.get(), key.c_str(), value.data(), value.size());
        }
        if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
            throw std::runtime_error(archive_error_string(a.get()));
        }
        if (has_data) {
            archive_write_data(a.get(), e.data.data(), e.data.size());
        }
    }
    if (archive_write_close(a.get()) != ARCHIVE_OK) {
        throw std::runtime_error(archive_error_string(a.get()));
    }
    return out;
}

// A raw 512-byte tar header, for what libarchive's writer would refuse or rewrite: pax and GNU
// special entries with any content, sizes a writer would have to back with data. Sizes from
// 8 GiB on are written in GNU base-256.
inline std::string raw_header(std::string_view name, char type, std::uint64_t size, std::string_view link = {},
                              unsigned mode = 0644) {
    std::string h(512, '\0');
    h.replace(0, std::min<std::size_t>(name.size(), 100), name.substr(0, 100));
    char octal_mode[8];
    std::snprintf(octal_mode, sizeof octal_mode, "%07o", mode & 07777);
    h.replace(100, 8, octal_mode, 8);
    h.replace(108, 8, "0000000", 8);
    h.replace(116, 8, "0000000", 8);
    if (size < (std::uint64_t{1} << 33)) {
        char octal[13];
        std::snprintf(octal, sizeof octal, "%011llo", static_cast<unsigned long long>(size));
        h.replace(124, 12, octal, 12);
    } else {
        h[124] = static_cast<char>(0x80);
        for (int i = 0; i < 8; ++i) {
            h[135 - i] = static_cast<char>((size >> (8 * i)) & 0xff);
        }
    }
    h.replace(136, 12, "13166520000", 12);  // 1600000000
    h.replace(148, 8, "        ", 8);
    h[156] = type;
    h.replace(157, std::min<std::size_t>(link.size(), 100), link.substr(0, 100));
    h.replace(257, 6, "ustar", 6);
    h.replace(263, 2, "00", 2);
    unsigned sum = 0;
    for (unsigned char c : h) {
        sum += c;
    }
    char checksum[8];
    std::snprintf(checksum, sizeof checksum, "%06o", sum);
    h.replace(148, 7, checksum, 7);  // six digits, NUL, and the space that was there
    return h;
}

// `data` padded with NULs to a whole number of blocks.
inline std::string blocks(std::string data) {
    data.resize((data.size() + 511) / 512 * 512, '\0');
    return data;
}

// One pax record: "<length> key=value\n", the length counting itself.
inline std::string pax_record(std::string_view key, std::string_view value) {
    std::size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
    std::size_t length = body + 1;
    while (std::to_string(length).size() + body != length) {
        ++length;
    }
    return std::to_string(length) + " " + std::string(key) + "=" + std::string(value) + "\n";
}

// A pax extended header ('x') carrying `records`, for the entry that follows.
inline std::string pax_header(const std::string& records) {
    return raw_header("PaxHeader/entry", 'x', records.size()) + blocks(records);
}

// A GNU long name ('L') or long link target ('K') for the entry that follows.
inline std::string gnu_long(char type, const std::string& name) {
    std::string body = name + '\0';
    return raw_header("././@LongLink", type, body.size()) + blocks(body);
}

inline std::string end_of_archive() {
    return std::string(1024, '\0');
}

// A layer blob and the descriptor it is applied with (normally the blob's own).
struct Layer {
    std::string bytes;
    oci::Descriptor descriptor;
};

inline Layer layer(std::string bytes) {
    auto descriptor = oci::Descriptor::of(k_layer_media_type, bytes);
    return {std::move(bytes), std::move(descriptor)};
}

inline Layer layer(const std::vector<TarEntry>& entries) {
    return layer(tar(entries));
}

// What a hostile case expects of the last of its layers (those before it must apply).
struct HostileCase {
    std::string name;
    std::vector<Layer> layers;
    // Refused with this code and exact message; nullopt: applied, and contained.
    std::optional<std::pair<Errc, std::string>> refusal;
    // Further checks of the root after the last layer: (root, rootless, warnings).
    std::function<void(const std::filesystem::path&, bool, const std::vector<std::string>&)> check;
    std::uint64_t max_bytes = std::uint64_t{64} << 30;
    std::uint64_t max_entries = 10'000'000;
};

namespace hostile_detail {

namespace fs = std::filesystem;

inline std::string content_of(const fs::path& path) {
    auto bytes = read_file(path);
    return bytes ? *bytes : "<" + bytes.error().what() + ">";
}

inline bool exists_no_follow(const fs::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

inline mode_t type_of(const fs::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 ? (st.st_mode & S_IFMT) : 0;
}

inline std::string link_text(const fs::path& path) {
    std::error_code ec;
    auto target = fs::read_symlink(path, ec);
    return ec ? "<not a symlink>" : target.string();
}

// A check that `path` below the root is a regular file holding `content`.
inline auto has_file(std::string path, std::string content) {
    return [=](const fs::path& root, bool, const std::vector<std::string>&) {
        INFO(path);
        CHECK(type_of(root / path) == S_IFREG);
        CHECK(content_of(root / path) == content);
    };
}

}  // namespace hostile_detail

// The hostile layers. The root they are applied to is <temp>/a/root, so that "../../outside"
// from the root is `outside`, a directory holding the file "victim" ("precious"); `outside` is
// an absolute path. Whatever the outcome, nothing outside the root may change: the test
// compares the whole temporary directory but the root, and /etc/passwd, before and after.
inline std::vector<HostileCase> hostile_cases(const std::filesystem::path& outside) {
    using namespace hostile_detail;
    const std::string abs = outside.string();                  // "/tmp/x/outside"
    const std::string rel = outside.relative_path().string();  // "tmp/x/outside"
    const auto unsafe = [](std::string message) { return std::make_pair(Errc::unsafe, std::move(message)); };
    std::vector<HostileCase> cases;

    // --- names that climb out -------------------------------------------------------------
    cases.push_back({"dotdot", {layer({file("../evil")})}, unsafe(R"(entry "../evil": path has a ".." component)")});
    cases.push_back({"dotdot to the victim",
                     {layer({file("../../outside/victim", "pwned")})},
                     unsafe(R"(entry "../../outside/victim": path has a ".." component)")});
    cases.push_back({"nested dotdot after normalisation",
                     {layer({dir("a/"), dir("a/b/"), file("a/b/../../../evil")})},
                     unsafe(R"(entry "a/b/../../../evil": path has a ".." component)")});
    cases.push_back({"dotdot that would stay inside",
                     {layer({dir("a/"), file("a/../b")})},
                     unsafe(R"(entry "a/../b": path has a ".." component)")});
    // Absolute names are taken relative to the root, as docker does.
    cases.push_back(
        {"absolute path", {layer({file(abs + "/victim", "pwned")})}, std::nullopt, has_file(rel + "/victim", "pwned")});
    cases.push_back({"pax path override with dotdot",
                     {layer(pax_header(pax_record("path", "../../outside/victim")) + raw_header("innocent", '0', 5) +
                            blocks("pwned") + end_of_archive())},
                     unsafe(R"(entry "../../outside/victim": path has a ".." component)")});
    const std::string long_name = std::string(120, 'a') + "/../../../outside/victim";
    cases.push_back(
        {"gnu longname with dotdot",
         {layer(gnu_long('L', long_name) + raw_header("innocent", '0', 5) + blocks("pwned") + end_of_archive())},
         unsafe("entry \"" + long_name + "\": path has a \"..\" component")});

    // --- writing through symlinks -----------------------------------------------------------
    cases.push_back({"symlink to / then write through it",
                     {layer({symlink_to("s", "/")}), layer({file("s/" + rel + "/victim", "pwned")})},
                     std::nullopt,
                     [=](const fs::path& root, bool r, const std::vector<std::string>& w) {
                         has_file(rel + "/victim", "pwned")(root, r, w);
                         CHECK(link_text(root / "s") == "/");
                     }});
    cases.push_back({"symlink to ../../ then write through it",
                     {layer({symlink_to("s", "../../"), file("s/outside/victim", "pwned")})},
                     std::nullopt,
                     has_file("outside/victim", "pwned")});
    cases.push_back(
        {"symlink chain escape",
         {layer({symlink_to("a", "b"), symlink_to("b", "c/../d"), dir("c/"), symlink_to("d", "../../../../")}),
          layer({file("a/outside/victim", "pwned")})},
         std::nullopt,
         has_file("outside/victim", "pwned")});
    cases.push_back({"absolute symlink to the outside directory, present in the image",
                     {layer({dir(rel + "/"), symlink_to("s", abs)}), layer({file("s/victim", "pwned")})},
                     std::nullopt,
                     has_file(rel + "/victim", "pwned")});
    // The link leads to <root>/<outside>, which is not there; its name cannot be made a directory.
    cases.push_back({"absolute symlink to the outside directory, missing in the image",
                     {layer({symlink_to("s", abs)}), layer({file("s/victim", "pwned")})},
                     std::make_pair(Errc::io, R"(entry "s/victim": create parent "s": File exists)")});
    cases.push_back({"symlink at the last component is replaced, not followed",
                     {layer({symlink_to("f", abs + "/victim"), symlink_to("g", "../../outside/victim")}),
                      layer({file("f", "pwned"), file("g", "pwned")})},
                     std::nullopt,
                     [=](const fs::path& root, bool r, const std::vector<std::string>& w) {
                         has_file("f", "pwned")(root, r, w);
                         has_file("g", "pwned")(root, r, w);
                     }});
    cases.push_back({"symlink replaced within one layer",
                     {layer({symlink_to("x", abs + "/victim"), file("x", "pwned")})},
                     std::nullopt,
                     has_file("x", "pwned")});
    cases.push_back({"symlink loop as a parent",
                     {layer({symlink_to("a", "b"), symlink_to("b", "a"), file("a/x")})},
                     std::make_pair(Errc::io, R"(entry "a/x": open parent "a": Too many levels of symbolic links)")});
    cases.push_back({"magic link as a parent",
                     {layer({symlink_to("p", "/proc/self/root"), file("p/" + rel + "/victim", "pwned")})},
                     std::make_pair(Errc::io, "entry \"p/" + rel + "/victim\": create parent \"p\": File exists")});
    cases.push_back({"directory entry named through a symlink",
                     {layer({symlink_to("s", "../../"), dir("s/outside/"), dir("s/outside/newdir/", 0777)})},
                     std::nullopt,
                     [](const fs::path& root, bool, const std::vector<std::string>&) {
                         CHECK(type_of(root / "outside/newdir") == S_IFDIR);
                         CHECK(link_text(root / "s") == "../../");
                     }});
    cases.push_back({"directory entry through a symlink to a missing outside directory",
                     {layer({symlink_to("s", "../../outside"), dir("s/newdir/")})},
                     std::make_pair(Errc::io, R"(entry "s/newdir/": create parent "s": File exists)")});

    // --- hardlinks --------------------------------------------------------------------------
    cases.push_back({"hardlink to /etc/passwd",
                     {layer({hardlink_to("h", "/etc/passwd")})},
                     unsafe(R"(entry "h": hardlink target "/etc/passwd" does not exist)")});
    cases.push_back({"hardlink to ../outside",
                     {layer({hardlink_to("h", "../../outside/victim")})},
                     unsafe(R"(entry "h": hardlink target "../../outside/victim" has a ".." component)")});
    cases.push_back({"hardlink to the absolute outside path",
                     {layer({hardlink_to("h", abs + "/victim")})},
                     unsafe("entry \"h\": hardlink target \"" + abs + "/victim\" does not exist")});
    cases.push_back({"hardlink through a symlinked parent",
                     {layer({symlink_to("s", "../../outside"), hardlink_to("h", "s/victim")})},
                     unsafe(R"(entry "h": hardlink target "s/victim" does not exist)")});
    cases.push_back({"pax linkpath override with dotdot",
                     {layer(pax_header(pax_record("linkpath", "../../outside/victim")) +
                            raw_header("h", '1', 0, "innocent") + end_of_archive())},
                     unsafe(R"(entry "h": hardlink target "../../outside/victim" has a ".." component)")});
    cases.push_back({"gnu longlink with dotdot",
                     {layer(gnu_long('K', std::string(120, 'b') + "/../../../outside/victim") +
                            raw_header("h", '1', 0, "innocent") + end_of_archive())},
                     unsafe("entry \"h\": hardlink target \"" + std::string(120, 'b') +
                            "/../../../outside/victim\" has a \"..\" component")});
    // A hardlink to a symlink is a second symlink with the same text; writing to it later
    // replaces it.
    cases.push_back({"hardlink to a symlink that points outside",
                     {layer({symlink_to("s", abs + "/victim"), hardlink_to("h", "s")}), layer({file("h", "pwned")})},
                     std::nullopt,
                     [=](const fs::path& root, bool r, const std::vector<std::string>& w) {
                         has_file("h", "pwned")(root, r, w);
                         CHECK(link_text(root / "s") == abs + "/victim");
                     }});
    cases.push_back({"hardlink to a directory",
                     {layer({dir("d/"), hardlink_to("h", "d")})},
                     unsafe(R"(entry "h": hardlink target "d" is a directory)")});
    cases.push_back({"hardlink to the root",
                     {layer({hardlink_to("h", "./")})},
                     unsafe(R"(entry "h": hardlink target "./" is a directory)")});
    // Writing a file over one name of a hardlinked pair replaces that name; the other keeps
    // its content.
    cases.push_back({"file written over a hardlink",
                     {layer({dir("etc/"), file("etc/passwd", "root:x:0:0")}), layer({hardlink_to("h", "etc/passwd")}),
                      layer({file("h", "pwned")})},
                     std::nullopt,
                     [](const fs::path& root, bool r, const std::vector<std::string>& w) {
                         has_file("etc/passwd", "root:x:0:0")(root, r, w);
                         has_file("h", "pwned")(root, r, w);
                     }});

    // --- special files ----------------------------------------------------------------------
    auto device = [](std::string name, unsigned type, unsigned major, unsigned minor) {
        TarEntry e{.name = std::move(name), .type = type, .mode = 0666};
        e.rdev_major = major;
        e.rdev_minor = minor;
        return e;
    };
    auto device_check = [](std::string path, mode_t type, unsigned major, unsigned minor, std::string warning) {
        return [=](const fs::path& root, bool rootless, const std::vector<std::string>& warnings) {
            if (rootless) {
                CHECK(warnings == std::vector<std::string>{warning});
                CHECK_FALSE(exists_no_follow(root / path));
                return;
            }
            struct stat st {};
            REQUIRE(::lstat((root / path).c_str(), &st) == 0);
            CHECK((st.st_mode & S_IFMT) == type);
            CHECK(::major(st.st_rdev) == major);
            CHECK(::minor(st.st_rdev) == minor);
            CHECK((st.st_mode & 07777) == 0666);
        };
    };
    cases.push_back(
        {"character device",
         {layer({dir("dev/"), device("dev/null", AE_IFCHR, 1, 3)})},
         std::nullopt,
         device_check("dev/null", S_IFCHR, 1, 3, R"(entry "dev/null": character device skipped (rootless))")});
    cases.push_back(
        {"block device",
         {layer({dir("dev/"), device("dev/loop0", AE_IFBLK, 7, 0)})},
         std::nullopt,
         device_check("dev/loop0", S_IFBLK, 7, 0, R"(entry "dev/loop0": block device skipped (rootless))")});
    cases.push_back({"fifo",
                     {layer({TarEntry{.name = "run/fifo", .type = AE_IFIFO, .mode = 0620}})},
                     std::nullopt,
                     [](const fs::path& root, bool, const std::vector<std::string>& warnings) {
                         struct stat st {};
                         REQUIRE(::lstat((root / "run/fifo").c_str(), &st) == 0);
                         CHECK(S_ISFIFO(st.st_mode));
                         CHECK((st.st_mode & 07777) == 0620);
                         CHECK(warnings.empty());
                     }});
    cases.push_back({"setuid file and sticky directory",
                     {layer({dir("tmp/", 01777), dir("bin/"), file("bin/su", "#!", 04755)})},
                     std::nullopt,
                     [](const fs::path& root, bool, const std::vector<std::string>&) {
                         struct stat st {};
                         REQUIRE(::lstat((root / "bin/su").c_str(), &st) == 0);
                         CHECK((st.st_mode & 07777) == 04755);
                         REQUIRE(::lstat((root / "tmp").c_str(), &st) == 0);
                         CHECK((st.st_mode & 07777) == 01777);
                     }});

    // --- the root itself --------------------------------------------------------------------
    cases.push_back({"a file replacing the root",
                     {layer({file(".", "pwned")})},
                     unsafe(R"(entry ".": only a directory can be the root)")});
    cases.push_back({"a symlink replacing the root",
                     {layer({symlink_to("./", abs)})},
                     unsafe(R"(entry "./": only a directory can be the root)")});
    cases.push_back(
        {"a pax path of /. for a file",
         {layer(pax_header(pax_record("path", "/.")) + raw_header("x", '0', 5) + blocks("pwned") + end_of_archive())},
         unsafe(R"(entry "/.": only a directory can be the root)")});
    // libarchive reads a regular file whose name ends in '/' as a directory: the root's own
    // entry, which is skipped.
    cases.push_back({"a pax path of / for a file",
                     {layer(pax_header(pax_record("path", "/")) + raw_header("x", '0', 0) + end_of_archive())},
                     std::nullopt,
                     [](const fs::path& root, bool, const std::vector<std::string>&) {
                         CHECK(type_of(root) == S_IFDIR);
                         CHECK(fs::is_empty(root));
                     }});

    // --- whiteouts --------------------------------------------------------------------------
    cases.push_back({"whiteout of ../x",
                     {layer({whiteout("../../outside/.wh.victim")})},
                     unsafe(R"(entry "../../outside/.wh.victim": path has a ".." component)")});
    cases.push_back(
        {"whiteout of ..", {layer({whiteout(".wh..")})}, unsafe(R"(entry ".wh..": whiteout of an invalid name)")});
    cases.push_back({"whiteout of /etc",
                     {layer({dir("etc/"), file("etc/passwd")}), layer({whiteout("/.wh.etc")})},
                     std::nullopt,
                     [](const fs::path& root, bool, const std::vector<std::string>&) {
                         CHECK_FALSE(exists_no_follow(root / "etc"));
                         CHECK_FALSE(exists_no_follow(root / ".wh.etc"));
                     }});
    cases.push_back({"whiteout of the absolute outside victim",
                     {layer({whiteout(abs + "/.wh.victim")})},
                     std::nullopt,
                     [=](const fs::path& root, bool, const std::vector<std::string>&) {
                         CHECK_FALSE(exists_no_follow(root / rel));
                     }});
    cases.push_back({"whiteout through a symlinked parent",
                     {layer({dir("outside/"), file("outside/victim", "inner"), symlink_to("s", "../../outside")}),
                      layer({whiteout("s/.wh.victim")})},
                     std::nullopt,
                     [](const fs::path& root, bool, const std::vector<std::string>&) {
                         CHECK_FALSE(exists_no_follow(root / "outside/victim"));
                         CHECK(type_of(root / "outside") == S_IFDIR);
                     }});
    cases.push_back({"opaque whiteout in a symlinked dir pointing outside",
                     {layer({dir("outside/"), file("outside/victim", "inner"), symlink_to("s", "../../outside")}),
                      layer({whiteout("s/.wh..wh..opq")})},
                     std::nullopt,
                     [](const fs::path& root, bool, const std::vector<std::string>&) {
                         CHECK(type_of(root / "outside") == S_IFDIR);
                         CHECK(fs::is_empty(root / "outside"));
                         CHECK(link_text(root / "s") == "../../outside");
                     }});
    cases.push_back({"opaque whiteout through an absolute symlink to a missing directory",
                     {layer({symlink_to("s", abs)}), layer({whiteout("s/.wh..wh..opq")})},
                     std::nullopt,
                     [=](const fs::path& root, bool, const std::vector<std::string>&) {
                         CHECK_FALSE(exists_no_follow(root / *outside.relative_path().begin()));
                         CHECK(link_text(root / "s") == abs);
                     }});

    // --- bombs ------------------------------------------------------------------------------
    cases.push_back(
        {"huge size declared in a pax header",
         {layer(pax_header(pax_record("size", "1099511627776")) + raw_header("bomb", '0', 0) + end_of_archive())},
         unsafe(R"(entry "bomb": 1099511627776 bytes would take the layer over its limit of 68719476736 bytes)")});
    cases.push_back(
        {"huge size declared in base-256",
         {layer(raw_header("bomb", '0', std::uint64_t{1} << 40) + end_of_archive())},
         unsafe(R"(entry "bomb": 1099511627776 bytes would take the layer over its limit of 68719476736 bytes)")});
    cases.push_back(
        {"gzip bomb over the byte limit",
         {layer(tar({file("small", std::string(512 << 10, 'a')), file("zeros", std::string(16 << 20, '\0'))},
                    ARCHIVE_FILTER_GZIP))},
         unsafe(R"(entry "zeros": 16777216 bytes would take the layer over its limit of 1048576 bytes)"),
         [](const fs::path& root, bool, const std::vector<std::string>&) {
             CHECK_FALSE(exists_no_follow(root / "zeros"));
         },
         std::uint64_t{1} << 20});
    {
        std::vector<TarEntry> many;
        for (int i = 0; i < 1001; ++i) {
            many.push_back(whiteout(".wh.x" + std::to_string(i)));
        }
        cases.push_back({"many entries",
                         {layer(many)},
                         unsafe("layer has more than 1000 entries"),
                         nullptr,
                         std::uint64_t{64} << 30,
                         1000});
    }
    cases.push_back(
        {"pax header with a huge size",
         {layer(raw_header("PaxHeader/bomb", 'x', (std::uint64_t{1} << 33) - 1) + blocks("30 path=whatever\n"))},
         std::make_pair(Errc::invalid_argument, "read tar: Special header too large")});
    cases.push_back({"gnu longname with a huge size",
                     {layer(raw_header("././@LongLink", 'L', std::uint64_t{1} << 40) + blocks("name"))},
                     std::make_pair(Errc::invalid_argument, "read tar: Special header too large")});

    // --- streams that are not the blob ------------------------------------------------------
    {
        std::string full = tar({file("big", std::string(100000, 'a')), file("after")});
        auto described = layer(full);
        std::string cut = full.substr(0, 50000);
        cases.push_back({"truncated stream",
                         {{cut, described.descriptor}},
                         std::make_pair(Errc::digest_mismatch,
                                        "blob " + described.descriptor.digest.to_string() + ": 50000 bytes, not the " +
                                            std::to_string(full.size()) + " its descriptor says")});
        cases.push_back({"truncated tar that is its own blob",
                         {layer(cut)},
                         std::make_pair(Errc::invalid_argument, "read tar: Truncated tar archive")});
    }
    {
        // The tar's end comes first; the rest (a second tar, more than libarchive reads ahead)
        // is never unpacked but is still part of the digest.
        std::string early = tar({file("first", "1")}) + tar({file("late", std::string(1 << 20, 'l'))});
        cases.push_back({"tar that ends early",
                         {layer(early)},
                         std::nullopt,
                         [](const fs::path& root, bool r, const std::vector<std::string>& w) {
                             has_file("first", "1")(root, r, w);
                             CHECK_FALSE(exists_no_follow(root / "late"));
                         }});
        auto wrong = oci::Descriptor::of(k_layer_media_type, "something else");
        wrong.size = static_cast<std::int64_t>(early.size());
        cases.push_back(
            {"tar that ends early with a wrong digest",
             {{early, wrong}},
             std::make_pair(Errc::digest_mismatch, "blob " + wrong.digest.to_string() + ": content has digest " +
                                                       oci::Digest::of(early).to_string())});
        std::string clean = tar({file("first", "1")});
        auto described = layer(clean);
        cases.push_back({"trailing garbage",
                         {{clean + std::string(1 << 20, 'G'), described.descriptor}},
                         std::make_pair(Errc::digest_mismatch, "blob " + described.descriptor.digest.to_string() +
                                                                   ": more than the " + std::to_string(clean.size()) +
                                                                   " bytes its descriptor says")});
        cases.push_back({"trailing garbage that is part of the blob",
                         {layer(clean + std::string(1 << 20, 'G'))},
                         std::nullopt,
                         has_file("first", "1")});
    }
    return cases;
}

}  // namespace hoist::test
