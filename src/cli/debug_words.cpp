#include "src/cli/debug.hpp"

namespace hoist::cli {

void add_debug_words_commands(CLI::App&, Context&) {}

}  // namespace hoist::cli
