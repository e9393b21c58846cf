#include <fmt/core.h>

#include <memory>

#include "src/cli/cli.hpp"
#include "src/transport.hpp"

namespace hoist::cli {

void add_ls_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("ls", "List a registry repository's tags");
    auto repository = std::make_shared<std::string>();
    command->add_option("REPOSITORY", *repository, "HOST[:PORT]/NAME")->required();
    command->callback([&context, repository] {
        auto tags = [&]() -> Result<std::vector<std::string>> {
            auto name = repository->starts_with("docker://") ? repository->substr(9) : *repository;
            auto session = HOIST_TRY(context.session());
            return list_tags(name, session);
        }();
        if (!tags) {
            return context.report("ls " + *repository, tags.error());
        }
        for (const auto& tag : *tags) {
            fmt::print("{}\n", tag);
        }
    });
}

}  // namespace hoist::cli
