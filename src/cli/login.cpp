#include <fmt/core.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "registry/credentials.hpp"
#include "src/cli/cli.hpp"
#include "src/transport.hpp"

namespace hoist::cli {
namespace {

// The password from stdin, without its trailing newline, as docker login --password-stdin reads it.
std::string read_password() {
    std::string password((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
        password.pop_back();
    }
    return password;
}

}  // namespace

void add_login_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("login", "Check credentials against a registry and store them");
    struct Options {
        std::string server;
        std::string username;
        std::string password;
        bool password_stdin = false;
    };
    auto options = std::make_shared<Options>();
    command->add_option("REGISTRY", options->server, "The registry, HOST[:PORT]")->required();
    command->add_option("-u,--username", options->username, "The user name")->required();
    auto* password = command->add_option("-p,--password", options->password, "The password (prefer --password-stdin)");
    command->add_flag("--password-stdin", options->password_stdin, "Read the password from stdin")->excludes(password);
    command->callback([&context, options] {
        auto logged_in = [&]() -> Result<std::filesystem::path> {
            registry::Credential credential{.username = options->username,
                                            .password = options->password_stdin ? read_password() : options->password};
            if (credential.password.empty()) {
                return fail(Errc::invalid_argument, "no password: pass --password-stdin and write it to stdin");
            }
            auto file = registry::login_file(registry::current_environment(), context.authfile);
            auto session = HOIST_TRY(context.session());
            HOIST_TRY(login(options->server, credential, file, session));
            return file;
        }();
        if (!logged_in) {
            return context.report("login " + options->server, logged_in.error());
        }
        fmt::print("Login Succeeded (credentials stored in {})\n", logged_in->string());
    });
}

void add_logout_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("logout", "Remove a registry's stored credentials");
    auto server = std::make_shared<std::string>();
    command->add_option("REGISTRY", *server, "The registry, HOST[:PORT]")->required();
    command->callback([&context, server] {
        auto env = registry::current_environment();
        auto file = registry::login_file(env, context.authfile);
        auto sources = registry::CredentialSources::from_environment(env, context.authfile);
        auto removed = registry::erase_credential(file, registry::registry_key(*server), sources.path);
        if (!removed) {
            return context.report("logout " + *server, removed.error());
        }
        fmt::print("Removed login credentials for {}\n", registry::registry_key(*server));
    });
}

}  // namespace hoist::cli
