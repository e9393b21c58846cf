// libFuzzer target: WWW-Authenticate header values, as any registry (or anything pretending to be
// one) may send them. Every challenge parsed has a non-empty lower-case scheme and lower-case
// parameter names. Errors are fine; crashes, sanitizer reports and such breaches are not.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "registry/challenge.hpp"

namespace {

bool lower(std::string_view text) {
    for (char c : text) {
        if (std::isupper(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto challenges = hoist::registry::parse_challenges({reinterpret_cast<const char*>(data), size});
    if (!challenges) {
        return 0;
    }
    if (challenges->empty()) {
        std::abort();
    }
    for (const auto& challenge : *challenges) {
        if (challenge.scheme.empty() || !lower(challenge.scheme)) {
            std::abort();
        }
        for (const auto& [name, value] : challenge.params) {
            if (name.empty() || !lower(name)) {
                std::abort();
            }
        }
    }
    return 0;
}
