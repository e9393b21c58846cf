// Mirroring many repositories and tags between registries, as a config file describes them
// (`hoist sync --config FILE`): whole indexes copied, images already at the destination with the
// same digest skipped after one HEAD each (no blob traffic), referrers (signatures, SBOMs) copied
// along, many images and blobs at once. Every write is idempotent and the tag is written last,
// so a sync killed at any point is finished by running it again.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "oci/error.hpp"
#include "oci/platform.hpp"
#include "oci/reference.hpp"
#include "src/transport.hpp"

namespace hoist {

// A version as tags spell them: [v]MAJOR[.MINOR[.PATCH]], missing parts 0. Nothing else (no
// pre-release, no suffix such as "-alpine").
struct Version {
    std::uint64_t major = 0;
    std::uint64_t minor = 0;
    std::uint64_t patch = 0;

    static std::optional<Version> parse(std::string_view tag);
    auto operator<=>(const Version&) const = default;
};

// A semver range as npm writes them: comparators (>=1.2, <2, =1.2.3, >1, <=1.4) joined by spaces
// (all must hold), alternatives joined by "||"; "1.2" or "1.2.x" means >=1.2.0 <1.3.0, "^1.2.3"
// >=1.2.3 <2.0.0 (^0.2.3: <0.3.0), "~1.2.3" >=1.2.3 <1.3.0, "*" anything.
class SemverRange {
public:
    static Result<SemverRange> parse(std::string_view text);
    bool contains(const Version& version) const;

private:
    struct Bound {
        Version version;
        bool inclusive = true;
    };
    struct Interval {
        std::optional<Bound> low;
        std::optional<Bound> high;
    };
    std::vector<std::vector<Interval>> m_alternatives;  // any alternative, all of its intervals
};

// Which tags of a source repository to take.
struct TagSelector {
    enum class Kind { all, list, regex, semver };
    Kind kind = Kind::all;
    std::vector<std::string> tags;  // list: exactly these, not looked up
    std::string pattern;            // regex or semver, as written
    std::regex regex;               // the whole tag must match
    std::optional<SemverRange> range;

    // The tags to take from a repository whose tags are `available`, in the order given (list)
    // or sorted (the others).
    std::vector<std::string> select(const std::vector<std::string>& available) const;
};

struct SyncRepository {
    oci::Reference source;  // a repository, "docker.io/library/alpine"
    TagSelector tags;
    std::string destination;  // its path at the destination: prefix + "/" + the source's path
};

struct SyncConfig {
    std::string registry;  // destination registry, "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    std::vector<SyncRepository> repositories;
    std::vector<oci::Platform> platforms;  // empty: every platform (the index copied unchanged)
    unsigned images_at_once = 4;

    // The config file's JSON:
    //   {"destination": {"registry": "HOST", "prefix": "mirror"},
    //    "platforms": ["linux/amd64", "linux/arm64"],            (optional; default all)
    //    "images_at_once": 4,                                    (optional)
    //    "repositories": [{"source": "alpine", "tags": ["3.19", "3.20"]},
    //                     {"source": "nginx", "tags": {"semver": ">=1.25 <2"}},
    //                     {"source": "busybox", "tags": {"regex": "^1\\.36\\..*$"}},
    //                     {"source": "docker.io/library/redis", "tags": "all",
    //                      "destination": "cache/redis"}]}       (optional: instead of prefix/path)
    // Strict: unknown keys and wrong types are errors naming `name` and the key.
    static Result<SyncConfig> parse(std::string_view text, std::string_view name);
    static Result<SyncConfig> load(const std::filesystem::path& file);
};

struct SyncedImage {
    enum class Outcome { copied, up_to_date, would_copy, failed };
    std::string source;       // "docker.io/library/alpine:3.19"
    std::string destination;  // "HOST/mirror/library/alpine:3.19"
    Outcome outcome = Outcome::failed;
    std::optional<oci::Digest> digest;  // what the destination's tag points at (or would)
    std::size_t referrers = 0;          // referrers copied
    std::optional<Error> error;
};

struct SyncOptions {
    bool dry_run = false;  // resolve and compare, write nothing
    // Told of each image as it is done; called from the syncing threads, one call at a time.
    std::function<void(const SyncedImage&)> on_image;
};

struct SyncReport {
    std::vector<SyncedImage> images;  // in config order
    // Rate limits the source registries announced ("docker.io": "100;w=21600", "76;w=21600").
    std::vector<std::pair<std::string, registry::Registry::RateLimit>> rate_limits;
    std::size_t count(SyncedImage::Outcome outcome) const;
};

// Syncs what `config` says with `session`'s registries and copy options (blobs at once,
// progress). An image that fails, or a repository whose tags cannot be listed, is reported in
// its SyncedImage and the others go on; the result is an error only for a destination
// repository name the registry host makes invalid.
Result<SyncReport> sync(const SyncConfig& config, Session& session, const SyncOptions& options = {});

}  // namespace hoist
