// The debug verbs that live in their own files, registered by add_debug_command.
#pragma once

#include "src/cli/cli.hpp"

namespace hoist::cli {

// hoist debug parse FILE: BuildKit's AST dump of a Dockerfile.
void add_debug_parse_command(CLI::App& debug, Context& context);
// hoist debug expand|words [--env K=V]... WORD: Docker's shell-word expansion.
void add_debug_words_commands(CLI::App& debug, Context& context);

}  // namespace hoist::cli
