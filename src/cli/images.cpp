#include <fmt/core.h>

#include <array>
#include <ctime>
#include <memory>

#include "oci/store.hpp"
#include "src/cli/cli.hpp"

namespace hoist::cli {
namespace {

// As docker prints sizes: decimal units, four significant digits ("5.594MB").
std::string human_size(double bytes) {
    static constexpr const char* k_units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    std::size_t unit = 0;
    while (bytes >= 1000 && unit + 1 < std::size(k_units)) {
        bytes /= 1000;
        ++unit;
    }
    return fmt::format("{:.4g}{}", bytes, k_units[unit]);
}

// As docker prints ages: "45 seconds ago", "About an hour ago", "3 days ago".
std::string human_age(const std::optional<std::string>& created) {
    std::tm tm{};
    if (!created || ::strptime(created->c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) {
        return "N/A";
    }
    auto seconds = std::time(nullptr) - ::timegm(&tm);
    if (seconds < 0) {
        return "Less than a second ago";
    }
    struct Unit {
        long long seconds;
        const char* name;
    };
    static constexpr Unit k_steps[] = {
        {365 * 86400LL, "year"}, {30 * 86400LL, "month"}, {7 * 86400LL, "week"}, {86400, "day"},
        {3600, "hour"},          {60, "minute"},          {1, "second"}};
    for (const auto& step : k_steps) {
        long long count = seconds / step.seconds;
        if (count >= 2) {
            return fmt::format("{} {}s ago", count, step.name);
        }
        if (count == 1) {
            return step.seconds == 3600 ? "About an hour ago" : fmt::format("About a {} ago", step.name);
        }
    }
    return "Less than a second ago";
}

}  // namespace

void add_images_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("images", "List the images in the local store");
    auto quiet = std::make_shared<bool>(false);
    command->add_flag("-q,--quiet", *quiet, "Print image IDs only");
    command->callback([&context, quiet] {
        auto store = oci::Store::open(context.root);
        auto images = store ? store->images() : std::unexpected(store.error());
        if (!images) {
            return context.report("images", images.error());
        }
        std::vector<std::array<std::string, 5>> rows{{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}};
        for (const auto& image : *images) {
            if (*quiet) {
                fmt::print("{}\n", image.id.short_hex());
                continue;
            }
            std::string repository = "<none>";
            std::string tag = "<none>";
            if (image.name) {
                repository = image.name->familiar_repository();
                tag = image.name->tag().value_or("<none>");
            }
            rows.push_back({repository, tag, image.id.short_hex(), human_age(image.created),
                            human_size(static_cast<double>(image.size))});
        }
        if (*quiet) {
            return;
        }
        std::array<std::size_t, 5> widths{};
        for (const auto& row : rows) {
            for (std::size_t i = 0; i < row.size(); ++i) {
                widths[i] = std::max(widths[i], row[i].size());
            }
        }
        for (const auto& row : rows) {
            fmt::print("{:<{}}   {:<{}}   {:<{}}   {:<{}}   {}\n", row[0], widths[0], row[1], widths[1], row[2],
                       widths[2], row[3], widths[3], row[4]);
        }
    });
}

}  // namespace hoist::cli
