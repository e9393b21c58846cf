#include "src/sync.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "oci/copy.hpp"
#include "oci/file.hpp"
#include "oci/index.hpp"
#include "oci/media_type.hpp"

namespace hoist {
namespace {

using Json = nlohmann::json;
using oci::Descriptor;

std::string_view trim(std::string_view text) {
    auto start = text.find_first_not_of(" \t");
    if (start == std::string_view::npos) {
        return {};
    }
    return text.substr(start, text.find_last_not_of(" \t") - start + 1);
}

std::vector<std::string_view> split(std::string_view text, std::string_view separator) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        auto end = text.find(separator, start);
        parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) {
            return parts;
        }
        start = end + separator.size();
    }
}

// A version with some parts left open: "1.2" (2 parts), "1.x" (1), "*" (0).
struct Partial {
    Version version;
    int parts = 0;
};

std::optional<Partial> parse_partial(std::string_view text) {
    if (text.starts_with('v')) {
        text.remove_prefix(1);
    }
    Partial partial;
    auto pieces = split(text, ".");
    if (pieces.size() > 3) {
        return std::nullopt;
    }
    std::uint64_t* fields[] = {&partial.version.major, &partial.version.minor, &partial.version.patch};
    bool open = false;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        auto piece = pieces[i];
        if (piece == "x" || piece == "X" || piece == "*") {
            open = true;
            continue;
        }
        auto [end, ec] = std::from_chars(piece.data(), piece.data() + piece.size(), *fields[i]);
        if (open || piece.empty() || ec != std::errc() || end != piece.data() + piece.size()) {
            return std::nullopt;
        }
        partial.parts = static_cast<int>(i) + 1;
    }
    return partial;
}

// The version after every version that starts with `partial`'s parts: 1.2 -> 1.3.0, 1 -> 2.0.0.
Version next_after(const Partial& partial) {
    auto v = partial.version;
    if (partial.parts == 1) {
        return Version{v.major + 1, 0, 0};
    }
    if (partial.parts == 2) {
        return Version{v.major, v.minor + 1, 0};
    }
    return Version{v.major, v.minor, v.patch + 1};
}

Result<void> check_keys(const Json& object, std::initializer_list<std::string_view> known, std::string_view where) {
    for (const auto& [key, value] : object.items()) {
        if (std::ranges::find(known, key) == known.end()) {
            return fail(Errc::invalid_argument, fmt::format("{}: unknown key \"{}\"", where, key));
        }
    }
    return {};
}

Result<TagSelector> parse_tags(const Json& tags, const std::string& where) {
    TagSelector selector;
    if (tags.is_string() && tags.get<std::string>() == "all") {
        return selector;
    }
    if (tags.is_array() && !tags.empty()) {
        selector.kind = TagSelector::Kind::list;
        for (std::size_t i = 0; i < tags.size(); ++i) {
            if (!tags[i].is_string() || !oci::Reference::valid_tag(tags[i].get<std::string>())) {
                return fail(Errc::invalid_argument,
                            fmt::format("{}[{}]: {} is not a valid tag", where, i, tags[i].dump()));
            }
            selector.tags.push_back(tags[i].get<std::string>());
        }
        return selector;
    }
    if (tags.is_object() && tags.size() == 1 && tags.begin().value().is_string()) {
        selector.pattern = tags.begin().value().get<std::string>();
        if (tags.contains("regex")) {
            selector.kind = TagSelector::Kind::regex;
            try {
                selector.regex = std::regex(selector.pattern, std::regex::ECMAScript);
            } catch (const std::regex_error&) {
                return fail(Errc::invalid_argument, fmt::format("{}.regex: {} is not a valid regular expression", where,
                                                                Json(selector.pattern).dump()));
            }
            return selector;
        }
        if (tags.contains("semver")) {
            selector.kind = TagSelector::Kind::semver;
            selector.range = HOIST_TRY(in_context(SemverRange::parse(selector.pattern), where + ".semver"));
            return selector;
        }
    }
    return fail(
        Errc::invalid_argument,
        fmt::format("{}: must be \"all\", a list of tags, {{\"regex\": \"...\"}} or {{\"semver\": \"...\"}}", where));
}

Result<SyncRepository> parse_repository(const Json& entry, const std::string& prefix, const std::string& where) {
    if (!entry.is_object()) {
        return fail(Errc::invalid_argument, where + ": must be an object");
    }
    HOIST_TRY(check_keys(entry, {"source", "tags", "destination"}, where));
    if (!entry.contains("source") || !entry["source"].is_string()) {
        return fail(Errc::invalid_argument, where + ".source: must be a string");
    }
    auto source =
        HOIST_TRY(in_context(oci::Reference::parse_repository(entry["source"].get<std::string>()), where + ".source"));
    if (!entry.contains("tags")) {
        return fail(Errc::invalid_argument, where + ".tags: missing (\"all\" takes every tag)");
    }
    auto tags = HOIST_TRY(parse_tags(entry["tags"], where + ".tags"));
    std::string destination = prefix.empty() ? source.path() : prefix + "/" + source.path();
    if (entry.contains("destination")) {
        if (!entry["destination"].is_string()) {
            return fail(Errc::invalid_argument, where + ".destination: must be a string");
        }
        destination = entry["destination"].get<std::string>();
    }
    // The destination's own rules for a path, checked on a placeholder domain.
    HOIST_TRY(in_context(oci::Reference::parse_repository("example.com/" + destination),
                         where + ".destination \"" + destination + "\""));
    return SyncRepository{.source = std::move(source), .tags = std::move(tags), .destination = std::move(destination)};
}

// The index `root` with only the images for `platforms`: its bytes and descriptor.
Result<std::pair<Descriptor, std::string>> filter_index(oci::ImageSource& source, const Descriptor& root,
                                                        const std::vector<oci::Platform>& platforms) {
    auto bytes = HOIST_TRY(source.read_blob(root));
    auto index = HOIST_TRY(oci::Index::parse(bytes));
    auto document = nlohmann::ordered_json::parse(bytes);
    auto kept = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < index.manifests.size(); ++i) {
        const auto& child = index.manifests[i];
        bool wanted = child.platform && std::ranges::any_of(platforms, [&](const oci::Platform& platform) {
                          return child.platform->matches(platform);
                      });
        if (wanted) {
            kept.push_back(document["manifests"][i]);
        }
    }
    if (kept.empty()) {
        return fail(Errc::not_found,
                    fmt::format("index {} has no image for the platforms asked for", root.digest.to_string()));
    }
    if (kept.size() == index.manifests.size()) {
        return std::pair(root, std::move(bytes));
    }
    document["manifests"] = std::move(kept);
    auto filtered = document.dump();
    return std::pair(Descriptor::of(root.media_type, filtered), std::move(filtered));
}

// A source repository whose manifests are read once for all the images synced from it: tags
// share their indexes and images, and on Docker Hub every manifest GET counts as a pull.
class CachedSource final : public oci::ImageSource {
public:
    explicit CachedSource(registry::Repository& repository) : m_repository(repository) {}

    registry::Repository& repository() { return m_repository; }

    Result<Descriptor> resolve(const std::optional<std::string>& name) override { return m_repository.resolve(name); }
    Result<std::string> read_blob(const Descriptor& blob, std::uint64_t limit = 16u << 20) override {
        bool manifest = oci::media_type::is_manifest(blob.media_type) || oci::media_type::is_index(blob.media_type);
        if (manifest) {
            std::lock_guard lock(m_mutex);
            if (auto it = m_manifests.find(blob.digest); it != m_manifests.end()) {
                return it->second;
            }
        }
        auto bytes = HOIST_TRY(m_repository.read_blob(blob, limit));
        if (manifest) {
            std::lock_guard lock(m_mutex);
            m_manifests.emplace(blob.digest, bytes);
        }
        return bytes;
    }
    Result<std::unique_ptr<oci::Reader>> open_blob(const Descriptor& blob) override {
        return m_repository.open_blob(blob);
    }
    Result<std::unique_ptr<oci::Reader>> open_blob_unchecked(const Descriptor& blob) override {
        return m_repository.open_blob_unchecked(blob);
    }

private:
    registry::Repository& m_repository;
    std::mutex m_mutex;
    std::map<oci::Digest, std::string> m_manifests;  // verified by the repository
};

// A destination repository as the sink of the images synced at once: a blob or manifest that
// one image is writing is waited for by the others rather than written again at the same time
// (tags share most of their content, and the registry refuses some concurrent writes of one
// digest); what this run wrote is not asked about again.
class SharedSink final : public oci::ImageSink {
public:
    explicit SharedSink(registry::Repository& repository) : m_repository(repository) {}

    registry::Repository& repository() { return m_repository; }

    // Claims the blob for the caller when the registry lacks it: the caller then mounts or puts
    // it, which releases the claim.
    Result<bool> has_blob(const Descriptor& blob) override {
        if (claim(blob.digest)) {
            return true;
        }
        auto present = m_repository.has_blob(blob);
        if (!present || *present) {
            release(blob.digest, present.has_value());
        }
        return present;
    }
    bool checks_digests() const override { return m_repository.checks_digests(); }
    Result<bool> mount_blob(const Descriptor& blob, oci::ImageSource& from) override {
        // The repository mounts from a repository of its own registry, not from a cache of one.
        auto* cached = dynamic_cast<CachedSource*>(&from);
        auto mounted = m_repository.mount_blob(blob, cached != nullptr ? cached->repository() : from);
        if (!mounted || *mounted) {
            release(blob.digest, mounted.has_value());
        }
        return mounted;
    }
    Result<void> put_blob(const Descriptor& blob, const oci::BlobOpener& open) override {
        auto put = m_repository.put_blob(blob, open);
        release(blob.digest, put.has_value());
        return put;
    }
    Result<void> put_manifest(const Descriptor& manifest, std::string_view bytes) override {
        if (claim(manifest.digest)) {
            return {};
        }
        auto put = m_repository.put_manifest(manifest, bytes);
        release(manifest.digest, put.has_value());
        return put;
    }
    Result<void> tag(const Descriptor& manifest, const std::string& name) override {
        return m_repository.tag(manifest, name);
    }

private:
    // Waits while another image writes `digest`; true when it is written, else it is the
    // caller's to write.
    bool claim(const oci::Digest& digest) {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&] { return !m_writing.contains(digest); });
        if (m_written.contains(digest)) {
            return true;
        }
        m_writing.insert(digest);
        return false;
    }
    void release(const oci::Digest& digest, bool written) {
        {
            std::lock_guard lock(m_mutex);
            m_writing.erase(digest);
            if (written) {
                m_written.insert(digest);
            }
        }
        m_changed.notify_all();
    }

    registry::Repository& m_repository;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::set<oci::Digest> m_writing;
    std::set<oci::Digest> m_written;
};

// The fallback tag that lists a subject's referrers where the registry has no referrers API.
std::string fallback_tag(const oci::Digest& subject) {
    return subject.to_string().replace(subject.to_string().find(':'), 1, "-");
}

// Copies the referrers of each subject the destination lacks, and lists them in the
// destination's fallback tag when its referrers API (or its fallback tag) does not show them.
Result<std::size_t> copy_referrers(CachedSource& source, SharedSink& sink, const std::vector<oci::Digest>& subjects,
                                   const oci::CopyOptions& options) {
    auto& destination = sink.repository();
    std::size_t copied = 0;
    for (const auto& subject : subjects) {
        auto referrers = HOIST_TRY(source.repository().referrers(subject));
        if (referrers.empty()) {
            continue;
        }
        auto what = "referrers of " + subject.to_string();
        for (const auto& referrer : referrers) {
            if (!HOIST_TRY(in_context(destination.has_blob(referrer), what))) {
                HOIST_TRY(in_context(oci::copy_image(source, referrer, sink, options), what));
                ++copied;
            }
        }
        auto listed = HOIST_TRY(in_context(destination.referrers(subject), what));
        auto missing = referrers;
        std::erase_if(missing, [&](const Descriptor& referrer) {
            return std::ranges::any_of(listed, [&](const Descriptor& d) { return d.digest == referrer.digest; });
        });
        if (!missing.empty()) {
            oci::Index index;
            index.manifests = std::move(listed);
            index.manifests.insert(index.manifests.end(), missing.begin(), missing.end());
            auto bytes = index.to_json();
            auto descriptor = Descriptor::of(oci::media_type::oci_index, bytes);
            HOIST_TRY(in_context(destination.put_manifest(descriptor, bytes), what));
            HOIST_TRY(in_context(destination.tag(descriptor, fallback_tag(subject)), what));
        }
    }
    return copied;
}

struct ImageJob {
    CachedSource* source;
    SharedSink* destination;
    std::string tag;
    SyncedImage* image;
};

// One tag: HEAD at both ends, and when the digests differ, the copy, then the tag, then the
// referrers of the image and of each of its platforms' images.
Result<void> sync_image(const ImageJob& job, const SyncConfig& config, const SyncOptions& options,
                        const oci::CopyOptions& copy_options) {
    auto& source = *job.source;
    auto& sink = *job.destination;
    auto& destination = sink.repository();
    auto& image = *job.image;
    auto root = HOIST_TRY(source.resolve(job.tag));
    std::optional<std::string> filtered;
    if (!config.platforms.empty() && oci::media_type::is_index(root.media_type)) {
        auto [descriptor, bytes] = HOIST_TRY(filter_index(source, root, config.platforms));
        if (descriptor.digest != root.digest) {
            filtered = std::move(bytes);
        }
        root = descriptor;
    }
    image.digest = root.digest;
    auto present = destination.resolve(job.tag);
    if (!present && present.error().code() != Errc::not_found) {
        return std::unexpected(std::move(present).error().wrap("destination"));
    }
    bool up_to_date = present && present->digest == root.digest;
    if (options.dry_run) {
        image.outcome = up_to_date ? SyncedImage::Outcome::up_to_date : SyncedImage::Outcome::would_copy;
        return {};
    }
    std::vector<oci::Digest> subjects{root.digest};
    if (!up_to_date) {
        if (filtered) {
            // The platforms' images, then the smaller index in place of the source's.
            auto index = HOIST_TRY(oci::Index::parse(*filtered));
            for (const auto& child : index.manifests) {
                HOIST_TRY(oci::copy_image(source, child, sink, copy_options));
                subjects.push_back(child.digest);
            }
            HOIST_TRY(sink.put_manifest(root, *filtered));
        } else {
            HOIST_TRY(oci::copy_image(source, root, sink, copy_options));
            if (oci::media_type::is_index(root.media_type)) {
                for (const auto& child : HOIST_TRY(oci::Index::parse(HOIST_TRY(source.read_blob(root)))).manifests) {
                    subjects.push_back(child.digest);
                }
            }
        }
        HOIST_TRY(destination.tag(root, job.tag));
    }
    image.referrers = HOIST_TRY(copy_referrers(source, sink, subjects, copy_options));
    image.outcome = up_to_date ? SyncedImage::Outcome::up_to_date : SyncedImage::Outcome::copied;
    return {};
}

}  // namespace

std::optional<Version> Version::parse(std::string_view tag) {
    auto partial = parse_partial(tag);
    auto parts = split(tag.starts_with('v') ? tag.substr(1) : tag, ".").size();
    if (!partial || static_cast<std::size_t>(partial->parts) != parts) {
        return std::nullopt;  // wildcards are for ranges, not tags
    }
    return partial->version;
}

Result<SemverRange> SemverRange::parse(std::string_view text) {
    auto refuse = [&] {
        return fail(Errc::invalid_argument, fmt::format("{} is not a semver range", Json(std::string(text)).dump()));
    };
    SemverRange range;
    for (auto alternative : split(text, "||")) {
        std::vector<Interval> intervals;
        for (auto token : split(trim(alternative), " ")) {
            if (token.empty()) {
                continue;
            }
            std::string_view op;
            for (std::string_view candidate : {">=", "<=", ">", "<", "=", "^", "~"}) {
                if (token.starts_with(candidate)) {
                    op = candidate;
                    break;
                }
            }
            auto partial = parse_partial(token.substr(op.size()));
            if (!partial) {
                return refuse();
            }
            auto v = partial->version;
            int n = partial->parts;
            Interval interval;
            if (op.empty() || op == "=") {
                if (n > 0) {
                    interval.low = Bound{v, true};
                    interval.high = n == 3 ? Bound{v, true} : Bound{next_after(*partial), false};
                }
            } else if (op == ">=") {
                interval.low = Bound{v, true};
            } else if (op == ">") {
                if (n == 0) {
                    return refuse();
                }
                interval.low = n == 3 ? Bound{v, false} : Bound{next_after(*partial), true};
            } else if (op == "<") {
                if (n == 0) {
                    return refuse();
                }
                interval.high = Bound{v, false};
            } else if (op == "<=") {
                if (n > 0) {
                    interval.high = n == 3 ? Bound{v, true} : Bound{next_after(*partial), false};
                }
            } else if (op == "~") {
                if (n > 0) {
                    interval.low = Bound{v, true};
                    interval.high = Bound{next_after(Partial{v, std::min(n, 2)}), false};
                }
            } else if (n > 0) {  // ^: the leftmost non-zero part stays
                interval.low = Bound{v, true};
                int fixed = v.major != 0 || n == 1 ? 1 : v.minor != 0 || n == 2 ? 2 : 3;
                interval.high = Bound{next_after(Partial{v, fixed}), false};
            }
            intervals.push_back(interval);
        }
        if (intervals.empty()) {
            return refuse();
        }
        range.m_alternatives.push_back(std::move(intervals));
    }
    return range;
}

bool SemverRange::contains(const Version& version) const {
    auto within = [&](const Interval& interval) {
        if (interval.low &&
            (version < interval.low->version || (!interval.low->inclusive && version == interval.low->version))) {
            return false;
        }
        return !interval.high || version < interval.high->version ||
               (interval.high->inclusive && version == interval.high->version);
    };
    return std::ranges::any_of(m_alternatives,
                               [&](const auto& intervals) { return std::ranges::all_of(intervals, within); });
}

std::vector<std::string> TagSelector::select(const std::vector<std::string>& available) const {
    if (kind == Kind::list) {
        return tags;
    }
    std::vector<std::string> selected;
    for (const auto& tag : available) {
        bool take = kind == Kind::all || (kind == Kind::regex && std::regex_match(tag, regex));
        if (kind == Kind::semver) {
            auto version = Version::parse(tag);
            take = version && range->contains(*version);
        }
        if (take) {
            selected.push_back(tag);
        }
    }
    std::ranges::sort(selected);
    return selected;
}

Result<SyncConfig> SyncConfig::parse(std::string_view text, std::string_view name) {
    auto document = Json::parse(text, nullptr, false);
    auto where = [&](std::string_view key) { return fmt::format("{}: {}", name, key); };
    if (document.is_discarded()) {
        return fail(Errc::invalid_argument, fmt::format("{}: not valid JSON", name));
    }
    if (!document.is_object()) {
        return fail(Errc::invalid_argument, fmt::format("{}: must be a JSON object", name));
    }
    HOIST_TRY(check_keys(document, {"destination", "platforms", "images_at_once", "repositories"}, name));
    SyncConfig config;

    const auto& destination = document.value("destination", Json());
    if (!destination.is_object()) {
        return fail(Errc::invalid_argument, where("destination") + ": must be an object with \"registry\"");
    }
    HOIST_TRY(check_keys(destination, {"registry", "prefix"}, where("destination")));
    if (!destination.contains("registry") || !destination["registry"].is_string()) {
        return fail(Errc::invalid_argument, where("destination.registry") + ": must be a string");
    }
    config.registry = destination["registry"].get<std::string>();
    auto probe = oci::Reference::parse_repository(config.registry + "/probe");
    if (!probe || probe->domain() != config.registry) {
        return fail(Errc::invalid_argument,
                    where("destination.registry") + ": \"" + config.registry + "\" is not a registry host");
    }
    std::string prefix;
    if (destination.contains("prefix")) {
        if (!destination["prefix"].is_string()) {
            return fail(Errc::invalid_argument, where("destination.prefix") + ": must be a string");
        }
        prefix = destination["prefix"].get<std::string>();
        while (prefix.ends_with("/")) {
            prefix.pop_back();
        }
    }

    if (document.contains("platforms")) {
        const auto& platforms = document["platforms"];
        if (!platforms.is_array()) {
            return fail(Errc::invalid_argument, where("platforms") + ": must be a list such as [\"linux/amd64\"]");
        }
        for (std::size_t i = 0; i < platforms.size(); ++i) {
            auto at = where(fmt::format("platforms[{}]", i));
            if (!platforms[i].is_string()) {
                return fail(Errc::invalid_argument, at + ": must be a string");
            }
            config.platforms.push_back(
                HOIST_TRY(in_context(oci::Platform::parse(platforms[i].get<std::string>()), at)));
        }
    }

    if (document.contains("images_at_once")) {
        const auto& value = document["images_at_once"];
        if (!value.is_number_unsigned() || value.get<unsigned>() < 1 || value.get<unsigned>() > 64) {
            return fail(Errc::invalid_argument, where("images_at_once") + ": must be a number from 1 to 64");
        }
        config.images_at_once = value.get<unsigned>();
    }

    const auto& repositories = document.value("repositories", Json());
    if (!repositories.is_array() || repositories.empty()) {
        return fail(Errc::invalid_argument, where("repositories") + ": must be a non-empty list");
    }
    for (std::size_t i = 0; i < repositories.size(); ++i) {
        auto repository =
            HOIST_TRY(parse_repository(repositories[i], prefix, where(fmt::format("repositories[{}]", i))));
        config.repositories.push_back(std::move(repository));
    }
    return config;
}

Result<SyncConfig> SyncConfig::load(const std::filesystem::path& file) {
    auto text = HOIST_TRY(read_file(file, 16u << 20));
    return parse(text, file.string());
}

std::size_t SyncReport::count(SyncedImage::Outcome outcome) const {
    return static_cast<std::size_t>(
        std::ranges::count_if(images, [&](const SyncedImage& image) { return image.outcome == outcome; }));
}

Result<SyncReport> sync(const SyncConfig& config, Session& session, const SyncOptions& options) {
    SyncReport report;
    std::mutex mutex;
    auto tell = [&](const SyncedImage& image) {
        if (options.on_image) {
            std::lock_guard lock(mutex);
            options.on_image(image);
        }
    };

    // The repositories, opened here on one thread (the session opens each registry once).
    std::vector<std::unique_ptr<registry::Repository>> sources;
    std::vector<std::unique_ptr<registry::Repository>> destinations;
    std::vector<std::unique_ptr<CachedSource>> cached_sources;
    std::vector<std::unique_ptr<SharedSink>> sinks;
    for (const auto& repository : config.repositories) {
        sources.push_back(session.repository(repository.source));
        cached_sources.push_back(std::make_unique<CachedSource>(*sources.back()));
        auto target = HOIST_TRY(oci::Reference::parse_repository(config.registry + "/" + repository.destination));
        destinations.push_back(session.repository(target));
        sinks.push_back(std::make_unique<SharedSink>(*destinations.back()));
    }

    // The tags to take: listed at the source unless the config names them. A listing that
    // fails is that repository's failure only.
    std::vector<std::vector<std::string>> tags(config.repositories.size());
    std::size_t images = 0;
    for (std::size_t i = 0; i < config.repositories.size(); ++i) {
        const auto& repository = config.repositories[i];
        std::vector<std::string> available;
        if (repository.tags.kind != TagSelector::Kind::list) {
            auto listed = sources[i]->list_tags();
            if (!listed) {
                report.images.push_back(SyncedImage{.source = repository.source.to_string(),
                                                    .destination = config.registry + "/" + repository.destination,
                                                    .outcome = SyncedImage::Outcome::failed,
                                                    .digest = std::nullopt,
                                                    .referrers = 0,
                                                    .error = std::move(listed).error().wrap("tags")});
                tell(report.images.back());
                continue;
            }
            available = std::move(*listed);
        }
        tags[i] = repository.tags.select(available);
        images += tags[i].size();
    }
    report.images.reserve(report.images.size() + images);
    std::vector<ImageJob> jobs;
    for (std::size_t i = 0; i < config.repositories.size(); ++i) {
        for (const auto& tag : tags[i]) {
            report.images.push_back(
                SyncedImage{.source = config.repositories[i].source.to_string() + ":" + tag,
                            .destination = config.registry + "/" + config.repositories[i].destination + ":" + tag});
            jobs.push_back(ImageJob{cached_sources[i].get(), sinks[i].get(), tag, &report.images.back()});
        }
    }

    // The images, images_at_once at a time, each copying copy_options.jobs blobs at once.
    std::atomic<std::size_t> next = 0;
    auto work = [&] {
        for (auto i = next.fetch_add(1); i < jobs.size(); i = next.fetch_add(1)) {
            auto& image = *jobs[i].image;
            if (auto synced = sync_image(jobs[i], config, options, session.copy_options); !synced) {
                image.outcome = SyncedImage::Outcome::failed;
                image.error = std::move(synced).error();
            }
            tell(image);
        }
    };
    {
        std::vector<std::jthread> workers;
        for (unsigned i = 1; i < std::min<std::size_t>(config.images_at_once, jobs.size()); ++i) {
            workers.emplace_back(work);
        }
        work();
    }

    std::set<std::string> domains;
    for (const auto& repository : config.repositories) {
        if (domains.insert(repository.source.domain()).second) {
            if (auto limit = session.registry(repository.source.domain())->rate_limit()) {
                report.rate_limits.emplace_back(repository.source.domain(), *limit);
            }
        }
    }
    return report;
}

}  // namespace hoist
