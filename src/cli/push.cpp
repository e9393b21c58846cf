#include <fmt/core.h>

#include <memory>

#include "src/cli/cli.hpp"
#include "src/transport.hpp"

namespace hoist::cli {

void add_push_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("push", "Push an image of the local store to a registry");
    auto names = std::make_shared<std::pair<std::string, std::string>>();
    command->add_option("IMAGE", names->first, "An image name or ID in the store")->required();
    command->add_option("DESTINATION", names->second, "The reference to push to (default: the image's name)");
    command->callback([&context, names] {
        auto pushed = [&]() -> Result<CopiedImage> {
            Location from{.kind = Location::Kind::local, .path = {}, .name = names->first};
            Location to{.kind = Location::Kind::docker,
                        .path = {},
                        .name = names->second.empty() ? names->first : names->second};
            if (to.name->starts_with("docker://")) {
                to.name = to.name->substr(9);
            }
            auto session = HOIST_TRY(context.session());
            return copy(from, to, session);
        }();
        if (!pushed) {
            return context.report("push " + (names->second.empty() ? names->first : names->second), pushed.error());
        }
        fmt::print("{}\n", pushed->manifest.digest.to_string());
    });
}

}  // namespace hoist::cli
