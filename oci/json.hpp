// Strict reading of JSON documents: each accessor names the document and field that is wrong,
// e.g. `manifest: layers[1]: "size" must be a non-negative integer`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "oci/error.hpp"

namespace hoist::oci::json {

using Json = nlohmann::json;
using StringMap = std::map<std::string, std::string>;

// Parses `text` as one JSON object.
Result<Json> parse_object(std::string_view text, std::string_view what);

// Fields of `object`; `what` names the object in error messages. The optional_ forms return
// nullopt (or an empty container) when the key is absent or null.
Result<std::string> string_field(const Json& object, std::string_view key, std::string_view what);
Result<std::optional<std::string>> optional_string(const Json& object, std::string_view key, std::string_view what);
Result<std::int64_t> size_field(const Json& object, std::string_view key, std::string_view what);
Result<std::vector<std::string>> string_array(const Json& object, std::string_view key, std::string_view what);
Result<StringMap> string_map(const Json& object, std::string_view key, std::string_view what);
// An array of objects (an absent key is an empty array).
Result<std::vector<Json>> object_array(const Json& object, std::string_view key, std::string_view what);

// Sets object[key] only when `value` is non-empty.
void set_if(Json& object, std::string_view key, const std::optional<std::string>& value);
void set_if(Json& object, std::string_view key, const StringMap& value);
void set_if(Json& object, std::string_view key, const std::vector<std::string>& value);

}  // namespace hoist::oci::json
