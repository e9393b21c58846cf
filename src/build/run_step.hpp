// RUN as BuildKit reads it: the command line it runs (shell form, exec form, heredoc scripts),
// the environment it gets, and the history text it leaves.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "src/dockerfile/instructions.hpp"

namespace hoist::build {

struct RunCommand {
    std::vector<std::string> args;
    // A heredoc with a "#!" line is run as a file: its name and content, for /dev/pipes/NAME.
    std::optional<std::pair<std::string, std::string>> script;
};

// The argv of a RUN under `shell` (the stage's SHELL, or /bin/sh -c): a single heredoc is the
// shell's script (or, with "#!", a file run by the shell); heredocs after other words are put
// back into the text for the shell to read.
RunCommand run_command(const dockerfile::CommandLine& command, const std::vector<std::string>& shell);

// The environment of a RUN: the image's Env, then the build args in scope that Env does not set.
std::vector<std::string> run_environment(const dockerfile::StageScope& scope);

// The history's created_by: "RUN |2 A=1 B=2 /bin/sh -c make # buildkit" (the declared build
// args, counted, with the values the RUN sees).
std::string run_history(const std::vector<std::string>& args, const dockerfile::StageScope& scope);

}  // namespace hoist::build
