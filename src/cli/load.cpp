#include <fmt/core.h>

#include <memory>

#include "src/cli/cli.hpp"
#include "src/transport.hpp"

namespace hoist::cli {

void add_load_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("load", "Read images from a docker-archive or oci-archive into the store");
    auto input = std::make_shared<std::string>();
    command->add_option("-i,--input", *input, "The archive to read")->required();
    command->callback([&context, input] {
        auto loaded = [&]() -> Result<std::vector<CopiedImage>> {
            auto store = HOIST_TRY(oci::Store::open(context.root));
            return load(*input, store);
        }();
        if (!loaded) {
            return context.report("load " + *input, loaded.error());
        }
        for (const auto& image : *loaded) {
            if (image.name) {
                fmt::print("Loaded image: {}\n", oci::Reference::parse(*image.name)->familiar());
            } else {
                fmt::print("Loaded image ID: {}\n", image.manifest.digest.to_string());
            }
        }
    });
}

}  // namespace hoist::cli
