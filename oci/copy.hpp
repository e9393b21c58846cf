// Copying an image, or a whole index, from any ImageSource to any ImageSink.
#pragma once

#include "oci/image_source.hpp"

namespace hoist::oci {

// Copies `root` (a manifest or an index) and everything it reaches: children before parents,
// so the sink never holds a manifest whose blobs are missing; blobs the sink already has are
// skipped. Every blob is verified against its digest on the way. A `subject` is not copied.
Result<void> copy_image(ImageSource& source, const Descriptor& root, ImageSink& sink);

}  // namespace hoist::oci
