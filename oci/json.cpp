#include "oci/json.hpp"

namespace hoist::oci::json {
namespace {

std::unexpected<Error> bad_field(std::string_view what, std::string_view key, std::string_view want) {
    return fail(Errc::invalid_argument, std::string(what) + ": \"" + std::string(key) + "\" " + std::string(want));
}

const Json* find(const Json& object, std::string_view key) {
    auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
}

}  // namespace

Result<Json> parse_object(std::string_view text, std::string_view what) {
    Json value;
    try {
        value = Json::parse(text);
    } catch (const Json::exception& e) {
        // A syntax error, or a number out of range ("1e999"). nlohmann's message starts with
        // "[json.exception.parse_error.101] "; the rest is the news.
        std::string message = e.what();
        auto close = message.find("] ");
        return fail(Errc::invalid_argument, std::string(what) + ": invalid JSON: " +
                                                (close == std::string::npos ? message : message.substr(close + 2)));
    }
    if (!value.is_object()) {
        return fail(Errc::invalid_argument, std::string(what) + ": not a JSON object");
    }
    return value;
}

Result<std::string> string_field(const Json& object, std::string_view key, std::string_view what) {
    const Json* value = find(object, key);
    if (value == nullptr) {
        return bad_field(what, key, "is missing");
    }
    if (!value->is_string()) {
        return bad_field(what, key, "must be a string");
    }
    return value->get<std::string>();
}

Result<std::optional<std::string>> optional_string(const Json& object, std::string_view key, std::string_view what) {
    if (find(object, key) == nullptr) {
        return std::nullopt;
    }
    return HOIST_TRY(string_field(object, key, what));
}

Result<std::int64_t> size_field(const Json& object, std::string_view key, std::string_view what) {
    const Json* value = find(object, key);
    if (value == nullptr) {
        return bad_field(what, key, "is missing");
    }
    if (!value->is_number_integer() || value->get<std::int64_t>() < 0) {
        return bad_field(what, key, "must be a non-negative integer");
    }
    return value->get<std::int64_t>();
}

Result<std::vector<std::string>> string_array(const Json& object, std::string_view key, std::string_view what) {
    const Json* value = find(object, key);
    std::vector<std::string> strings;
    if (value == nullptr) {
        return strings;
    }
    if (!value->is_array()) {
        return bad_field(what, key, "must be an array of strings");
    }
    for (const auto& item : *value) {
        if (!item.is_string()) {
            return bad_field(what, key, "must be an array of strings");
        }
        strings.push_back(item.get<std::string>());
    }
    return strings;
}

Result<StringMap> string_map(const Json& object, std::string_view key, std::string_view what) {
    const Json* value = find(object, key);
    StringMap map;
    if (value == nullptr) {
        return map;
    }
    if (!value->is_object()) {
        return bad_field(what, key, "must be an object of strings");
    }
    for (const auto& [name, item] : value->items()) {
        if (!item.is_string()) {
            return bad_field(what, key, "must be an object of strings");
        }
        map.emplace(name, item.get<std::string>());
    }
    return map;
}

Result<std::vector<Json>> object_array(const Json& object, std::string_view key, std::string_view what) {
    const Json* value = find(object, key);
    std::vector<Json> objects;
    if (value == nullptr) {
        return objects;
    }
    if (!value->is_array()) {
        return bad_field(what, key, "must be an array of objects");
    }
    for (const auto& item : *value) {
        if (!item.is_object()) {
            return bad_field(what, key, "must be an array of objects");
        }
        objects.push_back(item);
    }
    return objects;
}

void set_if(Json& object, std::string_view key, const std::optional<std::string>& value) {
    if (value) {
        object[key] = *value;
    }
}

void set_if(Json& object, std::string_view key, const StringMap& value) {
    if (!value.empty()) {
        object[key] = value;
    }
}

void set_if(Json& object, std::string_view key, const std::vector<std::string>& value) {
    if (!value.empty()) {
        object[key] = value;
    }
}

}  // namespace hoist::oci::json
