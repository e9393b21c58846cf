// The build cache: what a step made, found again by a key of everything the step depends on, so
// that an unchanged step does not run again. An entry is a plain OCI image manifest whose config
// holds the step's history entry (and its layer's diffID) and whose layers are the step's layer
// (none when the step changed no file). In the store it is named by its key
// (oci::Store::cache_entry); in a registry repository (--cache-to, --cache-from) it is the tag
// "cache-<key hex>", which ECR and Docker Hub take like any image.
#pragma once

#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "oci/image_config.hpp"
#include "oci/json.hpp"
#include "oci/store.hpp"
#include "src/transport.hpp"

namespace hoist::build {

struct CacheEntry {
    std::optional<oci::Descriptor> layer;  // none: the step changed no file
    std::optional<oci::Digest> diff_id;
    oci::HistoryEntry history;
};

struct CacheOptions {
    std::vector<oci::Reference> from;  // --cache-from: repositories probed when the store has no entry
    std::vector<oci::Reference> to;    // --cache-to: repositories every entry of the build goes to
};

// A key: the sha256 of `inputs`' JSON text (object keys sorted, so equal inputs give equal keys).
oci::Digest cache_key(const oci::json::Json& inputs);

// The registry tag of the entry for `key`.
std::string cache_tag(const oci::Digest& key);

class BuildCache {
public:
    // `warn` hears about registry entries that could not be read or written (the build goes on
    // without them). Called from the stages' threads.
    BuildCache(oci::Store& store, Session& session, const CacheOptions& options, oci::Platform platform,
               std::function<void(std::string_view)> warn);
    BuildCache(const BuildCache&) = delete;
    ~BuildCache();

    // The entry for `key`: the store's, else the first --cache-from repository's that has it,
    // copied into the store (its layer checked against its digest and diffID) on the way. A
    // store's entry is pushed to the --cache-to repositories as well.
    Result<std::optional<CacheEntry>> find(const oci::Digest& key);
    // Stores the entry for `key` and starts pushing it to every --cache-to repository.
    Result<void> put(const oci::Digest& key, const CacheEntry& entry);
    // Waits for the pushes. A push that failed was warned about; the cache is an optimisation.
    void finish();

private:
    Result<std::optional<CacheEntry>> read(const oci::Descriptor& manifest);
    Result<std::optional<CacheEntry>> fetch(const oci::Digest& key, std::size_t index);
    // Starts pushing the entry to every --cache-to repository but `has_it`.
    void push(const oci::Digest& key, const oci::Descriptor& manifest, std::string_view has_it);

    oci::Store& m_store;
    oci::Platform m_platform;
    std::function<void(std::string_view)> m_warn;
    std::vector<std::unique_ptr<registry::Repository>> m_from;
    std::vector<std::unique_ptr<registry::Repository>> m_to;
    std::vector<std::string> m_to_names;
    std::vector<std::string> m_from_names;
    oci::CopyOptions m_copy_options;
    std::mutex m_mutex;
    std::vector<std::future<void>> m_pushes;
};

struct PruneOptions {
    std::uint64_t keep_bytes = 0;  // --keep-storage: what the most recently used entries may keep
    bool all = false;              // --all: RUN's cache mounts go too
};

struct PruneReport {
    oci::Store::Pruned cache;
    std::size_t snapshots_removed = 0;  // unpacked layers
    std::size_t snapshot_stores_busy = 0;  // left alone: a build was using them
    bool cache_mounts_removed = false;
};

// `hoist prune`: the build cache entries beyond `keep_bytes` (least recently used first), every
// unpacked layer of RUN (unless a build is using them; they are unpacked again when needed),
// with `all` the cache mounts, then the blobs nothing uses any more.
Result<PruneReport> prune(oci::Store& store, const PruneOptions& options);

}  // namespace hoist::build
