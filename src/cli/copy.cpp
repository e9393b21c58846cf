#include <fmt/core.h>

#include <memory>

#include "src/cli/cli.hpp"
#include "src/transport.hpp"

namespace hoist::cli {

void add_copy_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("copy", "Copy an image between registries, the store, OCI layouts and archives");
    struct Options {
        std::string source;
        std::string destination;
        std::string platform;
        bool all_platforms = false;
    };
    auto options = std::make_shared<Options>();
    command
        ->add_option("SOURCE", options->source,
                     "docker://REF (or a bare reference), local:NAME, oci:DIR[:NAME], oci-archive:FILE[:NAME], "
                     "docker-archive:FILE[:NAME]")
        ->required();
    command->add_option("DESTINATION", options->destination, "as SOURCE")->required();
    auto* platform =
        command->add_option("--platform", options->platform, "Copy only this platform's image, OS/ARCH[/VARIANT]");
    command->add_flag("--all-platforms", options->all_platforms, "Copy a whole multi-platform index (the default)")
        ->excludes(platform);
    command->callback([&context, options] {
        auto copied = [&]() -> Result<CopiedImage> {
            auto from = HOIST_TRY(Location::parse(options->source));
            auto to = HOIST_TRY(Location::parse(options->destination));
            std::optional<oci::Platform> wanted;
            if (!options->platform.empty()) {
                wanted = HOIST_TRY(oci::Platform::parse(options->platform));
            }
            auto session = HOIST_TRY(context.session());
            return copy(from, to, session, wanted);
        }();
        if (!copied) {
            return context.report("copy " + options->source + " " + options->destination, copied.error());
        }
        fmt::print("Copied {}\n", copied->manifest.digest.to_string());
    });
}

}  // namespace hoist::cli
