#include "src/cli/debug.hpp"

namespace hoist::cli {

void add_debug_parse_command(CLI::App&, Context&) {}

}  // namespace hoist::cli
