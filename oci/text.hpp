// Small text helpers shared by the parsers of protocol and file formats.
#pragma once

#include <cstdint>
#include <ctime>
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

// `seconds` since the epoch as an RFC 3339 UTC time, as image configs write it:
// "2023-11-14T22:13:20Z".
inline std::string rfc3339(std::int64_t seconds) {
    std::time_t time = seconds;
    std::tm tm{};
    ::gmtime_r(&time, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

}  // namespace hoist
