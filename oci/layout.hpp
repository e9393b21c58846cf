// An OCI image layout on disk (image-spec image-layout.md): `oci-layout`, `index.json` and
// `blobs/<alg>/<hex>`. Several processes may use one layout at once:
// - blobs are written to a temporary file, fsynced and renamed into place, after their digest
//   and size are checked, so a blob path only ever holds complete, verified content;
// - index.json is edited under an exclusive flock on the layout directory and replaced atomically;
// - every open OciLayout holds a shared flock on blobs/ for its lifetime; gc() needs it
//   exclusively, so it never deletes a blob another process has written but not yet indexed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/file.hpp"
#include "oci/image_source.hpp"
#include "oci/index.hpp"

namespace hoist::oci {

// Receives a blob as a stream and commits it under its digest.
class BlobWriter final : public Writer {
public:
    Result<void> write(std::string_view bytes) override;
    // Checks the content against `expected` (digest and size, when given), then renames it into
    // place. On any failure nothing is stored.
    Result<Descriptor> commit(std::string_view media_type, const std::optional<Descriptor>& expected = std::nullopt);
    BlobWriter(BlobWriter&&) noexcept = default;
    BlobWriter& operator=(BlobWriter&&) = delete;
    ~BlobWriter();

private:
    friend class OciLayout;
    BlobWriter(std::filesystem::path layout, std::filesystem::path temp, Fd fd, DigestAlgorithm algorithm)
        : m_layout(std::move(layout)), m_temp(std::move(temp)), m_fd(std::move(fd)), m_hasher(algorithm) {}

    std::filesystem::path m_layout;
    std::filesystem::path m_temp;  // empty once committed
    Fd m_fd;
    Hasher m_hasher;
    std::int64_t m_size = 0;
};

struct GcResult {
    bool skipped = false;  // another process had the layout open
    std::size_t blobs_removed = 0;
    std::uint64_t bytes_removed = 0;
};

class OciLayout final : public ImageSource, public ImageSink {
public:
    enum class Mode { open_existing, create };
    // Opens the layout at `dir`; with Mode::create, makes it first when it does not exist.
    // Errc::not_found when there is no layout, Errc::invalid_argument when `oci-layout` or
    // index.json is malformed.
    static Result<std::unique_ptr<OciLayout>> open(const std::filesystem::path& dir, Mode mode = Mode::open_existing);

    const std::filesystem::path& dir() const { return m_dir; }
    std::filesystem::path blob_path(const Digest& digest) const;
    bool contains(const Digest& digest) const;

    // Writing blobs.
    Result<BlobWriter> blob_writer(DigestAlgorithm algorithm = DigestAlgorithm::sha256);
    Result<Descriptor> put_bytes(std::string_view media_type, std::string_view bytes);
    Result<Descriptor> put_file(std::string_view media_type, const std::filesystem::path& path);

    // index.json.
    Result<Index> read_index() const;
    // Reads, edits and atomically rewrites index.json under the layout's exclusive lock.
    Result<void> update_index(const std::function<Result<void>(Index&)>& edit);
    // Adds `manifest` to index.json under `name`, replacing what had that name; with no name, adds
    // it unnamed unless an entry for its digest is there already.
    Result<void> add_entry(const Descriptor& manifest, const std::optional<std::string>& name);
    // The top-level entry whose org.opencontainers.image.ref.name is `name`.
    Result<std::optional<Descriptor>> find(const std::string& name) const;
    // Removes the entries named `name`; Errc::not_found when there is none.
    Result<void> untag(const std::string& name);

    // Removes the blobs that neither an index.json entry nor one of `roots` reaches (through
    // indexes, manifests, configs and layers) and leftovers of interrupted writes.
    Result<GcResult> gc(const std::vector<Descriptor>& roots = {});

    // ImageSource
    Result<Descriptor> resolve(const std::optional<std::string>& name) override;
    Result<std::string> read_blob(const Descriptor& blob, std::uint64_t limit = 16u << 20) override;
    Result<std::unique_ptr<Reader>> open_blob(const Descriptor& blob) override;
    Result<std::unique_ptr<Reader>> open_blob_unchecked(const Descriptor& blob) override;
    // ImageSink
    Result<bool> has_blob(const Descriptor& blob) override;
    Result<void> put_blob(const Descriptor& blob, const BlobOpener& open) override;
    Result<void> put_manifest(const Descriptor& manifest, std::string_view bytes) override;
    Result<void> tag(const Descriptor& manifest, const std::string& name) override;

private:
    Result<Descriptor> write_stream(Reader& content, std::string_view media_type,
                                    const std::optional<Descriptor>& expected);

    OciLayout(std::filesystem::path dir, Fd dir_fd, Fd blobs_fd, FileLock session)
        : m_dir(std::move(dir)),
          m_dir_fd(std::move(dir_fd)),
          m_blobs_fd(std::move(blobs_fd)),
          m_session(std::move(session)) {}

    std::filesystem::path m_dir;
    Fd m_dir_fd;    // locked exclusively while index.json is edited
    Fd m_blobs_fd;  // locked shared for this object's lifetime, exclusively by gc
    FileLock m_session;
};

// Whether a file at the top of a layout is a temporary file of a write (".<what>.tmp-XXXXXX"):
// they live there so that no reader of blobs/ ever sees them, and gc() removes them.
bool is_leftover(const std::string& name);

// The descriptors a manifest or index refers to: its children, config and layers (and subject).
Result<std::vector<Descriptor>> children_of(const Descriptor& node, std::string_view bytes);

}  // namespace hoist::oci
