#include "src/build/run_image.hpp"

#include "oci/image_config.hpp"
#include "oci/manifest.hpp"
#include "oci/store.hpp"

namespace hoist::build {

Result<int> run_image(const RunImageOptions& options, Session& session) {
    auto store = HOIST_TRY(oci::Store::open(session.store_root()));
    auto stored = HOIST_TRY(store.find(options.image));
    auto& layout = store.layout();
    auto platform = options.platform.value_or(oci::Platform::host());
    auto manifest_descriptor = HOIST_TRY(platform_manifest(layout, stored.target, platform));
    auto manifest = HOIST_TRY(oci::Manifest::parse(HOIST_TRY(layout.read_blob(manifest_descriptor))));
    auto config = HOIST_TRY(oci::ImageConfig::parse(HOIST_TRY(layout.read_blob(manifest.config))));
    const auto& container = config.config;

    std::vector<std::string> args;
    if (options.entrypoint) {
        if (!options.entrypoint->empty()) {
            args.push_back(*options.entrypoint);
        }
    } else if (container.entrypoint) {
        args = *container.entrypoint;
    }
    if (!options.command.empty()) {
        args.insert(args.end(), options.command.begin(), options.command.end());
    } else if (container.cmd && !options.entrypoint) {
        args.insert(args.end(), container.cmd->begin(), container.cmd->end());
    }
    if (args.empty()) {
        return fail(Errc::invalid_argument, options.image + ": no command given and the image has none");
    }

    auto sandbox = HOIST_TRY(run::Sandbox::open(session.store_root(), options.sandbox));
    auto scratch = HOIST_TRY(sandbox->snapshots().scratch());
    auto ran = [&]() -> Result<int> {
        run::RunSpec spec;
        if (sandbox->overlay()) {
            auto lowers = HOIST_TRY(sandbox->lowers(layout, manifest.layers, config.diff_ids));
            spec = HOIST_TRY(sandbox->spec(scratch, std::move(lowers)));
        } else {
            auto rootfs = scratch / "rootfs";
            HOIST_TRY(make_directories(rootfs));
            HOIST_TRY(sandbox->apply(layout, manifest.layers, rootfs));
            spec = HOIST_TRY(sandbox->spec(scratch, {}, rootfs));
        }
        spec.args = std::move(args);
        spec.env = container.env;
        for (const auto& item : options.env) {
            auto key = item.substr(0, item.find('=') + 1);
            std::erase_if(spec.env, [&](const std::string& existing) { return existing.starts_with(key); });
            spec.env.push_back(item);
        }
        spec.user = options.user.value_or(container.user);
        spec.working_dir = options.working_dir.value_or(container.working_dir.empty() ? "/" : container.working_dir);
        spec.network = options.network;
        spec.interactive = true;
        return run::execute(spec);
    }();
    HOIST_TRY(run::remove_tree(scratch));
    return ran;
}

}  // namespace hoist::build
