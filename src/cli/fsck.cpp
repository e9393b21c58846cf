#include <fmt/core.h>

#include "oci/store.hpp"
#include "src/cli/cli.hpp"

namespace hoist::cli {

void add_fsck_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand(
        "fsck", "Check the local store: every blob against its digest, every image's and cache entry's blobs present");
    command->callback([&context] {
        auto checked = [&]() -> Result<oci::Store::Check> {
            auto store = HOIST_TRY(oci::Store::open(context.root));
            return store.check();
        }();
        if (!checked) {
            return context.report("fsck", checked.error());
        }
        for (const auto& problem : checked->problems) {
            fmt::print(stderr, "hoist: fsck: {}\n", problem);
        }
        fmt::print("{} blobs ({} bytes) read, {} images and cache entries followed: {}\n", checked->blobs,
                   checked->bytes, checked->roots,
                   checked->problems.empty() ? "ok" : fmt::format("{} problems", checked->problems.size()));
        if (checked->unreferenced > 0 || checked->leftovers > 0) {
            fmt::print("{} unused blobs and {} leftovers of interrupted writes (hoist rmi and prune collect them)\n",
                       checked->unreferenced, checked->leftovers);
        }
        if (!checked->problems.empty()) {
            context.status = k_failed;
        }
    });
}

}  // namespace hoist::cli
