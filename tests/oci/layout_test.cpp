#include "oci/layout.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "oci/copy.hpp"
#include "oci/file.hpp"
#include "oci/image_config.hpp"
#include "oci/index.hpp"
#include "oci/manifest.hpp"
#include "oci/media_type.hpp"
#include "tests/support.hpp"

using hoist::Errc;
using hoist::Result;
using hoist::TempDir;
using hoist::oci::BlobWriter;
using hoist::oci::Descriptor;
using hoist::oci::Digest;
using hoist::oci::GcResult;
using hoist::oci::ImageConfig;
using hoist::oci::ImageSink;
using hoist::oci::Index;
using hoist::oci::Manifest;
using hoist::oci::OciLayout;
using hoist::oci::Reader;
using hoist::test::StringReader;
namespace fs = std::filesystem;
namespace media_type = hoist::oci::media_type;

namespace {

constexpr std::string_view k_ref_name = hoist::oci::k_ref_name_annotation;

TempDir make_temp_dir() {
    return TempDir::create(hoist::temp_directory(), "hoist-layout-test-").value();
}

std::unique_ptr<OciLayout> create_layout(const fs::path& dir) {
    return OciLayout::open(dir, OciLayout::Mode::create).value();
}

std::string file_text(const fs::path& path) {
    return hoist::read_file(path).value();
}

// Replaces the file's content in place, as a disk error or a careless edit would.
void overwrite(const fs::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
    REQUIRE(out.good());
}

// The temporary files of unfinished writes at the top of the layout.
std::vector<std::string> leftovers(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        auto name = entry.path().filename().string();
        if (name.find(".tmp-") != std::string::npos) {
            names.push_back(name);
        }
    }
    return names;
}

std::set<std::string> stored_blobs(const fs::path& dir) {
    std::set<std::string> digests;
    for (const auto& algorithm : fs::directory_iterator(dir / "blobs")) {
        for (const auto& blob : fs::directory_iterator(algorithm.path())) {
            digests.insert(algorithm.path().filename().string() + ":" + blob.path().filename().string());
        }
    }
    return digests;
}

bool same_blob(const Descriptor& a, const Descriptor& b) {
    return a.media_type == b.media_type && a.digest == b.digest && a.size == b.size;
}

// The digest_mismatch messages for content of the right size but another digest, and for
// content of another size.
std::string digest_mismatch(const Descriptor& expected, std::string_view actual) {
    return "blob " + expected.digest.to_string() + ": content has digest " + Digest::of(actual).to_string();
}

std::string size_mismatch(const Descriptor& expected, std::size_t actual_size) {
    return "blob " + expected.digest.to_string() + ": " + std::to_string(actual_size) + " bytes, not the " +
           std::to_string(expected.size) + " its descriptor says";
}

// A Reader over a string, handing out at most `chunk` bytes a call.
// Reads a stream to its end; the error of the read that failed, if one did.
Result<std::string> drain(Reader& reader, std::size_t chunk = 5) {
    std::string bytes;
    std::vector<char> buffer(chunk);
    for (;;) {
        auto n = reader.read(buffer);
        if (!n) {
            return std::unexpected(n.error());
        }
        if (*n == 0) {
            return bytes;
        }
        bytes.append(buffer.data(), *n);
    }
}

struct TestImage {
    Descriptor manifest;
    Descriptor config;
    std::vector<Descriptor> layers;

    std::vector<Descriptor> blobs() const {
        std::vector<Descriptor> all{manifest, config};
        all.insert(all.end(), layers.begin(), layers.end());
        return all;
    }
};

// Stores an image of the given layer contents; `created` makes configs differ.
TestImage put_image(OciLayout& layout, std::string_view created, const std::vector<std::string>& layer_contents,
                    std::optional<Descriptor> subject = std::nullopt) {
    ImageConfig config{.platform = {.os = "linux", .architecture = "amd64"}, .created = std::string(created)};
    TestImage image{.manifest = Descriptor::of(media_type::oci_manifest, ""),
                    .config = Descriptor::of(media_type::oci_config, "")};
    for (const auto& content : layer_contents) {
        image.layers.push_back(layout.put_bytes(media_type::oci_layer, content).value());
        config.diff_ids.push_back(Digest::of(content));
    }
    image.config = layout.put_bytes(media_type::oci_config, config.to_json()).value();
    Manifest manifest{.config = image.config, .layers = image.layers, .subject = subject};
    image.manifest = layout.put_bytes(media_type::oci_manifest, manifest.to_json()).value();
    return image;
}

Descriptor put_index(OciLayout& layout, const std::vector<Descriptor>& manifests) {
    Index index{.manifests = manifests};
    return layout.put_bytes(media_type::oci_index, index.to_json()).value();
}

std::vector<std::string> names_in(const Index& index) {
    std::vector<std::string> names;
    for (const auto& entry : index.manifests) {
        auto it = entry.annotations.find(std::string(k_ref_name));
        names.push_back(it == entry.annotations.end() ? "" : it->second);
    }
    return names;
}

// Runs `body` in a child process and returns its pid; the child exits with body's result,
// without running this process's destructors or atexit handlers.
pid_t spawn(const std::function<int()>& body) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int status = 3;
        try {
            status = body();
        } catch (...) {
            status = 4;
        }
        ::_exit(status);
    }
    return pid;
}

int exit_code(pid_t pid) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
}

struct Pipe {
    int read_end = -1;
    int write_end = -1;
    Pipe() {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        read_end = fds[0];
        write_end = fds[1];
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    ~Pipe() {
        close_read();
        close_write();
    }
    void close_read() {
        if (read_end >= 0) {
            ::close(read_end);
            read_end = -1;
        }
    }
    void close_write() {
        if (write_end >= 0) {
            ::close(write_end);
            write_end = -1;
        }
    }
    bool signal() const { return ::write(write_end, "x", 1) == 1; }
    // One byte, or false at the end of the pipe.
    bool wait() const {
        char byte;
        return ::read(read_end, &byte, 1) == 1;
    }
};

}  // namespace

// --- open ---

TEST_CASE("OciLayout::open refuses a missing directory with Errc::not_found", "[layout]") {
    auto temp = make_temp_dir();
    auto dir = temp.path() / "missing";
    auto layout = OciLayout::open(dir, OciLayout::Mode::open_existing);
    REQUIRE_FALSE(layout);
    CHECK(layout.error().code() == Errc::not_found);
    CHECK(layout.error().what() == dir.string() + ": not an OCI layout (no oci-layout file)");
    CHECK_FALSE(fs::exists(dir));
}

TEST_CASE("OciLayout::open refuses an existing directory without an oci-layout file", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = OciLayout::open(temp.path());
    REQUIRE_FALSE(layout);
    CHECK(layout.error().code() == Errc::not_found);
    CHECK(layout.error().what() == temp.path().string() + ": not an OCI layout (no oci-layout file)");
    CHECK(fs::is_empty(temp.path()));
}

TEST_CASE("OciLayout::open with Mode::create writes oci-layout and an empty index.json", "[layout]") {
    auto temp = make_temp_dir();
    auto dir = temp.path() / "a" / "layout";
    auto layout = OciLayout::open(dir, OciLayout::Mode::create);
    REQUIRE(layout);
    CHECK((*layout)->dir() == dir);
    CHECK(file_text(dir / "oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
    CHECK(file_text(dir / "index.json") ==
          R"({"manifests":[],)"
          R"("mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2})");
    CHECK(fs::is_directory(dir / "blobs" / "sha256"));
    CHECK((*layout)->read_index().value().manifests.empty());
    CHECK(leftovers(dir).empty());
}

TEST_CASE("OciLayout::open with Mode::create keeps an existing layout's index", "[layout]") {
    auto temp = make_temp_dir();
    auto blob = Descriptor::of(media_type::oci_manifest, "{}");
    {
        auto layout = create_layout(temp.path());
        REQUIRE(layout->tag(blob, "v1"));
    }
    auto again = OciLayout::open(temp.path(), OciLayout::Mode::create);
    REQUIRE(again);
    CHECK(names_in((*again)->read_index().value()) == std::vector<std::string>{"v1"});
    auto existing = OciLayout::open(temp.path(), OciLayout::Mode::open_existing);
    REQUIRE(existing);
    CHECK(names_in((*existing)->read_index().value()) == std::vector<std::string>{"v1"});
}

TEST_CASE("OciLayout::open refuses a malformed oci-layout or index.json as invalid_argument", "[layout]") {
    auto temp = make_temp_dir();
    create_layout(temp.path());

    SECTION("oci-layout without imageLayoutVersion") {
        overwrite(temp.path() / "oci-layout", "{}");
        auto layout = OciLayout::open(temp.path());
        REQUIRE_FALSE(layout);
        CHECK(layout.error().code() == Errc::invalid_argument);
        CHECK(layout.error().what() == (temp.path() / "oci-layout").string() + ": \"imageLayoutVersion\" is missing");
    }
    SECTION("index.json without manifests") {
        overwrite(temp.path() / "index.json", R"({"schemaVersion":2})");
        auto layout = OciLayout::open(temp.path());
        REQUIRE_FALSE(layout);
        CHECK(layout.error().code() == Errc::invalid_argument);
        CHECK(layout.error().what() ==
              (temp.path() / "index.json").string() + ": index: \"manifests\" must be an array");
    }
}

// --- writing blobs ---

TEST_CASE("OciLayout::put_bytes stores a blob at blobs/sha256/<hex> with mode 0644", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    const std::string content = "hello, layout";

    auto blob = layout->put_bytes(media_type::oci_layer, content);
    REQUIRE(blob);
    CHECK(blob->media_type == media_type::oci_layer);
    CHECK(blob->digest == Digest::of(content));
    CHECK(blob->size == static_cast<std::int64_t>(content.size()));

    auto path = temp.path() / "blobs" / "sha256" / Digest::of(content).hex();
    CHECK(layout->blob_path(blob->digest) == path);
    CHECK(layout->contains(blob->digest));
    CHECK(file_text(path) == content);
    struct stat status {};
    REQUIRE(::stat(path.c_str(), &status) == 0);
    CHECK((status.st_mode & 07777) == 0644);
    CHECK(leftovers(temp.path()).empty());

    // Storing the same bytes again is harmless and gives the same descriptor.
    auto again = layout->put_bytes(media_type::oci_layer, content);
    REQUIRE(again);
    CHECK(again->digest == blob->digest);
    CHECK(stored_blobs(temp.path()) == std::set<std::string>{blob->digest.to_string()});
}

TEST_CASE("OciLayout::put_file stores a file's content as a blob", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path() / "layout");
    const std::string content(3 << 20, 'z');  // more than one read buffer
    overwrite(temp.path() / "input", content);

    auto blob = layout->put_file(media_type::oci_layer, temp.path() / "input");
    REQUIRE(blob);
    CHECK(same_blob(*blob, Descriptor::of(media_type::oci_layer, content)));
    CHECK(file_text(layout->blob_path(blob->digest)) == content);
}

TEST_CASE("BlobWriter commits the chunks written to it under their digest", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    auto expected = Descriptor::of(media_type::oci_layer, "one two three");

    auto writer = layout->blob_writer();
    REQUIRE(writer);
    REQUIRE(writer->write("one "));
    REQUIRE(writer->write(""));
    REQUIRE(writer->write("two three"));
    auto blob = writer->commit(media_type::oci_layer, expected);
    REQUIRE(blob);
    CHECK(same_blob(*blob, expected));
    CHECK(file_text(layout->blob_path(expected.digest)) == "one two three");
    CHECK(leftovers(temp.path()).empty());
}

TEST_CASE("BlobWriter::commit refuses content that does not match the expected descriptor", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    const std::string content = "actual content";

    SECTION("another digest") {
        auto expected = Descriptor::of(media_type::oci_layer, "actual CONTENT");
        {
            auto writer = layout->blob_writer().value();
            REQUIRE(writer.write(content));
            auto blob = writer.commit(media_type::oci_layer, expected);
            REQUIRE_FALSE(blob);
            CHECK(blob.error().code() == Errc::digest_mismatch);
            CHECK(blob.error().what() == digest_mismatch(expected, content));
        }
        CHECK_FALSE(fs::exists(layout->blob_path(expected.digest)));
        CHECK_FALSE(fs::exists(layout->blob_path(Digest::of(content))));
    }
    SECTION("another size") {
        auto expected = Descriptor::of(media_type::oci_layer, "announced content");
        {
            auto writer = layout->blob_writer().value();
            REQUIRE(writer.write(content));
            auto blob = writer.commit(media_type::oci_layer, expected);
            REQUIRE_FALSE(blob);
            CHECK(blob.error().code() == Errc::digest_mismatch);
            CHECK(blob.error().what() ==
                  "blob " + expected.digest.to_string() + ": 14 bytes, not the 17 its descriptor says");
        }
        CHECK_FALSE(fs::exists(layout->blob_path(expected.digest)));
        CHECK_FALSE(fs::exists(layout->blob_path(Digest::of(content))));
    }
    SECTION("the right digest but another size") {
        auto expected = Descriptor::of(media_type::oci_layer, content);
        expected.size += 1;
        {
            auto writer = layout->blob_writer().value();
            REQUIRE(writer.write(content));
            auto blob = writer.commit(media_type::oci_layer, expected);
            REQUIRE_FALSE(blob);
            CHECK(blob.error().code() == Errc::digest_mismatch);
            CHECK(blob.error().what() == size_mismatch(expected, content.size()));
        }
        CHECK_FALSE(fs::exists(layout->blob_path(expected.digest)));
    }
    CHECK(stored_blobs(temp.path()).empty());
    CHECK(leftovers(temp.path()).empty());
}

TEST_CASE("A BlobWriter destroyed without commit leaves nothing behind", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    {
        auto writer = layout->blob_writer().value();
        REQUIRE(writer.write("never committed"));
        CHECK(leftovers(temp.path()).size() == 1);
    }
    CHECK(leftovers(temp.path()).empty());
    CHECK(stored_blobs(temp.path()).empty());
    CHECK_FALSE(layout->contains(Digest::of("never committed")));
}

TEST_CASE("OciLayout::put_blob stores a stream that matches its descriptor", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    const std::string content = "streamed in small chunks";
    auto blob = Descriptor::of(media_type::oci_layer, content);

    REQUIRE(layout->put_blob(blob, [&]() -> Result<std::unique_ptr<Reader>> {
        return std::make_unique<StringReader>(content, 3);
    }));
    CHECK(file_text(layout->blob_path(blob.digest)) == content);
    CHECK(layout->has_blob(blob).value());
}

TEST_CASE("OciLayout::put_blob refuses a stream that does not match its descriptor", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    auto blob = Descriptor::of(media_type::oci_layer, "what was announced");

    auto stored = layout->put_blob(blob, []() -> Result<std::unique_ptr<Reader>> {
        return std::make_unique<StringReader>("what arrived", 3);
    });
    REQUIRE_FALSE(stored);
    CHECK(stored.error().code() == Errc::digest_mismatch);
    CHECK(stored.error().what() == size_mismatch(blob, 12));
    CHECK_FALSE(layout->has_blob(blob).value());
    CHECK(stored_blobs(temp.path()).empty());
    CHECK(leftovers(temp.path()).empty());
}

TEST_CASE("OciLayout::put_manifest refuses bytes that do not match the descriptor", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    auto manifest = Descriptor::of(media_type::oci_manifest, R"({"schemaVersion":2})");

    auto stored = layout->put_manifest(manifest, R"({"schemaVersion":3})");
    REQUIRE_FALSE(stored);
    CHECK(stored.error().code() == Errc::digest_mismatch);
    CHECK(stored.error().what() == digest_mismatch(manifest, R"({"schemaVersion":3})"));
    CHECK(stored_blobs(temp.path()).empty());
    CHECK(leftovers(temp.path()).empty());

    REQUIRE(layout->put_manifest(manifest, R"({"schemaVersion":2})"));
    CHECK(layout->contains(manifest.digest));
}

// --- reading blobs ---

TEST_CASE("OciLayout::read_blob returns a blob verified against its descriptor", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    auto blob = layout->put_bytes(media_type::oci_config, "config bytes").value();

    CHECK(layout->read_blob(blob).value() == "config bytes");

    auto missing = Descriptor::of(media_type::oci_config, "not stored");
    auto absent = layout->read_blob(missing);
    REQUIRE_FALSE(absent);
    CHECK(absent.error().code() == Errc::not_found);
    CHECK(absent.error().what() == "blob " + missing.digest.to_string() + ": not in " + temp.path().string());

    auto too_large = layout->read_blob(blob, 5);
    REQUIRE_FALSE(too_large);
    CHECK(too_large.error().code() == Errc::invalid_argument);
    CHECK(too_large.error().what() == "blob " + blob.digest.to_string() + ": 12 bytes is more than the limit of 5");
    CHECK(layout->read_blob(blob, 12).value() == "config bytes");
}

TEST_CASE("OciLayout::read_blob detects a blob whose bytes were changed on disk", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    auto blob = layout->put_bytes(media_type::oci_layer, "original").value();
    overwrite(layout->blob_path(blob.digest), "0riginal");

    auto bytes = layout->read_blob(blob);
    REQUIRE_FALSE(bytes);
    CHECK(bytes.error().code() == Errc::digest_mismatch);
    CHECK(bytes.error().what() == digest_mismatch(blob, "0riginal"));
}

TEST_CASE("OciLayout::read_blob detects a truncated or extended blob file", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    auto blob = layout->put_bytes(media_type::oci_layer, "original").value();
    auto path = layout->blob_path(blob.digest);

    SECTION("truncated") {
        overwrite(path, "origin");
        auto bytes = layout->read_blob(blob);
        REQUIRE_FALSE(bytes);
        CHECK(bytes.error().code() == Errc::digest_mismatch);
        CHECK(bytes.error().what() == size_mismatch(blob, 6));
    }
    SECTION("empty") {
        overwrite(path, "");
        auto bytes = layout->read_blob(blob);
        REQUIRE_FALSE(bytes);
        CHECK(bytes.error().code() == Errc::digest_mismatch);
        CHECK(bytes.error().what() == size_mismatch(blob, 0));
    }
    SECTION("one byte longer") {
        overwrite(path, "original!");
        auto bytes = layout->read_blob(blob);
        REQUIRE_FALSE(bytes);
        CHECK(bytes.error().code() == Errc::digest_mismatch);
        CHECK(bytes.error().what() == size_mismatch(blob, 9));
    }
    SECTION("much longer") {
        overwrite(path, "original" + std::string(100000, '+'));
        auto bytes = layout->read_blob(blob);
        REQUIRE_FALSE(bytes);
        CHECK(bytes.error().code() == Errc::digest_mismatch);
        CHECK(bytes.error().what() == "blob " + blob.digest.to_string() + ": larger than its descriptor says");
    }
}

TEST_CASE("OciLayout::open_blob streams a blob and verifies it at its end", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    const std::string content = "a stream of twenty-nine bytes";
    auto blob = layout->put_bytes(media_type::oci_layer, content).value();

    auto reader = layout->open_blob(blob);
    REQUIRE(reader);
    CHECK(drain(**reader).value() == content);

    auto missing = Descriptor::of(media_type::oci_layer, "not stored");
    auto absent = layout->open_blob(missing);
    REQUIRE_FALSE(absent);
    CHECK(absent.error().code() == Errc::not_found);
    CHECK(absent.error().what() == "blob " + missing.digest.to_string() + ": not in " + temp.path().string());
}

TEST_CASE("OciLayout::open_blob's reader fails at the end of a corrupted blob", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    const std::string content = "a stream of twenty-nine bytes";
    auto blob = layout->put_bytes(media_type::oci_layer, content).value();

    std::string corrupted = content;
    SECTION("changed bytes") {
        corrupted[20] = 'X';
    }
    SECTION("truncated") {
        corrupted.resize(20);
    }
    SECTION("extended") {
        corrupted += "and some more";
    }
    overwrite(layout->blob_path(blob.digest), corrupted);

    auto reader = layout->open_blob(blob).value();
    std::vector<char> buffer(4);
    std::string seen;
    for (;;) {
        auto n = reader->read(buffer);
        if (!n) {
            CHECK(n.error().code() == Errc::digest_mismatch);
            CHECK(n.error().what() == (corrupted.size() == content.size() ? digest_mismatch(blob, corrupted)
                                                                          : size_mismatch(blob, corrupted.size())));
            break;
        }
        // Every read before the end passes the bytes through; the end is the failure.
        REQUIRE(*n > 0);
        seen.append(buffer.data(), *n);
    }
    CHECK(seen == corrupted);
}

// --- index.json ---

TEST_CASE("OciLayout::tag names a manifest and replaces what had the name", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    auto first = Descriptor::of(media_type::oci_manifest, "first");
    auto second = Descriptor::of(media_type::oci_manifest, "second");
    second.annotations = {{std::string(k_ref_name), "stale"}, {"com.example.note", "kept"}};

    REQUIRE(layout->tag(first, "v1"));
    REQUIRE(layout->tag(first, "latest"));
    REQUIRE(layout->tag(second, "v1"));

    auto index = layout->read_index().value();
    CHECK(names_in(index) == std::vector<std::string>{"latest", "v1"});
    auto v1 = layout->find("v1").value();
    REQUIRE(v1);
    CHECK(v1->digest == second.digest);
    // The descriptor's own ref.name gives way to the tag; other annotations stay.
    CHECK(v1->annotations ==
          hoist::oci::json::StringMap{{std::string(k_ref_name), "v1"}, {"com.example.note", "kept"}});
    CHECK(layout->find("latest").value()->digest == first.digest);
    CHECK_FALSE(layout->find("stale").value());
    CHECK_FALSE(layout->find("v2").value());
}

TEST_CASE("OciLayout::add_entry without a name adds a digest only once", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    auto first = Descriptor::of(media_type::oci_manifest, "first");
    auto second = Descriptor::of(media_type::oci_manifest, "second");

    REQUIRE(layout->add_entry(first, std::nullopt));
    REQUIRE(layout->add_entry(first, std::nullopt));
    CHECK(layout->read_index().value().manifests.size() == 1);

    REQUIRE(layout->add_entry(second, "named"));
    REQUIRE(layout->add_entry(second, std::nullopt));  // already there, under a name
    auto index = layout->read_index().value();
    REQUIRE(index.manifests.size() == 2);
    CHECK(index.manifests[0].digest == first.digest);
    CHECK(index.manifests[0].annotations.empty());
    CHECK(names_in(index) == std::vector<std::string>{"", "named"});

    // A name adds an entry even when the digest is there unnamed.
    REQUIRE(layout->add_entry(first, "also"));
    CHECK(names_in(layout->read_index().value()) == std::vector<std::string>{"", "named", "also"});
}

TEST_CASE("OciLayout::untag removes every entry with the name", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    auto first = Descriptor::of(media_type::oci_manifest, "first");
    auto second = Descriptor::of(media_type::oci_manifest, "second");
    REQUIRE(layout->tag(first, "keep"));
    // index.json written by another tool may repeat a name.
    REQUIRE(layout->update_index([&](Index& index) -> Result<void> {
        for (const auto& manifest : {first, second}) {
            auto entry = manifest;
            entry.annotations[std::string(k_ref_name)] = "twice";
            index.manifests.push_back(entry);
        }
        return {};
    }));

    REQUIRE(layout->untag("twice"));
    CHECK(names_in(layout->read_index().value()) == std::vector<std::string>{"keep"});
}

TEST_CASE("OciLayout::untag refuses an unknown name with Errc::not_found", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    REQUIRE(layout->tag(Descriptor::of(media_type::oci_manifest, "m"), "v1"));
    auto before = file_text(temp.path() / "index.json");

    auto untagged = layout->untag("v2");
    REQUIRE_FALSE(untagged);
    CHECK(untagged.error().code() == Errc::not_found);
    CHECK(untagged.error().what() == "no image named v2");
    CHECK(file_text(temp.path() / "index.json") == before);
}

TEST_CASE("OciLayout::update_index leaves index.json alone when the edit fails", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    auto before = file_text(temp.path() / "index.json");

    auto updated = layout->update_index([](Index& index) -> Result<void> {
        index.manifests.push_back(Descriptor::of(media_type::oci_manifest, "m"));
        return hoist::fail(Errc::busy, "changed my mind");
    });
    REQUIRE_FALSE(updated);
    CHECK(updated.error().code() == Errc::busy);
    CHECK(updated.error().what() == "changed my mind");
    CHECK(file_text(temp.path() / "index.json") == before);
    CHECK(leftovers(temp.path()).empty());
}

TEST_CASE("OciLayout::resolve without a name needs exactly one image", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    auto first = Descriptor::of(media_type::oci_manifest, "first");
    auto second = Descriptor::of(media_type::oci_manifest, "second");

    auto none = layout->resolve(std::nullopt);
    REQUIRE_FALSE(none);
    CHECK(none.error().code() == Errc::not_found);
    CHECK(none.error().what() == temp.path().string() + " holds 0 images; name the one to use");

    REQUIRE(layout->add_entry(first, std::nullopt));
    auto one = layout->resolve(std::nullopt);
    REQUIRE(one);
    CHECK(one->digest == first.digest);

    REQUIRE(layout->tag(second, "v2"));
    auto two = layout->resolve(std::nullopt);
    REQUIRE_FALSE(two);
    CHECK(two.error().code() == Errc::invalid_argument);
    CHECK(two.error().what() == temp.path().string() + " holds 2 images; name the one to use");
}

TEST_CASE("OciLayout::resolve with a name finds the entry of that name", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    auto manifest = Descriptor::of(media_type::oci_manifest, "m");
    REQUIRE(layout->tag(manifest, "v1"));

    CHECK(layout->resolve("v1").value().digest == manifest.digest);
    auto unknown = layout->resolve("v2");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code() == Errc::not_found);
    CHECK(unknown.error().what() == "no image named v2 in " + temp.path().string());
}

// --- gc ---

TEST_CASE("OciLayout::gc keeps what index.json reaches and removes the rest", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());

    // Reachable: a tagged image; an index tagged unnamed that holds a nested index of two
    // images; the subject of a tagged referrer.
    auto tagged = put_image(*layout, "tagged", {"shared layer", "tagged layer"});
    auto left = put_image(*layout, "left", {"shared layer", "left layer"});
    auto right = put_image(*layout, "right", {"right layer"});
    auto inner = put_index(*layout, {left.manifest, right.manifest});
    auto outer = put_index(*layout, {inner});
    auto base = put_image(*layout, "base", {"base layer"});
    auto referrer = put_image(*layout, "referrer", {}, base.manifest);
    REQUIRE(layout->tag(tagged.manifest, "tagged"));
    REQUIRE(layout->add_entry(outer, std::nullopt));
    REQUIRE(layout->tag(referrer.manifest, "referrer"));

    // Unreachable: an image nobody names, a stray blob, and leftovers of interrupted writes.
    auto orphan = put_image(*layout, "orphan", {"orphan layer", "shared layer"});
    auto stray = layout->put_bytes(media_type::oci_layer, "stray").value();
    overwrite(temp.path() / ".blob.tmp-Ab12Cd", "half a blob");
    overwrite(temp.path() / ".index.json.tmp-XyZ987", "{");
    overwrite(temp.path() / "notes.txt", "not ours to remove");

    std::set<std::string> kept;
    for (const auto& image : {tagged, left, right, base, referrer}) {
        for (const auto& blob : image.blobs()) {
            kept.insert(blob.digest.to_string());
        }
    }
    kept.insert(inner.digest.to_string());
    kept.insert(outer.digest.to_string());
    std::set<std::string> removed;
    std::uint64_t removed_bytes = 0;
    for (const auto& blob : {orphan.manifest, orphan.config, orphan.layers[0], stray}) {
        removed.insert(blob.digest.to_string());
        removed_bytes += static_cast<std::uint64_t>(blob.size);
    }
    std::set<std::string> all = kept;
    all.insert(removed.begin(), removed.end());
    REQUIRE(stored_blobs(temp.path()) == all);

    auto result = layout->gc();
    REQUIRE(result);
    CHECK_FALSE(result->skipped);
    CHECK(result->blobs_removed == removed.size());
    CHECK(result->bytes_removed == removed_bytes);
    CHECK(stored_blobs(temp.path()) == kept);
    CHECK(leftovers(temp.path()).empty());
    CHECK(fs::exists(temp.path() / "notes.txt"));
    CHECK(fs::exists(temp.path() / "oci-layout"));
    for (const auto& image : {tagged, left, right, base, referrer}) {
        for (const auto& blob : image.blobs()) {
            CHECK(layout->read_blob(blob));
        }
    }

    // A second pass finds nothing more, and the layout is still usable.
    auto again = layout->gc();
    REQUIRE(again);
    CHECK(again->blobs_removed == 0);
    CHECK(again->bytes_removed == 0);
    REQUIRE(layout->tag(orphan.manifest, "too late"));
    CHECK(layout->find("too late").value());
}

TEST_CASE("OciLayout::gc on a layout with an empty index removes every blob", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    put_image(*layout, "x", {"layer"});

    auto result = layout->gc();
    REQUIRE(result);
    CHECK(result->blobs_removed == 3);
    CHECK(stored_blobs(temp.path()).empty());
    CHECK(fs::exists(temp.path() / "index.json"));
}

TEST_CASE("OciLayout::gc is skipped while another OciLayout in this process has the layout open", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    auto unindexed = layout->put_bytes(media_type::oci_layer, "written, not yet indexed").value();
    {
        // A second open() is a second open file description, so its flock conflicts as another
        // process's would.
        auto other = OciLayout::open(temp.path()).value();
        auto result = layout->gc();
        REQUIRE(result);
        CHECK(result->skipped);
        CHECK(result->blobs_removed == 0);
        CHECK(layout->contains(unindexed.digest));

        // The skipped gc took its shared lock back: nobody can lock blobs/ exclusively.
        hoist::Fd blobs = hoist::open_file(temp.path() / "blobs", O_RDONLY | O_DIRECTORY).value();
        other.reset();
        CHECK(::flock(blobs.get(), LOCK_EX | LOCK_NB) != 0);
    }
    auto result = layout->gc();
    REQUIRE(result);
    CHECK_FALSE(result->skipped);
    CHECK(result->blobs_removed == 1);
    CHECK_FALSE(layout->contains(unindexed.digest));
}

TEST_CASE("OciLayout::gc is skipped while another process has the layout open", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    Pipe opened;
    Pipe release;
    auto child_blob = Descriptor::of(media_type::oci_layer, "the child's blob");

    pid_t child = spawn([&]() -> int {
        opened.close_read();
        release.close_write();
        auto own = OciLayout::open(temp.path());
        if (!own || !(*own)->put_bytes(media_type::oci_layer, "the child's blob")) {
            return 1;
        }
        if (!opened.signal()) {
            return 2;
        }
        release.wait();  // until the parent closes its end
        return 0;
    });
    opened.close_write();
    release.close_read();
    REQUIRE(opened.wait());

    auto skipped = layout->gc();
    REQUIRE(skipped);
    CHECK(skipped->skipped);
    CHECK(layout->contains(child_blob.digest));

    release.close_write();
    CHECK(exit_code(child) == 0);
    auto result = layout->gc();
    REQUIRE(result);
    CHECK_FALSE(result->skipped);
    CHECK(result->blobs_removed == 1);
    CHECK_FALSE(layout->contains(child_blob.digest));
}

// --- several processes ---

TEST_CASE("Processes writing blobs and tagging names at once leave a valid index with every name", "[layout]") {
    constexpr std::size_t k_children = 6;
    constexpr std::size_t k_images = 8;
    auto temp = make_temp_dir();
    auto dir = temp.path() / "layout";  // made by whichever child comes first
    Pipe start;

    std::vector<pid_t> children;
    for (std::size_t c = 0; c < k_children; ++c) {
        children.push_back(spawn([&, c]() -> int {
            start.close_write();
            start.wait();  // all children start together when the parent closes its end
            auto layout = OciLayout::open(dir, OciLayout::Mode::create);
            if (!layout) {
                return 1;
            }
            for (std::size_t i = 0; i < k_images; ++i) {
                auto name = "child" + std::to_string(c) + "-" + std::to_string(i);
                auto shared = (*layout)->put_bytes(media_type::oci_layer, "shared by everyone");
                auto own = (*layout)->put_bytes(media_type::oci_layer, "layer of " + name);
                if (!shared || !own) {
                    return 2;
                }
                ImageConfig config{.platform = {.os = "linux", .architecture = "amd64"},
                                   .created = name,
                                   .diff_ids = {shared->digest, own->digest}};
                auto config_blob = (*layout)->put_bytes(media_type::oci_config, config.to_json());
                if (!config_blob) {
                    return 3;
                }
                Manifest manifest{.config = *config_blob, .layers = {*shared, *own}};
                auto manifest_blob = (*layout)->put_bytes(media_type::oci_manifest, manifest.to_json());
                if (!manifest_blob || !(*layout)->tag(*manifest_blob, name)) {
                    return 4;
                }
            }
            return 0;
        }));
    }
    start.close_read();
    start.close_write();
    for (pid_t child : children) {
        CHECK(exit_code(child) == 0);
    }

    auto layout = OciLayout::open(dir);
    REQUIRE(layout);
    auto index = Index::parse(file_text(dir / "index.json"));
    REQUIRE(index);
    auto names = names_in(*index);
    std::set<std::string> unique_names(names.begin(), names.end());
    CHECK(names.size() == k_children * k_images);
    CHECK(unique_names.size() == k_children * k_images);
    for (std::size_t c = 0; c < k_children; ++c) {
        for (std::size_t i = 0; i < k_images; ++i) {
            auto name = "child" + std::to_string(c) + "-" + std::to_string(i);
            auto entry = (*layout)->find(name).value();
            REQUIRE(entry);
            auto manifest = Manifest::parse((*layout)->read_blob(*entry).value()).value();
            CHECK((*layout)->read_blob(manifest.config));
            for (const auto& layer : manifest.layers) {
                CHECK((*layout)->read_blob(layer));
            }
        }
    }
    CHECK(leftovers(dir).empty());
    // One shared layer, and per image its own layer, config and manifest.
    CHECK(stored_blobs(dir).size() == 1 + 3 * k_children * k_images);
    auto result = (*layout)->gc();
    REQUIRE(result);
    CHECK_FALSE(result->skipped);
    CHECK(result->blobs_removed == 0);
}

// --- copy_image ---

namespace {

// An ImageSink that records what copy_image asks of it and passes it on to a layout.
class RecordingSink final : public ImageSink {
public:
    explicit RecordingSink(OciLayout& target) : m_target(target) {}
    // copy_image calls from several threads at once.
    Result<bool> has_blob(const Descriptor& blob) override {
        record(asked, blob);
        return m_target.has_blob(blob);
    }
    Result<void> put_blob(const Descriptor& blob, const hoist::oci::BlobOpener& open) override {
        record(blobs_put, blob);
        return m_target.put_blob(blob, open);
    }
    Result<void> put_manifest(const Descriptor& manifest, std::string_view bytes) override {
        record(manifests_put, manifest);
        return m_target.put_manifest(manifest, bytes);
    }
    Result<void> tag(const Descriptor& manifest, const std::string& name) override {
        return m_target.tag(manifest, name);
    }

    std::vector<std::string> asked;
    std::vector<std::string> blobs_put;
    std::vector<std::string> manifests_put;

private:
    void record(std::vector<std::string>& list, const Descriptor& descriptor) {
        std::lock_guard lock(m_mutex);
        list.push_back(descriptor.digest.to_string());
    }

    OciLayout& m_target;
    std::mutex m_mutex;
};

struct TwoImageIndex {
    TestImage amd64;
    TestImage arm64;
    Descriptor index;
};

TwoImageIndex put_two_image_index(OciLayout& layout) {
    TwoImageIndex result{.amd64 = put_image(layout, "amd64", {"shared base", "amd64 layer"}),
                         .arm64 = put_image(layout, "arm64", {"shared base", "arm64 layer"}),
                         .index = Descriptor::of(media_type::oci_index, "")};
    result.index = put_index(layout, {result.amd64.manifest, result.arm64.manifest});
    REQUIRE(layout.tag(result.index, "multi"));
    return result;
}

}  // namespace

TEST_CASE("copy_image copies an index, its manifests and their blobs between layouts", "[layout]") {
    auto temp = make_temp_dir();
    auto source = create_layout(temp.path() / "source");
    auto target = create_layout(temp.path() / "target");
    auto image = put_two_image_index(*source);

    RecordingSink sink(*target);
    REQUIRE(hoist::oci::copy_image(*source, image.index, sink));
    REQUIRE(sink.tag(image.index, "copied"));

    CHECK(stored_blobs(temp.path() / "target") == stored_blobs(temp.path() / "source"));
    for (const auto& one : {image.amd64, image.arm64}) {
        for (const auto& blob : one.blobs()) {
            CHECK(target->read_blob(blob).value() == source->read_blob(blob).value());
        }
    }
    CHECK(target->resolve("copied").value().digest == image.index.digest);
    // Children before parents; the layer both images share is written once.
    CHECK(sink.manifests_put == std::vector<std::string>{image.amd64.manifest.digest.to_string(),
                                                         image.arm64.manifest.digest.to_string(),
                                                         image.index.digest.to_string()});
    CHECK(sink.blobs_put.size() == 5);
    CHECK(std::ranges::count(sink.blobs_put, image.amd64.layers[0].digest.to_string()) == 1);
    CHECK(leftovers(temp.path() / "target").empty());
}

TEST_CASE("copy_image skips the blobs the sink already has", "[layout]") {
    auto temp = make_temp_dir();
    auto source = create_layout(temp.path() / "source");
    auto target = create_layout(temp.path() / "target");
    auto image = put_two_image_index(*source);
    // The target holds the amd64 image's config and layers already.
    for (const auto& blob : {image.amd64.config, image.amd64.layers[0], image.amd64.layers[1]}) {
        REQUIRE(target->put_bytes(blob.media_type, source->read_blob(blob).value()));
    }

    RecordingSink sink(*target);
    REQUIRE(hoist::oci::copy_image(*source, image.index, sink));
    std::vector<std::string> want{image.arm64.config.digest.to_string(), image.arm64.layers[1].digest.to_string()};
    std::ranges::sort(want);
    std::ranges::sort(sink.blobs_put);  // copied in parallel, in any order
    CHECK(sink.blobs_put == want);
    CHECK(sink.asked.size() == 5);  // the layer both images share is asked about once
    CHECK(stored_blobs(temp.path() / "target") == stored_blobs(temp.path() / "source"));
}

TEST_CASE("copy_image fails on a corrupted source blob and the sink keeps nothing of it", "[layout]") {
    auto temp = make_temp_dir();
    auto source = create_layout(temp.path() / "source");
    auto target = create_layout(temp.path() / "target");
    auto image = put_two_image_index(*source);
    auto layer = image.amd64.layers[1];
    overwrite(source->blob_path(layer.digest), "AMD64 LAYER");

    RecordingSink sink(*target);
    auto copied = hoist::oci::copy_image(*source, image.index, sink);
    REQUIRE_FALSE(copied);
    CHECK(copied.error().code() == Errc::digest_mismatch);
    CHECK(copied.error().what() == "manifest " + image.index.digest.to_string() + ": manifest " +
                                       image.amd64.manifest.digest.to_string() + ": " +
                                       digest_mismatch(layer, "AMD64 LAYER"));
    CHECK_FALSE(target->contains(layer.digest));
    CHECK(sink.manifests_put.empty());
    CHECK(leftovers(temp.path() / "target").empty());
}

TEST_CASE("OciLayout::open refuses a directory without blobs/ or index.json as no layout", "[layout]") {
    for (const char* missing : {"blobs", "index.json"}) {
        auto temp = make_temp_dir();
        create_layout(temp.path());
        fs::remove_all(temp.path() / missing);
        auto layout = OciLayout::open(temp.path());
        REQUIRE_FALSE(layout);
        CHECK(layout.error().code() == Errc::not_found);
        CHECK(layout.error().what() == temp.path().string() + ": not an OCI layout (no " + missing + ")");
    }
}

TEST_CASE("OciLayout::open_blob's reader keeps returning 0 after a verified end", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    auto blob = layout->put_bytes(media_type::oci_layer, "abc").value();
    auto reader = layout->open_blob(blob).value();
    char buffer[16];
    CHECK(reader->read(buffer).value() == 3);
    for (int i = 0; i < 3; ++i) {
        auto n = reader->read(buffer);
        REQUIRE(n);
        CHECK(*n == 0);
    }
}

TEST_CASE("OciLayout::gc leaves what is not a blob file alone and counts only what it removed", "[layout]") {
    auto temp = make_temp_dir();
    auto layout = create_layout(temp.path());
    auto stray = layout->put_bytes(media_type::oci_layer, "stray").value();
    fs::create_directory(temp.path() / "blobs/sha256/junkdir");
    auto result = layout->gc();
    REQUIRE(result);
    CHECK(result->blobs_removed == 1);
    CHECK(result->bytes_removed == static_cast<std::uint64_t>(stray.size));
    CHECK(fs::is_directory(temp.path() / "blobs/sha256/junkdir"));
}

TEST_CASE("OciLayout::gc never runs while another gc's failed lock upgrade has dropped its shared lock", "[layout]") {
    // Two objects on one layout, both calling gc in a loop: neither may ever get to collect,
    // since the other holds the layout open; A's unindexed blob must survive.
    auto temp = make_temp_dir();
    auto a = create_layout(temp.path());
    auto b = OciLayout::open(temp.path()).value();
    auto blob = a->put_bytes(media_type::oci_layer, "written by A, not yet indexed").value();
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        for (int i = 0; i < 20000; ++i) {
            (void)a->gc();
        }
        _exit(0);
    }
    int collected = 0;
    for (int i = 0; i < 20000; ++i) {
        auto result = b->gc();
        collected += result && !result->skipped;
    }
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(collected == 0);
    CHECK(a->contains(blob.digest));
}
