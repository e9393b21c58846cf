// libFuzzer target: image references ("docker.io/library/alpine:3@sha256:..."). A reference that
// parses prints as text that parses back to the same reference, in both its full and its
// familiar form. Errors are fine; crashes, sanitizer reports and round trips that differ are not.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "oci/reference.hpp"

using hoist::oci::Reference;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)Reference::parse_repository(text);
    auto reference = Reference::parse(text);
    if (!reference) {
        return 0;
    }
    for (const auto& printed : {reference->to_string(), reference->familiar()}) {
        auto again = Reference::parse(printed);
        if (!again || again->to_string() != reference->to_string()) {
            std::abort();
        }
    }
    return 0;
}
