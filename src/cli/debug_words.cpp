#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "src/cli/debug.hpp"
#include "src/dockerfile/shell_lexer.hpp"

namespace hoist::cli {
namespace {

struct WordsOptions {
    std::vector<std::string> env;
    std::string word;
};

// `--env K=V` as BuildKit's EnvsFromSlice reads it: up to the first '='; `--env K` sets K empty.
dockerfile::Variables variables_from(const std::vector<std::string>& env) {
    dockerfile::Variables variables;
    for (const auto& entry : env) {
        auto equals = entry.find('=');
        if (equals == std::string::npos) {
            variables[entry] = "";
        } else {
            variables[entry.substr(0, equals)] = entry.substr(equals + 1);
        }
    }
    return variables;
}

CLI::App* add_words_command(CLI::App& debug, const std::string& name, const std::string& description,
                            std::shared_ptr<WordsOptions> options) {
    auto* command = debug.add_subcommand(name, description);
    command->group("Subcommands");
    command->add_option("--env", options->env, "A variable in scope, K=V (repeatable)")->allow_extra_args(false);
    command->add_option("WORD", options->word, "The word, after --")->required();
    return command;
}

}  // namespace

// hoist debug expand|words [--env K=V]... -- WORD: BuildKit's ProcessWord (the expanded word on one
// line) and ProcessWords (its fields, one per line), for the shell-lexer conformance tables.
void add_debug_words_commands(CLI::App& debug, Context& context) {
    auto expand = std::make_shared<WordsOptions>();
    add_words_command(debug, "expand", "Expand a word as a Dockerfile's ENV or WORKDIR would", expand)
        ->callback([&context, expand] {
            dockerfile::ShellLexer lexer;
            auto word = lexer.process_word(expand->word, variables_from(expand->env));
            if (!word) {
                return context.report("debug expand", word.error());
            }
            fmt::print("{}\n", *word);
        });

    auto words = std::make_shared<WordsOptions>();
    add_words_command(debug, "words", "Split a word into fields as a Dockerfile's EXPOSE would", words)
        ->callback([&context, words] {
            dockerfile::ShellLexer lexer;
            auto fields = lexer.process_words(words->word, variables_from(words->env));
            if (!fields) {
                return context.report("debug words", fields.error());
            }
            for (const auto& field : *fields) {
                fmt::print("{}\n", field);
            }
        });
}

}  // namespace hoist::cli
