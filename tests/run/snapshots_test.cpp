#include "src/run/snapshots.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <latch>
#include <thread>

#include "oci/file.hpp"
#include "tests/oci/hostile_layers.hpp"
#include "tests/support.hpp"

namespace fs = std::filesystem;
using namespace hoist;
using namespace hoist::run;
using hoist::test::dir;
using hoist::test::file;
using hoist::test::Layer;
using hoist::test::StringReader;
using hoist::test::layer;
using hoist::test::TarEntry;
using hoist::test::whiteout;

namespace {

bool running_as_root() {
    return ::geteuid() == 0;
}

// A layer as the store gets it: the blob, its descriptor, its diffID (the tar is not
// compressed, so the two digests are the same).
struct StoredLayer {
    Layer blob;
    oci::Digest diff_id;
};

StoredLayer stored(const std::vector<TarEntry>& entries) {
    auto blob = layer(entries);
    auto diff_id = blob.descriptor.digest;
    return {std::move(blob), std::move(diff_id)};
}

// A store in a temporary directory, and a count of the blobs it opened.
struct Fixture {
    TempDir temp = TempDir::create(temp_directory(), "hoist-snapshots-test-").value();
    std::atomic<int> opened = 0;

    SnapshotStore store(OverlayXattrs flavour = OverlayXattrs::user, bool rootless = !running_as_root()) {
        auto opened_store = SnapshotStore::open(temp.path() / "snapshots", flavour, rootless);
        REQUIRE(opened_store);
        return std::move(*opened_store);
    }

    BlobOpener opener(const StoredLayer& layer) {
        return [this, &layer]() -> Result<std::unique_ptr<oci::Reader>> {
            ++opened;
            return std::unique_ptr<oci::Reader>(std::make_unique<StringReader>(layer.blob.bytes));
        };
    }

    // What is left in <store>/tmp.
    std::vector<std::string> leftovers() const {
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(temp.path() / "snapshots/tmp")) {
            names.push_back(entry.path().filename().string());
        }
        return names;
    }
};

struct stat stat_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

std::string xattr_of(const fs::path& path, const char* name) {
    char value[256];
    ssize_t n = ::lgetxattr(path.c_str(), name, value, sizeof value);
    return n < 0 ? "<" + std::string(std::strerror(errno)) + ">" : std::string(value, static_cast<std::size_t>(n));
}

bool exists_no_follow(const fs::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

// Detaches a mount at the end of a test, however it ends.
struct Unmount {
    fs::path path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
};

}  // namespace

TEST_CASE("opaque_xattr names overlayfs's opaque xattr of each flavour", "[run]") {
    CHECK(opaque_xattr(OverlayXattrs::trusted) == "trusted.overlay.opaque");
    CHECK(opaque_xattr(OverlayXattrs::user) == "user.overlay.opaque");
}

TEST_CASE("SnapshotStore::ensure unpacks a layer as an overlayfs lower directory", "[run]") {
    if (!running_as_root()) {
        WARN("not root: whiteout devices are not checked");
        return;
    }
    auto layer = stored({dir("etc/"), file("etc/hosts", "hosts"), whiteout("etc/.wh.passwd"), dir("data/"),
                         whiteout("data/.wh..wh..opq"), file("data/keep", "keep"), whiteout("new/.wh..wh..opq")});
    for (auto flavour : {OverlayXattrs::trusted, OverlayXattrs::user}) {
        auto name = std::string(opaque_xattr(flavour));
        auto other =
            std::string(opaque_xattr(flavour == OverlayXattrs::trusted ? OverlayXattrs::user : OverlayXattrs::trusted));
        INFO(name);
        Fixture fixture;
        auto store = fixture.store(flavour, false);
        auto unpacked = store.ensure(layer.diff_id, layer.blob.descriptor, fixture.opener(layer));
        INFO((unpacked ? "ok" : unpacked.error().what()));
        REQUIRE(unpacked);
        CHECK(*unpacked == fixture.temp.path() / "snapshots" / layer.diff_id.hex());
        CHECK((stat_of(*unpacked).st_mode & 07777) == 0755);
        CHECK(read_file(*unpacked / "etc/hosts").value() == "hosts");
        auto gone = stat_of(*unpacked / "etc/passwd");
        CHECK(S_ISCHR(gone.st_mode));
        CHECK(gone.st_rdev == makedev(0, 0));
        CHECK(xattr_of(*unpacked / "data", name.c_str()) == "y");
        CHECK(xattr_of(*unpacked / "data", other.c_str()) == "<No data available>");
        CHECK(read_file(*unpacked / "data/keep").value() == "keep");
        CHECK(xattr_of(*unpacked / "new", name.c_str()) == "y");
        CHECK_FALSE(exists_no_follow(*unpacked / "data/.wh..wh..opq"));
        CHECK(fixture.leftovers().empty());
    }
}

TEST_CASE("SnapshotStore::ensure keeps owners it cannot set in user.hoist.owner when rootless", "[run]") {
    TarEntry owned = file("home/app/data", "d");
    owned.uid = 1000;
    owned.gid = 1001;
    TarEntry home = dir("home/app/");
    home.uid = 1000;
    home.gid = 1001;
    auto layer = stored({dir("home/"), home, owned, file("root-owned")});
    Fixture fixture;
    auto store = fixture.store(OverlayXattrs::user, true);
    auto unpacked = store.ensure(layer.diff_id, layer.blob.descriptor, fixture.opener(layer));
    REQUIRE(unpacked);
    CHECK(xattr_of(*unpacked / "home/app/data", "user.hoist.owner") == "1000:1001");
    CHECK(xattr_of(*unpacked / "home/app", "user.hoist.owner") == "1000:1001");
    CHECK(xattr_of(*unpacked / "home", "user.hoist.owner") == "<No data available>");
    CHECK(xattr_of(*unpacked / "root-owned", "user.hoist.owner") == "<No data available>");
    CHECK(stat_of(*unpacked / "home/app/data").st_uid == ::geteuid());
}

TEST_CASE("SnapshotStore::ensure unpacks a layer once", "[run]") {
    auto layer = stored({file("f", "content")});
    Fixture fixture;
    auto store = fixture.store();
    auto first = store.ensure(layer.diff_id, layer.blob.descriptor, fixture.opener(layer));
    auto second = store.ensure(layer.diff_id, layer.blob.descriptor, fixture.opener(layer));
    REQUIRE(first);
    REQUIRE(second);
    CHECK(*first == *second);
    CHECK(fixture.opened.load() == 1);
    CHECK(read_file(*second / "f").value() == "content");

    // Another store on the same directory (another process) finds it too.
    auto again = fixture.store();
    auto third = again.ensure(layer.diff_id, layer.blob.descriptor, fixture.opener(layer));
    REQUIRE(third);
    CHECK(*third == *first);
    CHECK(fixture.opened.load() == 1);
}

TEST_CASE("SnapshotStore::ensure from two threads at once gives both the same directory", "[run]") {
    auto layer = stored({dir("d/"), file("d/f", "content")});
    Fixture fixture;
    auto store = fixture.store();
    // Both threads are made to unpack: neither may finish before the other has begun.
    std::latch both_unpacking(2);
    BlobOpener open = [&]() -> Result<std::unique_ptr<oci::Reader>> {
        ++fixture.opened;
        both_unpacking.arrive_and_wait();
        return std::unique_ptr<oci::Reader>(std::make_unique<StringReader>(layer.blob.bytes));
    };
    std::optional<Result<fs::path>> results[2];
    {
        std::jthread one([&] { results[0] = store.ensure(layer.diff_id, layer.blob.descriptor, open); });
        std::jthread two([&] { results[1] = store.ensure(layer.diff_id, layer.blob.descriptor, open); });
    }
    REQUIRE(results[0].has_value());
    REQUIRE(results[1].has_value());
    INFO((*results[0] ? "ok" : results[0]->error().what()));
    INFO((*results[1] ? "ok" : results[1]->error().what()));
    REQUIRE(*results[0]);
    REQUIRE(*results[1]);
    CHECK(**results[0] == **results[1]);
    CHECK(fixture.opened.load() == 2);
    CHECK(read_file(**results[0] / "d/f").value() == "content");
    // The loser's unpacking is gone.
    CHECK(fixture.leftovers().empty());
}

TEST_CASE("SnapshotStore::ensure refuses a layer whose tar is not its diffID and keeps nothing", "[run]") {
    auto layer = stored({file("f", "content")});
    auto claimed = oci::Digest::of("another layer");
    Fixture fixture;
    auto store = fixture.store();
    auto unpacked = store.ensure(claimed, layer.blob.descriptor, fixture.opener(layer));
    REQUIRE_FALSE(unpacked);
    CHECK(unpacked.error().code() == Errc::digest_mismatch);
    CHECK(unpacked.error().what() == "unpack layer " + claimed.to_string() + ": blob " +
                                         layer.blob.descriptor.digest.to_string() +
                                         ": uncompressed content has digest " + layer.diff_id.to_string() +
                                         ", not the diffID " + claimed.to_string());
    CHECK_FALSE(exists_no_follow(fixture.temp.path() / "snapshots" / claimed.hex()));
    CHECK(fixture.leftovers().empty());
}

TEST_CASE("SnapshotStore::ensure passes on the blob opener's error", "[run]") {
    auto layer = stored({file("f")});
    Fixture fixture;
    auto store = fixture.store();
    auto unpacked = store.ensure(layer.diff_id, layer.blob.descriptor, []() -> Result<std::unique_ptr<oci::Reader>> {
        return fail(Errc::not_found, "blob not in the store");
    });
    REQUIRE_FALSE(unpacked);
    CHECK(unpacked.error().code() == Errc::not_found);
    CHECK(unpacked.error().what() == "unpack layer " + layer.diff_id.to_string() + ": blob not in the store");
    CHECK(fixture.leftovers().empty());
}

TEST_CASE("SnapshotStore::adopt moves a directory in, or removes it when the layer is there", "[run]") {
    Fixture fixture;
    auto store = fixture.store();
    auto diff_id = oci::Digest::of("a layer");
    auto scratch = store.scratch();
    REQUIRE(scratch);
    fs::create_directories(*scratch / "upper/sub");
    REQUIRE(write_file_atomic(*scratch / "upper/sub/file", "first"));
    auto adopted = store.adopt(diff_id, *scratch / "upper");
    REQUIRE(adopted);
    CHECK(*adopted == fixture.temp.path() / "snapshots" / diff_id.hex());
    CHECK(read_file(*adopted / "sub/file").value() == "first");
    CHECK_FALSE(exists_no_follow(*scratch / "upper"));

    fs::create_directories(*scratch / "upper2");
    REQUIRE(write_file_atomic(*scratch / "upper2/file", "second"));
    ::chmod((*scratch / "upper2").c_str(), 0500);  // what a RUN may leave
    auto again = store.adopt(diff_id, *scratch / "upper2");
    REQUIRE(again);
    CHECK(*again == *adopted);
    CHECK(read_file(*adopted / "sub/file").value() == "first");
    CHECK_FALSE(exists_no_follow(*scratch / "upper2"));

    // An empty layer in place is not replaced either.
    auto empty_id = oci::Digest::of("an empty layer");
    fs::create_directories(*scratch / "empty1");
    fs::create_directories(*scratch / "empty2");
    auto empty = store.adopt(empty_id, *scratch / "empty1");
    REQUIRE(empty);
    auto inode = stat_of(*empty).st_ino;
    REQUIRE(store.adopt(empty_id, *scratch / "empty2"));
    CHECK(stat_of(*empty).st_ino == inode);
    CHECK_FALSE(exists_no_follow(*scratch / "empty2"));
    REQUIRE(remove_tree(*scratch));
}

TEST_CASE("SnapshotStore::scratch makes a new private directory under the store's tmp", "[run]") {
    Fixture fixture;
    auto store = fixture.store();
    auto one = store.scratch();
    auto two = store.scratch();
    REQUIRE(one);
    REQUIRE(two);
    CHECK(*one != *two);
    CHECK(one->parent_path() == fixture.temp.path() / "snapshots/tmp");
    CHECK(one->filename().string().starts_with("run-"));
    CHECK((stat_of(*one).st_mode & 07777) == 0700);
    CHECK(fs::is_empty(*one));
    REQUIRE(remove_tree(*one));
    REQUIRE(remove_tree(*two));
    CHECK(fixture.leftovers().empty());
}

TEST_CASE("remove_tree removes locked directories and never follows symlinks", "[run]") {
    TempDir temp = TempDir::create(temp_directory(), "hoist-remove-test-").value();
    auto tree = temp.path() / "tree";
    auto outside = temp.path() / "outside";
    fs::create_directories(outside);
    REQUIRE(write_file_atomic(outside / "victim", "precious"));
    fs::create_directories(tree / "locked/deeper");
    REQUIRE(write_file_atomic(tree / "locked/deeper/file", "x"));
    fs::create_directories(tree / "read-only");
    REQUIRE(write_file_atomic(tree / "read-only/file", "x"));
    fs::create_symlink(outside, tree / "dir-link");
    fs::create_symlink(outside / "victim", tree / "file-link");
    REQUIRE(::mkfifo((tree / "fifo").c_str(), 0600) == 0);
    ::chmod((tree / "locked/deeper").c_str(), 0);
    ::chmod((tree / "locked").c_str(), 0);
    ::chmod((tree / "read-only").c_str(), 0500);

    REQUIRE(remove_tree(tree));
    CHECK_FALSE(exists_no_follow(tree));
    CHECK(read_file(outside / "victim").value() == "precious");

    // A symlink given as the path is removed, not what it points at; missing is no error; a
    // trailing slash names the directory.
    fs::create_symlink(outside, temp.path() / "link");
    REQUIRE(remove_tree(temp.path() / "link"));
    CHECK_FALSE(exists_no_follow(temp.path() / "link"));
    CHECK(read_file(outside / "victim").value() == "precious");
    REQUIRE(remove_tree(temp.path() / "missing"));
    REQUIRE(remove_tree(temp.path() / "missing/below"));
    fs::create_directories(temp.path() / "slash/sub");
    REQUIRE(remove_tree(temp.path().string() + "/slash/"));
    CHECK_FALSE(exists_no_follow(temp.path() / "slash"));
}

TEST_CASE("remove_tree does not enter another mount below", "[run]") {
    if (!running_as_root()) {
        WARN("not root: no mount to leave behind");
        return;
    }
    TempDir temp = TempDir::create(temp_directory(), "hoist-remove-test-").value();
    auto tree = temp.path() / "tree";
    fs::create_directories(tree / "mnt");
    REQUIRE(write_file_atomic(tree / "file", "x"));
    if (::mount("tmpfs", (tree / "mnt").c_str(), "tmpfs", 0, "size=1m") != 0) {
        WARN("cannot mount a tmpfs here: " << std::strerror(errno));
        return;
    }
    Unmount unmount{tree / "mnt"};
    REQUIRE(write_file_atomic(tree / "mnt/kept", "kept"));

    auto removed = remove_tree(tree);
    REQUIRE_FALSE(removed);
    CHECK(removed.error().code() == Errc::unsafe);
    CHECK(removed.error().what() == "remove " + (tree / "mnt").string() + ": another filesystem is mounted there");
    CHECK(read_file(tree / "mnt/kept").value() == "kept");

    // A bind mount of a directory of the same filesystem is another mount too.
    auto outside = temp.path() / "outside";
    fs::create_directories(outside);
    REQUIRE(write_file_atomic(outside / "victim", "precious"));
    fs::create_directories(temp.path() / "tree2/bound");
    REQUIRE(::mount(outside.c_str(), (temp.path() / "tree2/bound").c_str(), nullptr, MS_BIND, nullptr) == 0);
    Unmount unbind{temp.path() / "tree2/bound"};
    removed = remove_tree(temp.path() / "tree2");
    REQUIRE_FALSE(removed);
    CHECK(removed.error().what() ==
          "remove " + (temp.path() / "tree2/bound").string() + ": another filesystem is mounted there");
    CHECK(read_file(outside / "victim").value() == "precious");
}
