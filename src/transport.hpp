// The places images are read from and written to, as the command line names them, and the
// operations across them: copy, load, inspect. Every transport opens as an ImageSource or an
// ImageSink, so copy is one function for all pairs.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/copy.hpp"
#include "oci/layer_applier.hpp"
#include "oci/platform.hpp"
#include "oci/reference.hpp"
#include "oci/store.hpp"
#include "registry/client.hpp"

namespace hoist {

struct Location {
    enum class Kind { local, oci, oci_archive, docker_archive, docker };
    Kind kind = Kind::local;
    std::string path;                 // the directory or file; empty for local and docker
    std::optional<std::string> name;  // the image within it (for docker, the reference)

    // "local:NAME", "oci:DIR[:NAME]", "oci-archive:FILE[:NAME]", "docker-archive:FILE[:REF]",
    // "docker://REF"; a bare reference means docker://. DIR and FILE end at the first ':'.
    static Result<Location> parse(std::string_view text);
    std::string to_string() const;
};

// What operations across transports share: the store, how registries are reached (opened on
// first use, so that local work never touches the network), and how copies run and report.
class Session {
public:
    Session(std::filesystem::path store_root, registry::RegistryOptions registry_options = {},
            registry::TransportOptions transport_options = {});

    const std::filesystem::path& store_root() const { return m_store_root; }
    const registry::RegistryOptions& registry_options() const { return m_registry_options; }
    // The HTTP transport, made on first use.
    registry::Transport& transport();
    // The registry that serves `domain` ("docker.io", "127.0.0.1:5000"), shared once opened.
    std::shared_ptr<registry::Registry> registry(const std::string& domain);
    // The repository a reference names.
    std::unique_ptr<registry::Repository> repository(const oci::Reference& reference);

    oci::CopyOptions copy_options;  // blobs at once, progress

private:
    std::filesystem::path m_store_root;
    registry::RegistryOptions m_registry_options;
    registry::TransportOptions m_transport_options;
    std::unique_ptr<registry::Transport> m_transport;
    std::map<std::string, std::shared_ptr<registry::Registry>> m_registries;
};

struct CopiedImage {
    oci::Descriptor manifest;         // what was written
    std::optional<std::string> name;  // the name it was written under
};

// Copies the image at `from`, with everything it references, to `to`: a whole index, or with
// `platform` only that platform's image. Without a name at `to`, the image keeps the name it had
// where that is known.
Result<CopiedImage> copy(const Location& from, const Location& to, Session& session,
                         const std::optional<oci::Platform>& platform = std::nullopt);

// The image manifest for `wanted` when `root` is an index; `root` itself otherwise.
// Errc::not_found when the index has none for that platform.
Result<oci::Descriptor> platform_manifest(oci::ImageSource& source, const oci::Descriptor& root,
                                          const oci::Platform& wanted);

// Loads every image of an oci-archive or docker-archive (told apart by their contents) into the
// store, under the names the archive gives them.
Result<std::vector<CopiedImage>> load(const std::filesystem::path& file, oci::Store& store);

// Unpacks the image at `location` (for an index, the host platform's) into the directory `dir`,
// which is created, applying its layers in order.
Result<void> unpack(const Location& location, const std::filesystem::path& dir, const oci::ApplyOptions& options,
                    Session& session);

enum class InspectView { summary, raw_manifest, config };
// What `hoist inspect` prints: a JSON summary as skopeo prints it, the manifest as stored, or
// the image config. For an index, the summary and config are of the host platform's image.
Result<std::string> inspect(const Location& location, InspectView view, Session& session);

// The digest of the manifest (or index) at `location`.
Result<oci::Digest> digest(const Location& location, Session& session);

// The tags of a repository ("127.0.0.1:5000/app") on its registry.
Result<std::vector<std::string>> list_tags(std::string_view repository, Session& session);

// Deletes the manifest a registry reference names (by digest; a tag is resolved first).
Result<oci::Descriptor> delete_image(std::string_view reference, Session& session);

// Points `tag` (a tag, or a reference in the same repository) at the manifest `source` names, on
// the registry, by PUTting the manifest again: no blob moves.
Result<oci::Descriptor> tag_remote(std::string_view source, std::string_view tag, Session& session);

// Uploads the file at `path` as a blob to `repository` ("127.0.0.1:5000/app"): as a blob of known
// digest, or with `stream` as one produced on the fly (chunked, digest computed on the way).
// For tests and benchmarks of the uploader.
Result<oci::Descriptor> upload_file(const std::filesystem::path& path, std::string_view repository, bool stream,
                                    Session& session);

// Checks `credential` against the registry's /v2/ and stores it in `file` (0600).
Result<void> login(std::string_view server, const registry::Credential& credential, const std::filesystem::path& file,
                   Session& session);

}  // namespace hoist
