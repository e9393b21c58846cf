#include "oci/store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <set>
#include <tuple>
#include <vector>

#include <fmt/core.h>

#include "oci/image_config.hpp"
#include "oci/manifest.hpp"
#include "oci/media_type.hpp"

namespace hoist::oci {
namespace fs = std::filesystem;

namespace {

std::optional<fs::path> environment_path(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::optional(fs::path(value)) : std::nullopt;
}

bool is_hex(std::string_view text) {
    return !text.empty() &&
           std::ranges::all_of(text, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A build cache entry's file: the descriptor of its manifest, nullopt when there is no file or
// the manifest is gone from `layout`.
Result<std::optional<Descriptor>> read_cache_file(const fs::path& path, const OciLayout& layout) {
    auto what = "build cache entry " + path.filename().string();
    auto text = read_file(path);
    if (std::error_code ec; !text && !fs::exists(path, ec)) {
        return std::nullopt;
    }
    auto object = HOIST_TRY(in_context(json::parse_object(HOIST_TRY(std::move(text)), path.string()), what));
    auto manifest = HOIST_TRY(in_context(Descriptor::from_json(object, "descriptor"), what));
    if (!layout.contains(manifest.digest)) {
        return std::nullopt;
    }
    return manifest;
}

}  // namespace

fs::path Store::default_root() {
    if (auto root = environment_path("HOIST_ROOT")) {
        return *root;
    }
    if (::geteuid() == 0) {
        return "/var/lib/hoist";
    }
    if (auto data = environment_path("XDG_DATA_HOME")) {
        return *data / "hoist";
    }
    return environment_path("HOME").value_or("/") / ".local/share/hoist";
}

Result<Store> Store::open(const fs::path& root) {
    auto layout = HOIST_TRY(in_context(OciLayout::open(root, OciLayout::Mode::create), "image store"));
    return Store(std::move(layout));
}

Result<StoredImage> Store::describe(const Descriptor& entry) {
    StoredImage image{
        .name = std::nullopt, .target = entry, .id = entry.digest, .created = std::nullopt, .size = entry.size};
    if (auto name = entry.annotations.find(std::string(k_ref_name_annotation)); name != entry.annotations.end()) {
        image.name = HOIST_TRY(in_context(Reference::parse(name->second), "image store"));
    }
    if (media_type::is_manifest(entry.media_type)) {
        auto manifest = HOIST_TRY(Manifest::parse(HOIST_TRY(m_layout->read_blob(entry))));
        image.id = manifest.config.digest;
        image.size += manifest.config.size;
        for (const auto& layer : manifest.layers) {
            image.size += layer.size;
        }
        auto config = ImageConfig::parse(HOIST_TRY(m_layout->read_blob(manifest.config)));
        if (config) {
            image.created = config->created;
        }
    }
    return image;
}

Result<std::vector<StoredImage>> Store::images() {
    std::vector<StoredImage> images;
    for (const auto& entry : HOIST_TRY(m_layout->read_index()).manifests) {
        images.push_back(HOIST_TRY(in_context(describe(entry), entry.digest.to_string())));
    }
    std::ranges::stable_sort(images, [](const StoredImage& a, const StoredImage& b) {
        if (a.name.has_value() != b.name.has_value()) {
            return a.name.has_value();
        }
        return a.name && a.name->to_string() < b.name->to_string();
    });
    return images;
}

Result<StoredImage> Store::find(std::string_view name) {
    auto images = HOIST_TRY(this->images());
    // An image ID, or a prefix of one, as docker accepts them.
    std::string_view id = name.starts_with("sha256:") ? name.substr(7) : name;
    if (is_hex(id) && (id.size() >= 12 || name.starts_with("sha256:"))) {
        std::vector<const StoredImage*> found;
        for (const auto& image : images) {
            if ((image.id.hex().starts_with(id) || image.target.digest.hex().starts_with(id)) &&
                std::ranges::none_of(found, [&](const StoredImage* other) { return other->id == image.id; })) {
                found.push_back(&image);
            }
        }
        if (found.size() == 1) {
            return *found.front();
        }
        if (found.size() > 1) {
            return fail(Errc::invalid_argument, "image ID " + std::string(name) + " is ambiguous");
        }
        if (id.size() == 64) {
            return fail(Errc::not_found, "no such image: " + std::string(name));
        }
    }
    auto reference = HOIST_TRY(Reference::parse(name));
    for (const auto& image : images) {
        bool same_digest = reference.digest() && image.name && image.name->repository() == reference.repository() &&
                           image.target.digest == *reference.digest();
        bool same_name = !reference.digest() && image.name && *image.name == reference;
        if (same_digest || same_name) {
            return image;
        }
    }
    return fail(Errc::not_found, "no such image: " + std::string(name));
}

Result<void> Store::tag(const Descriptor& target, const Reference& name) {
    if (name.digest()) {
        return fail(Errc::invalid_argument, "cannot tag with a digest reference: " + name.familiar());
    }
    return m_layout->tag(target, name.to_string());
}

Result<Store::Removal> Store::remove(std::string_view name) {
    auto image = HOIST_TRY(find(name));
    auto reference = Reference::parse(name);
    if (reference && image.name == *reference) {
        HOIST_TRY(m_layout->untag(reference->to_string()));
        auto collected = HOIST_TRY(gc());
        return Removal{.names = {*reference}, .gc = collected};
    }
    // By image ID: every entry of that image goes, unless that would drop several names at once.
    std::vector<Reference> names;
    std::set<Digest> targets;
    for (const auto& other : HOIST_TRY(images())) {
        if (other.id == image.id) {
            targets.insert(other.target.digest);
            if (other.name) {
                names.push_back(*other.name);
            }
        }
    }
    if (names.size() > 1) {
        return fail(Errc::invalid_argument, "image " + std::string(name) + " has " + std::to_string(names.size()) +
                                                " names; remove them by name");
    }
    HOIST_TRY(m_layout->update_index([&](Index& index) -> Result<void> {
        std::erase_if(index.manifests, [&](const Descriptor& entry) { return targets.contains(entry.digest); });
        return {};
    }));
    auto collected = HOIST_TRY(gc());
    return Removal{.names = std::move(names), .gc = collected};
}

Result<GcResult> Store::gc() {
    std::vector<Descriptor> roots;
    for (auto& [path, manifest] : HOIST_TRY(cache_entries())) {
        roots.push_back(std::move(manifest));
    }
    return m_layout->gc(roots);
}

Result<std::optional<Descriptor>> Store::cache_entry(const Digest& key) {
    auto path = cache_dir() / key.hex();
    auto manifest = HOIST_TRY(read_cache_file(path, *m_layout));
    if (manifest) {
        ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);  // used now: pruned last
    }
    return manifest;
}

Result<void> Store::put_cache_entry(const Digest& key, const Descriptor& manifest) {
    HOIST_TRY(make_directories(cache_dir()));
    return write_file_atomic(cache_dir() / key.hex(), manifest.to_json().dump() + "\n");
}

Result<std::vector<std::pair<fs::path, Descriptor>>> Store::cache_entries() {
    std::vector<std::tuple<fs::file_time_type, fs::path, Descriptor>> found;
    std::error_code ec;
    for (const auto& file : fs::directory_iterator(cache_dir(), ec)) {
        auto key = Digest::parse("sha256:" + file.path().filename().string());
        auto used = file.last_write_time(ec);
        if (!key || ec) {
            continue;  // a temporary file of a write under way
        }
        if (auto manifest = HOIST_TRY(read_cache_file(file.path(), *m_layout))) {
            found.emplace_back(used, file.path(), std::move(*manifest));
        }
    }
    std::ranges::sort(found, [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
    std::vector<std::pair<fs::path, Descriptor>> entries;
    for (auto& [used, path, manifest] : found) {
        entries.emplace_back(std::move(path), std::move(manifest));
    }
    return entries;
}

Result<Store::Check> Store::check() {
    Check check;
    auto root = m_layout->dir();
    std::error_code ec;
    // Every blob: its content hashes to its name.
    for (const auto& algorithm_dir : fs::directory_iterator(root / "blobs", ec)) {
        for (const auto& blob : fs::directory_iterator(algorithm_dir.path(), ec)) {
            auto name = algorithm_dir.path().filename().string() + ":" + blob.path().filename().string();
            auto digest = Digest::parse(name);
            if (!digest) {
                check.problems.push_back("blobs/" + name + ": not a digest");
                continue;
            }
            auto fd = HOIST_TRY(open_file(blob.path(), O_RDONLY | O_CLOEXEC));
            Hasher hasher(digest->algorithm());
            std::vector<char> buffer(1 << 20);
            for (;;) {
                auto got = ::read(fd.get(), buffer.data(), buffer.size());
                if (got < 0 && errno == EINTR) {
                    continue;
                }
                if (got < 0) {
                    return std::unexpected(os_error("read " + blob.path().string(), errno));
                }
                if (got == 0) {
                    break;
                }
                hasher.update(buffer.data(), static_cast<std::size_t>(got));
                check.bytes += static_cast<std::uint64_t>(got);
            }
            ++check.blobs;
            if (auto actual = hasher.finish(); actual != *digest) {
                check.problems.push_back("blob " + name + ": its content is " + actual.to_string());
            }
        }
    }
    // Every image and cache entry: what it references is there, with the size it says.
    std::vector<std::pair<std::string, Descriptor>> pending;
    for (const auto& entry : HOIST_TRY(m_layout->read_index()).manifests) {
        auto name = entry.annotations.find(std::string(k_ref_name_annotation));
        pending.emplace_back("image " + (name != entry.annotations.end() ? name->second : entry.digest.to_string()),
                             entry);
    }
    for (auto& [path, manifest] : HOIST_TRY(cache_entries())) {
        pending.emplace_back("build cache entry " + path.filename().string(), std::move(manifest));
    }
    check.roots = pending.size();
    std::set<Digest> reached;
    while (!pending.empty()) {
        auto [owner, node] = std::move(pending.back());
        pending.pop_back();
        bool first = reached.insert(node.digest).second;
        auto size = fs::file_size(m_layout->blob_path(node.digest), ec);
        if (ec) {
            check.problems.push_back(fmt::format("{}: {} {} is missing", owner, node.media_type, node.digest.to_string()));
            continue;
        }
        if (static_cast<std::int64_t>(size) != node.size) {
            check.problems.push_back(fmt::format("{}: {} {} has {} bytes, not {}", owner, node.media_type,
                                                 node.digest.to_string(), size, node.size));
            continue;
        }
        if (!first || !(media_type::is_index(node.media_type) || media_type::is_manifest(node.media_type))) {
            continue;
        }
        auto children = [&]() -> Result<std::vector<Descriptor>> {
            return children_of(node, HOIST_TRY(m_layout->read_blob(node)));
        }();
        if (!children) {
            check.problems.push_back(owner + ": " + children.error().what());
            continue;
        }
        for (auto& child : *children) {
            pending.emplace_back(owner, std::move(child));
        }
    }
    for (const auto& algorithm_dir : fs::directory_iterator(root / "blobs", ec)) {
        for (const auto& blob : fs::directory_iterator(algorithm_dir.path(), ec)) {
            auto digest = Digest::parse(algorithm_dir.path().filename().string() + ":" + blob.path().filename().string());
            check.unreferenced += digest && !reached.contains(*digest) ? 1 : 0;
        }
    }
    for (const auto& entry : fs::directory_iterator(root, ec)) {
        check.leftovers += is_leftover(entry.path().filename().string()) ? 1 : 0;
    }
    return check;
}

Result<Store::Pruned> Store::prune_cache(std::uint64_t keep_bytes) {
    auto entries = HOIST_TRY(cache_entries());
    Pruned pruned;
    std::set<Digest> counted;
    bool full = false;
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        auto& [path, manifest] = *it;
        std::uint64_t size = 0;
        std::vector<Descriptor> blobs{manifest};
        if (auto bytes = m_layout->read_blob(manifest)) {
            auto parsed = HOIST_TRY(in_context(Manifest::parse(*bytes), manifest.digest.to_string()));
            blobs.push_back(parsed.config);
            blobs.insert(blobs.end(), parsed.layers.begin(), parsed.layers.end());
        }
        for (const auto& blob : blobs) {
            if (!counted.contains(blob.digest)) {
                size += static_cast<std::uint64_t>(blob.size);
            }
        }
        full = full || pruned.bytes_kept + size > keep_bytes;
        if (full) {
            std::error_code ec;
            pruned.entries_removed += fs::remove(path, ec) ? 1 : 0;
            continue;
        }
        pruned.bytes_kept += size;
        for (const auto& blob : blobs) {
            counted.insert(blob.digest);
        }
    }
    pruned.gc = HOIST_TRY(gc());
    return pruned;
}

}  // namespace hoist::oci
