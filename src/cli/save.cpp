#include <fmt/core.h>

#include <memory>

#include "src/cli/cli.hpp"
#include "src/transport.hpp"

namespace hoist::cli {

void add_save_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("save", "Write an image of the local store to an archive");
    struct Options {
        std::string image;
        std::string output;
        std::string format = "docker";
    };
    auto options = std::make_shared<Options>();
    command->add_option("IMAGE", options->image, "An image name or ID")->required();
    command->add_option("-o,--output", options->output, "The archive to write")->required();
    command->add_option("--format", options->format, "docker (as docker save writes) or oci (an oci-archive)")
        ->check(CLI::IsMember({"docker", "oci"}));
    command->callback([&context, options] {
        auto saved = [&]() -> Result<CopiedImage> {
            auto image = HOIST_TRY(oci::Store::open(context.root)).find(options->image);
            if (!image) {
                return std::unexpected(image.error());
            }
            // The archive carries the name the image was asked for by, when that was a name.
            std::optional<std::string> name;
            if (image->name && oci::Reference::parse(options->image) == *image->name) {
                name = image->name->to_string();
            }
            Location from{.kind = Location::Kind::local, .path = {}, .name = options->image};
            Location to{.kind = options->format == "oci" ? Location::Kind::oci_archive : Location::Kind::docker_archive,
                        .path = options->output,
                        .name = name};
            auto session = HOIST_TRY(context.session());
            session.copy_options.observer = nullptr;  // as docker save: no progress for a local file
            return copy(from, to, session);
        }();
        if (!saved) {
            context.report("save " + options->image, saved.error());
        }
    });
}

}  // namespace hoist::cli
