#include <memory>
#include <set>
#include <string_view>

#include "src/build/run_image.hpp"
#include "src/cli/cli.hpp"

namespace hoist::cli {

int split_run_command(int argc, char** argv, std::vector<std::string>& command) {
    // The options that take a value, global and run's: their values are not IMAGE.
    static const std::set<std::string_view> k_with_value = {
        "--root",     "--authfile", "--creds",   "--tls-verify", "--progress", "--jobs",
        "--upload-profile", "--aws-endpoint", "-e", "--env", "--entrypoint", "-u",
        "--user",     "-w",         "--workdir", "--network",    "--platform", "--isolation",
        "--snapshotter"};
    bool in_run = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg.starts_with("-")) {
            if (k_with_value.contains(arg)) {
                ++i;
            }
            continue;
        }
        if (!in_run) {
            if (arg != "run") {
                return argc;  // another command
            }
            in_run = true;
            continue;
        }
        // IMAGE: what follows is the command's.
        int rest = i + 1;
        if (rest < argc && std::string_view(argv[rest]) == "--") {
            ++rest;
        }
        command.assign(argv + rest, argv + argc);
        return i + 1;
    }
    return argc;
}

void add_run_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("run", "Run a command in an image, rootless; changes are discarded");
    struct Options {
        std::string image;
        std::vector<std::string> command;
        std::optional<std::string> entrypoint;
        std::vector<std::string> env;
        std::optional<std::string> user;
        std::optional<std::string> working_dir;
        std::string network = "host";
        std::string platform;
        bool remove = false;
        SandboxFlags sandbox;
    };
    auto options = std::make_shared<Options>();
    command->add_flag("--rm", options->remove, "Accepted for docker's sake: nothing of the container is kept");
    command->add_option("-e,--env", options->env, "KEY=VALUE in the command's environment; repeatable");
    command->add_option("--entrypoint", options->entrypoint, "Replace the image's ENTRYPOINT (\"\" to drop it)");
    command->add_option("-u,--user", options->user, "USER[:GROUP] to run as (default: the image's)");
    command->add_option("-w,--workdir", options->working_dir, "The working directory (default: the image's)");
    command->add_option("--network", options->network, "host (default) or none");
    command->add_option("--platform", options->platform, "The image of an index to run (default: this machine's)");
    add_sandbox_flags(*command, options->sandbox);
    command->add_option("IMAGE", options->image, "A name or ID in the store")->required();
    command->footer("IMAGE is followed by the command and its arguments, flags included (default: the image's "
                    "ENTRYPOINT and CMD).");
    command->callback([&context, options] {
        options->command = context.run_command;
        auto status = [&]() -> Result<int> {
            build::RunImageOptions run{.image = options->image,
                                       .command = options->command,
                                       .entrypoint = options->entrypoint,
                                       .env = options->env,
                                       .user = options->user,
                                       .working_dir = options->working_dir};
            run.network = HOIST_TRY(network_named(options->network));
            run.sandbox = HOIST_TRY(sandbox_options(options->sandbox));
            if (!options->platform.empty()) {
                run.platform = HOIST_TRY(oci::Platform::parse(options->platform));
            }
            HOIST_TRY(enter_sandbox(run.sandbox));
            auto session = HOIST_TRY(context.session());
            return build::run_image(run, session);
        }();
        if (!status) {
            context.report("run " + options->image, status.error());
            // As docker run: 125 when the container could not run at all.
            context.status = 125;
            return;
        }
        context.status = *status;
    });
}

}  // namespace hoist::cli
