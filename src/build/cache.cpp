#include "src/build/cache.hpp"

#include <array>

#include <fmt/core.h>

#include "oci/compression.hpp"
#include "oci/copy.hpp"
#include "oci/manifest.hpp"
#include "oci/media_type.hpp"
#include "src/run/snapshots.hpp"

namespace hoist::build {

namespace fs = std::filesystem;
using oci::Descriptor;
using oci::Digest;

namespace {

// The diffID of the layer blob `layer` in `layout`: the sha256 of its uncompressed tar.
Result<Digest> diff_id_of(oci::OciLayout& layout, const Descriptor& layer) {
    auto reader = HOIST_TRY(oci::decompressing_reader(HOIST_TRY(layout.open_blob(layer))));
    oci::Hasher hasher;
    std::array<char, 1 << 16> buffer;
    while (auto got = HOIST_TRY(reader->read(buffer))) {
        hasher.update(buffer.data(), got);
    }
    return hasher.finish();
}

}  // namespace

Digest cache_key(const oci::json::Json& inputs) { return Digest::of(inputs.dump()); }

std::string cache_tag(const Digest& key) { return "cache-" + key.hex(); }

BuildCache::BuildCache(oci::Store& store, Session& session, const CacheOptions& options, oci::Platform platform,
                       std::function<void(std::string_view)> warn)
    : m_store(store), m_platform(std::move(platform)), m_warn(std::move(warn)), m_copy_options(session.copy_options) {
    m_copy_options.observer = nullptr;
    for (const auto& reference : options.from) {
        m_from.push_back(session.repository(reference));
        m_from_names.push_back(reference.repository());
    }
    for (const auto& reference : options.to) {
        m_to.push_back(session.repository(reference));
        m_to_names.push_back(reference.repository());
    }
}

BuildCache::~BuildCache() { finish(); }

Result<std::optional<CacheEntry>> BuildCache::find(const Digest& key) {
    if (auto manifest = HOIST_TRY(m_store.cache_entry(key))) {
        auto entry = HOIST_TRY(in_context(read(*manifest), "build cache entry " + key.hex()));
        if (entry) {
            push(key, *manifest, {});
        }
        return entry;
    }
    for (std::size_t i = 0; i < m_from.size(); ++i) {
        auto fetched = fetch(key, i);
        if (!fetched) {
            m_warn(fmt::format("cache {}:{}: {}", m_from_names[i], cache_tag(key), fetched.error().what()));
        } else if (*fetched) {
            return fetched;
        }
    }
    return std::nullopt;
}

// The entry for `key` in --cache-from repository `index`, copied into the store; nullopt when
// the repository has none.
Result<std::optional<CacheEntry>> BuildCache::fetch(const Digest& key, std::size_t index) {
    auto& repository = *m_from[index];
    auto resolved = repository.resolve(cache_tag(key));
    if (!resolved && resolved.error().code() == Errc::not_found) {
        return std::nullopt;
    }
    auto manifest = HOIST_TRY(std::move(resolved));
    HOIST_TRY(oci::copy_image(repository, manifest, m_store.layout(), m_copy_options));
    auto entry = HOIST_TRY(read(manifest));
    if (!entry) {
        return fail(Errc::invalid_argument, "not a build cache entry");
    }
    if (entry->layer && HOIST_TRY(diff_id_of(m_store.layout(), *entry->layer)) != *entry->diff_id) {
        return fail(Errc::digest_mismatch, "the layer's content is not its config's diffID");
    }
    HOIST_TRY(m_store.put_cache_entry(key, manifest));
    push(key, manifest, m_from_names[index]);
    return entry;
}

// The entry a manifest holds; nullopt when it is not one hoist wrote (one history entry, at
// most one layer, as many diffIDs as layers).
Result<std::optional<CacheEntry>> BuildCache::read(const Descriptor& descriptor) {
    auto& layout = m_store.layout();
    auto manifest = HOIST_TRY(oci::Manifest::parse(HOIST_TRY(layout.read_blob(descriptor))));
    auto config = HOIST_TRY(oci::ImageConfig::parse(HOIST_TRY(layout.read_blob(manifest.config))));
    if (config.history.size() != 1 || manifest.layers.size() > 1 || config.diff_ids.size() != manifest.layers.size() ||
        config.history.front().empty_layer != manifest.layers.empty()) {
        return std::nullopt;
    }
    CacheEntry entry{.history = config.history.front()};
    if (!manifest.layers.empty()) {
        entry.layer = manifest.layers.front();
        entry.diff_id = config.diff_ids.front();
    }
    return entry;
}

Result<void> BuildCache::put(const Digest& key, const CacheEntry& entry) {
    auto& layout = m_store.layout();
    oci::ImageConfig config{.platform = m_platform, .created = entry.history.created, .history = {entry.history}};
    std::vector<Descriptor> layers;
    if (entry.layer) {
        config.diff_ids.push_back(*entry.diff_id);
        layers.push_back(*entry.layer);
    }
    oci::Manifest manifest{.config = HOIST_TRY(layout.put_bytes(oci::media_type::oci_config, config.to_json())),
                           .layers = std::move(layers)};
    auto stored = HOIST_TRY(layout.put_bytes(oci::media_type::oci_manifest, manifest.to_json()));
    HOIST_TRY(m_store.put_cache_entry(key, stored));
    push(key, stored, {});
    return {};
}

void BuildCache::push(const Digest& key, const Descriptor& manifest, std::string_view has_it) {
    std::lock_guard lock(m_mutex);
    for (std::size_t i = 0; i < m_to.size(); ++i) {
        if (m_to_names[i] == has_it) {
            continue;
        }
        m_pushes.push_back(std::async(std::launch::async, [this, key, manifest, i] {
            auto pushed = [&]() -> Result<void> {
                HOIST_TRY(oci::copy_image(m_store.layout(), manifest, *m_to[i], m_copy_options));
                return m_to[i]->tag(manifest, cache_tag(key));
            }();
            if (!pushed) {
                m_warn(fmt::format("cache {}:{}: {}", m_to_names[i], cache_tag(key), pushed.error().what()));
            }
        }));
    }
}

void BuildCache::finish() {
    std::lock_guard lock(m_mutex);
    for (auto& push : m_pushes) {
        push.get();
    }
    m_pushes.clear();
}

Result<PruneReport> prune(oci::Store& store, const PruneOptions& options) {
    PruneReport report;
    auto root = store.layout().dir();
    auto snapshots = HOIST_TRY(run::SnapshotStore::prune(root / "snapshots"));
    report.snapshots_removed = snapshots.layers_removed;
    report.snapshot_stores_busy = snapshots.stores_busy;
    if (options.all && fs::exists(root / "cache-mounts")) {
        HOIST_TRY(run::remove_tree(root / "cache-mounts"));
        report.cache_mounts_removed = true;
    }
    report.cache = HOIST_TRY(store.prune_cache(options.keep_bytes));
    return report;
}

}  // namespace hoist::build
