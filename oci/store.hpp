// The local image store: an OCI image layout at $HOIST_ROOT whose index.json names images by
// their full normalised reference ("docker.io/library/app-sync:dev") in
// org.opencontainers.image.ref.name. Docker's verbs (images, tag, rmi, inspect) work on it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/layout.hpp"
#include "oci/reference.hpp"

namespace hoist::oci {

struct StoredImage {
    std::optional<Reference> name;  // none for an image that was loaded without one
    Descriptor target;              // the manifest or index
    Digest id;                      // docker's image ID: the config digest (an index's own digest)
    std::optional<std::string> created;
    std::int64_t size = 0;  // manifest, config and layers as stored
};

class Store {
public:
    // $HOIST_ROOT, else $XDG_DATA_HOME/hoist, else ~/.local/share/hoist; /var/lib/hoist for root.
    static std::filesystem::path default_root();
    // Opens the store at `root`, creating it when missing.
    static Result<Store> open(const std::filesystem::path& root);

    OciLayout& layout() { return *m_layout; }

    // Every image, named ones sorted by name, then unnamed ones.
    Result<std::vector<StoredImage>> images();
    // The image that `name` names: a reference ("app:dev", "docker.io/library/app:dev", a
    // digest reference), or an image ID or an unambiguous prefix of one ("3f2a9c0b1d2e").
    // Errc::not_found: 'no such image: app:dev'.
    Result<StoredImage> find(std::string_view name);
    // Names `target` as `name`, replacing whatever had the name.
    Result<void> tag(const Descriptor& target, const Reference& name);
    struct Removal {
        std::vector<Reference> names;  // the names that went
        GcResult gc;                   // what collecting the unused blobs freed
    };
    // Removes the name; given an ID, removes the image unless several names point at it. Then
    // collects the blobs nothing else uses.
    Result<Removal> remove(std::string_view name);

    // The build cache: manifests in the layout beside index.json, each named by the key of the
    // build step it records by a file build-cache/<hex> that holds its descriptor. gc keeps the
    // blobs they reach; several processes may use the cache at once.
    // The entry for `key` (marked as just used), nullopt when there is none or its blobs are gone.
    Result<std::optional<Descriptor>> cache_entry(const Digest& key);
    Result<void> put_cache_entry(const Digest& key, const Descriptor& manifest);
    struct Pruned {
        std::size_t entries_removed = 0;
        std::uint64_t bytes_kept = 0;  // what the entries left reach (blobs shared with images too)
        GcResult gc;
    };
    // `hoist fsck`: every blob's content against its name, and every image's and cache entry's
    // manifests, indexes, configs and layers present with the sizes their descriptors give.
    struct Check {
        std::size_t blobs = 0;  // blobs read
        std::uint64_t bytes = 0;
        std::size_t roots = 0;        // images and cache entries followed
        std::size_t unreferenced = 0;  // blobs nothing reaches (gc removes them)
        std::size_t leftovers = 0;     // temporary files of interrupted writes (gc removes them)
        std::vector<std::string> problems;  // one line each; none when the store is sound
    };
    Result<Check> check();

    // Keeps the most recently used cache entries while the blobs they reach fit in `keep_bytes`,
    // removes the others, then collects the blobs nothing uses any more.
    Result<Pruned> prune_cache(std::uint64_t keep_bytes);

private:
    explicit Store(std::unique_ptr<OciLayout> layout) : m_layout(std::move(layout)) {}
    Result<StoredImage> describe(const Descriptor& entry);
    std::filesystem::path cache_dir() const { return m_layout->dir() / "build-cache"; }
    // Every cache entry's file and manifest, oldest use first.
    Result<std::vector<std::pair<std::filesystem::path, Descriptor>>> cache_entries();
    Result<GcResult> gc();

    std::unique_ptr<OciLayout> m_layout;
};

}  // namespace hoist::oci
