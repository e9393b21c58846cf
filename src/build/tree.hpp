// The file trees COPY and ADD read from and write over, without a root filesystem on disk: the
// build context (a directory, with .dockerignore applied), and an image's filesystem as its
// layers make it (read from the layers' tar headers; a file's content is taken from its layer
// only when a copy needs it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "oci/image_source.hpp"
#include "oci/layer_writer.hpp"
#include "src/build/paths.hpp"
#include "src/dockerfile/dockerignore.hpp"

namespace hoist::build {

// Paths in a tree are relative, clean and slash-separated: "usr/bin/env"; "" is the root.
class Tree {
public:
    virtual ~Tree() = default;
    // What is at `path`, parent symlinks followed inside the tree (an absolute target or ".."
    // never leaves it), the last component not followed. The entry's `path` is where it was
    // found after following; a regular file's content is not loaded. nullopt when nothing is
    // there (or it is excluded from the context).
    virtual Result<std::optional<oci::LayerEntry>> lstat(std::string_view path) = 0;
    // The names in the directory at `path` (symlinks in it followed as by lstat), sorted
    // byte-wise; what the context excludes is left out.
    virtual Result<std::vector<std::string>> list(std::string_view path) = 0;
    // Makes the regular files of `entries` readable by write_layer: `sources[i]` is the tree
    // path that `entries[i]` (a regular file) is a copy of; on return each such entry's `source`
    // names a file on disk holding that content (the context's own file, or one extracted from
    // its layer into scratch space that lives as long as the tree).
    virtual Result<void> materialize(std::vector<oci::LayerEntry>& entries,
                                     const std::vector<std::string>& sources) = 0;
};

// A build context: a directory, minus what its .dockerignore (or `<Dockerfile>.dockerignore`)
// excludes.
class ContextTree final : public Tree {
public:
    // Errc::not_found when `dir` is not a directory.
    static Result<std::unique_ptr<ContextTree>> open(const std::filesystem::path& dir,
                                                     dockerfile::Dockerignore ignore);
    const std::filesystem::path& dir() const { return m_dir; }

    Result<std::optional<oci::LayerEntry>> lstat(std::string_view path) override;
    Result<std::vector<std::string>> list(std::string_view path) override;
    Result<void> materialize(std::vector<oci::LayerEntry>& entries, const std::vector<std::string>& sources) override;

private:
    ContextTree(std::filesystem::path dir, dockerfile::Dockerignore ignore)
        : m_dir(std::move(dir)), m_ignore(std::move(ignore)) {}

    // What is on disk at a clean, symlink-free path, what the context excludes taken as missing.
    Result<PathLookup> look(const std::string& path);
    // Whether the entry at `path` is part of the context: not excluded, or an excluded
    // directory with something included under it.
    Result<bool> visible(const std::string& path, bool directory);
    Result<bool> includes_under(const std::string& directory);

    std::filesystem::path m_dir;
    dockerfile::Dockerignore m_ignore;
    std::map<std::string, bool> m_includes_under;  // excluded directories already walked
    // Directories list() has resolved: their children are stat'ed without resolving the path
    // again from the root, which a copy of a large directory would do for every file.
    std::set<std::string> m_listed;
};

// An image's filesystem from its layers' tar headers: whiteouts and opaque directories
// applied, hardlinks kept as hardlinks. Adding a layer's entries (a build step's) updates it in
// place, so a stage's tree follows the stage as it is built.
class ImageTree final : public Tree {
public:
    // Reads the headers of `layers` (bottom first) from `source`; contents are read again from
    // `source` by materialize(). The tree keeps its extracted files in a directory of its own
    // made under `scratch`, removed with the tree. An empty list of layers is FROM scratch.
    // Errc::unsafe for a layer entry with a ".." component (as apply_layer refuses it).
    static Result<std::unique_ptr<ImageTree>> open(std::shared_ptr<oci::ImageSource> source,
                                                   std::vector<oci::Descriptor> layers,
                                                   const std::filesystem::path& scratch);
    // Applies a layer this build wrote (the entries write_layer was given; `source`/`content`
    // kept for materialize) on top. Entries write_layer would refuse ("..") are skipped.
    void add_layer(const std::vector<oci::LayerEntry>& entries);
    // A new name in the tree's scratch space (nothing is there yet), for files a step makes
    // (ADD's downloads and extracted archives) that must live until its layer is written.
    std::filesystem::path scratch_path();
    // The content of the regular file at `path` (following symlinks, as /etc/passwd may be
    // one); nullopt when there is none. Refuses one over `limit` bytes.
    Result<std::optional<std::string>> read_file(std::string_view path, std::uint64_t limit = 16u << 20);

    Result<std::optional<oci::LayerEntry>> lstat(std::string_view path) override;
    Result<std::vector<std::string>> list(std::string_view path) override;
    Result<void> materialize(std::vector<oci::LayerEntry>& entries, const std::vector<std::string>& sources) override;

    ~ImageTree() override;

private:
    struct Impl;
    explicit ImageTree(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

// A user and group as a numeric owner.
struct Owner {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
};

// `spec` ("user", "user:group", "1000", "1000:1000", "user:1000") resolved through the tree's
// /etc/passwd and /etc/group, as Docker resolves `--chown` and `USER` for WORKDIR: a numeric
// part is taken as is; a named user without a group takes its primary group from /etc/passwd,
// a numeric one its own number (BuildKit's rule); an empty user is root. Errc::not_found:
// `unable to find user NAME: no matching entries in passwd file` / `unable to find group NAME:
// no matching entries in group file` (Docker's words).
Result<Owner> resolve_owner(ImageTree& tree, std::string_view spec);

}  // namespace hoist::build
