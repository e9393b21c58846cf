#include <fmt/core.h>

#include <memory>

#include "src/cli/cli.hpp"
#include "src/transport.hpp"

namespace hoist::cli {

void add_digest_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("digest", "Print the digest of an image's manifest or index");
    auto image = std::make_shared<std::string>();
    command->add_option("IMAGE", *image, "docker://REF (or a bare reference), local:NAME, oci:DIR[:NAME], ...")
        ->required();
    command->callback([&context, image] {
        auto found = [&]() -> Result<oci::Digest> {
            auto location = HOIST_TRY(Location::parse(*image));
            auto session = HOIST_TRY(context.session());
            return digest(location, session);
        }();
        if (!found) {
            return context.report("digest " + *image, found.error());
        }
        fmt::print("{}\n", found->to_string());
    });
}

}  // namespace hoist::cli
