// hoist build: a Dockerfile and a context to an image in the store, and from there to wherever
// the outputs say. The stages a target needs are built, independent ones in parallel; metadata
// instructions edit the config, COPY and ADD write layers straight from their source trees, and
// with --push each layer is uploaded while later steps run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "oci/compression.hpp"
#include "oci/platform.hpp"
#include "oci/reference.hpp"
#include "src/build/cache.hpp"
#include "src/run/sandbox.hpp"
#include "src/transport.hpp"

namespace hoist::build {

// Where a build goes besides the store: `--output type=oci,dest=DIR` and the like, or `--push`
// (type registry: every tag pushed to its registry).
struct Output {
    enum class Kind { oci, docker, oci_archive, registry };
    Kind kind = Kind::registry;
    std::filesystem::path dest;  // the directory or file; empty for registry

    // "type=oci,dest=DIR", "type=docker,dest=FILE", "type=oci-archive,dest=FILE",
    // "type=registry"; Errc::invalid_argument names what is wrong.
    static Result<Output> parse(std::string_view text);
};

// Told what a build does, step by step, from the threads that build stages.
class BuildObserver {
public:
    virtual ~BuildObserver() = default;
    // Step `step` of `steps` of stage `stage` ("builder", or "stage-1") begins: `text` is the
    // instruction ("COPY . /app").
    virtual void step_started(std::string_view stage, std::size_t step, std::size_t steps, std::string_view text) = 0;
    // `cached`: the build cache had what the step makes, so it did not run.
    virtual void step_finished(std::string_view stage, std::size_t step, double seconds, bool cached) = 0;
    // A line a RUN step's command printed, `seconds` after the step began.
    virtual void step_output(std::string_view stage, std::size_t step, double seconds, std::string_view line) = 0;
    // Anything else worth a line: "pushing 127.0.0.1:5000/app:1".
    virtual void message(std::string_view text) = 0;
};

struct BuildOptions {
    // The context: a directory, or "-" for a tar (or a Dockerfile) read from stdin.
    std::filesystem::path context;
    // -f: a file anywhere, "-" for stdin; empty: CONTEXT/Dockerfile.
    std::filesystem::path dockerfile;
    std::vector<oci::Reference> tags;                  // -t
    std::map<std::string, std::string> build_args;     // --build-arg K=V
    std::string target;                                // --target: the last stage when empty
    std::optional<oci::Platform> platform;             // --platform: this machine's when unset
    std::map<std::string, std::string> labels;         // --label
    std::map<std::string, std::string> annotations;    // --annotation, on the manifest
    std::vector<Output> outputs;                       // --output, --push
    std::map<std::string, std::string> mirrors;        // --registry-mirror docker.io=HOST
    // --build-context NAME=oci-layout://DIR[:TAG|@DIGEST] or NAME=docker-image://REF: the image
    // a FROM NAME or --from=NAME uses instead.
    std::map<std::string, std::string> build_contexts;
    oci::CompressionOptions compression;               // --compression
    std::optional<std::int64_t> source_date_epoch;     // SOURCE_DATE_EPOCH: created times, mtime clamp
    bool offline = false;                              // --offline: a base not in the store is an error
    bool no_cache = false;                             // --no-cache: run every step (the cache is still written)
    std::set<std::string> no_cache_stages;             // --no-cache-filter: stages (names or indexes) that do
    CacheOptions cache;                                // --cache-from, --cache-to
    run::SandboxOptions sandbox;                       // --isolation, --snapshotter: how RUN runs
    bool network = true;                               // --network host|none: RUN's default
    std::map<std::string, std::string> secrets;        // --secret: contents by id, for RUN --mount=type=secret
    std::string sandbox_unavailable;                   // why RUN cannot run here, when known beforehand
    BuildObserver* observer = nullptr;
};

struct BuildResult {
    oci::Descriptor manifest;
    oci::Digest image_id;  // the config's digest, as docker names images
};

// Builds the image and writes it to the store (named by each tag, unnamed without one), then to
// each output. Errors name the Dockerfile line: "Dockerfile:4:1: COPY a /b: \"/a\": not found".
Result<BuildResult> build(const BuildOptions& options, Session& session);

// A BuildObserver that prints BuildKit's plain progress lines to `stream`:
// "#3 [builder 2/5] COPY . /app" and "#3 DONE 0.4s".
std::unique_ptr<BuildObserver> make_build_progress(std::FILE* stream);

}  // namespace hoist::build
