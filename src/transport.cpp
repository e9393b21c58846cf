#include "src/transport.hpp"

#include <fcntl.h>

#include <functional>
#include <memory>

#include "oci/copy.hpp"
#include "oci/docker_archive.hpp"
#include "oci/image_config.hpp"
#include "oci/manifest.hpp"
#include "oci/media_type.hpp"
#include "oci/tar.hpp"
#include "registry/upload.hpp"

namespace hoist {
namespace fs = std::filesystem;
using oci::Descriptor;
using oci::Reference;

namespace {

constexpr std::string_view k_containerd_name_annotation = "io.containerd.image.name";

struct Prefix {
    std::string_view text;
    Location::Kind kind;
};
constexpr Prefix k_prefixes[] = {
    {"local:", Location::Kind::local},
    {"oci:", Location::Kind::oci},
    {"oci-archive:", Location::Kind::oci_archive},
    {"docker-archive:", Location::Kind::docker_archive},
    {"docker://", Location::Kind::docker},
};

// The image name an index.json entry carries, where it is a full reference: containerd's
// annotation, else a ref.name that is more than a bare tag.
std::optional<Reference> entry_name(const Descriptor& entry) {
    for (auto key : {k_containerd_name_annotation, oci::k_ref_name_annotation}) {
        auto it = entry.annotations.find(std::string(key));
        if (it == entry.annotations.end() || it->second.find_first_of("/:") == std::string::npos) {
            continue;
        }
        if (auto reference = Reference::parse(it->second)) {
            return *reference;
        }
    }
    return std::nullopt;
}

// An image opened for reading, with whatever it took to open it.
struct OpenSource {
    std::optional<TempDir> temp;
    std::unique_ptr<oci::OciLayout> layout;
    std::optional<oci::Store> store;
    std::unique_ptr<registry::Repository> repository;
    oci::ImageSource* source = nullptr;
    std::optional<Descriptor> root;
    std::optional<Reference> name;  // the image's own name, where the source knows it
};

Result<void> open_layout_image(OpenSource& open, const fs::path& dir, const std::optional<std::string>& name) {
    open.layout = HOIST_TRY(oci::OciLayout::open(dir));
    open.source = open.layout.get();
    open.root = HOIST_TRY(open.layout->resolve(name));
    open.name = entry_name(*open.root);
    return {};
}

Result<OpenSource> open_source(const Location& from, Session& session) {
    const auto& store_root = session.store_root();
    OpenSource open;
    switch (from.kind) {
        case Location::Kind::local: {
            if (!from.name) {
                return fail(Errc::invalid_argument, "local: needs an image name");
            }
            open.store = HOIST_TRY(oci::Store::open(store_root));
            auto image = HOIST_TRY(open.store->find(*from.name));
            open.source = &open.store->layout();
            open.root = image.target;
            open.name = image.name;
            return open;
        }
        case Location::Kind::oci:
            HOIST_TRY(open_layout_image(open, from.path, from.name));
            return open;
        case Location::Kind::oci_archive:
            open.temp.emplace(HOIST_TRY(TempDir::create(temp_directory())));
            HOIST_TRY(oci::extract_tree(from.path, open.temp->path()));
            HOIST_TRY(open_layout_image(open, open.temp->path(), from.name));
            return open;
        case Location::Kind::docker_archive: {
            open.temp.emplace(HOIST_TRY(TempDir::create(temp_directory())));
            fs::path tree = open.temp->path() / "tree";
            HOIST_TRY(make_directories(tree));
            auto links = HOIST_TRY(oci::extract_tree(from.path, tree));
            open.layout = HOIST_TRY(oci::OciLayout::open(open.temp->path() / "layout", oci::OciLayout::Mode::create));
            open.source = open.layout.get();
            auto images = HOIST_TRY(oci::import_docker_archive(tree, links, *open.layout));
            std::optional<Reference> wanted;
            if (from.name) {
                wanted = HOIST_TRY(Reference::parse(*from.name));
            } else if (images.size() != 1) {
                return fail(Errc::invalid_argument,
                            "the archive holds " + std::to_string(images.size()) + " images; name the one to use");
            }
            for (const auto& image : images) {
                for (const auto& tag : image.repo_tags) {
                    auto reference = Reference::parse(tag);
                    if (reference && (!wanted || *reference == *wanted)) {
                        open.name = *reference;
                        open.root = image.manifest;
                    }
                }
                if (!wanted) {
                    open.root = image.manifest;
                }
            }
            if (!open.root) {
                return fail(Errc::not_found, "no image named " + *from.name + " in the archive");
            }
            return open;
        }
        case Location::Kind::docker: {
            auto reference = HOIST_TRY(Reference::parse(*from.name));
            open.repository = session.repository(reference);
            open.source = open.repository.get();
            auto wanted = reference.digest() ? reference.digest()->to_string() : reference.tag().value_or("latest");
            open.root = HOIST_TRY(open.repository->resolve(wanted));
            open.name = reference;
            return open;
        }
    }
    return fail(Errc::unsupported, "unknown transport");
}

}  // namespace

Result<Descriptor> platform_manifest(oci::ImageSource& source, const Descriptor& root, const oci::Platform& wanted) {
    if (!oci::media_type::is_index(root.media_type)) {
        return root;
    }
    auto index = HOIST_TRY(oci::Index::parse(HOIST_TRY(source.read_blob(root))));
    for (const auto& child : index.manifests) {
        if (oci::media_type::is_manifest(child.media_type) && child.platform && child.platform->matches(wanted)) {
            return child;
        }
    }
    return fail(Errc::not_found, "index " + root.digest.to_string() + " has no image for " + wanted.to_string());
}

Session::Session(fs::path store_root, registry::RegistryOptions registry_options,
                 registry::TransportOptions transport_options)
    : m_store_root(std::move(store_root)),
      m_registry_options(std::move(registry_options)),
      m_transport_options(std::move(transport_options)) {}

registry::Transport& Session::transport() {
    if (!m_transport) {
        m_transport = std::make_unique<registry::Transport>(m_transport_options);
    }
    return *m_transport;
}

std::shared_ptr<registry::Registry> Session::registry(const std::string& domain) {
    auto& registry = m_registries[domain];
    if (!registry) {
        registry = std::make_shared<registry::Registry>(transport(), domain, m_registry_options);
    }
    return registry;
}

std::unique_ptr<registry::Repository> Session::repository(const Reference& reference) {
    return std::make_unique<registry::Repository>(registry(reference.domain()), reference.path());
}

Result<Location> Location::parse(std::string_view text) {
    for (const auto& prefix : k_prefixes) {
        if (!text.starts_with(prefix.text)) {
            continue;
        }
        std::string_view rest = text.substr(prefix.text.size());
        Location location{.kind = prefix.kind};
        if (prefix.kind == Kind::local || prefix.kind == Kind::docker) {
            location.name = std::string(rest);
        } else {
            auto colon = rest.find(':');
            location.path = std::string(rest.substr(0, colon));
            if (colon != std::string_view::npos) {
                location.name = std::string(rest.substr(colon + 1));
            }
        }
        if ((location.kind == Kind::local || location.kind == Kind::docker) && location.name->empty()) {
            return fail(Errc::invalid_argument, "\"" + std::string(text) + "\": missing image name");
        }
        if (location.name && location.name->empty()) {
            return fail(Errc::invalid_argument, "\"" + std::string(text) + "\": empty image name after ':'");
        }
        if (location.path.empty() && location.kind != Kind::local && location.kind != Kind::docker) {
            return fail(Errc::invalid_argument, "\"" + std::string(text) + "\": missing path");
        }
        return location;
    }
    if (!Reference::parse(text)) {
        return fail(Errc::invalid_argument, "\"" + std::string(text) +
                                                "\": neither an image reference nor local:, oci:, oci-archive:, "
                                                "docker-archive: or docker://");
    }
    return Location{.kind = Kind::docker, .path = {}, .name = std::string(text)};
}

std::string Location::to_string() const {
    for (const auto& prefix : k_prefixes) {
        if (prefix.kind == kind) {
            std::string text(prefix.text);
            text += path;
            if (name) {
                text += path.empty() ? *name : ":" + *name;
            }
            return text;
        }
    }
    return path;
}

Result<CopiedImage> copy(const Location& from, const Location& to, Session& session,
                         const std::optional<oci::Platform>& platform) {
    const auto& store_root = session.store_root();
    const auto& options = session.copy_options;
    auto open = HOIST_TRY(open_source(from, session));
    Descriptor root = *open.root;
    if (platform) {
        root = HOIST_TRY(platform_manifest(*open.source, root, *platform));
    }
    // The name at the destination: the one asked for, else the source's own.
    std::optional<std::string> name = to.name;
    if (!name && open.name) {
        name = to.kind == Location::Kind::docker_archive ? open.name->familiar() : open.name->to_string();
    }
    switch (to.kind) {
        case Location::Kind::local: {
            auto store = HOIST_TRY(oci::Store::open(store_root));
            HOIST_TRY(oci::copy_image(*open.source, root, store.layout(), options));
            if (name) {
                auto reference = HOIST_TRY(Reference::parse(*name));
                HOIST_TRY(store.tag(root, reference));
                name = reference.to_string();
            } else {
                HOIST_TRY(store.layout().add_entry(root, std::nullopt));
            }
            return CopiedImage{root, name};
        }
        case Location::Kind::oci: {
            auto layout = HOIST_TRY(oci::OciLayout::open(to.path, oci::OciLayout::Mode::create));
            HOIST_TRY(oci::copy_image(*open.source, root, *layout, options));
            HOIST_TRY(layout->add_entry(root, name));
            return CopiedImage{root, name};
        }
        case Location::Kind::oci_archive: {
            auto temp = HOIST_TRY(TempDir::create(temp_directory()));
            auto layout = HOIST_TRY(oci::OciLayout::open(temp.path(), oci::OciLayout::Mode::create));
            HOIST_TRY(oci::copy_image(*open.source, root, *layout, options));
            HOIST_TRY(layout->add_entry(root, name));
            HOIST_TRY(oci::write_tree(temp.path(), to.path));
            return CopiedImage{root, name};
        }
        case Location::Kind::docker_archive: {
            root = HOIST_TRY(platform_manifest(*open.source, root, oci::Platform::host()));
            auto temp = HOIST_TRY(TempDir::create(temp_directory()));
            auto layout = HOIST_TRY(oci::OciLayout::open(temp.path(), oci::OciLayout::Mode::create));
            HOIST_TRY(oci::copy_image(*open.source, root, *layout, options));
            std::vector<std::string> tags;
            if (name) {
                tags.push_back(HOIST_TRY(Reference::parse(*name)).familiar());
            }
            HOIST_TRY(oci::export_docker_archive(*layout, {{root, tags}}, to.path));
            return CopiedImage{root, name};
        }
        case Location::Kind::docker: {
            auto reference = HOIST_TRY(Reference::parse(name ? *name : *to.name));
            auto repository = session.repository(reference);
            HOIST_TRY(oci::copy_image(*open.source, root, *repository, options));
            if (reference.digest() && *reference.digest() != root.digest) {
                return fail(Errc::digest_mismatch,
                            "the image is " + root.digest.to_string() + ", not " + reference.digest()->to_string());
            }
            if (!reference.digest()) {
                HOIST_TRY(repository->tag(root, reference.tag().value_or("latest")));
            }
            return CopiedImage{root, reference.to_string()};
        }
    }
    return fail(Errc::unsupported, "unknown transport");
}

Result<std::vector<CopiedImage>> load(const fs::path& file, oci::Store& store) {
    auto temp = HOIST_TRY(TempDir::create(temp_directory()));
    auto links = HOIST_TRY(oci::extract_tree(file, temp.path()));
    std::vector<CopiedImage> loaded;
    if (oci::is_docker_archive(temp.path())) {
        for (const auto& image : HOIST_TRY(oci::import_docker_archive(temp.path(), links, store.layout()))) {
            for (const auto& tag : image.repo_tags) {
                auto reference = HOIST_TRY(Reference::parse(tag));
                HOIST_TRY(store.tag(image.manifest, reference));
                loaded.push_back({image.manifest, reference.to_string()});
            }
            if (image.repo_tags.empty()) {
                HOIST_TRY(store.layout().add_entry(image.manifest, std::nullopt));
                loaded.push_back({image.manifest, std::nullopt});
            }
        }
        return loaded;
    }
    auto layout = HOIST_TRY(
        in_context(oci::OciLayout::open(temp.path()), file.string() + ": neither a docker-archive nor an oci-archive"));
    for (const auto& entry : HOIST_TRY(layout->read_index()).manifests) {
        HOIST_TRY(oci::copy_image(*layout, entry, store.layout()));
        auto name = entry_name(entry);
        if (name) {
            HOIST_TRY(store.tag(entry, *name));
        } else {
            HOIST_TRY(store.layout().add_entry(entry, std::nullopt));
        }
        loaded.push_back({entry, name ? std::optional(name->to_string()) : std::nullopt});
    }
    return loaded;
}

Result<void> unpack(const Location& location, const fs::path& dir, const oci::ApplyOptions& options, Session& session) {
    auto open = HOIST_TRY(open_source(location, session));
    auto image = HOIST_TRY(platform_manifest(*open.source, *open.root, oci::Platform::host()));
    auto manifest = HOIST_TRY(oci::Manifest::parse(HOIST_TRY(open.source->read_blob(image))));
    HOIST_TRY(make_directories(dir));
    for (const auto& layer : manifest.layers) {
        auto content = HOIST_TRY(open.source->open_blob(layer));
        HOIST_TRY(in_context(oci::apply_layer(dir, *content, layer, options), "layer " + layer.digest.to_string()));
    }
    return {};
}

Result<std::string> inspect(const Location& location, InspectView view, Session& session) {
    auto open = HOIST_TRY(open_source(location, session));
    if (view == InspectView::raw_manifest) {
        return open.source->read_blob(*open.root);
    }
    auto image = HOIST_TRY(platform_manifest(*open.source, *open.root, oci::Platform::host()));
    auto manifest = HOIST_TRY(oci::Manifest::parse(HOIST_TRY(open.source->read_blob(image))));
    auto config_bytes = HOIST_TRY(open.source->read_blob(manifest.config));
    if (view == InspectView::config) {
        return config_bytes;
    }
    auto config = HOIST_TRY(oci::ImageConfig::parse(config_bytes));
    oci::json::Json summary = {
        {"Name", open.name ? open.name->repository() : ""},
        {"Digest", open.root->digest.to_string()},
        {"RepoTags", oci::json::Json::array()},
        {"Created", config.created.value_or("")},
        {"Labels", config.config.labels},
        {"Architecture", config.platform.architecture},
        {"Os", config.platform.os},
        {"Env", config.config.env},
    };
    if (!config.platform.variant.empty()) {
        summary["Variant"] = config.platform.variant;
    }
    if (open.name && open.name->tag()) {
        summary["RepoTags"].push_back(*open.name->tag());
    }
    summary["Layers"] = oci::json::Json::array();
    summary["LayersData"] = oci::json::Json::array();
    for (const auto& layer : manifest.layers) {
        summary["Layers"].push_back(layer.digest.to_string());
        summary["LayersData"].push_back(
            {{"MIMEType", layer.media_type}, {"Digest", layer.digest.to_string()}, {"Size", layer.size}});
    }
    return summary.dump(4);
}

Result<oci::Digest> digest(const Location& location, Session& session) {
    auto open = HOIST_TRY(open_source(location, session));
    return open.root->digest;
}

Result<std::vector<std::string>> list_tags(std::string_view repository, Session& session) {
    auto reference = HOIST_TRY(Reference::parse_repository(repository));
    return session.repository(reference)->list_tags();
}

Result<Descriptor> delete_image(std::string_view text, Session& session) {
    auto reference = HOIST_TRY(Reference::parse(text));
    auto wanted = reference.digest() ? reference.digest()->to_string() : reference.tag().value_or("latest");
    return session.repository(reference)->delete_manifest(wanted);
}

Result<Descriptor> tag_remote(std::string_view source, std::string_view tag, Session& session) {
    auto from = HOIST_TRY(Reference::parse(source));
    auto to = Reference::valid_tag(tag) ? from.with_tag(std::string(tag)) : HOIST_TRY(Reference::parse(tag));
    if (to.repository() != from.repository() || !to.tag()) {
        return fail(Errc::invalid_argument, "\"" + std::string(tag) + "\": not a tag of " + from.repository() +
                                                " (copy the image to another repository instead)");
    }
    auto repository = session.repository(from);
    auto wanted = from.digest() ? from.digest()->to_string() : from.tag().value_or("latest");
    auto [manifest, bytes] = HOIST_TRY(repository->get_manifest(wanted));
    HOIST_TRY(repository->put_manifest(manifest, bytes));
    HOIST_TRY(repository->tag(manifest, *to.tag()));
    return manifest;
}

Result<Descriptor> upload_file(const fs::path& path, std::string_view repository, bool stream, Session& session) {
    auto reference = HOIST_TRY(Reference::parse_repository(repository));
    auto target = session.repository(reference);
    auto open = [&]() -> Result<std::unique_ptr<oci::Reader>> {
        return std::make_unique<oci::FileReader>(HOIST_TRY(open_file(path, O_RDONLY)), path.string());
    };
    if (stream) {
        auto content = HOIST_TRY(open());
        return registry::upload_stream(*target, *content);
    }
    // The digest first, as a blob of known digest has it.
    auto content = HOIST_TRY(open());
    oci::Hasher hasher;
    std::int64_t size = 0;
    std::vector<char> buffer(1u << 20);
    while (auto n = HOIST_TRY(content->read(buffer))) {
        hasher.update(buffer.data(), n);
        size += static_cast<std::int64_t>(n);
    }
    Descriptor blob{.media_type = std::string(oci::media_type::oci_layer), .digest = hasher.finish(), .size = size};
    HOIST_TRY(target->put_blob(blob, open));
    return blob;
}

Result<void> login(std::string_view server, const registry::Credential& credential, const fs::path& file,
                   Session& session) {
    auto domain = registry::registry_key(server);
    auto options = session.registry_options();
    options.credentials.explicit_credential = credential;
    registry::Registry registry(session.transport(), domain, options);
    HOIST_TRY(registry.check_login());
    return registry::store_credential(file, domain, credential, options.credentials.path);
}

}  // namespace hoist
