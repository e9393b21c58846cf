#include <fmt/core.h>

#include <memory>

#include "src/cli/cli.hpp"
#include "src/transport.hpp"

namespace hoist::cli {

void add_inspect_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("inspect", "Show an image's name, digest, platform and layers");
    struct Options {
        std::string image;
        bool raw = false;
        bool config = false;
    };
    auto options = std::make_shared<Options>();
    command
        ->add_option("IMAGE", options->image,
                     "docker://REF (or a bare reference), local:NAME, oci:DIR[:NAME], oci-archive:FILE[:NAME], "
                     "docker-archive:FILE[:NAME]")
        ->required();
    auto* raw = command->add_flag("--raw", options->raw, "Print the manifest (or index) as stored");
    command->add_flag("--config", options->config, "Print the image config")->excludes(raw);
    command->callback([&context, options] {
        auto text = [&]() -> Result<std::string> {
            auto location = HOIST_TRY(Location::parse(options->image));
            auto view = options->raw      ? InspectView::raw_manifest
                        : options->config ? InspectView::config
                                          : InspectView::summary;
            auto session = HOIST_TRY(context.session());
            return inspect(location, view, session);
        }();
        if (!text) {
            return context.report("inspect " + options->image, text.error());
        }
        fmt::print("{}\n", *text);
    });
}

}  // namespace hoist::cli
