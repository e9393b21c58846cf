#include <fmt/core.h>

#include <memory>

#include "src/build/cache.hpp"
#include "src/cli/cli.hpp"
#include "src/dockerfile/instructions.hpp"

namespace hoist::cli {

void add_prune_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("prune", "Remove the build cache and unpacked layers");
    struct Options {
        std::string keep_storage = "0";
        bool all = false;
    };
    auto options = std::make_shared<Options>();
    command->add_option("--keep-storage", options->keep_storage,
                        "Keep the most recently used cache entries up to this size (e.g. 10GB)");
    command->add_flag("-a,--all", options->all, "RUN --mount=type=cache directories too");
    command->callback([&context, options] {
        auto report = [&]() -> Result<build::PruneReport> {
            auto keep = dockerfile::parse_ram_in_bytes(options->keep_storage);
            if (!keep || *keep < 0) {
                return fail(Errc::invalid_argument, "--keep-storage: not a size: " + options->keep_storage);
            }
            // Unpacked layers of a rootless build belong to the ids of its user namespace.
            (void)enter_sandbox({});  // without one, what it cannot remove is an error below
            auto store = HOIST_TRY(oci::Store::open(context.root));
            return build::prune(store, {.keep_bytes = static_cast<std::uint64_t>(*keep), .all = options->all});
        }();
        if (!report) {
            return context.report("prune", report.error());
        }
        fmt::print("Removed {} build cache entries, {} unpacked layers{}; freed {} blobs, {} bytes\n",
                   report->cache.entries_removed, report->snapshots_removed,
                   report->cache_mounts_removed ? " and the cache mounts" : "", report->cache.gc.blobs_removed,
                   report->cache.gc.bytes_removed);
        if (report->snapshot_stores_busy > 0 || report->cache.gc.skipped) {
            fmt::print(stderr, "hoist: prune: a build was running: what it uses was left alone\n");
        }
        fmt::print("Build cache kept: {} bytes\n", report->cache.bytes_kept);
    });
}

}  // namespace hoist::cli
