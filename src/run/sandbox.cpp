#include "src/run/sandbox.hpp"

#include <unistd.h>

#include <algorithm>

#include <fmt/core.h>

#include "oci/file.hpp"
#include "oci/layer_applier.hpp"

namespace hoist::run {

namespace fs = std::filesystem;

ScratchDir::~ScratchDir() {
    if (!m_path.empty()) {
        (void)remove_tree(m_path);
    }
}

Result<std::unique_ptr<Sandbox>> Sandbox::open(const fs::path& store_root, const SandboxOptions& options) {
    auto mapping = HOIST_TRY(IdMapping::current());
    if (::geteuid() != 0) {
        return fail(Errc::unsupported,
                    options.isolation == Isolation::chroot
                        ? "--isolation chroot needs root: without it, hoist runs commands in a user namespace"
                        : "running commands needs root or a user namespace, and this process has neither");
    }
    auto flavour = mapping.kind == IdMapping::Kind::host ? OverlayXattrs::trusted : OverlayXattrs::user;
    auto snapshots = HOIST_TRY(SnapshotStore::open(store_root / "snapshots" / mapping.key(), flavour,
                                                   mapping.kind == IdMapping::Kind::single));
    std::unique_ptr<Sandbox> sandbox(new Sandbox(options, std::move(mapping), std::move(snapshots)));
    if (options.snapshotter != Snapshotter::copy) {
        auto scratch = HOIST_TRY(sandbox->m_snapshots.scratch());
        auto works = overlay_works(scratch, flavour);
        HOIST_TRY(remove_tree(scratch));
        sandbox->m_overlay = HOIST_TRY(std::move(works));
        if (!sandbox->m_overlay && options.snapshotter == Snapshotter::overlay) {
            return fail(Errc::unsupported, "--snapshotter overlay: overlayfs cannot be mounted here");
        }
    }
    return sandbox;
}

Result<std::vector<fs::path>> Sandbox::lowers(oci::ImageSource& source, const std::vector<Descriptor>& layers,
                                              const std::vector<Digest>& diff_ids) {
    if (layers.size() != diff_ids.size()) {
        return fail(Errc::invalid_argument,
                    fmt::format("the image has {} layers but {} diff IDs", layers.size(), diff_ids.size()));
    }
    // overlayfs refuses a directory twice among its lowers; a layer repeated higher up redoes
    // all the lower copy did, so only the top-most copy is kept.
    std::vector<fs::path> dirs;
    for (std::size_t i = layers.size(); i-- > 0;) {
        const auto& layer = layers[i];
        auto dir = HOIST_TRY(m_snapshots.ensure(diff_ids[i], layer, [&] { return source.open_blob(layer); }));
        if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
            dirs.push_back(std::move(dir));
        }
    }
    return dirs;
}

Result<void> Sandbox::apply(oci::ImageSource& source, const std::vector<Descriptor>& layers, const fs::path& rootfs) {
    oci::ApplyOptions options{.rootless = m_mapping.kind == IdMapping::Kind::single};
    for (const auto& layer : layers) {
        auto content = HOIST_TRY(source.open_blob(layer));
        HOIST_TRY(in_context(oci::apply_layer(rootfs, *content, layer, options), "layer " + layer.digest.to_string()));
    }
    return {};
}

Result<RunSpec> Sandbox::spec(const fs::path& scratch, std::vector<fs::path> lowers, const fs::path& rootfs) {
    RunSpec spec{.flavour = m_snapshots.flavour(), .mount_point = scratch / "merged", .isolation = m_options.isolation};
    HOIST_TRY(make_directories(spec.mount_point));
    if (rootfs.empty()) {
        spec.lowers = std::move(lowers);
        spec.upper = scratch / "upper";
        spec.work = scratch / "work";
        HOIST_TRY(make_directories(spec.upper));
        HOIST_TRY(make_directories(spec.work));
    } else {
        spec.rootfs = rootfs;
    }
    // Copies, so that a command writing to them changes neither the host nor the image.
    for (auto [host, copy] : {std::pair{"/etc/hosts", &spec.hosts}, std::pair{"/etc/resolv.conf", &spec.resolv_conf}}) {
        auto text = read_file(host);
        if (text) {
            *copy = scratch / fs::path(host).filename();
            HOIST_TRY(write_file_atomic(*copy, *text));
        }
    }
    return spec;
}

}  // namespace hoist::run
