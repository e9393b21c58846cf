// Helpers that several unit tests share.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "oci/stream.hpp"

namespace hoist::test {

// `object` with `key` set to `value`, or removed: for tables of malformed documents.
inline nlohmann::json with(nlohmann::json object, const std::string& key, nlohmann::json value) {
    object[key] = std::move(value);
    return object;
}

inline nlohmann::json without(nlohmann::json object, const std::string& key) {
    object.erase(key);
    return object;
}

// A Writer that keeps everything in memory.
class StringWriter final : public oci::Writer {
public:
    Result<void> write(std::string_view bytes) override {
        text.append(bytes);
        return {};
    }
    std::string text;
};

}  // namespace hoist::test
