#include <fmt/core.h>

#include <memory>

#include "src/cli/cli.hpp"
#include "src/sync.hpp"

namespace hoist::cli {
namespace {

std::string_view outcome_word(SyncedImage::Outcome outcome) {
    switch (outcome) {
        case SyncedImage::Outcome::copied:
            return "copied";
        case SyncedImage::Outcome::up_to_date:
            return "up-to-date";
        case SyncedImage::Outcome::would_copy:
            return "would-copy";
        case SyncedImage::Outcome::failed:
            return "failed";
    }
    return "";
}

}  // namespace

void add_sync_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand(
        "sync", "Mirror the repositories and tags a config file names into another registry (e.g. Docker Hub to ECR)");
    struct Options {
        std::string config;
        bool dry_run = false;
    };
    auto options = std::make_shared<Options>();
    command->add_option("--config", options->config, "The sync config (JSON; see README)")->required();
    command->add_flag("--dry-run", options->dry_run, "Compare digests and say what would be copied; write nothing");
    command->callback([&context, options] {
        auto report = [&]() -> Result<SyncReport> {
            auto config = HOIST_TRY(SyncConfig::load(options->config));
            auto session = HOIST_TRY(context.session());
            SyncOptions sync_options{.dry_run = options->dry_run, .on_image = [](const SyncedImage& image) {
                                         if (image.outcome == SyncedImage::Outcome::failed) {
                                             return;  // reported at the end, on stderr
                                         }
                                         fmt::print("{} {} -> {} {}", outcome_word(image.outcome), image.source,
                                                    image.destination, image.digest ? image.digest->to_string() : "");
                                         if (image.referrers > 0) {
                                             fmt::print(" ({} referrers)", image.referrers);
                                         }
                                         fmt::print("\n");
                                         std::fflush(stdout);
                                     }};
            return sync(config, session, sync_options);
        }();
        if (!report) {
            return context.report("sync", report.error());
        }
        for (const auto& [domain, limit] : report->rate_limits) {
            fmt::print(stderr, "hoist: {} rate limit {}, remaining {}\n", domain, limit.limit, limit.remaining);
        }
        for (const auto& image : report->images) {
            if (image.error) {
                context.report("sync " + image.source + " -> " + image.destination, *image.error);
            }
        }
        using Outcome = SyncedImage::Outcome;
        fmt::print("{} images: {} copied, {} up to date, {} to copy, {} failed\n", report->images.size(),
                   report->count(Outcome::copied), report->count(Outcome::up_to_date),
                   report->count(Outcome::would_copy), report->count(Outcome::failed));
    });
}

}  // namespace hoist::cli
