// What the build tests share: contexts in temporary directories and images made of layers
// written by write_layer into a real OCI layout.
#pragma once

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "oci/compression.hpp"
#include "oci/file.hpp"
#include "oci/layout.hpp"
#include "src/build/tree.hpp"

namespace hoist::test {

// Unwraps a Result in a test, failing with its message.
template <class T>
T ok(Result<T> result) {
    if (!result) {
        FAIL(result.error().what());
    }
    if constexpr (!std::is_void_v<T>) {
        return std::move(*result);
    }
}

// The message of a Result that must have failed.
template <class T>
std::string error_of(const Result<T>& result) {
    REQUIRE_FALSE(result.has_value());
    return result.error().what();
}

inline TempDir temp_dir() {
    return ok(TempDir::create(temp_directory(), "hoist-build-test-"));
}

// Writes `content` at `dir/path`, making its parents, with `mode`.
inline void put_file(const std::filesystem::path& dir, const std::string& path, const std::string& content,
                     unsigned mode = 0644) {
    auto file = dir / path;
    std::filesystem::create_directories(file.parent_path());
    ok(write_file_atomic(file, content, mode));
    REQUIRE(::chmod(file.c_str(), mode) == 0);
}

inline oci::LayerEntry dir_entry(std::string path, std::uint32_t mode = 0755, std::uint32_t uid = 0) {
    return oci::LayerEntry{.path = std::move(path), .type = oci::LayerEntry::Type::directory, .mode = mode,
                           .uid = uid, .gid = uid};
}

inline oci::LayerEntry file_entry(std::string path, std::string content, std::uint32_t mode = 0644,
                                  std::uint32_t uid = 0) {
    oci::LayerEntry entry{.path = std::move(path), .mode = mode, .uid = uid, .gid = uid, .mtime = 1000};
    entry.content = std::move(content);
    return entry;
}

inline oci::LayerEntry link_entry(std::string path, std::string target,
                                  oci::LayerEntry::Type type = oci::LayerEntry::Type::symlink) {
    return oci::LayerEntry{.path = std::move(path), .type = type, .mode = 0777, .link_target = std::move(target)};
}

// An OCI layout in a temporary directory, and the layers of one image in it.
struct Image {
    TempDir dir = temp_dir();
    std::shared_ptr<oci::OciLayout> layout = ok(oci::OciLayout::open(dir.path() / "layout", oci::OciLayout::Mode::create));
    std::vector<oci::Descriptor> layers;

    void add(std::vector<oci::LayerEntry> entries) {
        auto blob = ok(layout->blob_writer());
        auto stream = ok(oci::LayerStream::create(blob, oci::CompressionOptions{.threads = 1}));
        ok(oci::write_layer(std::move(entries), *stream));
        auto layer = ok(stream->finish());
        layers.push_back(ok(blob.commit(layer.descriptor.media_type, layer.descriptor)));
    }

    std::unique_ptr<build::ImageTree> tree() { return ok(build::ImageTree::open(layout, layers, dir.path())); }
};

// The base image most copy tests write over: /etc/passwd and /etc/group with a user, /tmp
// 1777, /var/run -> /run, /app owned by 1000.
inline void add_base_layer(Image& image) {
    image.add({
        dir_entry("etc"),
        file_entry("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n"),
        file_entry("etc/group", "root:x:0:\nstaff:x:50:\napps:x:1001:\n"),
        dir_entry("tmp", 01777),
        dir_entry("run"),
        dir_entry("var"),
        link_entry("var/run", "/run"),
        dir_entry("app", 0750, 1000),
    });
}

}  // namespace hoist::test
