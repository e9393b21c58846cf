// The two small interfaces every image backend implements: the local store, OCI layouts and
// registries. copy_image (copy.hpp) is written once against them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "oci/descriptor.hpp"
#include "oci/stream.hpp"

namespace hoist::oci {

class ImageSource {
public:
    virtual ~ImageSource() = default;
    // The descriptor (manifest or index) that `name` points at; with no name, the one image the
    // source holds (Errc::invalid_argument when it holds several).
    virtual Result<Descriptor> resolve(const std::optional<std::string>& name) = 0;
    // A whole blob, verified against the descriptor; Errc::invalid_argument when larger than `limit`.
    virtual Result<std::string> read_blob(const Descriptor& blob, std::uint64_t limit = 16u << 20) = 0;
    // A blob as a stream; its digest is verified when the stream reaches its end.
    virtual Result<std::unique_ptr<Reader>> open_blob(const Descriptor& blob) = 0;
    // The same stream without the digest check, for a sink that checks every blob itself (a
    // registry refuses a PUT whose content does not match its digest): hashing twice on one
    // machine takes CPU from the transfer. By default, open_blob().
    virtual Result<std::unique_ptr<Reader>> open_blob_unchecked(const Descriptor& blob) { return open_blob(blob); }
};

// Opens a blob's content from its start; a sink may call it again to resume a transfer that
// failed midway.
using BlobOpener = std::function<Result<std::unique_ptr<Reader>>()>;

class ImageSink {
public:
    virtual ~ImageSink() = default;
    virtual Result<bool> has_blob(const Descriptor& blob) = 0;
    // True when put_blob refuses, and keeps nothing of, content that does not match the digest,
    // whatever the source: then the source need not check it too.
    virtual bool checks_digests() const { return false; }
    // Makes the sink hold the blob without copying its bytes, where it can take it straight from
    // `from` (a registry mounting from another repository of its own); false when it cannot.
    virtual Result<bool> mount_blob(const Descriptor& /*blob*/, ImageSource& /*from*/) { return false; }
    // Stores the blob read from what `open` opens, refusing it (and keeping nothing) unless it
    // matches the descriptor's digest and size.
    virtual Result<void> put_blob(const Descriptor& blob, const BlobOpener& open) = 0;
    // Stores a manifest or index after its blobs.
    virtual Result<void> put_manifest(const Descriptor& manifest, std::string_view bytes) = 0;
    // Points `name` at a manifest or index already put.
    virtual Result<void> tag(const Descriptor& manifest, const std::string& name) = 0;
};

}  // namespace hoist::oci
