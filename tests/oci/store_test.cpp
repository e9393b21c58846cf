#include "oci/store.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "oci/file.hpp"
#include "oci/image_config.hpp"
#include "oci/index.hpp"
#include "oci/manifest.hpp"
#include "oci/media_type.hpp"

using hoist::Errc;
using hoist::TempDir;
using hoist::oci::Descriptor;
using hoist::oci::Digest;
using hoist::oci::ImageConfig;
using hoist::oci::Index;
using hoist::oci::Manifest;
using hoist::oci::OciLayout;
using hoist::oci::Reference;
using hoist::oci::Store;
using hoist::oci::StoredImage;
namespace fs = std::filesystem;
namespace media_type = hoist::oci::media_type;

namespace {

TempDir make_temp_dir() {
    return TempDir::create(hoist::temp_directory(), "hoist-store-test-").value();
}

Store open_store(const fs::path& root) {
    return Store::open(root).value();
}

Reference reference(std::string_view text) {
    return Reference::parse(text).value();
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
    // What the store reports as the image's size: manifest, config and layers.
    std::int64_t size() const {
        std::int64_t total = 0;
        for (const auto& blob : blobs()) {
            total += blob.size;
        }
        return total;
    }
};

// Stores an image of the given layer contents; `created` makes configs differ.
TestImage put_image(OciLayout& layout, std::string_view created, const std::vector<std::string>& layer_contents) {
    ImageConfig config{.platform = {.os = "linux", .architecture = "amd64"}, .created = std::string(created)};
    TestImage image{.manifest = Descriptor::of(media_type::oci_manifest, ""),
                    .config = Descriptor::of(media_type::oci_config, "")};
    for (const auto& content : layer_contents) {
        image.layers.push_back(layout.put_bytes(media_type::oci_layer, content).value());
        config.diff_ids.push_back(Digest::of(content));
    }
    image.config = layout.put_bytes(media_type::oci_config, config.to_json()).value();
    Manifest manifest{.config = image.config, .layers = image.layers};
    image.manifest = layout.put_bytes(media_type::oci_manifest, manifest.to_json()).value();
    return image;
}

std::vector<std::string> names_of(const std::vector<StoredImage>& images) {
    std::vector<std::string> names;
    for (const auto& image : images) {
        names.push_back(image.name ? image.name->to_string() : "");
    }
    return names;
}

std::vector<std::string> names_of(const std::vector<Reference>& references) {
    std::vector<std::string> names;
    for (const auto& reference : references) {
        names.push_back(reference.to_string());
    }
    return names;
}

std::set<std::string> stored_blobs(const fs::path& root) {
    std::set<std::string> digests;
    for (const auto& algorithm : fs::directory_iterator(root / "blobs")) {
        for (const auto& blob : fs::directory_iterator(algorithm.path())) {
            digests.insert(algorithm.path().filename().string() + ":" + blob.path().filename().string());
        }
    }
    return digests;
}

std::set<std::string> digests_of(const std::vector<Descriptor>& blobs) {
    std::set<std::string> digests;
    for (const auto& blob : blobs) {
        digests.insert(blob.digest.to_string());
    }
    return digests;
}

}  // namespace

TEST_CASE("Store::open creates a missing store with its parent directories", "[store]") {
    auto temp = make_temp_dir();
    auto root = temp.path() / "a" / "b" / "store";

    auto store = Store::open(root);
    REQUIRE(store);
    CHECK(store->layout().dir() == root);
    CHECK(fs::is_regular_file(root / "oci-layout"));
    CHECK(fs::is_regular_file(root / "index.json"));
    CHECK(fs::is_directory(root / "blobs" / "sha256"));
    CHECK(store->images().value().empty());
}

TEST_CASE("Store::open reopens an existing store with its images", "[store]") {
    auto temp = make_temp_dir();
    TestImage image = [&] {
        auto store = open_store(temp.path());
        auto stored = put_image(store.layout(), "1", {"layer"});
        REQUIRE(store.tag(stored.manifest, reference("app:1")));
        return stored;
    }();

    auto store = open_store(temp.path());
    auto images = store.images().value();
    REQUIRE(images.size() == 1);
    CHECK(images[0].target.digest == image.manifest.digest);
}

TEST_CASE("Store::open names the store in its errors", "[store]") {
    auto temp = make_temp_dir();
    auto root = temp.path() / "file";
    std::ofstream(root) << "not a directory";

    auto store = Store::open(root);
    REQUIRE_FALSE(store);
    CHECK(store.error().code() == Errc::io);
    CHECK(store.error().what() ==
          "image store: create directory " + (root / "blobs" / "sha256").string() + ": Not a directory");
}

TEST_CASE("Store::default_root prefers $HOIST_ROOT", "[store]") {
    const char* saved = std::getenv("HOIST_ROOT");
    std::optional<std::string> previous = saved != nullptr ? std::optional<std::string>(saved) : std::nullopt;
    REQUIRE(::setenv("HOIST_ROOT", "/somewhere/hoist-root", 1) == 0);
    CHECK(Store::default_root() == fs::path("/somewhere/hoist-root"));
    if (previous) {
        ::setenv("HOIST_ROOT", previous->c_str(), 1);
    } else {
        ::unsetenv("HOIST_ROOT");
    }
}

TEST_CASE("Store::images lists named images sorted by name, then unnamed ones", "[store]") {
    auto temp = make_temp_dir();
    auto store = open_store(temp.path());
    auto& layout = store.layout();
    auto app = put_image(layout, "2024-01-02T03:04:05Z", {"base", "app"});
    auto alpine = put_image(layout, "2023-01-01T00:00:00Z", {"alpine"});
    auto web = put_image(layout, "2022-06-01T00:00:00Z", {"base", "web"});
    auto loaded = put_image(layout, "2021-01-01T00:00:00Z", {"loaded"});
    auto index =
        layout.put_bytes(media_type::oci_index, Index{.manifests = {app.manifest, web.manifest}}.to_json()).value();

    // Added in an order other than the listing's.
    REQUIRE(store.tag(app.manifest, reference("zeta:1")));
    REQUIRE(layout.add_entry(loaded.manifest, std::nullopt));
    REQUIRE(store.tag(web.manifest, reference("localhost:5000/web:1")));
    REQUIRE(layout.add_entry(index, std::nullopt));
    REQUIRE(store.tag(app.manifest, reference("app:dev")));
    REQUIRE(store.tag(alpine.manifest, reference("alpine:3")));

    auto images = store.images();
    REQUIRE(images);
    CHECK(names_of(*images) == std::vector<std::string>{"docker.io/library/alpine:3", "docker.io/library/app:dev",
                                                        "docker.io/library/zeta:1", "localhost:5000/web:1", "", ""});

    const auto& first = (*images)[0];
    CHECK(first.target.digest == alpine.manifest.digest);
    CHECK(first.id == alpine.config.digest);
    CHECK(first.size == alpine.size());
    CHECK(first.created == "2023-01-01T00:00:00Z");

    for (std::size_t i : {1u, 2u}) {
        CHECK((*images)[i].target.digest == app.manifest.digest);
        CHECK((*images)[i].id == app.config.digest);
        CHECK((*images)[i].size == app.size());
        CHECK((*images)[i].created == "2024-01-02T03:04:05Z");
    }
    CHECK((*images)[3].id == web.config.digest);

    // Unnamed ones keep their index.json order; an index is its own ID and size.
    CHECK((*images)[4].id == loaded.config.digest);
    CHECK((*images)[4].size == loaded.size());
    CHECK((*images)[5].target.digest == index.digest);
    CHECK((*images)[5].id == index.digest);
    CHECK((*images)[5].size == index.size);
    CHECK_FALSE((*images)[5].created);
}

TEST_CASE("Store::find finds an image by name, ID, ID prefix and digest reference", "[store]") {
    auto temp = make_temp_dir();
    auto store = open_store(temp.path());
    auto app = put_image(store.layout(), "app", {"app layer"});
    auto other = put_image(store.layout(), "other", {"other layer"});
    REQUIRE(store.tag(app.manifest, reference("app:dev")));
    REQUIRE(store.tag(app.manifest, reference("app:prod")));  // a second name is not ambiguity
    REQUIRE(store.tag(other.manifest, reference("other:1")));

    auto found_app = [&](std::string_view name) {
        auto found = store.find(name);
        REQUIRE(found);
        CHECK(found->target.digest == app.manifest.digest);
        CHECK(found->id == app.config.digest);
        return *found;
    };
    CHECK(found_app("app:dev").name == reference("app:dev"));
    CHECK(found_app("app:prod").name == reference("app:prod"));
    CHECK(found_app("docker.io/library/app:dev").name == reference("app:dev"));
    CHECK(found_app("library/app:prod").name == reference("app:prod"));
    found_app(app.config.digest.short_hex());
    found_app(app.config.digest.hex().substr(0, 20));
    found_app(app.config.digest.hex());
    found_app(app.config.digest.to_string());
    found_app(app.manifest.digest.short_hex());
    found_app(app.manifest.digest.to_string());
    CHECK(found_app("app@" + app.manifest.digest.to_string()).name == reference("app:dev"));
    CHECK(found_app("docker.io/library/app@" + app.manifest.digest.to_string()).name == reference("app:dev"));

    auto found_other = store.find("other:1");
    REQUIRE(found_other);
    CHECK(found_other->id == other.config.digest);
    CHECK(store.find(other.config.digest.short_hex()).value().id == other.config.digest);
}

TEST_CASE("Store::find refuses what names no image with Errc::not_found", "[store]") {
    auto temp = make_temp_dir();
    auto store = open_store(temp.path());
    auto app = put_image(store.layout(), "app", {"app layer"});
    REQUIRE(store.tag(app.manifest, reference("app:dev")));

    for (const std::string& name : std::vector<std::string>{
             "app:nope", "app", "nope", "localhost:5000/app:dev", "0123456789ab", "sha256:0123", std::string(64, 'a'),
             // A digest reference needs the repository as well as the digest.
             "other@" + app.manifest.digest.to_string(), "app@" + Digest::of("something else").to_string()}) {
        auto found = store.find(name);
        REQUIRE_FALSE(found);
        CHECK(found.error().code() == Errc::not_found);
        CHECK(found.error().what() == "no such image: " + name);
    }
}

TEST_CASE("Store::find passes on the error of a malformed reference", "[store]") {
    auto temp = make_temp_dir();
    auto store = open_store(temp.path());
    for (std::string_view name : {"app:", "App:1", "app@sha256:0123"}) {
        auto found = store.find(name);
        REQUIRE_FALSE(found);
        CHECK(found.error().code() == Errc::invalid_argument);
        CHECK(found.error().what() == Reference::parse(name).error().what());
    }
}

TEST_CASE("Store::find refuses an ID prefix that several images share", "[store]") {
    auto temp = make_temp_dir();
    auto store = open_store(temp.path());
    // Images until two IDs share their first hex digit; 17 are always enough.
    std::map<char, std::vector<TestImage>> by_first_digit;
    char shared = 0;
    for (int i = 0; shared == 0; ++i) {
        REQUIRE(i < 17);
        auto image = put_image(store.layout(), "image " + std::to_string(i), {});
        REQUIRE(store.tag(image.manifest, reference("app:" + std::to_string(i))));
        auto& same = by_first_digit[image.config.digest.hex()[0]];
        same.push_back(image);
        if (same.size() == 2) {
            shared = image.config.digest.hex()[0];
        }
    }

    auto prefix = std::string("sha256:") + shared;
    auto found = store.find(prefix);
    REQUIRE_FALSE(found);
    CHECK(found.error().code() == Errc::invalid_argument);
    CHECK(found.error().what() == "image ID " + prefix + " is ambiguous");

    // A longer prefix tells them apart.
    for (const auto& image : by_first_digit[shared]) {
        CHECK(store.find(image.config.digest.short_hex()).value().id == image.config.digest);
    }
}

TEST_CASE("Store::tag names an image and replaces what had the name", "[store]") {
    auto temp = make_temp_dir();
    auto store = open_store(temp.path());
    auto first = put_image(store.layout(), "first", {"first layer"});
    auto second = put_image(store.layout(), "second", {"second layer"});

    REQUIRE(store.tag(first.manifest, reference("app:dev")));
    REQUIRE(store.tag(second.manifest, reference("docker.io/library/app:dev")));
    auto images = store.images().value();
    REQUIRE(images.size() == 1);
    CHECK(images[0].id == second.config.digest);
    // The layout's index.json holds the full normalised name.
    CHECK(store.layout().find("docker.io/library/app:dev").value()->digest == second.manifest.digest);
}

TEST_CASE("Store::tag refuses a digest reference", "[store]") {
    auto temp = make_temp_dir();
    auto store = open_store(temp.path());
    auto image = put_image(store.layout(), "x", {"layer"});
    auto name = "app@" + image.manifest.digest.to_string();

    auto tagged = store.tag(image.manifest, reference(name));
    REQUIRE_FALSE(tagged);
    CHECK(tagged.error().code() == Errc::invalid_argument);
    CHECK(tagged.error().what() == "cannot tag with a digest reference: " + name);
    CHECK(store.images().value().empty());
}

TEST_CASE("Store::remove by name keeps the image's other name and its blobs", "[store]") {
    auto temp = make_temp_dir();
    auto store = open_store(temp.path());
    auto image = put_image(store.layout(), "x", {"one", "two"});
    REQUIRE(store.tag(image.manifest, reference("app:dev")));
    REQUIRE(store.tag(image.manifest, reference("app:prod")));

    auto removal = store.remove("app:dev");
    REQUIRE(removal);
    CHECK(names_of(removal->names) == std::vector<std::string>{"docker.io/library/app:dev"});
    CHECK_FALSE(removal->gc.skipped);
    CHECK(removal->gc.blobs_removed == 0);
    CHECK(removal->gc.bytes_removed == 0);

    CHECK(names_of(store.images().value()) == std::vector<std::string>{"docker.io/library/app:prod"});
    CHECK(store.find("app:dev").error().code() == Errc::not_found);
    CHECK(stored_blobs(temp.path()) == digests_of(image.blobs()));
}

TEST_CASE("Store::remove by ID refuses an image with several names", "[store]") {
    auto temp = make_temp_dir();
    auto store = open_store(temp.path());
    auto image = put_image(store.layout(), "x", {"one"});
    REQUIRE(store.tag(image.manifest, reference("app:dev")));
    REQUIRE(store.tag(image.manifest, reference("app:prod")));
    auto before = store.images().value();

    for (const auto& id : {image.config.digest.short_hex(), image.config.digest.to_string()}) {
        auto removal = store.remove(id);
        REQUIRE_FALSE(removal);
        CHECK(removal.error().code() == Errc::invalid_argument);
        CHECK(removal.error().what() == "image " + id + " has 2 names; remove them by name");
    }
    CHECK(names_of(store.images().value()) == names_of(before));
    CHECK(stored_blobs(temp.path()) == digests_of(image.blobs()));
}

TEST_CASE("Store::remove of an image's last name collects its blobs", "[store]") {
    auto temp = make_temp_dir();
    auto store = open_store(temp.path());
    auto app = put_image(store.layout(), "app", {"shared base", "app layer"});
    auto web = put_image(store.layout(), "web", {"shared base", "web layer"});
    REQUIRE(store.tag(app.manifest, reference("app:dev")));
    REQUIRE(store.tag(web.manifest, reference("web:1")));

    auto removal = store.remove("app:dev");
    REQUIRE(removal);
    CHECK(names_of(removal->names) == std::vector<std::string>{"docker.io/library/app:dev"});
    CHECK_FALSE(removal->gc.skipped);
    // The manifest, the config and the layer only this image used.
    CHECK(removal->gc.blobs_removed == 3);
    CHECK(removal->gc.bytes_removed ==
          static_cast<std::uint64_t>(app.manifest.size + app.config.size + app.layers[1].size));
    for (const auto& blob : {app.manifest, app.config, app.layers[1]}) {
        CHECK_FALSE(fs::exists(store.layout().blob_path(blob.digest)));
    }
    CHECK(stored_blobs(temp.path()) == digests_of(web.blobs()));
    CHECK(names_of(store.images().value()) == std::vector<std::string>{"docker.io/library/web:1"});
    for (const auto& blob : web.blobs()) {
        CHECK(store.layout().read_blob(blob));
    }
}

TEST_CASE("Store::remove by ID removes an image with one name, and its blobs", "[store]") {
    auto temp = make_temp_dir();
    auto store = open_store(temp.path());
    auto image = put_image(store.layout(), "x", {"layer"});
    REQUIRE(store.tag(image.manifest, reference("app:dev")));

    auto removal = store.remove(image.config.digest.short_hex());
    REQUIRE(removal);
    CHECK(names_of(removal->names) == std::vector<std::string>{"docker.io/library/app:dev"});
    CHECK(removal->gc.blobs_removed == 3);
    CHECK(store.images().value().empty());
    CHECK(stored_blobs(temp.path()).empty());
}

TEST_CASE("Store::remove by ID removes an unnamed image", "[store]") {
    auto temp = make_temp_dir();
    auto store = open_store(temp.path());
    auto kept = put_image(store.layout(), "kept", {"kept layer"});
    auto image = put_image(store.layout(), "x", {"layer"});
    REQUIRE(store.tag(kept.manifest, reference("kept:1")));
    REQUIRE(store.layout().add_entry(image.manifest, std::nullopt));

    auto removal = store.remove(image.config.digest.to_string());
    REQUIRE(removal);
    CHECK(removal->names.empty());
    CHECK(removal->gc.blobs_removed == 3);
    CHECK(names_of(store.images().value()) == std::vector<std::string>{"docker.io/library/kept:1"});
    CHECK(stored_blobs(temp.path()) == digests_of(kept.blobs()));
}

TEST_CASE("Store::remove by digest reference removes the image's one name", "[store]") {
    auto temp = make_temp_dir();
    auto store = open_store(temp.path());
    auto image = put_image(store.layout(), "x", {"layer"});
    REQUIRE(store.tag(image.manifest, reference("app:dev")));

    auto removal = store.remove("app@" + image.manifest.digest.to_string());
    REQUIRE(removal);
    CHECK(names_of(removal->names) == std::vector<std::string>{"docker.io/library/app:dev"});
    CHECK(store.images().value().empty());
    CHECK(stored_blobs(temp.path()).empty());
}

TEST_CASE("Store::remove of an unknown name changes nothing", "[store]") {
    auto temp = make_temp_dir();
    auto store = open_store(temp.path());
    auto image = put_image(store.layout(), "x", {"layer"});
    REQUIRE(store.tag(image.manifest, reference("app:dev")));

    auto removal = store.remove("app:nope");
    REQUIRE_FALSE(removal);
    CHECK(removal.error().code() == Errc::not_found);
    CHECK(removal.error().what() == "no such image: app:nope");
    CHECK(store.images().value().size() == 1);
    CHECK(stored_blobs(temp.path()) == digests_of(image.blobs()));
}

TEST_CASE("Store::remove leaves blobs alone while another process has the store open", "[store]") {
    auto temp = make_temp_dir();
    auto store = open_store(temp.path());
    auto image = put_image(store.layout(), "x", {"layer"});
    REQUIRE(store.tag(image.manifest, reference("app:dev")));
    auto other = OciLayout::open(temp.path()).value();  // as another process's would

    auto removal = store.remove("app:dev");
    REQUIRE(removal);
    CHECK(removal->gc.skipped);
    CHECK(store.images().value().empty());
    CHECK(stored_blobs(temp.path()) == digests_of(image.blobs()));
}
