#include <fmt/core.h>

#include "src/cli/cli.hpp"
#include "src/version.hpp"

namespace hoist::cli {

void add_version_command(CLI::App& app, Context&) {
    app.set_version_flag("--version", fmt::format("hoist version {}", k_version));
    app.add_subcommand("version", "Print hoist's version")->callback([] {
        fmt::print("hoist version {}\n", k_version);
    });
}

}  // namespace hoist::cli
