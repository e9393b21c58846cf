#include <fmt/core.h>

#include <cstdlib>
#include <memory>

#include "oci/file.hpp"
#include "oci/text.hpp"
#include "src/build/builder.hpp"
#include "src/cli/cli.hpp"
#include "src/progress.hpp"

namespace hoist::cli {
namespace {

namespace fs = std::filesystem;

// "K=V" items of --build-arg, --label and --annotation. A --build-arg without '=' takes the
// variable's value from the environment, as docker does (and is left out when it is unset).
Result<std::map<std::string, std::string>> key_values(const std::vector<std::string>& items, std::string_view flag,
                                                      bool from_environment) {
    std::map<std::string, std::string> values;
    for (const auto& item : items) {
        auto equals = item.find('=');
        if (equals == 0) {
            return fail(Errc::invalid_argument, std::string(flag) + ": no name in " + item);
        }
        if (equals != std::string::npos) {
            values[item.substr(0, equals)] = item.substr(equals + 1);
        } else if (!from_environment) {
            return fail(Errc::invalid_argument, std::string(flag) + ": want KEY=VALUE, not " + item);
        } else if (const char* value = std::getenv(item.c_str())) {
            values[item] = value;
        }
    }
    return values;
}

// --secret id=ID,src=PATH (or source=, or env=VAR; type=file|env): the secret's id and content.
Result<std::pair<std::string, std::string>> read_secret(const std::string& text) {
    std::map<std::string, std::string> fields;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto comma = std::min(text.find(',', start), text.size());
        auto field = text.substr(start, comma - start);
        auto equals = field.find('=');
        if (equals == std::string::npos) {
            return fail(Errc::invalid_argument, "--secret: want KEY=VALUE fields, not " + field);
        }
        fields[field.substr(0, equals)] = field.substr(equals + 1);
        start = comma + 1;
    }
    auto source = fields.contains("src") ? fields["src"] : fields["source"];
    auto env = fields["env"];
    if (fields["type"] == "env" && env.empty()) {
        env = source;
        source.clear();
    }
    auto id = fields["id"].empty() ? (env.empty() ? fs::path(source).filename().string() : env) : fields["id"];
    if (id.empty()) {
        return fail(Errc::invalid_argument, "--secret " + text + ": no id");
    }
    if (!env.empty()) {
        const char* value = std::getenv(env.c_str());
        if (value == nullptr) {
            return fail(Errc::not_found, fmt::format("--secret {}: environment variable {} is not set", id, env));
        }
        return std::pair{id, std::string(value)};
    }
    auto content = HOIST_TRY(in_context(read_file(source), "--secret " + id));
    return std::pair{id, std::move(content)};
}

// --cache-from/--cache-to: a repository ("registry.example.com/team/app-cache"), or buildx's
// "type=registry,ref=REPO".
Result<oci::Reference> cache_repository(std::string_view text, std::string_view flag) {
    std::string repository(text);
    if (text.starts_with("type=")) {
        repository.clear();
        for (std::size_t start = 0; start <= text.size();) {
            auto comma = std::min(text.find(',', start), text.size());
            auto field = text.substr(start, comma - start);
            if (field.starts_with("ref=")) {
                repository = field.substr(4);
            } else if (field != "type=registry" && !field.starts_with("mode=")) {
                return fail(Errc::invalid_argument, fmt::format("{} {}: only type=registry,ref=REPO is supported", flag, text));
            }
            start = comma + 1;
        }
    }
    return in_context(oci::Reference::parse(repository), std::string(flag));
}

}  // namespace

void add_build_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("build", "Build an image from a Dockerfile");
    struct Options {
        std::string context;
        std::string file;
        std::vector<std::string> tags;
        std::vector<std::string> build_args;
        std::string target;
        std::string platform;
        std::vector<std::string> labels;
        std::vector<std::string> annotations;
        bool push = false;
        std::vector<std::string> outputs;
        std::vector<std::string> mirrors;
        std::vector<std::string> build_contexts;
        std::string compression = "gzip";
        std::string iidfile;
        std::optional<std::int64_t> source_date_epoch;
        bool reproducible = false;
        bool offline = false;
        bool no_cache = false;
        std::vector<std::string> no_cache_filter;
        std::vector<std::string> cache_from;
        std::vector<std::string> cache_to;
        std::string cache_repo;
        std::string network = "host";
        std::vector<std::string> secrets;
        SandboxFlags sandbox;
    };
    auto options = std::make_shared<Options>();
    command->add_option("CONTEXT", options->context, "The build context: a directory, or - for a tar on stdin")
        ->required();
    command->add_option("-f,--file", options->file, "The Dockerfile (default: CONTEXT/Dockerfile; - for stdin)");
    command->add_option("-t,--tag", options->tags, "Name the image NAME[:TAG]; repeatable");
    command->add_option("--build-arg", options->build_args, "KEY=VALUE for an ARG; repeatable");
    command->add_option("--target", options->target, "The stage to build (default: the last)");
    command->add_option("--platform", options->platform, "OS/ARCH[/VARIANT] (default: this machine's)");
    command->add_option("--label", options->labels, "KEY=VALUE label on the image; repeatable");
    command->add_option("--annotation", options->annotations, "KEY=VALUE annotation on the manifest; repeatable");
    command->add_flag("--push", options->push, "Push every -t name to its registry");
    command->add_option("--output,-o", options->outputs,
                        "type=oci,dest=DIR | type=docker,dest=FILE | type=oci-archive,dest=FILE | type=registry");
    command->add_option("--registry-mirror", options->mirrors, "DOMAIN=HOST: pull DOMAIN's images through HOST");
    command->add_option("--build-context", options->build_contexts,
                        "NAME=oci-layout://DIR[:TAG] or NAME=docker-image://REF: the image FROM NAME uses; repeatable");
    command->add_option("--compression", options->compression, "gzip (default), zstd or none");
    command->add_option("--iidfile", options->iidfile, "Write the image ID to this file");
    command->add_option("--source-date-epoch", options->source_date_epoch,
                        "Seconds since the epoch: the image's and history's times, and the latest mtime in new "
                        "layers (default: $SOURCE_DATE_EPOCH)");
    command->add_flag("--reproducible", options->reproducible,
                      "Without a SOURCE_DATE_EPOCH, use 0: the same inputs give the same image digest");
    command->add_flag("--offline", options->offline, "Use no network for images: a base not in the store is an error");
    command->add_flag("--no-cache", options->no_cache, "Run every step; the build cache is still written");
    command->add_option("--no-cache-filter", options->no_cache_filter,
                        "Run every step of this stage (name or index); repeatable");
    command->add_option("--cache-from", options->cache_from,
                        "A registry repository to find cached steps in (tags cache-<key>); repeatable");
    command->add_option("--cache-to", options->cache_to,
                        "A registry repository to push every step's cache entry to; repeatable");
    command->add_option("--cache-repo", options->cache_repo, "Both --cache-from and --cache-to this repository");
    command->add_option("--network", options->network, "RUN's network: host (default) or none");
    command->add_option("--secret", options->secrets,
                        "id=ID,src=PATH or id=ID,env=VAR: a secret for RUN --mount=type=secret; repeatable");
    add_sandbox_flags(*command, options->sandbox);
    command->callback([&context, options] {
        auto observer = std::unique_ptr<build::BuildObserver>();
        auto built = [&]() -> Result<build::BuildResult> {
            build::BuildOptions build;
            build.context = options->context;
            build.dockerfile = options->file;
            for (const auto& tag : options->tags) {
                build.tags.push_back(HOIST_TRY(oci::Reference::parse(tag)));
            }
            build.build_args = HOIST_TRY(key_values(options->build_args, "--build-arg", true));
            build.target = options->target;
            if (!options->platform.empty()) {
                build.platform = HOIST_TRY(oci::Platform::parse(options->platform));
            }
            build.labels = HOIST_TRY(key_values(options->labels, "--label", false));
            build.annotations = HOIST_TRY(key_values(options->annotations, "--annotation", false));
            build.mirrors = HOIST_TRY(key_values(options->mirrors, "--registry-mirror", false));
            build.build_contexts = HOIST_TRY(key_values(options->build_contexts, "--build-context", false));
            for (const auto& output : options->outputs) {
                build.outputs.push_back(HOIST_TRY(build::Output::parse(output)));
            }
            if (options->push) {
                build.outputs.push_back({.kind = build::Output::Kind::registry});
            }
            build.compression.compression = HOIST_TRY(compression_named(options->compression));
            build.source_date_epoch = options->source_date_epoch;
            if (!build.source_date_epoch) {
                build.source_date_epoch = HOIST_TRY(source_date_epoch());
            }
            if (!build.source_date_epoch && options->reproducible) {
                build.source_date_epoch = 0;
            }
            build.offline = options->offline;
            build.no_cache = options->no_cache;
            for (const auto& stage : options->no_cache_filter) {
                build.no_cache_stages.insert(ascii_lower(stage));  // stage names are case-insensitive
            }
            auto from = options->cache_from;
            auto to = options->cache_to;
            if (!options->cache_repo.empty()) {
                from.push_back(options->cache_repo);
                to.push_back(options->cache_repo);
            }
            for (const auto& repository : from) {
                build.cache.from.push_back(HOIST_TRY(cache_repository(repository, "--cache-from")));
            }
            for (const auto& repository : to) {
                build.cache.to.push_back(HOIST_TRY(cache_repository(repository, "--cache-to")));
            }
            if (build.offline && !(build.cache.from.empty() && build.cache.to.empty())) {
                return fail(Errc::invalid_argument, "--offline: a registry cache (--cache-from, --cache-to) needs the network");
            }
            build.network = HOIST_TRY(network_named(options->network));
            for (const auto& secret : options->secrets) {
                build.secrets.insert(HOIST_TRY(read_secret(secret)));
            }
            build.sandbox = HOIST_TRY(sandbox_options(options->sandbox));
            // A build without RUN needs no user namespace: why there is none is told only if a
            // RUN asks for one.
            if (auto entered = enter_sandbox(build.sandbox); !entered) {
                build.sandbox_unavailable = entered.error().what();
            }
            auto session = HOIST_TRY(context.session());
            auto mode = HOIST_TRY(progress_mode(context.progress, context.quiet, stderr));
            if (mode != ProgressMode::quiet) {
                observer = build::make_build_progress(stderr);
                build.observer = observer.get();
            }
            return build::build(build, session);
        }();
        if (!built) {
            return context.report("build", built.error());
        }
        if (!options->iidfile.empty()) {
            if (auto written = write_file_atomic(options->iidfile, built->image_id.to_string()); !written) {
                return context.report("build: --iidfile", written.error());
            }
        }
        if (context.quiet) {
            fmt::print("{}\n", built->image_id.to_string());
        } else {
            fmt::print(stderr, "image {}\n", built->image_id.to_string());
        }
    });
}

}  // namespace hoist::cli
