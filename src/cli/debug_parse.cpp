#include <fmt/core.h>

#include <memory>
#include <string>

#include "oci/file.hpp"
#include "src/cli/debug.hpp"
#include "src/dockerfile/instructions.hpp"
#include "src/dockerfile/parser.hpp"

namespace hoist::cli {

// hoist debug parse FILE: the AST dump BuildKit's parser tests compare (their `result` files);
// with --check, the typed model is built too, so that its errors show.
void add_debug_parse_command(CLI::App& debug, Context& context) {
    auto* command = debug.add_subcommand("parse", "Print a Dockerfile's syntax tree as BuildKit dumps it");
    command->group("Subcommands");
    struct Options {
        std::string file;
        bool check = false;
    };
    auto options = std::make_shared<Options>();
    command->add_option("FILE", options->file, "The Dockerfile")->required();
    command->add_flag("--check", options->check, "Also check every instruction, as a build would");
    command->callback([&context, options] {
        auto dump = [&]() -> Result<std::string> {
            auto text = HOIST_TRY(read_file(options->file));
            auto ast = HOIST_TRY(dockerfile::parse(text, options->file));
            if (options->check) {
                HOIST_TRY(dockerfile::Dockerfile::from_ast(ast));
            }
            return ast.dump();
        }();
        if (!dump) {
            return context.report("parse " + options->file, dump.error());
        }
        fmt::print("{}", *dump);
    });
}

}  // namespace hoist::cli
