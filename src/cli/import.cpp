#include <fmt/core.h>

#include <cstdlib>
#include <memory>

#include "src/cli/cli.hpp"
#include "src/import.hpp"

namespace hoist::cli {
namespace {

// As docker's CMD and ENTRYPOINT: a JSON array is the argv, anything else runs under /bin/sh -c.
Result<std::vector<std::string>> command_line(const std::string& text, std::string_view flag) {
    if (!text.starts_with("[")) {
        return std::vector<std::string>{"/bin/sh", "-c", text};
    }
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (!parsed.is_array() || !std::ranges::all_of(parsed, [](const auto& item) { return item.is_string(); })) {
        return fail(Errc::invalid_argument, std::string(flag) + ": not a JSON array of strings: " + text);
    }
    return parsed.get<std::vector<std::string>>();
}

}  // namespace

void add_import_command(CLI::App& app, Context& context) {
    auto* command =
        app.add_subcommand("import", "Make a one-layer image from a root filesystem (a directory or a tar)");
    struct Options {
        std::string source;
        std::string name;
        std::string platform;
        std::vector<std::string> env;
        std::string cmd;
        std::string entrypoint;
        std::string workdir;
        std::string compression = "gzip";
        unsigned jobs = 0;
    };
    auto options = std::make_shared<Options>();
    command->add_option("SOURCE", options->source, "A directory or a tar (plain or compressed)")->required();
    command->add_option("NAME", options->name, "The image name, NAME[:TAG]")->required();
    command->add_option("--platform", options->platform, "OS/ARCH[/VARIANT] (default: this machine's)");
    command->add_option("--env", options->env, "KEY=VALUE, repeatable");
    command->add_option("--cmd", options->cmd, "The default command: a JSON array, or a shell command");
    command->add_option("--entrypoint", options->entrypoint, "The entrypoint: a JSON array, or a shell command");
    command->add_option("--workdir", options->workdir, "The working directory");
    command->add_option("--compression", options->compression, "gzip (default), zstd or none")
        ->check(CLI::IsMember({"gzip", "zstd", "none"}));
    command->add_option("--jobs", options->jobs, "Compression threads (default: one per core)");
    command->callback([&context, options] {
        auto imported = [&]() -> Result<oci::Descriptor> {
            ImportOptions import;
            if (!options->platform.empty()) {
                import.platform = HOIST_TRY(oci::Platform::parse(options->platform));
            }
            import.env = options->env;
            if (!options->cmd.empty()) {
                import.cmd = HOIST_TRY(command_line(options->cmd, "--cmd"));
            }
            if (!options->entrypoint.empty()) {
                import.entrypoint = HOIST_TRY(command_line(options->entrypoint, "--entrypoint"));
            }
            import.working_dir = options->workdir;
            import.compression.compression = HOIST_TRY(compression_named(options->compression));
            import.compression.threads = options->jobs;
            import.source_date_epoch = HOIST_TRY(source_date_epoch());
            auto name = HOIST_TRY(oci::Reference::parse(options->name));
            auto store = HOIST_TRY(oci::Store::open(context.root));
            return import_rootfs(options->source, name, import, store);
        }();
        if (!imported) {
            return context.report("import " + options->source, imported.error());
        }
        fmt::print("{}\n", imported->digest.to_string());
    });
}

}  // namespace hoist::cli
