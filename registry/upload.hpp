// The blob uploader: one blob into one repository, streamed with bounded memory.
//
// A blob of known digest and size is streamed from its source as POST + one PUT (the profile's
// chunk size permitting: otherwise PATCHes of that size, then the PUT with the last bytes, as ECR
// fails an empty final PUT). A blob being produced (a layer while it is compressed) goes up as
// POST, PATCHes of the chunk size with Content-Range, and a final PUT with the digest computed on
// the way; at most two chunks of it are held in memory. A request that fails midway is resumed
// from what the registry reports it holds (GET of the upload's status), trusting the client's own
// count where the registry reports less than it acknowledged (ECR's Range stops advancing): a
// known blob by reading its source again, a produced one from the chunk still in memory.
#pragma once

#include "oci/descriptor.hpp"
#include "oci/image_source.hpp"
#include "oci/stream.hpp"
#include "registry/client.hpp"

namespace hoist::registry {

// Uploads the blob `open` reads. The content must have the descriptor's digest and size, else
// Errc::digest_mismatch and the upload is cancelled: nothing is committed.
Result<void> upload_blob(Repository& repository, const oci::Descriptor& blob, const oci::BlobOpener& open);

// Uploads `content`, computing its digest on the way; returns its digest and size (media type
// left empty).
Result<oci::Descriptor> upload_stream(Repository& repository, oci::Reader& content);

}  // namespace hoist::registry
