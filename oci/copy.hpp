// Copying an image, or a whole index, from any ImageSource to any ImageSink.
#pragma once

#include <cstdint>

#include "oci/image_source.hpp"

namespace hoist::oci {

// Told what happens to each blob; called from the copying threads at once, so it must be
// thread-safe.
class CopyObserver {
public:
    enum class Outcome { present, mounted, copied };
    virtual ~CopyObserver() = default;
    virtual void blob_started(const Descriptor& /*blob*/) {}
    // `bytes` so far, read from the source.
    virtual void blob_progress(const Descriptor& /*blob*/, std::uint64_t /*bytes*/) {}
    virtual void blob_finished(const Descriptor& /*blob*/, Outcome /*outcome*/) {}
    virtual void manifest_written(const Descriptor& /*manifest*/) {}
};

struct CopyOptions {
    unsigned jobs = 8;  // blobs copied at once
    CopyObserver* observer = nullptr;
};

// Copies `root` (a manifest or an index) and everything it reaches. Blobs are copied `jobs` at a
// time, each skipped when the sink has it and mounted when the sink can take it from the source
// without the bytes; every manifest is written after all its blobs, every index after all its
// manifests, so the sink never holds a manifest whose blobs are missing. Every blob is verified
// against its digest on the way. The first error stops the copy (blobs already copied stay). A
// `subject` is not copied.
Result<void> copy_image(ImageSource& source, const Descriptor& root, ImageSink& sink, const CopyOptions& options = {});

}  // namespace hoist::oci
