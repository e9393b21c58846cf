#include "src/run/diff.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "oci/file.hpp"
#include "oci/stream.hpp"
#include "src/run/snapshots.hpp"

namespace fs = std::filesystem;
using namespace hoist;
using namespace hoist::run;
using Type = oci::LayerEntry::Type;

namespace {

struct Dir {
    TempDir temp = TempDir::create(temp_directory(), "hoist-diff-test-").value();
    const fs::path& path() const { return temp.path(); }
    void write(const std::string& name, const std::string& text) const {
        fs::create_directories((path() / name).parent_path());
        REQUIRE(write_file_atomic(path() / name, text));
    }
};

void set_xattr(const fs::path& path, const char* name, const std::string& value) {
    REQUIRE(::lsetxattr(path.c_str(), name, value.data(), value.size(), 0) == 0);
}

// "PATH TYPE UID:GID" of each entry, and its xattr names.
std::vector<std::string> describe(const std::vector<oci::LayerEntry>& entries) {
    std::vector<std::string> lines;
    for (const auto& entry : entries) {
        std::string line = entry.path + " " + std::to_string(static_cast<int>(entry.type)) + " " +
                           std::to_string(entry.uid) + ":" + std::to_string(entry.gid);
        for (const auto& [name, value] : entry.xattrs) {
            line += " " + name;
        }
        if (entry.type == Type::hardlink) {
            line += " -> " + entry.link_target;
        }
        lines.push_back(line);
    }
    std::sort(lines.begin(), lines.end());
    return lines;
}

}  // namespace

TEST_CASE("upper_entries turns overlayfs's whiteouts and opaque directories into layer entries", "[run]") {
    if (::geteuid() != 0) {
        WARN("not root: 0/0 devices are not checked");
        return;
    }
    Dir upper;
    upper.write("etc/new.conf", "x");
    REQUIRE(::mknod((upper.path() / "etc/gone").c_str(), S_IFCHR | 0, makedev(0, 0)) == 0);
    fs::create_directories(upper.path() / "data");
    set_xattr(upper.path() / "data", "user.overlay.opaque", "y");
    set_xattr(upper.path() / "etc", "user.overlay.origin", "somewhere");
    upper.write("home/app/file", "mine");
    set_xattr(upper.path() / "home/app/file", "user.hoist.owner", "1001:1002");
    set_xattr(upper.path() / "home/app/file", "user.kept", "1");
    REQUIRE(::link((upper.path() / "etc/new.conf").c_str(), (upper.path() / "etc/same.conf").c_str()) == 0);

    auto entries = upper_entries(upper.path(), OverlayXattrs::user);
    REQUIRE(entries);
    CHECK(describe(*entries) == std::vector<std::string>{
                                    "data 1 0:0",
                                    "data/.wh..wh..opq 0 0:0",
                                    "etc 1 0:0",
                                    "etc/.wh.gone 0 0:0",
                                    "etc/new.conf 0 0:0",
                                    "etc/same.conf 3 0:0 -> etc/new.conf",
                                    "home 1 0:0",
                                    "home/app 1 0:0",
                                    "home/app/file 0 1001:1002 user.kept",
                                });
}

TEST_CASE("TreeState finds what changed in a root filesystem by its metadata", "[run]") {
    Dir root;
    root.write("etc/passwd", "root");
    root.write("etc/group", "root");
    root.write("etc/hosts", "localhost");
    root.write("opt/app/one", "1");
    root.write("opt/app/sub/two", "2");
    root.write("opt/file", "f");
    root.write("srv/dir/x", "x");
    auto before = TreeState::scan(root.path());
    REQUIRE(before);

    root.write("etc/passwd", "root and more");       // changed content
    fs::permissions(root.path() / "etc/group", fs::perms(0600));  // changed mode only
    root.write("new/file", "new");                    // new, in a new directory
    fs::remove_all(root.path() / "opt/app");          // a whole directory: one whiteout
    fs::remove(root.path() / "opt/file");             // a file that became a directory
    root.write("opt/file/inside", "i");
    fs::remove_all(root.path() / "srv/dir");          // a directory that became a file
    root.write("srv/dir", "now a file");

    auto changes = before->changes(root.path());
    REQUIRE(changes);
    std::vector<std::string> paths;
    for (const auto& entry : *changes) {
        paths.push_back(entry.path);
    }
    std::sort(paths.begin(), paths.end());
    CHECK(paths == std::vector<std::string>{"etc", "etc/group", "etc/passwd", "new", "new/file", "opt",
                                            "opt/.wh.app", "opt/file", "opt/file/inside", "srv", "srv/dir"});
}

TEST_CASE("SnapshotStore unpacks a layer once and adopts directories by rename", "[run]") {
    Dir store_dir;
    auto store = SnapshotStore::open(store_dir.path() / "snapshots", OverlayXattrs::user, ::geteuid() != 0);
    REQUIRE(store);
    std::string empty_tar(1024, '\0');
    auto blob = oci::Descriptor::of("application/vnd.oci.image.layer.v1.tar", empty_tar);
    auto diff_id = blob.digest;
    int opened = 0;
    REQUIRE(write_file_atomic(store_dir.path() / "layer.tar", empty_tar));
    auto open = [&]() -> Result<std::unique_ptr<oci::Reader>> {
        ++opened;
        auto fd = HOIST_TRY(open_file(store_dir.path() / "layer.tar", O_RDONLY));
        return std::unique_ptr<oci::Reader>(std::make_unique<oci::FileReader>(std::move(fd), "layer.tar"));
    };
    auto first = store->ensure(diff_id, blob, open);
    auto second = store->ensure(diff_id, blob, open);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(*first == *second);
    CHECK(opened == 1);

    auto scratch = store->scratch();
    REQUIRE(scratch);
    fs::create_directories(*scratch / "upper");
    REQUIRE(write_file_atomic(*scratch / "upper/file", "x"));
    auto other = oci::Digest::of("another layer");
    auto adopted = store->adopt(other, *scratch / "upper");
    REQUIRE(adopted);
    CHECK(read_file(*adopted / "file").value() == "x");
    CHECK_FALSE(fs::exists(*scratch / "upper"));
    REQUIRE(remove_tree(*scratch));
    CHECK_FALSE(fs::exists(*scratch));
}
