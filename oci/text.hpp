// Small text helpers shared by the parsers of protocol and file formats.
#pragma once

#include <string>
#include <string_view>

namespace hoist {

// `text` with A-Z lowered; other bytes, UTF-8 included, kept.
inline std::string ascii_lower(std::string_view text) {
    std::string result(text);
    for (char& c : result) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return result;
}

}  // namespace hoist
