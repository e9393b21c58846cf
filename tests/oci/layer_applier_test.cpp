#include "oci/layer_applier.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "hostile_layers.hpp"
#include "oci/file.hpp"
#include "tests/support.hpp"

namespace fs = std::filesystem;
using namespace hoist;
using namespace hoist::oci;
using namespace hoist::test;

namespace {

// Gives `bytes`, then fails.
class FailingReader final : public Reader {
public:
    explicit FailingReader(std::string bytes) : m_inner(std::move(bytes)) {}
    Result<std::size_t> read(std::span<char> buffer) override {
        auto n = m_inner.read(buffer);
        if (n && *n == 0) {
            return fail(Errc::io, "read layer: Connection reset by peer");
        }
        return n;
    }

private:
    StringReader m_inner;
};

// REQUIRE for a Result<void>, showing the error's text when it fails.
#define REQUIRE_OK(...)                                                      \
    do {                                                                     \
        auto require_ok_result = (__VA_ARGS__);                              \
        INFO((require_ok_result ? "ok" : require_ok_result.error().what())); \
        REQUIRE(require_ok_result);                                          \
    } while (false)

bool running_as_root() {
    return ::geteuid() == 0;
}

struct stat stat_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

bool exists_no_follow(const fs::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

// Everything about a file that a write through it, a chmod, a link or a removal would change.
std::string describe(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return "<missing>";
    }
    std::string text = std::to_string(st.st_ino) + " mode " + std::to_string(st.st_mode) + " links " +
                       std::to_string(st.st_nlink) + " owner " + std::to_string(st.st_uid) + ":" +
                       std::to_string(st.st_gid) + " size " + std::to_string(st.st_size) + " mtime " +
                       std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    if (S_ISREG(st.st_mode)) {
        auto content = read_file(path);
        text += " content " + (content ? *content : content.error().what());
    } else if (S_ISLNK(st.st_mode)) {
        text += " -> " + fs::read_symlink(path).string();
    }
    return text;
}

// Every file below `dir` but those below `skip`, described.
std::map<std::string, std::string> snapshot(const fs::path& dir, const fs::path& skip) {
    std::map<std::string, std::string> files;
    files[dir.string()] = describe(dir);
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
        if (it->path() == skip) {
            it.disable_recursion_pending();
            continue;
        }
        files[it->path().string()] = describe(it->path());
    }
    return files;
}

// Opens up every directory below `dir` for its owner, so that a test running without root can
// remove read-only directories the layers made.
void make_removable(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(fs::symlink_status(dir, ec))) {
        return;
    }
    ::chmod(dir.c_str(), 0700);
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (it->is_directory(ec) && !it->is_symlink(ec)) {
            ::chmod(it->path().c_str(), 0700);
        }
    }
}

// A root to apply layers onto, <temp>/a/root, next to <temp>/a/sibling and
// <temp>/outside/victim: what a hostile layer would reach with "../".
struct Scene {
    TempDir temp = TempDir::create(temp_directory(), "hoist-applier-test-").value();
    fs::path root = temp.path() / "a/root";
    fs::path outside = temp.path() / "outside";
    std::vector<std::string> warnings;
    ApplyOptions options;

    Scene() {
        fs::create_directories(root);
        fs::create_directories(outside / "dir");
        REQUIRE(write_file_atomic(outside / "victim", "precious"));
        REQUIRE(write_file_atomic(temp.path() / "a/sibling", "sibling"));
        options.rootless = !running_as_root();
        options.warn = [this](std::string_view warning) { warnings.emplace_back(warning); };
    }
    Scene(const Scene&) = delete;
    ~Scene() { make_removable(temp.path()); }

    Result<void> apply(const Layer& blob) {
        StringReader reader(blob.bytes);
        return apply_layer(root, reader, blob.descriptor, options);
    }
    Result<void> apply(const std::vector<TarEntry>& entries) { return apply(layer(entries)); }

    // A fresh, empty root.
    void reset_root() {
        make_removable(root);
        fs::remove_all(root);
        fs::create_directories(root);
        warnings.clear();
    }
};

std::string xattr_of(const fs::path& path, const char* name) {
    char value[256];
    ssize_t n = ::lgetxattr(path.c_str(), name, value, sizeof value);
    return n < 0 ? "<" + std::string(std::strerror(errno)) + ">" : std::string(value, static_cast<std::size_t>(n));
}

}  // namespace

TEST_CASE("apply_layer unpacks files, directories, symlinks, hardlinks and fifos with their metadata", "[applier]") {
    Scene scene;
    TarEntry etc = dir("etc/", 0750);
    etc.mtime = 1'234'567'890;
    etc.mtime_nsec = 250'000'000;
    TarEntry hosts = file("etc/hosts", "127.0.0.1 localhost\n", 0640);
    hosts.mtime = 1'500'000'000;
    hosts.mtime_nsec = 123'456'789;
    TarEntry localtime = symlink_to("etc/localtime", "/usr/share/zoneinfo/UTC");
    localtime.mtime = 1'400'000'000;
    // pax interchange: sub-second times always have a record.
    REQUIRE_OK(scene.apply(
        layer(tar({etc, hosts, localtime, hardlink_to("etc/hosts.link", "etc/hosts"),
                   TarEntry{.name = "run/initctl", .type = AE_IFIFO, .mode = 0600}, file("a/b/c/deep", "deep")},
                  ARCHIVE_FILTER_NONE, ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE))));

    auto st = stat_of(scene.root / "etc/hosts");
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 07777) == 0640);
    CHECK(st.st_mtim.tv_sec == 1'500'000'000);
    CHECK(st.st_mtim.tv_nsec == 123'456'789);
    CHECK(st.st_nlink == 2);
    CHECK(read_file(scene.root / "etc/hosts").value() == "127.0.0.1 localhost\n");
    CHECK(stat_of(scene.root / "etc/hosts.link").st_ino == st.st_ino);

    auto etc_st = stat_of(scene.root / "etc");
    CHECK((etc_st.st_mode & 07777) == 0750);
    CHECK(etc_st.st_mtim.tv_sec == 1'234'567'890);  // set after its children went in
    CHECK(etc_st.st_mtim.tv_nsec == 250'000'000);

    CHECK(fs::read_symlink(scene.root / "etc/localtime") == "/usr/share/zoneinfo/UTC");
    CHECK(stat_of(scene.root / "etc/localtime").st_mtim.tv_sec == 1'400'000'000);
    CHECK(S_ISFIFO(stat_of(scene.root / "run/initctl").st_mode));
    // Missing parents are made 0755, as docker does.
    CHECK((stat_of(scene.root / "a/b").st_mode & 07777) == 0755);
    CHECK(read_file(scene.root / "a/b/c/deep").value() == "deep");
    CHECK(scene.warnings.empty());
}

TEST_CASE("apply_layer ignores the root's own entry and normalises names", "[applier]") {
    Scene scene;
    ::chmod(scene.root.c_str(), 0751);
    REQUIRE_OK(scene.apply({dir("./", 0777), dir("/usr/"), file("./usr//./bin/tool", "t"), file("/etc/motd", "hi")}));
    CHECK((stat_of(scene.root).st_mode & 07777) == 0751);
    CHECK(read_file(scene.root / "usr/bin/tool").value() == "t");
    CHECK(read_file(scene.root / "etc/motd").value() == "hi");
}

TEST_CASE("apply_layer keeps UTF-8 names and link targets byte for byte", "[applier]") {
    Scene scene;
    // UTF-8 pax records, as Go's archive/tar writes them. In the C locale libarchive cannot
    // convert them and warns; the bytes are kept.
    std::string blob = pax_header(pax_record("path", "d\xc3\xa9/")) + raw_header("d", '5', 0, {}, 0755) +
                       pax_header(pax_record("path", "d\xc3\xa9/\xe2\x82\xac")) + raw_header("f", '0', 4) +
                       blocks("euro") + pax_header(pax_record("linkpath", "d\xc3\xa9")) + raw_header("l", '2', 0, "x") +
                       end_of_archive();
    REQUIRE_OK(scene.apply(layer(blob)));
    CHECK(read_file(scene.root / "d\xc3\xa9/\xe2\x82\xac").value() == "euro");
    CHECK(fs::read_symlink(scene.root / "l") == "d\xc3\xa9");
}

TEST_CASE("a removed read-only directory's mode does not pass to what takes its name", "[applier]") {
    Scene scene;
    REQUIRE_OK(scene.apply({dir("ro/", 0555), dir("ro/sub/", 0500), file("ro/sub/f")}));
    REQUIRE_OK(scene.apply({whiteout(".wh.ro"), file("ro/sub/new")}));
    CHECK((stat_of(scene.root / "ro").st_mode & 07777) == 0755);
    CHECK((stat_of(scene.root / "ro/sub").st_mode & 07777) == 0755);
    CHECK(fs::exists(scene.root / "ro/sub/new"));
    CHECK_FALSE(exists_no_follow(scene.root / "ro/sub/f"));
}

TEST_CASE("a later layer replaces a file with a directory and a directory with a file, and merges directories",
          "[applier]") {
    Scene scene;
    REQUIRE_OK(
        scene.apply({dir("a/"), file("a/old"), file("b", "file"), dir("c/"), file("c/lower"), dir("d/"), file("d/x")}));
    REQUIRE_OK(scene.apply({file("a", "now a file"), dir("b/", 0710), file("b/inside"), dir("c/", 0700),
                            file("c/upper"), symlink_to("d", "c")}));
    CHECK(read_file(scene.root / "a").value() == "now a file");
    CHECK(fs::is_directory(fs::symlink_status(scene.root / "b")));
    CHECK((stat_of(scene.root / "b").st_mode & 07777) == 0710);
    CHECK(fs::exists(scene.root / "b/inside"));
    CHECK(fs::exists(scene.root / "c/lower"));
    CHECK(fs::exists(scene.root / "c/upper"));
    CHECK((stat_of(scene.root / "c").st_mode & 07777) == 0700);
    CHECK(fs::read_symlink(scene.root / "d") == "c");

    // A directory over a symlink replaces the link; it does not merge into its target.
    REQUIRE_OK(scene.apply({dir("d/"), file("d/new")}));
    CHECK(fs::is_directory(fs::symlink_status(scene.root / "d")));
    CHECK_FALSE(fs::exists(scene.root / "c/new"));
}

TEST_CASE("whiteouts remove what lower layers left, recursively, and are never created", "[applier]") {
    Scene scene;
    REQUIRE_OK(
        scene.apply({dir("d/"), dir("d/sub/"), file("d/sub/f"), file("keep"), file("gone"), symlink_to("link", "d")}));
    REQUIRE_OK(scene.apply({whiteout(".wh.gone"), whiteout("d/.wh.sub"), whiteout(".wh.missing"),
                            whiteout("nodir/.wh.x"), whiteout(".wh.link"), whiteout(".wh..wh.plnk")}));
    CHECK_FALSE(exists_no_follow(scene.root / "gone"));
    CHECK_FALSE(exists_no_follow(scene.root / "d/sub"));
    CHECK_FALSE(exists_no_follow(scene.root / "link"));
    CHECK(fs::is_directory(scene.root / "d"));  // the link went, not its target
    CHECK(fs::exists(scene.root / "keep"));
    CHECK_FALSE(exists_no_follow(scene.root / "nodir"));
    for (const auto& entry : fs::recursive_directory_iterator(scene.root)) {
        CHECK_FALSE(entry.path().filename().string().starts_with(".wh."));
    }
}

TEST_CASE("a whiteout does not remove what the same layer adds, in either order", "[applier]") {
    Scene scene;
    REQUIRE_OK(scene.apply({file("f", "lower"), file("g", "lower")}));
    REQUIRE_OK(scene.apply({file("f", "upper"), whiteout(".wh.f"), whiteout(".wh.g"), file("g", "upper")}));
    CHECK(read_file(scene.root / "f").value() == "upper");
    CHECK(read_file(scene.root / "g").value() == "upper");
}

TEST_CASE("an opaque directory hides what lower layers put there but keeps what its own layer adds", "[applier]") {
    Scene scene;
    REQUIRE_OK(scene.apply({dir("d/"), file("d/lower1"), dir("d/sub/"), file("d/sub/lower2"), dir("d/mixed/"),
                            file("d/mixed/lower3"), file("other")}));
    REQUIRE_OK(
        scene.apply({dir("d/"), file("d/early"), file("d/mixed/new"), whiteout("d/.wh..wh..opq"), file("d/late")}));
    CHECK(fs::exists(scene.root / "d/early"));
    CHECK(fs::exists(scene.root / "d/late"));
    CHECK(fs::exists(scene.root / "d/mixed/new"));
    CHECK_FALSE(exists_no_follow(scene.root / "d/lower1"));
    CHECK_FALSE(exists_no_follow(scene.root / "d/sub"));
    CHECK_FALSE(exists_no_follow(scene.root / "d/mixed/lower3"));
    CHECK_FALSE(exists_no_follow(scene.root / "d/.wh..wh..opq"));
    CHECK(fs::exists(scene.root / "other"));

    // An opaque root hides everything below, but this layer's files.
    REQUIRE_OK(scene.apply({file("top"), whiteout(".wh..wh..opq")}));
    std::vector<std::string> left;
    for (const auto& entry : fs::directory_iterator(scene.root)) {
        left.push_back(entry.path().filename().string());
    }
    CHECK(left == std::vector<std::string>{"top"});
}

TEST_CASE("directory modes and times are set after their contents, so read-only directories fill", "[applier]") {
    Scene scene;
    TarEntry ro = dir("ro/", 0555);
    ro.mtime = 1'000'000'000;
    REQUIRE_OK(scene.apply({ro, file("ro/f"), dir("ro/sub/", 0500), file("ro/sub/g"), dir("locked/", 0)}));
    CHECK((stat_of(scene.root / "ro").st_mode & 07777) == 0555);
    CHECK(stat_of(scene.root / "ro").st_mtim.tv_sec == 1'000'000'000);
    CHECK((stat_of(scene.root / "ro/sub").st_mode & 07777) == 0500);
    CHECK(fs::exists(scene.root / "ro/sub/g"));
    CHECK((stat_of(scene.root / "locked").st_mode & 07777) == 0);

    // A later layer adds to and removes from them (without root: opened up, then closed again).
    REQUIRE_OK(scene.apply({file("ro/new"), whiteout("ro/.wh.f"), whiteout("ro/sub/.wh.g"), file("locked/in")}));
    CHECK((stat_of(scene.root / "ro").st_mode & 07777) == 0555);
    CHECK((stat_of(scene.root / "ro/sub").st_mode & 07777) == 0500);
    CHECK((stat_of(scene.root / "locked").st_mode & 07777) == 0);
    ::chmod((scene.root / "locked").c_str(), 0700);
    CHECK(fs::exists(scene.root / "locked/in"));
    ::chmod((scene.root / "locked").c_str(), 0);
    CHECK(fs::exists(scene.root / "ro/new"));
    CHECK_FALSE(exists_no_follow(scene.root / "ro/f"));
    CHECK_FALSE(exists_no_follow(scene.root / "ro/sub/g"));

    // And replaces them, read-only contents and all.
    REQUIRE_OK(scene.apply({file("ro", "a file"), file("locked", "a file")}));
    CHECK(read_file(scene.root / "ro").value() == "a file");
    CHECK(read_file(scene.root / "locked").value() == "a file");
}

TEST_CASE("owners are set as root and left alone when rootless", "[applier]") {
    Scene scene;
    auto owned = [](TarEntry e) {
        e.uid = 1000;
        e.gid = 2000;
        return e;
    };
    std::vector<TarEntry> entries = {owned(dir("home/", 0755)), owned(file("home/su", "x", 04755)),
                                     owned(symlink_to("home/link", "su"))};

    scene.options.rootless = true;
    REQUIRE_OK(scene.apply(entries));
    CHECK(stat_of(scene.root / "home/su").st_uid == ::geteuid());
    CHECK((stat_of(scene.root / "home/su").st_mode & 07777) == 04755);

    if (!running_as_root()) {
        WARN("not root: owners are not checked");
        return;
    }
    scene.reset_root();
    scene.options.rootless = false;
    REQUIRE_OK(scene.apply(entries));
    for (const char* name : {"home", "home/su", "home/link"}) {
        INFO(name);
        CHECK(stat_of(scene.root / name).st_uid == 1000);
        CHECK(stat_of(scene.root / name).st_gid == 2000);
    }
    // chown clears setuid; the mode is set after it.
    CHECK((stat_of(scene.root / "home/su").st_mode & 07777) == 04755);
}

TEST_CASE("xattrs are set, and security and trusted ones only warn when rootless", "[applier]") {
    Scene scene;
    TarEntry f = file("f", "x");
    f.xattrs = {{"user.hoist", "file value"}, {"trusted.hoist", "trusted value"}};
    TarEntry d = dir("d/");
    d.xattrs = {{"user.hoist", "dir value"}};
    scene.options.rootless = true;
    REQUIRE_OK(scene.apply({f, d}));
    CHECK(xattr_of(scene.root / "f", "user.hoist") == "file value");
    CHECK(xattr_of(scene.root / "d", "user.hoist") == "dir value");
    if (running_as_root()) {
        CHECK(xattr_of(scene.root / "f", "trusted.hoist") == "trusted value");
        CHECK(scene.warnings.empty());
    } else {
        CHECK(scene.warnings == std::vector<std::string>{
                                    R"(entry "f": xattr trusted.hoist not set (rootless): Operation not permitted)"});
    }
}

TEST_CASE("gzip and zstd layers are detected", "[applier]") {
    Scene scene;
    for (int filter : {ARCHIVE_FILTER_NONE, ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_ZSTD}) {
        INFO(filter);
        std::string name = "file" + std::to_string(filter);
        REQUIRE_OK(scene.apply(layer(tar({file(name, std::string(100000, 'q'))}, filter))));
        CHECK(read_file(scene.root / name).value() == std::string(100000, 'q'));
    }
}

TEST_CASE("apply_layer verifies the digest to the end of the stream", "[applier]") {
    Scene scene;
    // The tar ends long before the blob does; all of it is read.
    std::string blob = tar({file("first")}) + std::string(3 << 20, 'G');
    StringReader reader(blob);
    REQUIRE(apply_layer(scene.root, reader, Descriptor::of(k_layer_media_type, blob), scene.options));
    CHECK(reader.offset() == blob.size());

    auto wrong = Descriptor::of(k_layer_media_type, "other");
    wrong.size = static_cast<std::int64_t>(blob.size());
    StringReader again(blob);
    auto result = apply_layer(scene.root, again, wrong, scene.options);
    REQUIRE_FALSE(result);
    CHECK(result.error().code() == Errc::digest_mismatch);
    CHECK(result.error().what() ==
          "blob " + wrong.digest.to_string() + ": content has digest " + Digest::of(blob).to_string());
}

TEST_CASE("apply_layer refuses layers over the byte and entry limits", "[applier]") {
    Scene scene;
    auto blob = layer({file("a", std::string(600, 'a')), file("b", std::string(600, 'b'))});
    scene.options.max_bytes = 1000;
    auto bytes = scene.apply(blob);
    REQUIRE_FALSE(bytes);
    CHECK(bytes.error().code() == Errc::unsafe);
    CHECK(bytes.error().what() == R"(entry "b": 600 bytes would take the layer over its limit of 1000 bytes)");
    CHECK_FALSE(exists_no_follow(scene.root / "b"));
    scene.options.max_bytes = 1200;
    CHECK(scene.apply(blob));

    scene.options.max_entries = 1;
    auto entries = scene.apply(blob);
    REQUIRE_FALSE(entries);
    CHECK(entries.error().code() == Errc::unsafe);
    CHECK(entries.error().what() == "layer has more than 1 entries");
    scene.options.max_entries = 2;
    CHECK(scene.apply(blob));
}

TEST_CASE("apply_layer reports what is not a tar, stream errors and a missing root", "[applier]") {
    Scene scene;
    auto junk = scene.apply(layer(std::string(1024, 'z')));
    REQUIRE_FALSE(junk);
    CHECK(junk.error().code() == Errc::invalid_argument);
    CHECK(junk.error().what() == "read tar: Unrecognized archive format");

    // Content that is not the blob: the mismatch is the cause, not the format.
    auto described = Descriptor::of(k_layer_media_type, std::string(1024, 'y'));
    auto mismatch = scene.apply(Layer{std::string(1024, 'z'), described});
    REQUIRE_FALSE(mismatch);
    CHECK(mismatch.error().code() == Errc::digest_mismatch);

    std::string blob = tar({file("f", std::string(200000, 'f'))});
    FailingReader failing(blob.substr(0, 100000));
    auto broken = apply_layer(scene.root, failing, Descriptor::of(k_layer_media_type, blob), scene.options);
    REQUIRE_FALSE(broken);
    CHECK(broken.error().code() == Errc::io);
    CHECK(broken.error().what() == "read layer: Connection reset by peer");

    CHECK(scene.apply(layer(std::string())));  // an empty blob: no entries

    StringReader reader(tar({file("f")}));
    auto missing = apply_layer(scene.root / "missing", reader, Descriptor::of(k_layer_media_type, ""), scene.options);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().what() == "open " + (scene.root / "missing").string() + ": No such file or directory");
}

TEST_CASE("apply_layer refuses or contains hostile archives, and writes nothing outside the root", "[applier]") {
    Scene scene;
    auto cases = hostile_cases(scene.outside);
    REQUIRE(cases.size() >= 20);
    // HOIST_HOSTILE_LAYERS=DIR keeps the generated layers, for other tools to try.
    if (const char* dump = std::getenv("HOIST_HOSTILE_LAYERS"); dump != nullptr && *dump != '\0') {
        int n = 0;
        for (const auto& c : cases) {
            ++n;
            for (std::size_t i = 0; i < c.layers.size(); ++i) {
                std::string name = c.name;
                std::ranges::replace_if(
                    name, [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); }, '-');
                auto path = fs::path(dump) / (std::to_string(n) + "-" + name + "." + std::to_string(i) + ".tar");
                REQUIRE(write_file_atomic(path, c.layers[i].bytes));
            }
        }
    }
    const auto passwd = describe("/etc/passwd");
    std::vector<bool> modes = {true};
    if (running_as_root()) {
        modes.push_back(false);
    }
    for (bool rootless : modes) {
        for (const auto& c : cases) {
            INFO("case: " << c.name << (rootless ? " (rootless)" : " (root)"));
            scene.reset_root();
            scene.options.rootless = rootless;
            scene.options.max_bytes = c.max_bytes;
            scene.options.max_entries = c.max_entries;
            auto before = snapshot(scene.temp.path(), scene.root);

            for (std::size_t i = 0; i + 1 < c.layers.size(); ++i) {
                auto lower = scene.apply(c.layers[i]);
                INFO("lower layer " << i << ": " << (lower ? "applied" : lower.error().what()));
                REQUIRE(lower);
            }
            auto result = scene.apply(c.layers.back());
            if (c.refusal) {
                REQUIRE_FALSE(result);
                CHECK(result.error().code() == c.refusal->first);
                CHECK(result.error().what() == c.refusal->second);
            } else {
                INFO((result ? "applied" : result.error().what()));
                REQUIRE(result);
            }
            if (c.check) {
                c.check(scene.root, rootless, scene.warnings);
            } else {
                CHECK(scene.warnings.empty());
            }
            CHECK(snapshot(scene.temp.path(), scene.root) == before);
            CHECK(read_file(scene.outside / "victim").value() == "precious");
            CHECK(describe("/etc/passwd") == passwd);
        }
    }
}

TEST_CASE("in overlay mode whiteouts become 0/0 devices and opaque markers an xattr", "[applier]") {
    if (!running_as_root()) {
        WARN("not root: whiteout devices and trusted.* xattrs are not checked");
        return;
    }
    Scene scene;
    scene.options.whiteouts = ApplyOptions::Whiteouts::overlay;
    REQUIRE_OK(scene.apply({dir("d/"), whiteout("d/.wh.gone"), whiteout("d/.wh..wh..opq"), whiteout(".wh.kept"),
                            file("kept"), whiteout("new/.wh..wh..opq"), whiteout(".wh..wh.plnk")}));
    auto gone = stat_of(scene.root / "d/gone");
    CHECK(S_ISCHR(gone.st_mode));
    CHECK(gone.st_rdev == makedev(0, 0));
    CHECK(xattr_of(scene.root / "d", "trusted.overlay.opaque") == "y");
    // The layer's own file wins over its whiteout; an opaque directory the layer does not list
    // is made; aufs metadata is skipped.
    CHECK(S_ISREG(stat_of(scene.root / "kept").st_mode));
    CHECK(xattr_of(scene.root / "new", "trusted.overlay.opaque") == "y");
    CHECK_FALSE(exists_no_follow(scene.root / ".wh.plnk"));
    CHECK_FALSE(exists_no_follow(scene.root / "plnk"));

    scene.reset_root();
    scene.options.opaque_xattr = "user.overlay.opaque";
    REQUIRE_OK(scene.apply({dir("d/"), whiteout("d/.wh..wh..opq")}));
    CHECK(xattr_of(scene.root / "d", "user.overlay.opaque") == "y");
}

TEST_CASE("without root, a file's owner is kept in user.hoist.owner", "[applier]") {
    Scene scene;
    scene.options.rootless = true;
    auto owned = file("owned");
    owned.uid = 1001;
    owned.gid = 50;
    auto mine = file("mine");
    REQUIRE_OK(scene.apply({owned, mine}));
    CHECK(xattr_of(scene.root / "owned", "user.hoist.owner") == "1001:50");
    CHECK(xattr_of(scene.root / "mine", "user.hoist.owner") == "<No data available>");
}

TEST_CASE("in overlay mode the layer's own entry wins over its whiteout, before or after it", "[applier][run]") {
    if (!running_as_root()) {
        WARN("not root: whiteout devices are not checked");
        return;
    }
    Scene scene;
    scene.options.whiteouts = ApplyOptions::Whiteouts::overlay;
    REQUIRE_OK(scene.apply({whiteout("dir/.wh.sub"), dir("dir/sub/"), file("dir/sub/f", "f"), file("link-target"),
                            whiteout(".wh.link"), hardlink_to("link", "link-target"), file("after"),
                            whiteout(".wh.after")}));
    CHECK(S_ISDIR(stat_of(scene.root / "dir/sub").st_mode));
    CHECK(read_file(scene.root / "dir/sub/f").value() == "f");
    CHECK(stat_of(scene.root / "link").st_ino == stat_of(scene.root / "link-target").st_ino);
    CHECK(S_ISREG(stat_of(scene.root / "after").st_mode));
    CHECK(scene.warnings.empty());
}

TEST_CASE("in overlay mode overlayfs's own xattrs in a layer are skipped with a warning", "[applier][run]") {
    Scene scene;
    scene.options.whiteouts = ApplyOptions::Whiteouts::overlay;
    TarEntry d = dir("d/");
    d.xattrs = {{"user.overlay.redirect", "/elsewhere"}, {"user.kept", "1"}};
    REQUIRE_OK(scene.apply({d}));
    CHECK(xattr_of(scene.root / "d", "user.overlay.redirect") == "<No data available>");
    CHECK(xattr_of(scene.root / "d", "user.kept") == "1");
    CHECK(scene.warnings == std::vector<std::string>{R"(entry "d/": xattr user.overlay.redirect skipped (overlayfs's own))"});

    // In the default mode they are the layer's like any other.
    scene.reset_root();
    scene.options.whiteouts = ApplyOptions::Whiteouts::apply;
    REQUIRE_OK(scene.apply({d}));
    CHECK(xattr_of(scene.root / "d", "user.overlay.redirect") == "/elsewhere");
}

TEST_CASE("apply_layer checks the diffID when it is given, after the blob's digest", "[applier][run]") {
    Scene scene;
    std::string plain = tar({file("f", "content")});
    auto diff_id = Digest::of(plain);
    Layer gzipped = layer(tar({file("f", "content")}, ARCHIVE_FILTER_GZIP));
    Layer zstd = layer(tar({file("f", "content")}, ARCHIVE_FILTER_ZSTD));

    scene.options.diff_id = diff_id;
    for (const Layer* blob : {&gzipped, &zstd}) {
        scene.reset_root();
        REQUIRE_OK(scene.apply(*blob));
        CHECK(read_file(scene.root / "f").value() == "content");
    }
    scene.reset_root();
    REQUIRE_OK(scene.apply(layer(plain)));

    auto other = Digest::of("another tar");
    scene.options.diff_id = other;
    scene.reset_root();
    auto wrong = scene.apply(gzipped);
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().code() == Errc::digest_mismatch);
    CHECK(wrong.error().what() == "blob " + gzipped.descriptor.digest.to_string() +
                                      ": uncompressed content has digest " + diff_id.to_string() +
                                      ", not the diffID " + other.to_string());

    // A blob that is not the one named is reported as that, not as a wrong diffID.
    Layer impostor = gzipped;
    impostor.descriptor.digest = Digest::of("not this blob");
    scene.reset_root();
    auto not_the_blob = scene.apply(impostor);
    REQUIRE_FALSE(not_the_blob);
    CHECK(not_the_blob.error().what() == "blob " + impostor.descriptor.digest.to_string() +
                                             ": content has digest " + gzipped.descriptor.digest.to_string());

    // Corrupt compressed data: the blob's digest is what is wrong.
    Layer corrupt = gzipped;
    corrupt.bytes[corrupt.bytes.size() / 2] ^= 0x55;
    scene.reset_root();
    auto corrupted = scene.apply(corrupt);
    REQUIRE_FALSE(corrupted);
    CHECK(corrupted.error().code() == Errc::digest_mismatch);
    CHECK(corrupted.error().what().starts_with("blob " + gzipped.descriptor.digest.to_string() + ": content has digest "));
}

TEST_CASE("without root, a directory merged into as 0:0 loses the owner an earlier layer kept", "[applier][run]") {
    Scene scene;
    scene.options.rootless = true;
    TarEntry owned = dir("home/");
    owned.uid = 1000;
    owned.gid = 1000;
    auto link = symlink_to("home/link", "x");
    link.uid = 1000;
    REQUIRE_OK(scene.apply({owned, link}));
    CHECK(xattr_of(scene.root / "home", "user.hoist.owner") == "1000:1000");
    // Not on a symlink: user xattrs are not allowed there, and that is no error.
    CHECK(xattr_of(scene.root / "home/link", "user.hoist.owner") == "<No data available>");
    REQUIRE_OK(scene.apply({dir("home/")}));
    CHECK(xattr_of(scene.root / "home", "user.hoist.owner") == "<No data available>");
}

TEST_CASE("missing parents are made 0755 whatever the umask", "[applier][run]") {
    Scene scene;
    mode_t old_umask = ::umask(077);
    auto applied = scene.apply({file("a/b/f")});
    ::umask(old_umask);
    REQUIRE_OK(applied);
    CHECK((stat_of(scene.root / "a").st_mode & 07777) == 0755);
    CHECK((stat_of(scene.root / "a/b").st_mode & 07777) == 0755);
}

TEST_CASE("in overlay mode hostile archives write nothing outside the root either", "[applier][run]") {
    Scene scene;
    auto cases = hostile_cases(scene.outside);
    const auto passwd = describe("/etc/passwd");
    scene.options.whiteouts = ApplyOptions::Whiteouts::overlay;
    for (const auto& c : cases) {
        INFO("case: " << c.name);
        scene.reset_root();
        scene.options.max_bytes = c.max_bytes;
        scene.options.max_entries = c.max_entries;
        auto before = snapshot(scene.temp.path(), scene.root);
        // Each layer on its own would go into a directory of its own; here they stack, which
        // gives the later ones more to escape through.
        for (const auto& blob : c.layers) {
            (void)scene.apply(blob);
        }
        CHECK(snapshot(scene.temp.path(), scene.root) == before);
        CHECK(read_file(scene.outside / "victim").value() == "precious");
        CHECK(describe("/etc/passwd") == passwd);
    }
}
