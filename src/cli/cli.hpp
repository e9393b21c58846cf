// The command line: one file per subcommand, each registering itself on the CLI11 app. A
// command parses its flags, calls one library function and turns its error into a message.
#pragma once

#include <filesystem>
#include <string_view>

#include <CLI/CLI.hpp>

#include "oci/error.hpp"

namespace hoist::cli {

// Exit status, as docker and skopeo use them.
inline constexpr int k_ok = 0;
inline constexpr int k_failed = 1;
inline constexpr int k_usage = 2;

// What every command shares: the store root (--root) and the exit status it sets.
struct Context {
    std::filesystem::path root;
    int status = k_ok;

    // Prints "hoist: <what>: <error>" on stderr and sets the status to k_failed.
    void report(std::string_view what, const Error& error);
};

void add_copy_command(CLI::App& app, Context& context);
// Hidden from --help: verbs for tests and benchmarks.
void add_debug_command(CLI::App& app, Context& context);
void add_images_command(CLI::App& app, Context& context);
void add_import_command(CLI::App& app, Context& context);
void add_inspect_command(CLI::App& app, Context& context);
void add_load_command(CLI::App& app, Context& context);
void add_rmi_command(CLI::App& app, Context& context);
void add_save_command(CLI::App& app, Context& context);
void add_tag_command(CLI::App& app, Context& context);
void add_version_command(CLI::App& app, Context& context);

// Runs the command line; returns the exit status.
int run(int argc, char** argv);

}  // namespace hoist::cli
