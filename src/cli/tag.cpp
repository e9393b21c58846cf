#include <memory>

#include "oci/store.hpp"
#include "src/cli/cli.hpp"

namespace hoist::cli {

void add_tag_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("tag", "Give an image in the local store another name");
    auto names = std::make_shared<std::pair<std::string, std::string>>();
    command->add_option("SOURCE", names->first, "An image name or ID")->required();
    command->add_option("TARGET", names->second, "The new name, NAME[:TAG]")->required();
    command->callback([&context, names] {
        auto tagged = [&]() -> Result<void> {
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
