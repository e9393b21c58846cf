#include <fmt/core.h>

#include <memory>

#include "oci/store.hpp"
#include "src/cli/cli.hpp"

namespace hoist::cli {

void add_rmi_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("rmi", "Remove images from the local store");
    auto names = std::make_shared<std::vector<std::string>>();
    command->add_option("IMAGE", *names, "Image names or IDs")->required();
    command->callback([&context, names] {
        auto store = oci::Store::open(context.root);
        if (!store) {
            return context.report("rmi", store.error());
        }
        for (const auto& name : *names) {
            auto removed = store->remove(name);
            if (!removed) {
                context.report("rmi " + name, removed.error());
                continue;
            }
            for (const auto& untagged : removed->names) {
                fmt::print("Untagged: {}\n", untagged.familiar());
            }
            if (removed->gc.blobs_removed > 0) {
                fmt::print("Deleted: {} blobs, {} bytes\n", removed->gc.blobs_removed, removed->gc.bytes_removed);
            }
        }
    });
}

}  // namespace hoist::cli
