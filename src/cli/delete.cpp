#include <fmt/core.h>

#include <memory>

#include "src/cli/cli.hpp"
#include "src/transport.hpp"

namespace hoist::cli {

void add_delete_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("delete", "Delete an image's manifest from a registry");
    auto reference = std::make_shared<std::string>();
    command->add_option("REFERENCE", *reference, "HOST[:PORT]/NAME:TAG or NAME@DIGEST")->required();
    command->callback([&context, reference] {
        auto deleted = [&]() -> Result<oci::Descriptor> {
            auto name = reference->starts_with("docker://") ? reference->substr(9) : *reference;
            auto session = HOIST_TRY(context.session());
            return delete_image(name, session);
        }();
        if (!deleted) {
            return context.report("delete " + *reference, deleted.error());
        }
        fmt::print("Deleted {}\n", deleted->digest.to_string());
    });
}

}  // namespace hoist::cli
