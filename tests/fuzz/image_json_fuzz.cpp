// libFuzzer target: the JSON documents of an image, as a registry or a layout hands them over.
// The first byte picks the parser (manifest, index, image config); the rest is the document. What
// parses is written back by to_json(), which must parse again to a document that writes the same
// text. Errors are fine; crashes, sanitizer reports and unstable round trips are not.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "oci/image_config.hpp"
#include "oci/index.hpp"
#include "oci/manifest.hpp"

namespace {

template <class Document>
void round_trip(std::string_view bytes) {
    auto document = Document::parse(bytes);
    if (!document) {
        return;
    }
    auto text = document->to_json();
    auto again = Document::parse(text);
    if (!again || again->to_json() != text) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 3) {
        case 0: round_trip<hoist::oci::Manifest>(bytes); break;
        case 1: round_trip<hoist::oci::Index>(bytes); break;
        default: round_trip<hoist::oci::ImageConfig>(bytes); break;
    }
    return 0;
}
