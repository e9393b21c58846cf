#include "src/cli/cli.hpp"

#include <fmt/core.h>

#include "oci/store.hpp"

namespace hoist::cli {

void Context::report(std::string_view what, const Error& error) {
    fmt::print(stderr, "hoist: {}: {}\n", what, error.what());
    status = k_failed;
}

int run(int argc, char** argv) {
    CLI::App app{"hoist: build, store, copy and push OCI images without a daemon or root"};
    app.require_subcommand(1);
    Context context;
    std::string root;
    app.add_option("--root", root, "The local image store (default: $HOIST_ROOT, ~/.local/share/hoist, "
                                   "/var/lib/hoist for root)");
    app.parse_complete_callback([&] {
        context.root = root.empty() ? oci::Store::default_root() : std::filesystem::path(root);
    });
    add_copy_command(app, context);
    add_debug_command(app, context);
    add_images_command(app, context);
    add_import_command(app, context);
    add_inspect_command(app, context);
    add_load_command(app, context);
    add_rmi_command(app, context);
    add_save_command(app, context);
    add_tag_command(app, context);
    add_version_command(app, context);
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
