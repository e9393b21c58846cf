#include <fmt/core.h>

#include <memory>

#include "oci/store.hpp"
#include "src/cli/cli.hpp"
#include "src/transport.hpp"

namespace hoist::cli {

void add_tag_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand(
        "tag", "Give an image in the local store another name, or, for docker://REF, tag it on its registry");
    auto names = std::make_shared<std::pair<std::string, std::string>>();
    command->add_option("SOURCE", names->first, "An image name or ID in the store, or docker://REF")->required();
    command
        ->add_option("TARGET", names->second,
                     "The new name, NAME[:TAG]; for docker://REF, a tag or a reference "
                     "in the same repository")
        ->required();
    command->callback([&context, names] {
        auto tagged = [&]() -> Result<void> {
            if (names->first.starts_with("docker://")) {
                auto target = names->second.starts_with("docker://") ? names->second.substr(9) : names->second;
                auto session = HOIST_TRY(context.session());
                auto manifest = HOIST_TRY(tag_remote(names->first.substr(9), target, session));
                fmt::print("{}\n", manifest.digest.to_string());
                return {};
            }
            auto store = HOIST_TRY(oci::Store::open(context.root));
            auto image = HOIST_TRY(store.find(names->first));
            return store.tag(image.target, HOIST_TRY(oci::Reference::parse(names->second)));
        }();
        if (!tagged) {
            context.report("tag " + names->first + " " + names->second, tagged.error());
        }
    });
}

}  // namespace hoist::cli
