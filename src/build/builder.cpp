#include "src/build/builder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <chrono>
#include <ctime>
#include <future>
#include <iterator>
#include <mutex>
#include <set>

#include "oci/digest.hpp"
#include "oci/file.hpp"
#include "oci/image_config.hpp"
#include "oci/layer_applier.hpp"
#include "oci/layer_writer.hpp"
#include "oci/manifest.hpp"
#include "oci/store.hpp"
#include "oci/text.hpp"
#include "registry/upload.hpp"
#include "src/build/copy.hpp"
#include "src/build/run_step.hpp"
#include "src/build/tree.hpp"
#include "src/dockerfile/dockerignore.hpp"
#include "src/dockerfile/instructions.hpp"
#include "src/run/diff.hpp"
#include "src/run/executor.hpp"
#include "src/run/sandbox.hpp"

namespace hoist::build {
namespace fs = std::filesystem;
namespace df = dockerfile;
using oci::Descriptor;
using oci::Reference;

namespace {

constexpr std::string_view k_default_path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Go's %q of a string, as BuildKit writes CMD and ENTRYPOINT into the history.
std::string go_quote(std::string_view text) {
    std::string quoted = "\"";
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            quoted += '\\';
            quoted += c;
        } else if (c == '\n') {
            quoted += "\\n";
        } else if (c == '\t') {
            quoted += "\\t";
        } else if (byte < 0x20 || byte == 0x7f) {
            quoted += fmt::format("\\x{:02x}", byte);
        } else {
            quoted += c;
        }
    }
    return quoted + "\"";
}

// Go's %q of a []string: ["a" "b"].
std::string go_quote(const std::vector<std::string>& words) {
    std::string text = "[";
    for (std::size_t i = 0; i < words.size(); ++i) {
        text += (i > 0 ? " " : "") + go_quote(words[i]);
    }
    return text + "]";
}

// Go's %v of a []string: [a b].
std::string go_list(const std::vector<std::string>& words) {
    std::string text = "[";
    for (std::size_t i = 0; i < words.size(); ++i) {
        text += (i > 0 ? " " : "") + words[i];
    }
    return text + "]";
}

// Go's time.Duration.String(): "0s", "1.5s", "1m30s", "1h0m0s", "250ms".
std::string go_duration(std::chrono::nanoseconds duration) {
    auto ns = duration.count();
    if (ns == 0) {
        return "0s";
    }
    std::string sign = ns < 0 ? "-" : "";
    auto abs = static_cast<std::uint64_t>(ns < 0 ? -ns : ns);
    // A fraction with its trailing zeros dropped: 1500000 of 1e9 -> ".0015".
    auto fraction = [](std::uint64_t value, std::uint64_t unit) {
        std::string digits = fmt::format("{:0{}}", value % unit, fmt::format("{}", unit).size() - 1);
        while (!digits.empty() && digits.back() == '0') {
            digits.pop_back();
        }
        return fmt::format("{}{}", value / unit, digits.empty() ? "" : "." + digits);
    };
    constexpr std::uint64_t k_second = 1'000'000'000;
    if (abs < k_second) {
        if (abs < 1'000) {
            return sign + std::to_string(abs) + "ns";
        }
        if (abs < 1'000'000) {
            return sign + fraction(abs, 1'000) + "\u00b5s";
        }
        return sign + fraction(abs, 1'000'000) + "ms";
    }
    std::string text = fraction(abs % (60 * k_second), k_second) + "s";
    auto minutes = abs / (60 * k_second);
    if (minutes > 0) {
        text = std::to_string(minutes % 60) + "m" + text;
        if (minutes >= 60) {
            text = std::to_string(minutes / 60) + "h" + text;
        }
    }
    return sign + text;
}

// Layers of a Docker schema 2 base keep their bytes under the OCI media type of their format.
std::string oci_layer_type(const std::string& media_type) {
    if (media_type == oci::media_type::docker_layer_gzip) {
        return std::string(oci::media_type::oci_layer_gzip);
    }
    if (media_type == oci::media_type::docker_layer) {
        return std::string(oci::media_type::oci_layer);
    }
    return media_type;
}

// An image as a build uses it: its manifest's layers and its config.
struct Image {
    oci::ImageConfig config;
    std::vector<Descriptor> layers;
    std::optional<Reference> name;  // where it came from, for the base annotations
    std::optional<oci::Digest> manifest_digest;
};

// Where a stage stands with the build cache.
struct CacheState {
    oci::Digest key = oci::Digest::of("");  // of everything the stage's files and config depend on so far
    std::size_t own_history = 0;  // the history entries from here on are this build's
    bool ran = false;             // a step that writes files ran: it was not in the cache
    std::optional<std::string> latest;  // the latest time in the history of a cached step

    // The state after a step with key `step`, which made the layer `diff_id` (or none).
    void advance(const oci::Digest& step, const std::optional<oci::Digest>& diff_id) {
        key = cache_key({{"step", step.to_string()}, {"layer", diff_id ? diff_id->to_string() : ""}});
    }
};

// What a built stage leaves for the stages after it.
struct StageResult {
    Image image;
    df::StageScope scope;
    CacheState cache;
};

// Uploads layers to the registries of the build's tags while later steps run.
class LayerPusher {
public:
    LayerPusher(std::vector<std::unique_ptr<registry::Repository>> repositories,
                std::shared_ptr<oci::OciLayout> layout)
        : m_repositories(std::move(repositories)), m_layout(std::move(layout)) {}
    LayerPusher(const LayerPusher&) = delete;
    ~LayerPusher() { (void)wait(); }

    // Starts uploading the stored blob `layer` to every repository.
    void push(const Descriptor& layer) {
        std::lock_guard lock(m_mutex);
        for (auto& repository : m_repositories) {
            m_uploads.push_back(std::async(std::launch::async, [this, layer, &repository]() -> Result<void> {
                if (HOIST_TRY(repository->has_blob(layer))) {
                    return {};
                }
                return registry::upload_blob(*repository, layer, [this, layer] { return m_layout->open_blob(layer); });
            }));
        }
    }

    // Waits for every upload; the first error.
    Result<void> wait() {
        std::lock_guard lock(m_mutex);
        Result<void> status;
        for (auto& upload : m_uploads) {
            auto done = upload.get();
            if (!done && status) {
                status = std::move(done);
            }
        }
        m_uploads.clear();
        return status;
    }

private:
    std::vector<std::unique_ptr<registry::Repository>> m_repositories;
    std::shared_ptr<oci::OciLayout> m_layout;
    std::mutex m_mutex;
    std::vector<std::future<Result<void>>> m_uploads;
};

// Everything one build shares between its passes and its stage threads.
struct Build {
    const BuildOptions& options;
    Session& session;
    oci::Store store;
    std::shared_ptr<oci::OciLayout> layout;  // a second handle on the store, for trees and pushes
    TempDir scratch;
    std::optional<TempDir> context_dir;  // a context that came as a tar on stdin
    df::Dockerfile file;
    std::unique_ptr<ContextTree> context;
    std::mutex context_mutex;
    df::BuildContext build_context;
    df::Variables globals;
    std::int64_t created = 0;  // the build's time: SOURCE_DATE_EPOCH or now
    std::int64_t mtime = 0;    // for what a step creates without a source: SOURCE_DATE_EPOCH or 0
    std::map<std::string, Image> images;     // base and --from images, by the text that named them
    std::vector<std::size_t> stage_order;     // the stages the target needs, dependencies first
    std::set<std::size_t> final_chain;        // stages whose layers end up in the target image
    std::map<std::size_t, std::shared_future<Result<StageResult>>> stages;
    std::unique_ptr<LayerPusher> pusher;
    std::mutex sandbox_mutex;
    std::unique_ptr<run::Sandbox> sandbox;  // opened by the first RUN
    std::unique_ptr<BuildCache> cache;

    // What RUN runs in: opened once, shared by the stages' threads.
    Result<run::Sandbox*> open_sandbox() {
        std::lock_guard lock(sandbox_mutex);
        if (!sandbox) {
            auto opened = run::Sandbox::open(session.store_root(), options.sandbox);
            if (!opened && !options.sandbox_unavailable.empty()) {
                return fail(opened.error().code(), opened.error().what() + ": " + options.sandbox_unavailable);
            }
            sandbox = HOIST_TRY(std::move(opened));
        }
        return sandbox.get();
    }

    void tell(std::string_view text) const {
        if (options.observer != nullptr) {
            options.observer->message(text);
        }
    }
};

// ---------------------------------------------------------------------------------------------
// Reading the inputs.

bool is_stdin(const fs::path& path) { return path == "-"; }

// A variable name with a word that says secret: "API_TOKEN", "DB_PASSWORD", "aws_secret_key".
bool looks_like_secret(std::string_view name) {
    static constexpr std::array<std::string_view, 10> k_words = {
        "apikey", "auth", "credential", "credentials", "key", "password", "pword", "passwd", "secret", "token"};
    auto lower = ascii_lower(name);
    for (std::size_t start = 0; start <= lower.size();) {
        auto end = std::min(lower.find_first_of("_-.", start), lower.size());
        if (std::ranges::find(k_words, std::string_view(lower).substr(start, end - start)) != k_words.end()) {
            return true;
        }
        start = end + 1;
    }
    return false;
}

Result<std::string> read_stdin() {
    std::string text;
    char buffer[65536];
    for (;;) {
        ssize_t got = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            return fail(Errc::io, std::string("read stdin: ") + std::strerror(errno));
        }
        if (got == 0) {
            return text;
        }
        text.append(buffer, static_cast<std::size_t>(got));
    }
}

// Whether `bytes` start like a tar, plain or compressed (else a stdin context is a Dockerfile).
bool looks_like_archive(std::string_view bytes) {
    constexpr std::string_view magics[] = {"\x1f\x8b", "BZh", "\xfd\x37\x7a\x58\x5a", "\x28\xb5\x2f\xfd"};
    if (std::ranges::any_of(magics, [&](std::string_view magic) { return bytes.starts_with(magic); })) {
        return true;
    }
    return bytes.size() >= 262 && bytes.substr(257, 5) == "ustar";
}

// The context directory and the Dockerfile's text and name: from the flags, with stdin for one
// of them at most. A tar on stdin is unpacked (safely) into scratch space.
Result<std::pair<std::string, std::string>> open_inputs(Build& build, fs::path& context_dir) {
    const auto& options = build.options;
    if (is_stdin(options.context) && is_stdin(options.dockerfile)) {
        return fail(Errc::invalid_argument, "the context and the Dockerfile cannot both come from stdin");
    }
    std::optional<std::string> dockerfile_text;
    context_dir = options.context;
    if (is_stdin(options.context)) {
        auto input = HOIST_TRY(read_stdin());
        build.context_dir.emplace(HOIST_TRY(TempDir::create(build.scratch.path(), "context-")));
        context_dir = build.context_dir->path();
        if (looks_like_archive(input)) {
            auto tar = build.scratch.path() / "context.tar";
            HOIST_TRY(write_file_atomic(tar, input, 0600));
            auto reader = HOIST_TRY(open_file(tar, O_RDONLY));
            oci::FileReader content(std::move(reader), tar.string());
            auto blob = Descriptor::of(oci::media_type::oci_layer, input);
            auto mapping = HOIST_TRY(run::IdMapping::current());
            HOIST_TRY(in_context(oci::apply_layer(context_dir, content, blob, {.rootless = !mapping.owners_settable()}),
                                 "context from stdin"));
        } else {
            dockerfile_text = std::move(input);
        }
    } else if (!fs::is_directory(context_dir)) {
        return fail(Errc::not_found, "context " + context_dir.string() + ": not a directory");
    }
    if (dockerfile_text) {
        return std::pair{*dockerfile_text, std::string("Dockerfile")};
    }
    if (is_stdin(options.dockerfile)) {
        return std::pair{HOIST_TRY(read_stdin()), std::string("Dockerfile")};
    }
    fs::path path = options.dockerfile.empty() ? context_dir / "Dockerfile" : options.dockerfile;
    auto text = HOIST_TRY(read_file(path));
    return std::pair{std::move(text), options.dockerfile.empty() ? std::string("Dockerfile") : path.string()};
}

// ---------------------------------------------------------------------------------------------
// Stages.

// The stage that `name` (a stage name, or an index below `before`) means, if it is one.
std::optional<std::size_t> find_stage(const df::Dockerfile& file, std::string_view name, std::size_t before) {
    auto wanted = ascii_lower(name);
    for (std::size_t i = before; i-- > 0;) {
        if (file.stages[i].name == wanted) {
            return i;
        }
    }
    if (!name.empty() && std::ranges::all_of(name, [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        std::size_t index = std::stoul(std::string(name));
        if (index < before) {
            return index;
        }
    }
    return std::nullopt;
}

// COPY --from's value, expanded in the global scope (the stage it names must be known before the
// stages run).
Result<std::string> expand_from_flag(const Build& build, std::string_view from) {
    return df::ShellLexer(build.file.escape).process_word(from, build.globals);
}

// A location in the Dockerfile as an error: "Dockerfile:4:1: message", the line and a caret.
Error located(const Build& build, const df::InstructionInfo& info, const Error& error) {
    return Error(error.code(), df::format_diagnostic(build.file.file_name, build.file.source, info.position,
                                                     info.code + ": " + error.what()));
}

// What an instruction reads from other stages or images, unexpanded: COPY --from, and the
// `from` of RUN's bind mounts.
std::vector<std::string> from_flags(const df::Instruction& instruction) {
    std::vector<std::string> names;
    if (const auto* copy = std::get_if<df::CopyInstruction>(&instruction); copy != nullptr && !copy->from.empty()) {
        names.push_back(copy->from);
    }
    if (const auto* run = std::get_if<df::RunInstruction>(&instruction)) {
        for (const auto& mount : run->mounts) {
            if (mount.type == df::MountType::bind && !mount.from.empty()) {
                names.push_back(mount.from);
            }
        }
    }
    return names;
}

// The base of each stage and the images COPY --from names, in the global scope; which stages the
// target needs, in an order where each comes after what it uses.
struct StagePlan {
    std::vector<std::string> bases;                    // per stage: the expanded FROM
    std::vector<std::set<std::size_t>> dependencies;  // per stage
};

Result<StagePlan> plan_stages(Build& build) {
    const auto& file = build.file;
    StagePlan plan;
    plan.bases.resize(file.stages.size());
    plan.dependencies.resize(file.stages.size());
    for (std::size_t i = 0; i < file.stages.size(); ++i) {
        const auto& stage = file.stages[i];
        auto from = HOIST_TRY(df::expand_from(stage.from, build.globals, file));
        plan.bases[i] = from.base;
        if (auto index = find_stage(file, from.base, i)) {
            plan.dependencies[i].insert(*index);
        }
        for (const auto& instruction : stage.instructions) {
            for (const auto& flag : from_flags(instruction)) {
                auto from_name = HOIST_TRY(expand_from_flag(build, flag));
                if (auto index = find_stage(file, from_name, i)) {
                    plan.dependencies[i].insert(*index);
                }
            }
        }
    }
    return plan;
}

// The stages `target` needs, dependencies first.
void order_stages(const StagePlan& plan, std::size_t target, std::set<std::size_t>& seen,
                  std::vector<std::size_t>& order) {
    if (!seen.insert(target).second) {
        return;
    }
    for (auto dependency : plan.dependencies[target]) {
        order_stages(plan, dependency, seen, order);
    }
    order.push_back(target);
}

// ---------------------------------------------------------------------------------------------
// Base images: the store first, then the registry mirrors, then the registry.

Result<Image> read_image(oci::OciLayout& layout, const Descriptor& root, const oci::Platform& platform) {
    auto manifest_descriptor = HOIST_TRY(platform_manifest(layout, root, platform));
    auto manifest = HOIST_TRY(oci::Manifest::parse(HOIST_TRY(layout.read_blob(manifest_descriptor))));
    Image image;
    image.config = HOIST_TRY(oci::ImageConfig::parse(HOIST_TRY(layout.read_blob(manifest.config))));
    image.layers = manifest.layers;
    image.manifest_digest = manifest_descriptor.digest;
    for (auto& layer : image.layers) {
        layer.media_type = oci_layer_type(layer.media_type);
    }
    return image;
}

Result<Image> resolve_image(Build& build, const std::string& text, const oci::Platform& platform);

// The image a --build-context names: "oci-layout://DIR[:TAG|@DIGEST]" (copied into the store, as
// no name) or "docker-image://REF".
Result<Image> named_context(Build& build, const std::string& value, const oci::Platform& platform) {
    if (value.starts_with("docker-image://")) {
        return resolve_image(build, value.substr(15), platform);
    }
    if (!value.starts_with("oci-layout://")) {
        return fail(Errc::unsupported, "only oci-layout://DIR[:TAG] and docker-image://REF contexts are supported");
    }
    std::string dir = value.substr(13);
    std::optional<std::string> name;
    if (auto at = dir.rfind('@'); at != std::string::npos) {
        name = dir.substr(at + 1);
        dir.erase(at);
    } else if (auto colon = dir.rfind(':'); colon != std::string::npos && dir.find('/', colon) == std::string::npos) {
        name = dir.substr(colon + 1);
        dir.erase(colon);
    }
    auto source = HOIST_TRY(oci::OciLayout::open(dir));
    auto root = HOIST_TRY([&]() -> Result<Descriptor> {
        if (!name || name->find(':') == std::string::npos) {
            return source->resolve(name);
        }
        auto digest = HOIST_TRY(oci::Digest::parse(*name));
        auto entries = HOIST_TRY(source->read_index()).manifests;
        auto entry = std::ranges::find(entries, digest, &Descriptor::digest);
        if (entry == entries.end()) {
            return fail(Errc::not_found, "no image " + *name + " in " + dir);
        }
        return *entry;
    }());
    auto manifest = HOIST_TRY(platform_manifest(*source, root, platform));
    HOIST_TRY(oci::copy_image(*source, manifest, *build.layout, build.session.copy_options));
    return read_image(*build.layout, manifest, platform);
}

Result<Image> resolve_image(Build& build, const std::string& text, const oci::Platform& platform) {
    for (const auto& [name, value] : build.options.build_contexts) {
        auto named = Reference::parse(name);
        auto wanted = Reference::parse(text);
        if (name == text || (named && wanted && named->to_string() == wanted->to_string())) {
            return in_context(named_context(build, value, platform), "--build-context " + name + "=" + value);
        }
    }
    if (ascii_lower(text) == "scratch") {
        // BuildKit's empty image: only the platform and the working directory.
        Image image;
        image.config.platform = platform;
        image.config.config.working_dir = "/";
        return image;
    }
    auto reference = HOIST_TRY(Reference::parse(text));
    auto stored = build.store.find(reference.to_string());
    if (!stored && stored.error().code() != Errc::not_found) {
        return std::unexpected(stored.error());
    }
    if (!stored && build.options.offline) {
        return fail(Errc::not_found, "--offline: " + reference.to_string() + " is not in the store");
    }
    if (!stored) {
        std::vector<Location> places;
        if (auto mirror = build.options.mirrors.find(reference.domain()); mirror != build.options.mirrors.end()) {
            auto at_mirror = mirror->second + "/" + reference.path() +
                             (reference.digest() ? "@" + reference.digest()->to_string()
                                                 : ":" + reference.tag().value_or("latest"));
            places.push_back({.kind = Location::Kind::docker, .name = at_mirror});
        }
        places.push_back({.kind = Location::Kind::docker, .name = reference.to_string()});
        Result<CopiedImage> pulled = fail(Errc::not_found, "no such image");
        for (const auto& place : places) {
            build.tell("pulling " + place.name.value_or(""));
            pulled = copy(place, {.kind = Location::Kind::local, .name = reference.to_string()}, build.session,
                          platform);
            if (pulled) {
                break;
            }
        }
        if (!pulled) {
            return std::unexpected(in_context(std::move(pulled), "base image " + text).error());
        }
        stored = build.store.find(reference.to_string());
    }
    auto stored_image = HOIST_TRY(std::move(stored));
    auto image = HOIST_TRY(in_context(read_image(*build.layout, stored_image.target, platform), "base image " + text));
    image.name = reference;
    return image;
}

// ---------------------------------------------------------------------------------------------
// One stage, instruction by instruction.

// The copy snapshotter's root filesystem of a stage: the layers applied so far, and the
// state a RUN's changes are found against.
struct CopyRoot {
    explicit CopyRoot(run::ScratchDir directory) : dir(std::move(directory)) {}
    run::ScratchDir dir;
    std::size_t layers = 0;
    std::optional<run::TreeState> state;
};

class StageBuilder {
public:
    StageBuilder(Build& build, std::size_t index, Image image, df::StageScope scope, CacheState cache)
        : m_build(build),
          m_stage(build.file.stages[index]),
          m_label(m_stage.name.empty() ? "stage-" + std::to_string(index) : m_stage.name),
          m_image(std::move(image)),
          m_scope(std::move(scope)),
          m_pushes(build.final_chain.contains(index)),
          m_cache(std::move(cache)),
          m_use_cache(!build.options.no_cache && !build.options.no_cache_stages.contains(m_stage.name) &&
                      !build.options.no_cache_stages.contains(std::to_string(index))) {}

    Result<StageResult> run(const std::string& base) {
        auto triggers = HOIST_TRY(onbuild_triggers());
        std::size_t steps = 1 + triggers.size() + m_stage.instructions.size();
        std::size_t step = 1;
        observe(step++, steps, "FROM " + base, [] { return Result<void>{}; });
        // ONBUILD triggers of the base run first; they do not pass on to this image.
        m_image.config.config.on_build.clear();
        const auto& instructions = m_stage.instructions;
        for (const auto& trigger : triggers) {
            m_tree_needed_later = true;
            HOIST_TRY(observe(step++, steps, df::info(trigger).code, [&] { return dispatch(trigger, m_triggers); }));
        }
        for (auto it = instructions.begin(); it != instructions.end(); ++it) {
            m_tree_needed_later = std::any_of(std::next(it), instructions.end(), reads_stage_tree);
            HOIST_TRY(observe(step++, steps, df::info(*it).code, [&] { return dispatch(*it, m_build.file); }));
        }
        return StageResult{std::move(m_image), std::move(m_scope), std::move(m_cache)};
    }

private:
    template <class Step>
    Result<void> observe(std::size_t step, std::size_t steps, const std::string& text, Step&& run) {
        auto* observer = m_build.options.observer;
        m_step = step;
        if (observer != nullptr) {
            observer->step_started(m_label, step, steps, text);
        }
        auto start = std::chrono::steady_clock::now();
        m_step_cached = false;
        auto done = run();
        if (done && observer != nullptr) {
            observer->step_finished(m_label, step,
                                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                                    m_step_cached);
        }
        return done;
    }

    // The base image's ONBUILD triggers as instructions, located in a file of their own.
    Result<std::vector<df::Instruction>> onbuild_triggers() {
        const auto& triggers = m_image.config.config.on_build;
        if (triggers.empty()) {
            return std::vector<df::Instruction>{};
        }
        std::string text = "FROM scratch\n";
        for (const auto& trigger : triggers) {
            text += trigger + "\n";
        }
        m_triggers = HOIST_TRY(df::Dockerfile::parse(text, "ONBUILD"));
        return m_triggers.stages.at(0).instructions;
    }

    Result<void> dispatch(const df::Instruction& instruction, const df::Dockerfile& file) {
        const auto& info = df::info(instruction);
        auto done = [&]() -> Result<void> {
            auto expanded = HOIST_TRY(df::expand(instruction, m_scope, file));
            auto history_size = m_image.config.history.size();
            m_step_keyed = false;
            HOIST_TRY(std::visit([&](const auto& typed) { return apply(typed); }, expanded));
            if (!m_step_keyed) {
                // A step that only edits the config: what it did is in its text and history. An
                // ARG's value is not: it matters only where it is used (a RUN's environment, an
                // expanded word), and those keys have it.
                const auto& history = m_image.config.history;
                bool arg = std::holds_alternative<df::ArgInstruction>(instruction);
                m_cache.key = cache_key(
                    {{"state", m_cache.key.to_string()},
                     {"code", info.code},
                     {"history", history.size() > history_size && !arg ? history.back().created_by : ""}});
            }
            return Result<void>{};
        }();
        if (!done) {
            // Expansion errors already carry their place; the others get it here.
            if (std::string_view(done.error().what()).starts_with(file.file_name + ":")) {
                return done;
            }
            return std::unexpected(Error(done.error().code(),
                                         df::format_diagnostic(file.file_name, file.source, info.position,
                                                               done.error().what())));
        }
        return done;
    }

    // ARG and ENV values end up in the image (its history, its config) for anyone who pulls it:
    // a name that says it holds a secret draws a warning, as BuildKit's SecretsUsedInArgOrEnv.
    void warn_if_secret(const df::InstructionInfo& info, std::string_view instruction, const std::string& name,
                        std::string_view where) {
        if (looks_like_secret(name)) {
            m_build.tell(fmt::format("{}:{}: warning: {} \"{}\" looks like a secret: its value stays in the image's "
                                     "{}; pass secrets with --secret and RUN --mount=type=secret",
                                     m_build.file.file_name, info.start_line, instruction, name, where));
        }
    }

    void history(std::string created_by, bool empty_layer) {
        m_image.config.history.push_back({.created = rfc3339(m_build.created),
                                          .created_by = std::move(created_by),
                                          .empty_layer = empty_layer});
    }

    oci::ContainerConfig& config() { return m_image.config.config; }

    // The shell a shell-form CMD, ENTRYPOINT or HEALTHCHECK runs under.
    std::vector<std::string> with_shell(const df::CommandLine& command) {
        if (!command.shell_form) {
            return command.args;
        }
        auto words = config().shell.value_or(std::vector<std::string>{"/bin/sh", "-c"});
        words.insert(words.end(), command.args.begin(), command.args.end());
        return words;
    }

    Result<void> declare(const df::ArgInstruction& arg) {
        HOIST_TRY(m_scope.declare(arg));
        for (const auto& definition : arg.args) {
            warn_if_secret(arg, "ARG", definition.key, "history");
        }
        std::string text = "ARG";
        for (const auto& definition : arg.args) {
            auto value = m_scope.variables().find(definition.key);
            text += " " + definition.key;
            if (value != m_scope.variables().end()) {
                text += "=" + value->second;
            }
        }
        history(text, true);
        return {};
    }

    Result<void> apply(const df::FromInstruction&) { return fail(Errc::invalid_argument, "FROM inside a stage"); }

    // RUN: the command in the stage's filesystem (an overlay of its unpacked layers, or a copy);
    // what it changed becomes a layer, none when nothing changed.
    Result<void> apply(const df::RunInstruction& run) {
        if (run.security == "insecure") {
            return fail(Errc::unsupported, "RUN --security=insecure: hoist grants a command no extra privileges");
        }
        auto command = run_command(run.command, config().shell.value_or(std::vector<std::string>{"/bin/sh", "-c"}));
        auto network = run.network == "default" ? m_build.options.network : run.network == "host";
        auto key = HOIST_TRY(run_key(run, command, network));
        if (HOIST_TRY(reuse(key))) {
            return {};
        }
        auto* sandbox = HOIST_TRY(m_build.open_sandbox());
        run::ScratchDir scratch(HOIST_TRY(sandbox->snapshots().scratch()));
        run::RunSpec spec;
        if (sandbox->overlay()) {
            auto lowers = HOIST_TRY(sandbox->lowers(*m_build.layout, m_image.layers, m_image.config.diff_ids));
            spec = HOIST_TRY(sandbox->spec(scratch.path(), std::move(lowers)));
        } else {
            auto* root = HOIST_TRY(copy_root(*sandbox));
            spec = HOIST_TRY(sandbox->spec(scratch.path(), {}, root->dir.path()));
        }
        spec.args = command.args;
        spec.env = run_environment(m_scope);
        spec.user = config().user;
        spec.working_dir = config().working_dir.empty() ? "/" : config().working_dir;
        spec.network = network;
        std::vector<HeldLock> locks;
        HOIST_TRY(add_run_mounts(run.mounts, mount_inputs(*sandbox), scratch.path(), spec, locks));
        if (command.script) {
            auto pipes = scratch.path() / "pipes";
            HOIST_TRY(make_directories(pipes));
            HOIST_TRY(write_file_atomic(pipes / command.script->first, command.script->second, 0755));
            spec.mounts.push_back({.source = pipes, .target = "/dev/pipes", .read_only = true});
        }
        int status = HOIST_TRY(execute(spec));
        locks.clear();
        if (status != 0) {
            std::string text;
            for (const auto& arg : command.args) {
                text += (text.empty() ? "" : " ") + arg;
            }
            return fail(Errc::invalid_argument,
                        fmt::format("process \"{}\" did not complete successfully: exit code: {}", text, status));
        }
        auto created_by = run_history(command.args, m_scope);
        std::vector<oci::LayerEntry> entries;
        if (sandbox->overlay()) {
            entries = HOIST_TRY(run::upper_entries(spec.upper, sandbox->snapshots().flavour()));
        } else {
            entries = HOIST_TRY(m_copy_root->state->changes(spec.rootfs));
        }
        if (entries.empty()) {
            history(std::move(created_by), true);
            return remember(key);
        }
        auto diff_id = HOIST_TRY(add_layer(std::move(entries), std::move(created_by), false));
        if (sandbox->overlay()) {
            // The upper directory is this layer unpacked: the next RUN's lower directory.
            HOIST_TRY(sandbox->snapshots().adopt(diff_id, spec.upper));
        } else {
            m_copy_root->layers = m_image.layers.size();
            m_copy_root->state = HOIST_TRY(run::TreeState::scan(spec.rootfs));
        }
        return remember(key);
    }

    // The cache key of a RUN: the command, what it sees (environment with the build args, user,
    // working directory, network) and what its mounts bring in (a bind mount's files; not a
    // secret's content, nor a cache mount's).
    Result<oci::Digest> run_key(const df::RunInstruction& run, const RunCommand& command, bool network) {
        auto mounts = oci::json::Json::array();
        for (const auto& mount : run.mounts) {
            oci::json::Json item = {{"type", static_cast<int>(mount.type)},
                                    {"from", mount.from},
                                    {"source", mount.source},
                                    {"target", mount.target},
                                    {"read_only", mount.read_only},
                                    {"size", mount.size_limit},
                                    {"id", mount.id},
                                    {"sharing", mount.sharing ? static_cast<int>(*mount.sharing) : -1},
                                    {"required", mount.required},
                                    {"env", mount.env.value_or("")},
                                    {"mode", mount.mode ? static_cast<std::int64_t>(*mount.mode) : -1},
                                    {"uid", mount.uid ? static_cast<std::int64_t>(*mount.uid) : -1},
                                    {"gid", mount.gid ? static_cast<std::int64_t>(*mount.gid) : -1}};
            if (mount.type == df::MountType::bind) {
                item["content"] = HOIST_TRY(bind_content(mount)).to_string();
            }
            mounts.push_back(std::move(item));
        }
        oci::json::Json script = nullptr;
        if (command.script) {
            script = {command.script->first, command.script->second};
        }
        return cache_key({{"state", m_cache.key.to_string()},
                          {"run", command.args},
                          {"script", script},
                          {"env", run_environment(m_scope)},
                          {"user", config().user},
                          {"workdir", config().working_dir},
                          {"network", network},
                          {"mounts", mounts}});
    }

    // What a bind mount's files are, for the cache key: the context's, or the stage's or
    // image's layers.
    Result<oci::Digest> bind_content(const df::MountSpec& mount) {
        if (!mount.from.empty()) {
            auto image = HOIST_TRY(image_named(HOIST_TRY(expand_from_flag(m_build, mount.from))));
            auto layers = oci::json::Json::array();
            for (const auto& diff_id : image.config.diff_ids) {
                layers.push_back(diff_id.to_string());
            }
            return cache_key(layers);
        }
        CopyStep step{.sources = {mount.source.empty() ? "." : mount.source}, .destination = "/"};
        auto empty = HOIST_TRY(ImageTree::open(m_build.layout, {}, m_build.scratch.path()));
        std::lock_guard lock(m_build.context_mutex);
        auto plan = plan_copy(step, *m_build.context, *empty, nullptr);
        if (!plan) {
            // The mount fails when the step runs, with a message of its own.
            return oci::Digest::of("unreadable: " + plan.error().what());
        }
        return plan->content_digest.get();
    }

    // Runs `spec` with its output, line by line, going to the observer.
    Result<int> execute(const run::RunSpec& spec) {
        auto* observer = m_build.options.observer;
        auto start = std::chrono::steady_clock::now();
        std::string pending;
        auto emit = [&](std::string_view line) {
            if (observer != nullptr) {
                observer->step_output(m_label, m_step,
                                      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                                      line);
            }
        };
        auto status = run::execute(spec, [&](std::string_view chunk) {
            pending += chunk;
            for (auto newline = pending.find('\n'); newline != std::string::npos; newline = pending.find('\n')) {
                emit(std::string_view(pending).substr(0, newline));
                pending.erase(0, newline + 1);
            }
        });
        if (!pending.empty()) {
            emit(pending);
        }
        return status;
    }

    // The copy snapshotter's root filesystem for this stage, with every layer of the stage applied
    // and its state taken.
    Result<CopyRoot*> copy_root(run::Sandbox& sandbox) {
        if (!m_copy_root) {
            m_copy_root.emplace(run::ScratchDir(HOIST_TRY(sandbox.snapshots().scratch())));
            // The scratch directory is private (0700); as "/" it must be what an image's root is.
            ::chmod(m_copy_root->dir.path().c_str(), 0755);
        }
        auto& root = *m_copy_root;
        if (!root.state || root.layers < m_image.layers.size()) {
            std::vector<Descriptor> missing(m_image.layers.begin() + static_cast<std::ptrdiff_t>(root.layers),
                                            m_image.layers.end());
            HOIST_TRY(sandbox.apply(*m_build.layout, missing, root.dir.path()));
            root.layers = m_image.layers.size();
            root.state = HOIST_TRY(run::TreeState::scan(root.dir.path()));
        }
        return &root;
    }

    // What RUN's --mount flags are resolved against in this stage.
    RunMountInputs mount_inputs(run::Sandbox& sandbox) {
        return {.sandbox = sandbox,
                .layout = *m_build.layout,
                .store_root = m_build.session.store_root(),
                .context_dir = m_build.context->dir(),
                .secrets = m_build.options.secrets,
                .working_dir = config().working_dir,
                .image_of = [this](const std::string& from) -> Result<RunMountInputs::Layers> {
                    auto name = HOIST_TRY(expand_from_flag(m_build, from));
                    auto image = HOIST_TRY(image_named(name));
                    return RunMountInputs::Layers{std::move(image.layers), std::move(image.config.diff_ids)};
                }};
    }

    Result<void> apply(const df::EnvInstruction& env) {
        HOIST_TRY(m_scope.set(env));
        for (const auto& variable : env.variables) {
            warn_if_secret(env, "ENV", variable.key, "config");
        }
        config().env = m_scope.image_env();
        std::string text = "ENV";
        for (const auto& variable : env.variables) {
            text += " " + variable.key + "=" + variable.value;
        }
        history(text, true);
        return {};
    }

    Result<void> apply(const df::LabelInstruction& label) {
        std::string text = "LABEL";
        for (const auto& item : label.labels) {
            config().labels[item.key] = item.value;
            text += " " + item.key + "=" + item.value;
        }
        history(text, true);
        return {};
    }

    Result<void> apply(const df::MaintainerInstruction& maintainer) {
        m_image.config.author = maintainer.maintainer;
        history("MAINTAINER " + maintainer.maintainer, true);
        return {};
    }

    Result<void> apply(const df::ExposeInstruction& expose) {
        std::vector<std::string> ports;
        for (const auto& port : expose.ports) {
            auto slash = port.find('/');
            std::string number = port.substr(0, slash);
            std::string protocol = slash == std::string::npos ? "tcp" : ascii_lower(port.substr(slash + 1));
            if (number.empty() || !std::ranges::all_of(number, [](char c) { return std::isdigit(c) || c == '-'; })) {
                return fail(Errc::invalid_argument, "invalid port: " + port);
            }
            auto dash = number.find('-');
            if (dash == std::string::npos) {
                ports.push_back(number + "/" + protocol);
                continue;
            }
            int first = std::stoi(number.substr(0, dash));
            int last = std::stoi("0" + number.substr(dash + 1));
            if (last < first) {
                return fail(Errc::invalid_argument, "invalid port range: " + port);
            }
            for (int p = first; p <= last; ++p) {
                ports.push_back(std::to_string(p) + "/" + protocol);
            }
        }
        config().exposed_ports.insert(ports.begin(), ports.end());
        history("EXPOSE " + go_list(ports), true);
        return {};
    }

    Result<void> apply(const df::VolumeInstruction& volume) {
        for (const auto& path : volume.volumes) {
            if (path.empty()) {
                return fail(Errc::invalid_argument, "VOLUME specified can not be an empty string");
            }
            config().volumes.insert(path);
        }
        history("VOLUME " + go_list(volume.volumes), true);
        return {};
    }

    Result<void> apply(const df::UserInstruction& user) {
        config().user = user.user;
        history("USER " + user.user, true);
        return {};
    }

    Result<void> apply(const df::WorkdirInstruction& workdir) {
        auto path = absolute_path(workdir.path, config().working_dir);
        config().working_dir = path;
        auto key = cache_key({{"state", m_cache.key.to_string()}, {"workdir", path}, {"user", config().user}});
        if (HOIST_TRY(reuse(key))) {
            return {};
        }
        auto* tree = HOIST_TRY(stage_tree());
        Owner owner;
        if (!config().user.empty()) {
            owner = HOIST_TRY(resolve_owner(*tree, config().user));
        }
        auto entries = HOIST_TRY(plan_workdir(path, *tree, owner, m_build.mtime));
        if (entries.empty()) {
            history("WORKDIR " + path, true);
        } else {
            HOIST_TRY(add_layer(std::move(entries), "WORKDIR " + path));
        }
        return remember(key);
    }

    Result<void> apply(const df::CmdInstruction& cmd) {
        config().cmd = with_shell(cmd.command);
        m_cmd_set = true;
        history("CMD " + go_quote(*config().cmd), true);
        return {};
    }

    Result<void> apply(const df::EntrypointInstruction& entrypoint) {
        auto words = with_shell(entrypoint.command);
        if (words.empty()) {
            config().entrypoint.reset();
        } else {
            config().entrypoint = words;
        }
        // An ENTRYPOINT drops the CMD the base image had, not one this stage set.
        if (!m_cmd_set) {
            config().cmd.reset();
        }
        history("ENTRYPOINT " + go_quote(words), true);
        return {};
    }

    Result<void> apply(const df::ShellInstruction& shell) {
        config().shell = shell.shell;
        history("SHELL " + go_list(shell.shell), true);
        return {};
    }

    Result<void> apply(const df::StopSignalInstruction& signal) {
        config().stop_signal = signal.signal;
        history("STOPSIGNAL " + signal.signal, true);
        return {};
    }

    Result<void> apply(const df::HealthcheckInstruction& check) {
        oci::json::Json healthcheck = {{"Test", check.test}};
        for (auto [key, value] : {std::pair{"Interval", check.interval}, std::pair{"Timeout", check.timeout},
                                  std::pair{"StartPeriod", check.start_period},
                                  std::pair{"StartInterval", check.start_interval}}) {
            if (value.count() != 0) {
                healthcheck[key] = value.count();
            }
        }
        if (check.retries != 0) {
            healthcheck["Retries"] = check.retries;
        }
        config().healthcheck = healthcheck;
        // Go's %+v of Docker's HealthConfig.
        history(fmt::format("HEALTHCHECK {{Test:{} Interval:{} Timeout:{} StartPeriod:{} StartInterval:{} Retries:{}}}",
                            go_list(check.test), go_duration(check.interval), go_duration(check.timeout),
                            go_duration(check.start_period), go_duration(check.start_interval), check.retries),
                true);
        return {};
    }

    Result<void> apply(const df::OnbuildInstruction& onbuild) {
        // BuildKit records the trigger in the config only, with no history entry.
        config().on_build.push_back(onbuild.expression);
        return {};
    }

    Result<void> apply(const df::ArgInstruction& arg) { return declare(arg); }

    Result<void> apply(const df::CopyInstruction& copy) {
        auto step = HOIST_TRY(copy_step(copy, false));
        step.parents = copy.parents;
        if (copy.from.empty()) {
            return copy_from_context(step, history_text("COPY", step, copy));
        }
        auto from = HOIST_TRY(expand_from_flag(m_build, copy.from));
        auto source = HOIST_TRY(from_tree(from));
        auto* tree = HOIST_TRY(stage_tree());
        auto plan = HOIST_TRY(plan_copy(step, *source, *tree, nullptr));
        return write_copy(std::move(plan), history_text("COPY", step, copy));
    }

    Result<void> apply(const df::AddInstruction& add) {
        auto step = HOIST_TRY(copy_step(add, true));
        step.checksum = add.checksum;
        step.unpack = add.unpack.value_or(true);
        return copy_from_context(step, history_text("ADD", step, add));
    }

    template <class Instruction>
    Result<CopyStep> copy_step(const Instruction& instruction, bool add) {
        CopyStep step;
        if (!instruction.chmod.empty()) {
            unsigned mode = 0;
            auto [end, error] = std::from_chars(instruction.chmod.data(),
                                                instruction.chmod.data() + instruction.chmod.size(), mode, 8);
            if (error != std::errc() || end != instruction.chmod.data() + instruction.chmod.size() || mode > 07777) {
                return fail(Errc::invalid_argument, "invalid chmod parameter: " + instruction.chmod);
            }
            step.chmod = mode;
        }
        step.add = add;
        step.sources = instruction.sources;
        step.inline_files = instruction.contents;
        step.destination = instruction.destination;
        step.workdir = config().working_dir.empty() ? "/" : config().working_dir;
        step.chown = instruction.chown;
        step.link = instruction.link;
        step.excludes = instruction.excludes;
        step.created_mtime = m_build.mtime;
        return step;
    }

    Result<void> copy_from_context(CopyStep& step, std::string created_by) {
        HOIST_TRY(expand_inline_files(step));
        auto* tree = HOIST_TRY(stage_tree());
        auto plan = [&]() -> Result<CopyPlan> {
            std::lock_guard lock(m_build.context_mutex);
            return plan_copy(step, *m_build.context, *tree,
                             m_build.options.offline ? nullptr : &m_build.session.transport());
        }();
        return write_copy(HOIST_TRY(std::move(plan)), std::move(created_by));
    }

    // A COPY's or ADD's layer, unless the cache has it: keyed by what the step reads and writes.
    Result<void> write_copy(CopyPlan plan, std::string created_by) {
        auto key = [&]() -> Result<oci::Digest> {
            auto content = HOIST_TRY(plan.content_digest.get());
            return cache_key(
                {{"state", m_cache.key.to_string()}, {"copy", created_by}, {"content", content.to_string()}});
        };
        if (m_use_cache) {
            auto known = HOIST_TRY(key());
            if (HOIST_TRY(reuse(known, &plan.entries))) {
                return {};
            }
        }
        HOIST_TRY(add_layer(std::move(plan.entries), created_by));
        return remember(HOIST_TRY(key()));
    }

    // Heredoc sources with unquoted delimiters have their variables expanded, quotes kept.
    Result<void> expand_inline_files(CopyStep& step) {
        df::ShellLexer lexer(m_build.file.escape, {.skip_quotes = true});
        for (auto& file : step.inline_files) {
            if (file.expand) {
                file.data = HOIST_TRY(lexer.process_word(file.data, m_scope.variables()));
            }
        }
        return {};
    }

    // BuildKit's history text of a COPY or ADD: the flags that change the layer's metadata, the
    // sources, the destination (not --from, --link, --exclude or --checksum).
    template <class Instruction>
    std::string history_text(std::string_view name, const CopyStep& step, const Instruction& instruction) {
        std::string text(name);
        if (step.parents) {
            text += " --parents";
        }
        if (!instruction.chown.empty()) {
            text += " --chown=" + instruction.chown;
        }
        if (!instruction.chmod.empty()) {
            text += " --chmod=" + instruction.chmod;
        }
        for (const auto& source : step.sources) {
            text += " " + source;
        }
        for (const auto& file : step.inline_files) {
            text += " <<" + file.name;
        }
        return text + " " + step.destination + " # buildkit";
    }

    // The image `name` names: an earlier stage's, or a base or --from image.
    Result<Image> image_named(const std::string& name) {
        if (auto index = find_stage(m_build.file, name, m_stage.index)) {
            auto result = HOIST_TRY(m_build.stages.at(*index).get());
            return std::move(result.image);
        }
        auto image = m_build.images.find(name);
        if (image == m_build.images.end()) {
            return fail(Errc::not_found, "no image or stage named " + name);
        }
        return image->second;
    }

    // The tree COPY --from=NAME reads: an earlier stage's, or an image's.
    Result<std::unique_ptr<ImageTree>> from_tree(const std::string& name) {
        auto image = HOIST_TRY(image_named(name));
        return ImageTree::open(m_build.layout, std::move(image.layers), m_build.scratch.path());
    }

    // This stage's file tree, read from its layers on first use.
    Result<ImageTree*> stage_tree() {
        if (!m_tree || m_tree_stale) {
            m_tree = HOIST_TRY(ImageTree::open(m_build.layout, m_image.layers, m_build.scratch.path()));
            m_tree_stale = false;
        }
        return m_tree.get();
    }

    // Whether an instruction looks at the stage's files (destinations, /etc/passwd).
    static bool reads_stage_tree(const df::Instruction& instruction) {
        return std::holds_alternative<df::CopyInstruction>(instruction) ||
               std::holds_alternative<df::AddInstruction>(instruction) ||
               std::holds_alternative<df::WorkdirInstruction>(instruction);
    }

    // Writes `entries` as a new layer of this stage: into the store, and to the registries when
    // the layer is part of the image pushed; returns its diffID. The stage's tree follows only
    // when a later step reads it and `tree_follows` (a RUN's entries name files that move): for a
    // big COPY that is the last, keeping it would cost seconds and memory.
    Result<oci::Digest> add_layer(std::vector<oci::LayerEntry> entries, std::string created_by, bool tree_follows = true) {
        HOIST_TRY(follow(tree_follows ? &entries : nullptr));
        auto blob = HOIST_TRY(m_build.layout->blob_writer());
        auto stream = HOIST_TRY(oci::LayerStream::create(blob, m_build.options.compression));
        HOIST_TRY(oci::write_layer(std::move(entries), *stream, {.clamp_mtime = m_build.options.source_date_epoch}));
        auto layer = HOIST_TRY(stream->finish());
        auto stored = HOIST_TRY(blob.commit(layer.descriptor.media_type, layer.descriptor));
        m_image.layers.push_back(stored);
        m_image.config.diff_ids.push_back(layer.diff_id);
        history(std::move(created_by), false);
        if (m_pushes && m_build.pusher) {
            m_build.pusher->push(stored);
        }
        return layer.diff_id;
    }

    // The stage's tree takes a new layer's `entries` when a later step reads it; without them
    // (a RUN's, which name files that move), it is read again when needed.
    Result<void> follow(const std::vector<oci::LayerEntry>* entries) {
        if (m_tree_needed_later && entries != nullptr) {
            HOIST_TRY(stage_tree())->add_layer(*entries);
        } else {
            m_tree_stale = true;  // its scratch space still holds files this layer reads
        }
        return {};
    }

    // The step with key `key` as the build cache has it (its layer and history added to the
    // image, as if it had run); false when the cache has no entry or must not be used. `entries`
    // are the step's layer as planned, for the stage's tree.
    Result<bool> reuse(const oci::Digest& key, const std::vector<oci::LayerEntry>* entries = nullptr) {
        m_step_keyed = true;
        if (!m_use_cache) {
            return false;
        }
        auto entry = HOIST_TRY(m_build.cache->find(key));
        if (!entry) {
            return false;
        }
        if (entry->layer) {
            HOIST_TRY(follow(entries));
            m_image.layers.push_back(*entry->layer);
            m_image.config.diff_ids.push_back(*entry->diff_id);
            if (m_pushes && m_build.pusher) {
                m_build.pusher->push(*entry->layer);
            }
        }
        const auto& created = entry->history.created;
        if (created && (!m_cache.latest || *m_cache.latest < *created)) {
            m_cache.latest = created;
        }
        m_image.config.history.push_back(std::move(entry->history));
        m_cache.advance(key, entry->diff_id);
        m_step_cached = true;
        return true;
    }

    // Records what the step with key `key` just made (the last history entry, and its layer) in
    // the build cache.
    Result<void> remember(const oci::Digest& key) {
        m_step_keyed = true;
        CacheEntry entry{.history = m_image.config.history.back()};
        if (!entry.history.empty_layer) {
            entry.layer = m_image.layers.back();
            entry.diff_id = m_image.config.diff_ids.back();
        }
        HOIST_TRY(m_build.cache->put(key, entry));
        m_cache.ran = true;
        m_cache.advance(key, entry.diff_id);
        return {};
    }

    Build& m_build;
    const df::Stage& m_stage;
    std::string m_label;
    Image m_image;
    df::StageScope m_scope;
    bool m_pushes;
    bool m_cmd_set = false;
    bool m_tree_needed_later = true;  // a step after the current one reads the stage's tree
    bool m_tree_stale = false;        // m_tree lacks a layer: read it again when needed
    df::Dockerfile m_triggers;
    std::unique_ptr<ImageTree> m_tree;
    std::size_t m_step = 0;  // the step being run, for its output
    std::optional<CopyRoot> m_copy_root;
    CacheState m_cache;
    bool m_use_cache;
    bool m_step_keyed = false;   // the step has a cache key of its own (it writes files)
    bool m_step_cached = false;  // the step came from the cache
};

// Builds stage `index` once the stages it uses are built.
Result<StageResult> build_stage(Build& build, std::size_t index, const std::string& base) {
    const auto& file = build.file;
    Image image;
    std::optional<df::StageScope> scope;
    CacheState cache;
    if (auto from_stage = find_stage(file, base, index)) {
        auto previous = HOIST_TRY(build.stages.at(*from_stage).get());
        image = previous.image;
        scope = previous.scope;
        cache = previous.cache;
    } else {
        image = build.images.at(base);
        auto& env = image.config.config.env;
        if (std::ranges::none_of(env, [](const std::string& item) { return item.starts_with("PATH="); })) {
            env.emplace_back(k_default_path);
        }
        scope.emplace(build.globals, df::Variables(build.build_context.build_args), env, file.escape);
        const auto& options = build.options;
        cache.key = cache_key({{"hoist-build-cache", 1},
                               {"base", oci::Digest::of(image.config.to_json()).to_string()},
                               {"epoch", options.source_date_epoch ? oci::json::Json(*options.source_date_epoch) : nullptr},
                               {"compression", {static_cast<int>(options.compression.compression),
                                                options.compression.level, options.compression.block_size}}});
        cache.own_history = image.config.history.size();
    }
    return StageBuilder(build, index, std::move(image), std::move(*scope), std::move(cache)).run(base);
}

// ---------------------------------------------------------------------------------------------
// The image and its outputs.

Result<BuildResult> write_image(Build& build, StageResult& result) {
    auto& image = result.image;
    auto& config = image.config;
    config.created = rfc3339(build.created);
    if (!build.options.source_date_epoch && !result.cache.ran && result.cache.latest) {
        // Every step that writes files came from the cache: the image is the one built then,
        // times included, so that a rebuild of unchanged inputs gives the same digest.
        config.created = result.cache.latest;
        for (auto i = result.cache.own_history; i < config.history.size(); ++i) {
            config.history[i].created = config.created;
        }
    }
    for (const auto& [key, value] : build.options.labels) {
        config.config.labels[key] = value;
    }
    auto config_blob = HOIST_TRY(build.layout->put_bytes(oci::media_type::oci_config, config.to_json()));
    oci::Manifest manifest{.config = config_blob, .layers = image.layers};
    manifest.annotations[std::string(oci::k_created_annotation)] = *config.created;
    if (image.name) {
        manifest.annotations["org.opencontainers.image.base.name"] = image.name->to_string();
    }
    if (image.manifest_digest) {
        manifest.annotations["org.opencontainers.image.base.digest"] = image.manifest_digest->to_string();
    }
    for (const auto& [key, value] : build.options.annotations) {
        manifest.annotations[key] = value;
    }
    auto manifest_blob = HOIST_TRY(build.layout->put_bytes(oci::media_type::oci_manifest, manifest.to_json()));
    for (const auto& tag : build.options.tags) {
        HOIST_TRY(build.store.tag(manifest_blob, tag));
    }
    if (build.options.tags.empty()) {
        HOIST_TRY(build.layout->add_entry(manifest_blob, std::nullopt));
    }
    return BuildResult{manifest_blob, config_blob.digest};
}

Result<void> write_outputs(Build& build, const BuildResult& result) {
    const auto& options = build.options;
    Location built{.kind = Location::Kind::local, .name = result.manifest.digest.to_string()};
    std::optional<std::string> name;
    if (!options.tags.empty()) {
        name = options.tags.front().to_string();
    }
    for (const auto& output : options.outputs) {
        switch (output.kind) {
            case Output::Kind::registry:
                HOIST_TRY(build.pusher->wait());
                for (const auto& tag : options.tags) {
                    build.tell("pushing " + tag.to_string());
                    HOIST_TRY(in_context(copy(built, {.kind = Location::Kind::docker, .name = tag.to_string()},
                                              build.session),
                                         "push " + tag.to_string()));
                }
                break;
            case Output::Kind::oci:
                HOIST_TRY(copy(built, {.kind = Location::Kind::oci, .path = output.dest.string(), .name = name},
                               build.session));
                break;
            case Output::Kind::oci_archive:
                HOIST_TRY(copy(built,
                               {.kind = Location::Kind::oci_archive, .path = output.dest.string(), .name = name},
                               build.session));
                break;
            case Output::Kind::docker:
                HOIST_TRY(copy(built,
                               {.kind = Location::Kind::docker_archive,
                                .path = output.dest.string(),
                                .name = name ? std::optional(options.tags.front().familiar()) : std::nullopt},
                               build.session));
                break;
        }
    }
    return {};
}

// The registries the build pushes to, opened before the stages start so layers can go up early.
std::unique_ptr<LayerPusher> make_pusher(Build& build) {
    const auto& outputs = build.options.outputs;
    if (std::ranges::none_of(outputs, [](const Output& output) { return output.kind == Output::Kind::registry; })) {
        return nullptr;
    }
    std::vector<std::unique_ptr<registry::Repository>> repositories;
    for (const auto& tag : build.options.tags) {
        repositories.push_back(build.session.repository(tag));
    }
    return std::make_unique<LayerPusher>(std::move(repositories), build.layout);
}

}  // namespace

Result<Output> Output::parse(std::string_view text) {
    Output output;
    std::optional<std::string> type;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find(',', start);
        auto field = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        auto equals = field.find('=');
        auto key = field.substr(0, equals);
        auto value = equals == std::string_view::npos ? std::string_view() : field.substr(equals + 1);
        if (key == "type") {
            type = std::string(value);
        } else if (key == "dest") {
            output.dest = std::string(value);
        } else if (!field.empty()) {
            return fail(Errc::invalid_argument, "--output: unknown field " + std::string(field));
        }
        if (end == std::string_view::npos) {
            break;
        }
        start = end + 1;
    }
    static constexpr std::pair<std::string_view, Kind> k_kinds[] = {
        {"oci", Kind::oci}, {"docker", Kind::docker}, {"oci-archive", Kind::oci_archive}, {"registry", Kind::registry}};
    auto kind = std::ranges::find_if(k_kinds, [&](const auto& item) { return type && item.first == *type; });
    if (kind == std::end(k_kinds)) {
        return fail(Errc::invalid_argument,
                    "--output: type must be oci, docker, oci-archive or registry, not \"" + type.value_or("") + "\"");
    }
    output.kind = kind->second;
    if (output.kind != Kind::registry && output.dest.empty()) {
        return fail(Errc::invalid_argument, "--output: type=" + *type + " needs dest=");
    }
    return output;
}

Result<BuildResult> build(const BuildOptions& options, Session& session) {
    auto store = HOIST_TRY(oci::Store::open(session.store_root()));
    std::shared_ptr<oci::OciLayout> layout = HOIST_TRY(oci::OciLayout::open(session.store_root()));
    auto scratch = HOIST_TRY(TempDir::create(temp_directory(), "hoist-build-"));
    Build build{.options = options,
                .session = session,
                .store = std::move(store),
                .layout = std::move(layout),
                .scratch = std::move(scratch)};
    auto now = static_cast<std::int64_t>(std::time(nullptr));
    build.created = options.source_date_epoch.value_or(now);
    build.mtime = options.source_date_epoch.value_or(0);

    bool pushes = std::ranges::any_of(options.outputs, [](const Output& o) { return o.kind == Output::Kind::registry; });
    if (pushes && options.tags.empty()) {
        return fail(Errc::invalid_argument, "--push needs at least one -t name to push to");
    }

    // Read the context and the Dockerfile, and type every instruction.
    fs::path context_dir;
    auto [text, file_name] = HOIST_TRY(open_inputs(build, context_dir));
    build.file = HOIST_TRY(df::Dockerfile::parse(text, file_name));
    if (build.file.stages.empty()) {
        return fail(Errc::invalid_argument, file_name + ": the Dockerfile has no FROM");
    }
    auto ignore = HOIST_TRY(df::Dockerignore::load(
        context_dir, is_stdin(options.dockerfile) || options.dockerfile.empty() ? fs::path() : options.dockerfile));
    build.context = HOIST_TRY(ContextTree::open(context_dir, std::move(ignore)));

    // Resolve the target, the stages it needs and the global scope.
    auto platform = options.platform.value_or(oci::Platform::host());
    for (const auto& [key, value] : options.build_args) {
        build.build_context.build_args[key] = value;
    }
    build.build_context.build_platform = oci::Platform::host();
    build.build_context.target_platform = platform;
    std::size_t target = build.file.stages.size() - 1;
    if (!options.target.empty()) {
        const auto* stage = build.file.find_stage(options.target);
        if (stage == nullptr) {
            return fail(Errc::not_found, "target stage \"" + options.target + "\" could not be found");
        }
        target = stage->index;
    }
    build.build_context.target = build.file.stages[target].name;
    build.globals = HOIST_TRY(df::global_scope(build.file, build.build_context));
    auto plan = HOIST_TRY(plan_stages(build));
    std::set<std::size_t> seen;
    order_stages(plan, target, seen, build.stage_order);
    for (auto index = std::optional(target); index;) {
        build.final_chain.insert(*index);
        index = find_stage(build.file, plan.bases[*index], *index);
    }

    // Resolve the base images (and COPY --from images) before any stage starts.
    for (auto index : build.stage_order) {
        const auto& stage = build.file.stages[index];
        auto stage_platform = platform;
        if (!stage.from.platform.empty()) {
            auto from = HOIST_TRY(df::expand_from(stage.from, build.globals, build.file));
            stage_platform = HOIST_TRY(oci::Platform::parse(from.platform));
        }
        std::vector<std::string> images;
        if (!find_stage(build.file, plan.bases[index], index)) {
            images.push_back(plan.bases[index]);
        }
        for (const auto& instruction : stage.instructions) {
            for (const auto& from : from_flags(instruction)) {
                auto name = HOIST_TRY(expand_from_flag(build, from));
                if (!find_stage(build.file, name, index)) {
                    images.push_back(name);
                }
            }
        }
        for (const auto& name : images) {
            if (!build.images.contains(name)) {
                auto image = resolve_image(build, name, stage_platform);
                if (!image) {
                    return std::unexpected(located(build, stage.from, image.error()));
                }
                build.images.emplace(name, std::move(*image));
            }
        }
    }

    // Build the stages, each on its own thread once the stages it uses are done. The futures are
    // all in place before any thread starts, as the threads look them up.
    build.pusher = make_pusher(build);
    build.cache = std::make_unique<BuildCache>(build.store, session, options.cache, platform,
                                               [&build](std::string_view warning) { build.tell(warning); });
    std::map<std::size_t, std::promise<Result<StageResult>>> promises;
    for (auto index : build.stage_order) {
        build.stages.emplace(index, promises[index].get_future().share());
    }
    std::vector<std::future<void>> threads;
    for (auto index : build.stage_order) {
        threads.push_back(std::async(std::launch::async, [&build, &promises, &plan, index] {
            promises.at(index).set_value(build_stage(build, index, plan.bases.at(index)));
        }));
    }
    // Every stage's thread ends before an error is returned: they use `build`.
    std::optional<Error> first_error;
    for (auto index : build.stage_order) {
        const auto& result = build.stages.at(index).get();
        if (!result && !first_error) {
            first_error = result.error();
        }
    }
    threads.clear();
    if (first_error) {
        return std::unexpected(*first_error);
    }
    auto final_stage = build.stages.at(target).get();
    auto result = HOIST_TRY(write_image(build, *final_stage));
    HOIST_TRY(write_outputs(build, result));
    build.cache->finish();
    return result;
}

// ---------------------------------------------------------------------------------------------

namespace {

class PlainBuildProgress final : public BuildObserver {
public:
    explicit PlainBuildProgress(std::FILE* stream) : m_stream(stream) {}

    void step_started(std::string_view stage, std::size_t step, std::size_t steps, std::string_view text) override {
        std::lock_guard lock(m_mutex);
        auto number = ++m_next;
        m_numbers[{std::string(stage), step}] = number;
        fmt::print(m_stream, "#{} [{} {}/{}] {}\n", number, stage, step, steps, text);
        std::fflush(m_stream);
    }

    void step_finished(std::string_view stage, std::size_t step, double seconds, bool cached) override {
        std::lock_guard lock(m_mutex);
        if (cached) {
            fmt::print(m_stream, "#{} CACHED\n", m_numbers[{std::string(stage), step}]);
        } else {
            fmt::print(m_stream, "#{} DONE {:.1f}s\n", m_numbers[{std::string(stage), step}], seconds);
        }
        std::fflush(m_stream);
    }

    void step_output(std::string_view stage, std::size_t step, double seconds, std::string_view line) override {
        std::lock_guard lock(m_mutex);
        fmt::print(m_stream, "#{} {:.3f} {}\n", m_numbers[{std::string(stage), step}], seconds, line);
        std::fflush(m_stream);
    }

    void message(std::string_view text) override {
        std::lock_guard lock(m_mutex);
        fmt::print(m_stream, "{}\n", text);
        std::fflush(m_stream);
    }

private:
    std::FILE* m_stream;
    std::mutex m_mutex;
    std::size_t m_next = 0;
    std::map<std::pair<std::string, std::size_t>, std::size_t> m_numbers;
};

}  // namespace

std::unique_ptr<BuildObserver> make_build_progress(std::FILE* stream) {
    return std::make_unique<PlainBuildProgress>(stream);
}

}  // namespace hoist::build
