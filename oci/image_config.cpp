#include "oci/image_config.hpp"

#include <algorithm>
#include <array>

namespace hoist::oci {
namespace {

constexpr std::string_view k_what = "image config";
constexpr std::array<std::string_view, 7> k_image_fields = {"architecture", "os",     "variant", "created",
                                                           "author",       "config", "rootfs"};
constexpr std::array<std::string_view, 12> k_container_fields = {
    "User",    "Env",        "Entrypoint", "Cmd",   "WorkingDir", "Labels",
    "ExposedPorts", "Volumes", "StopSignal", "Healthcheck", "Shell", "OnBuild"};

// The members of `object` whose keys are not in `known` (nor os.version, os.features or history).
template <std::size_t N>
json::Json unknown_fields(const json::Json& object, const std::array<std::string_view, N>& known) {
    json::Json other = json::Json::object();
    for (const auto& item : object.items()) {
        if (std::ranges::find(known, item.key()) == known.end() && !item.key().starts_with("os.") &&
            item.key() != "history") {
            other[item.key()] = item.value();
        }
    }
    return other;
}

// Docker writes sets (ExposedPorts, Volumes) as objects whose values are all {}.
Result<std::set<std::string>> key_set(const json::Json& object, std::string_view key, std::string_view what) {
    std::set<std::string> keys;
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return keys;
    }
    if (!it->is_object()) {
        return fail(Errc::invalid_argument, std::string(what) + ": \"" + std::string(key) + "\" must be an object");
    }
    for (const auto& item : it->items()) {
        keys.insert(item.key());
    }
    return keys;
}

Result<std::optional<std::vector<std::string>>> optional_array(const json::Json& object, std::string_view key,
                                                               std::string_view what) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::nullopt;
    }
    return HOIST_TRY(json::string_array(object, key, what));
}

Result<ContainerConfig> parse_container_config(const json::Json& object) {
    constexpr std::string_view what = "image config: config";
    ContainerConfig config;
    config.user = HOIST_TRY(json::optional_string(object, "User", what)).value_or("");
    config.env = HOIST_TRY(json::string_array(object, "Env", what));
    config.entrypoint = HOIST_TRY(optional_array(object, "Entrypoint", what));
    config.cmd = HOIST_TRY(optional_array(object, "Cmd", what));
    config.working_dir = HOIST_TRY(json::optional_string(object, "WorkingDir", what)).value_or("");
    config.labels = HOIST_TRY(json::string_map(object, "Labels", what));
    config.exposed_ports = HOIST_TRY(key_set(object, "ExposedPorts", what));
    config.volumes = HOIST_TRY(key_set(object, "Volumes", what));
    config.stop_signal = HOIST_TRY(json::optional_string(object, "StopSignal", what)).value_or("");
    if (auto healthcheck = object.find("Healthcheck"); healthcheck != object.end() && !healthcheck->is_null()) {
        if (!healthcheck->is_object()) {
            return fail(Errc::invalid_argument, std::string(what) + ": \"Healthcheck\" must be an object");
        }
        config.healthcheck = *healthcheck;
    }
    config.shell = HOIST_TRY(optional_array(object, "Shell", what));
    config.on_build = HOIST_TRY(json::string_array(object, "OnBuild", what));
    config.other = unknown_fields(object, k_container_fields);
    return config;
}

Result<HistoryEntry> parse_history(const json::Json& object, std::string_view what) {
    auto empty_layer = object.find("empty_layer");
    if (empty_layer != object.end() && !empty_layer->is_null() && !empty_layer->is_boolean()) {
        return fail(Errc::invalid_argument, std::string(what) + ": \"empty_layer\" must be a boolean");
    }
    HistoryEntry entry;
    entry.created = HOIST_TRY(json::optional_string(object, "created", what));
    entry.created_by = HOIST_TRY(json::optional_string(object, "created_by", what)).value_or("");
    entry.author = HOIST_TRY(json::optional_string(object, "author", what)).value_or("");
    entry.comment = HOIST_TRY(json::optional_string(object, "comment", what)).value_or("");
    entry.empty_layer = empty_layer != object.end() && empty_layer->is_boolean() && empty_layer->get<bool>();
    return entry;
}

json::Json key_set_json(const std::set<std::string>& keys) {
    json::Json object = json::Json::object();
    for (const auto& key : keys) {
        object[key] = json::Json::object();
    }
    return object;
}

}  // namespace

Result<ImageConfig> ImageConfig::parse(std::string_view bytes) {
    auto object = HOIST_TRY(json::parse_object(bytes, k_what));
    ImageConfig image;
    image.platform = HOIST_TRY(in_context(Platform::from_json(object), k_what));
    image.created = HOIST_TRY(json::optional_string(object, "created", k_what));
    image.author = HOIST_TRY(json::optional_string(object, "author", k_what)).value_or("");
    if (auto config = object.find("config"); config != object.end() && !config->is_null()) {
        if (!config->is_object()) {
            return fail(Errc::invalid_argument, "image config: \"config\" must be an object");
        }
        image.config = HOIST_TRY(parse_container_config(*config));
    }
    auto rootfs = object.find("rootfs");
    if (rootfs == object.end() || !rootfs->is_object()) {
        return fail(Errc::invalid_argument, "image config: \"rootfs\" must be an object");
    }
    auto type = HOIST_TRY(json::string_field(*rootfs, "type", "image config: rootfs"));
    if (type != "layers") {
        return fail(Errc::invalid_argument, "image config: rootfs: \"type\" must be \"layers\", not \"" + type + "\"");
    }
    auto diff_ids = HOIST_TRY(json::string_array(*rootfs, "diff_ids", "image config: rootfs"));
    for (std::size_t i = 0; i < diff_ids.size(); ++i) {
        image.diff_ids.push_back(HOIST_TRY(
            in_context(Digest::parse(diff_ids[i]), "image config: rootfs: diff_ids[" + std::to_string(i) + "]")));
    }
    auto history = HOIST_TRY(json::object_array(object, "history", k_what));
    for (std::size_t i = 0; i < history.size(); ++i) {
        image.history.push_back(
            HOIST_TRY(parse_history(history[i], "image config: history[" + std::to_string(i) + "]")));
    }
    image.other = unknown_fields(object, k_image_fields);
    return image;
}

std::string ImageConfig::to_json() const {
    json::Json object = platform.to_json();
    json::set_if(object, "created", created);
    if (!author.empty()) {
        object["author"] = author;
    }
    json::Json runtime = json::Json::object();
    if (!config.user.empty()) {
        runtime["User"] = config.user;
    }
    json::set_if(runtime, "Env", config.env);
    if (config.entrypoint) {
        runtime["Entrypoint"] = *config.entrypoint;
    }
    if (config.cmd) {
        runtime["Cmd"] = *config.cmd;
    }
    if (!config.working_dir.empty()) {
        runtime["WorkingDir"] = config.working_dir;
    }
    json::set_if(runtime, "Labels", config.labels);
    if (!config.exposed_ports.empty()) {
        runtime["ExposedPorts"] = key_set_json(config.exposed_ports);
    }
    if (!config.volumes.empty()) {
        runtime["Volumes"] = key_set_json(config.volumes);
    }
    if (!config.stop_signal.empty()) {
        runtime["StopSignal"] = config.stop_signal;
    }
    if (config.healthcheck) {
        runtime["Healthcheck"] = *config.healthcheck;
    }
    if (config.shell) {
        runtime["Shell"] = *config.shell;
    }
    json::set_if(runtime, "OnBuild", config.on_build);
    runtime.update(config.other);
    object["config"] = runtime;
    json::Json diff_id_texts = json::Json::array();
    for (const auto& diff_id : diff_ids) {
        diff_id_texts.push_back(diff_id.to_string());
    }
    object["rootfs"] = {{"type", "layers"}, {"diff_ids", diff_id_texts}};
    if (!history.empty()) {
        json::Json entries = json::Json::array();
        for (const auto& entry : history) {
            json::Json item = json::Json::object();
            json::set_if(item, "created", entry.created);
            for (auto [key, value] : {std::pair{"created_by", &entry.created_by}, std::pair{"author", &entry.author},
                                      std::pair{"comment", &entry.comment}}) {
                if (!value->empty()) {
                    item[key] = *value;
                }
            }
            if (entry.empty_layer) {
                item["empty_layer"] = true;
            }
            entries.push_back(item);
        }
        object["history"] = entries;
    }
    object.update(other);
    return object.dump();
}

}  // namespace hoist::oci
