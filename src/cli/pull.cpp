#include <fmt/core.h>

#include <memory>

#include "src/cli/cli.hpp"
#include "src/transport.hpp"

namespace hoist::cli {

void add_pull_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("pull", "Pull an image from a registry into the local store");
    struct Options {
        std::string reference;
        std::string platform;
        bool all_platforms = false;
    };
    auto options = std::make_shared<Options>();
    command->add_option("REFERENCE", options->reference, "NAME[:TAG|@DIGEST]")->required();
    auto* platform = command->add_option("--platform", options->platform,
                                         "The platform to pull from a multi-platform image (default: this machine's)");
    command->add_flag("--all-platforms", options->all_platforms, "Pull the whole multi-platform index")
        ->excludes(platform);
    command->callback([&context, options] {
        auto pulled = [&]() -> Result<CopiedImage> {
            auto text = options->reference.starts_with("docker://") ? options->reference.substr(9) : options->reference;
            auto reference = HOIST_TRY(oci::Reference::parse(text));
            std::optional<oci::Platform> wanted;
            if (!options->all_platforms) {
                wanted = options->platform.empty() ? oci::Platform::host()
                                                   : HOIST_TRY(oci::Platform::parse(options->platform));
            }
            Location from{.kind = Location::Kind::docker, .path = {}, .name = reference.to_string()};
            Location to{.kind = Location::Kind::local, .path = {}, .name = reference.to_string()};
            auto session = HOIST_TRY(context.session());
            return copy(from, to, session, wanted);
        }();
        if (!pulled) {
            return context.report("pull " + options->reference, pulled.error());
        }
        fmt::print("{}\n", pulled->manifest.digest.to_string());
    });
}

}  // namespace hoist::cli
