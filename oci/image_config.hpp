// The image configuration (image-spec config.md; Docker's is the same document): the runtime
// defaults, the layers' diffIDs and the history.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.hpp"
#include "oci/json.hpp"
#include "oci/platform.hpp"

namespace hoist::oci {

struct ContainerConfig {
    std::string user;
    std::vector<std::string> env;  // "KEY=value"
    std::optional<std::vector<std::string>> entrypoint;
    std::optional<std::vector<std::string>> cmd;
    std::string working_dir;
    json::StringMap labels;
    std::set<std::string> exposed_ports;  // "80/tcp"
    std::set<std::string> volumes;
    std::string stop_signal;
    std::optional<json::Json> healthcheck;  // Docker's {"Test": [...], "Interval": ns, ...}
    std::optional<std::vector<std::string>> shell;
    std::vector<std::string> on_build;  // ONBUILD triggers, as written after ONBUILD
    json::Json other = json::Json::object();  // fields hoist does not model, kept as they were
};

struct HistoryEntry {
    std::optional<std::string> created;
    std::string created_by;
    std::string author;
    std::string comment;
    bool empty_layer = false;
};

struct ImageConfig {
    Platform platform;  // architecture, os, variant, os.version, os.features
    std::optional<std::string> created;
    std::string author;
    ContainerConfig config;
    std::vector<Digest> diff_ids;  // rootfs.diff_ids, bottom layer first
    std::vector<HistoryEntry> history;
    json::Json other = json::Json::object();  // fields hoist does not model, kept as they were

    // Strict about what it reads (architecture, os, rootfs of type "layers" with valid diff_ids,
    // well-typed config fields); fields it does not know are kept in `other` and written back.
    static Result<ImageConfig> parse(std::string_view bytes);
    // The JSON text hoist writes for images it makes; keys sorted, so equal configs give equal bytes.
    std::string to_json() const;
};

}  // namespace hoist::oci
