#include "src/cli/cli.hpp"

#include <fmt/core.h>

#include <cstdlib>

#include "oci/store.hpp"
#include "registry/credentials.hpp"
#include "src/progress.hpp"
#include "src/version.hpp"

namespace hoist::cli {

void Context::report(std::string_view what, const Error& error) {
    fmt::print(stderr, "hoist: {}: {}\n", what, error.what());
    status = k_failed;
}

Result<Session> Context::session() {
    auto env = registry::current_environment();
    registry::RegistryOptions registry_options{
        .credentials = registry::CredentialSources::from_environment(env, authfile),
        .tls_verify = tls_verify,
    };
    if (!upload_profile.empty()) {
        registry_options.profile = HOIST_TRY(registry::upload_profile_named(upload_profile));
    }
    if (!creds.empty()) {
        registry_options.credentials.explicit_credential = HOIST_TRY(registry::parse_creds(creds));
    }
    registry::TransportOptions transport_options{.tls_verify = tls_verify,
                                                 .user_agent = std::string("hoist/") + k_version};
    auto ecr_options = HOIST_TRY(registry::EcrOptions::from_environment(env));
    ecr_options.endpoint = aws_endpoint;
    ecr_options.create_repositories = ecr_create_repos;
    ecr_options.transport = transport_options;
    registry_options.ecr = std::make_shared<registry::Ecr>(std::move(ecr_options));
    Session session(root, std::move(registry_options), std::move(transport_options));
    auto mode = HOIST_TRY(progress_mode(progress, quiet, stderr));
    m_progress = make_progress(mode, stderr);
    session.copy_options = {.jobs = jobs, .observer = m_progress.get()};
    return session;
}

Result<std::optional<std::int64_t>> source_date_epoch() {
    const char* text = std::getenv("SOURCE_DATE_EPOCH");
    if (text == nullptr || *text == '\0') {
        return std::nullopt;
    }
    char* end = nullptr;
    long long seconds = std::strtoll(text, &end, 10);
    if (*end != '\0' || seconds < 0) {
        return fail(Errc::invalid_argument, std::string("SOURCE_DATE_EPOCH is not a number of seconds: ") + text);
    }
    return seconds;
}

void add_sandbox_flags(CLI::App& command, SandboxFlags& flags) {
    command.add_option("--isolation", flags.isolation,
                       "auto (namespaces; a user namespace without root) or chroot (root only: no namespaces, for "
                       "runners that forbid them)");
    command.add_option("--snapshotter", flags.snapshotter,
                       "auto, overlay or copy (a copy of the root filesystem, where overlayfs is not allowed)");
}

Result<run::SandboxOptions> sandbox_options(const SandboxFlags& flags) {
    run::SandboxOptions options;
    if (flags.isolation == "chroot") {
        options.isolation = run::Isolation::chroot;
    } else if (flags.isolation != "auto") {
        return fail(Errc::invalid_argument, "--isolation must be auto or chroot, not " + flags.isolation);
    }
    if (flags.snapshotter == "overlay") {
        options.snapshotter = run::Snapshotter::overlay;
    } else if (flags.snapshotter == "copy") {
        options.snapshotter = run::Snapshotter::copy;
    } else if (flags.snapshotter != "auto") {
        return fail(Errc::invalid_argument, "--snapshotter must be auto, overlay or copy, not " + flags.snapshotter);
    }
    return options;
}

Result<bool> network_named(std::string_view name) {
    if (name == "host" || name == "default") {
        return true;
    }
    if (name == "none") {
        return false;
    }
    return fail(Errc::invalid_argument, "--network must be host or none, not " + std::string(name));
}

Result<void> enter_sandbox(const run::SandboxOptions& options) {
    if (options.isolation == run::Isolation::chroot) {
        return {};
    }
    auto entered = run::enter_user_namespace(
        [](std::string_view warning) { fmt::print(stderr, "hoist: warning: {}\n", warning); });
    if (!entered) {
        return std::unexpected(entered.error());
    }
    return {};
}

Result<oci::Compression> compression_named(std::string_view name) {
    if (name == "gzip") {
        return oci::Compression::gzip;
    }
    if (name == "zstd") {
        return oci::Compression::zstd;
    }
    if (name == "none") {
        return oci::Compression::none;
    }
    return fail(Errc::invalid_argument, "--compression must be gzip, zstd or none, not " + std::string(name));
}

int run(int argc, char** argv) {
    // The executor's helper process (run/executor.hpp), not a command for people.
    if (argc == 2 && std::string_view(argv[1]) == "__exec") {
        run::helper_main();
    }
    CLI::App app{"hoist: build, store, copy and push OCI images without a daemon or root"};
    app.require_subcommand(1);
    Context context;
    std::string root;
    app.add_option("--root", root,
                   "The local image store (default: $HOIST_ROOT, ~/.local/share/hoist, "
                   "/var/lib/hoist for root)");
    app.add_option("--authfile", context.authfile, "Registry credentials file (default: docker's and podman's)");
    app.add_option("--creds", context.creds, "Registry credentials, USER[:PASSWORD]");
    app.add_option("--tls-verify", context.tls_verify, "Check registries' TLS certificates (default: true)")
        ->default_str("true");
    app.add_option("--progress", context.progress, "auto, tty, plain or json (default: auto)");
    app.add_flag("-q,--quiet", context.quiet, "No progress output");
    app.add_option("--jobs", context.jobs, "Blobs copied at once (default: 8)")->check(CLI::Range(1u, 256u));
    // For tests that stand a local registry in for ECR or GHCR.
    app.add_option("--upload-profile", context.upload_profile, "default, ecr or ghcr")->group("");
    app.add_option("--aws-endpoint", context.aws_endpoint,
                   "ECR's API endpoint (default: $AWS_ENDPOINT_URL_ECR, $AWS_ENDPOINT_URL, else AWS's)");
    app.add_flag("--ecr-create-repos", context.ecr_create_repos,
                 "Create ECR repositories that do not exist before pushing to them");
    // The global flags are accepted after the subcommand's name too.
    app.fallthrough();
    app.parse_complete_callback(
        [&] { context.root = root.empty() ? oci::Store::default_root() : std::filesystem::path(root); });
    add_build_command(app, context);
    add_copy_command(app, context);
    add_delete_command(app, context);
    add_digest_command(app, context);
    add_debug_command(app, context);
    add_fsck_command(app, context);
    add_images_command(app, context);
    add_import_command(app, context);
    add_inspect_command(app, context);
    add_load_command(app, context);
    add_login_command(app, context);
    add_logout_command(app, context);
    add_ls_command(app, context);
    add_pull_command(app, context);
    add_push_command(app, context);
    add_prune_command(app, context);
    add_rmi_command(app, context);
    add_run_command(app, context);
    add_sync_command(app, context);
    add_save_command(app, context);
    add_tag_command(app, context);
    add_version_command(app, context);
    argc = split_run_command(argc, argv, context.run_command);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return k_usage;
    }
    return context.status;
}

}  // namespace hoist::cli
