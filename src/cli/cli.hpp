// The command line: one file per subcommand, each registering itself on the CLI11 app. A
// command parses its flags, calls one library function and turns its error into a message.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "oci/compression.hpp"
#include "oci/error.hpp"
#include "src/run/sandbox.hpp"
#include "src/transport.hpp"

namespace hoist::cli {

// Exit status, as docker and skopeo use them.
inline constexpr int k_ok = 0;
inline constexpr int k_failed = 1;
inline constexpr int k_usage = 2;

// What every command shares: the global flags and the exit status it sets.
struct Context {
    std::filesystem::path root;                     // --root
    std::optional<std::filesystem::path> authfile;  // --authfile
    std::string creds;                              // --creds USER[:PASSWORD]
    bool tls_verify = true;                         // --tls-verify
    std::string progress = "auto";                  // --progress
    bool quiet = false;                             // -q
    unsigned jobs = 8;                              // --jobs
    std::string upload_profile;                     // --upload-profile (hidden): force one
    std::string aws_endpoint;                       // --aws-endpoint: ECR's API
    bool ecr_create_repos = false;                  // --ecr-create-repos
    std::vector<std::string> run_command;           // hoist run: what follows IMAGE
    int status = k_ok;

    // Prints "hoist: <what>: <error>" on stderr and sets the status to k_failed.
    void report(std::string_view what, const Error& error);

    // A session for one command: the store, registries reached with the flags' credentials and
    // TLS settings, copies run `jobs` at a time with progress on stderr.
    Result<Session> session();

private:
    std::unique_ptr<oci::CopyObserver> m_progress;
};

// The flags of the commands that run things in images (build, run).
struct SandboxFlags {
    std::string isolation = "auto";    // --isolation auto|chroot
    std::string snapshotter = "auto";  // --snapshotter auto|overlay|copy
};
void add_sandbox_flags(CLI::App& command, SandboxFlags& flags);
Result<run::SandboxOptions> sandbox_options(const SandboxFlags& flags);
// --network host|none: true for host.
Result<bool> network_named(std::string_view name);
// Without root and unless isolation is chroot: into a user namespace of this process's own
// (run::enter_user_namespace), warnings on stderr. Call before anything starts a thread.
Result<void> enter_sandbox(const run::SandboxOptions& options);

// SOURCE_DATE_EPOCH from the environment; nullopt when unset or empty.
Result<std::optional<std::int64_t>> source_date_epoch();
// --compression's value.
Result<oci::Compression> compression_named(std::string_view name);

void add_build_command(CLI::App& app, Context& context);
void add_copy_command(CLI::App& app, Context& context);
void add_delete_command(CLI::App& app, Context& context);
void add_digest_command(CLI::App& app, Context& context);
// Hidden from --help: verbs for tests and benchmarks.
void add_debug_command(CLI::App& app, Context& context);
void add_fsck_command(CLI::App& app, Context& context);
void add_images_command(CLI::App& app, Context& context);
void add_import_command(CLI::App& app, Context& context);
void add_inspect_command(CLI::App& app, Context& context);
void add_load_command(CLI::App& app, Context& context);
void add_login_command(CLI::App& app, Context& context);
void add_logout_command(CLI::App& app, Context& context);
void add_ls_command(CLI::App& app, Context& context);
void add_pull_command(CLI::App& app, Context& context);
void add_push_command(CLI::App& app, Context& context);
void add_prune_command(CLI::App& app, Context& context);
void add_rmi_command(CLI::App& app, Context& context);
void add_run_command(CLI::App& app, Context& context);
// hoist run: everything after IMAGE is the command's, flags too (CLI11 would read them). Moves
// that tail into `command` and returns the argc CLI11 is to see.
int split_run_command(int argc, char** argv, std::vector<std::string>& command);
void add_sync_command(CLI::App& app, Context& context);
void add_save_command(CLI::App& app, Context& context);
void add_tag_command(CLI::App& app, Context& context);
void add_version_command(CLI::App& app, Context& context);

// Runs the command line; returns the exit status.
int run(int argc, char** argv);

}  // namespace hoist::cli
