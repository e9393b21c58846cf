#include <fmt/core.h>

#include <memory>

#include "src/cli/cli.hpp"
#include "src/transport.hpp"

namespace hoist::cli {

void add_copy_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("copy", "Copy an image between the store, OCI layouts and archives");
    auto ends = std::make_shared<std::pair<std::string, std::string>>();
    command
        ->add_option("SOURCE", ends->first,
                     "local:NAME, oci:DIR[:NAME], oci-archive:FILE[:NAME], "
                     "docker-archive:FILE[:NAME]")
        ->required();
    command->add_option("DESTINATION", ends->second, "as SOURCE")->required();
    command->callback([&context, ends] {
        auto copied = [&]() -> Result<CopiedImage> {
            auto from = HOIST_TRY(Location::parse(ends->first));
            auto to = HOIST_TRY(Location::parse(ends->second));
            return copy(from, to, context.root);
        }();
        if (!copied) {
            return context.report("copy " + ends->first + " " + ends->second, copied.error());
        }
        fmt::print("Copied {}\n", copied->manifest.digest.to_string());
    });
}

}  // namespace hoist::cli
