#include "oci/platform.hpp"

#include "oci/json.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace hoist::oci {
namespace {

std::string lower(std::string text) {
    std::ranges::transform(text, text.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; });
    return text;
}

// Why one part of "os/arch/variant" is unacceptable, or an empty string when it is fine.
std::string part_error(std::string_view name, std::string_view part) {
    if (part.empty()) {
        return "empty " + std::string(name);
    }
    std::string quoted = std::string(name) + " \"" + std::string(part) + "\"";
    if (std::ranges::any_of(part, [](char c) { return c >= 'A' && c <= 'Z'; })) {
        return quoted + " must be lower case";
    }
    bool ok = std::ranges::all_of(
        part, [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; });
    return ok ? "" : quoted + " may contain only a-z, 0-9, '_' and '-'";
}

}  // namespace

Result<Platform> Platform::parse(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return fail(Errc::invalid_argument, "invalid platform \"" + std::string(text) + "\": " + std::string(why));
    };
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        std::size_t end = std::min(text.find('/', start), text.size());
        parts.push_back(text.substr(start, end - start));
        if (end == text.size()) {
            break;
        }
        start = end + 1;
    }
    if (parts.size() < 2 || parts.size() > 3) {
        return bad("want os/arch[/variant]");
    }
    static constexpr std::string_view k_names[] = {"os", "architecture", "variant"};
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (std::string why = part_error(k_names[i], parts[i]); !why.empty()) {
            return bad(why);
        }
    }
    Platform platform;
    platform.os = parts[0];
    platform.architecture = parts[1];
    if (parts.size() == 3) {
        platform.variant = parts[2];
    }
    return platform;
}

std::string Platform::to_string() const {
    std::string text = os + "/" + architecture;
    if (!variant.empty()) {
        text += "/" + variant;
    }
    return text;
}

// The same table containerd's platforms.Normalize applies, so that the images docker and
// containerd pick for a platform are the ones hoist picks.
Platform Platform::normalized() const {
    Platform p = *this;
    p.os = lower(os);
    p.architecture = lower(architecture);
    std::string& arch = p.architecture;
    std::string& v = p.variant;
    if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
        arch = "amd64";
        if (v == "v1") {
            v.clear();
        }
    } else if (arch == "aarch64" || arch == "arm64") {
        arch = "arm64";
        if (v == "8" || v == "v8" || v == "v8.0") {
            v.clear();
        }
    } else if (arch == "armhf") {
        arch = "arm";
        v = "v7";
    } else if (arch == "armel") {
        arch = "arm";
        v = "v6";
    } else if (arch == "arm") {
        if (v.empty() || v == "7") {
            v = "v7";
        } else if (v == "5" || v == "6" || v == "8") {
            v = "v" + v;
        }
    } else if (arch == "i386") {
        arch = "386";
    }
    return p;
}

bool Platform::matches(const Platform& wanted) const {
    Platform have = normalized();
    Platform want = wanted.normalized();
    return have.os == want.os && have.architecture == want.architecture && have.variant == want.variant &&
           (want.os_version.empty() || have.os_version == want.os_version);
}

Platform Platform::host() {
    // uname(2) fails only for a bad pointer, so its result is not checked.
    struct utsname names {};
    ::uname(&names);
    Platform p;
    p.os = names.sysname;
    std::string machine = names.machine;
    // 32-bit kernels report the ARM revision and x86 generation in the machine name
    // ("armv7l", "i686"); the image spec spells these arm/v7 and 386.
    if (machine.starts_with("armv") && machine.size() > 4 && machine[4] >= '0' && machine[4] <= '9') {
        p.architecture = "arm";
        p.variant = std::string("v") + machine[4];
    } else if (machine.size() == 4 && machine[0] == 'i' && machine.ends_with("86")) {
        p.architecture = "386";
    } else {
        p.architecture = machine;
    }
    return p.normalized();
}

nlohmann::json Platform::to_json() const {
    nlohmann::json j = {{"architecture", architecture}, {"os", os}};
    if (!variant.empty()) {
        j["variant"] = variant;
    }
    if (!os_version.empty()) {
        j["os.version"] = os_version;
    }
    if (!os_features.empty()) {
        j["os.features"] = os_features;
    }
    return j;
}

Result<Platform> Platform::from_json(const nlohmann::json& j) {
    constexpr std::string_view what = "platform";
    if (!j.is_object()) {
        return fail(Errc::invalid_argument, "platform: must be a JSON object");
    }
    Platform p;
    p.os = HOIST_TRY(json::string_field(j, "os", what));
    p.architecture = HOIST_TRY(json::string_field(j, "architecture", what));
    for (auto [key, value] : {std::pair{"os", &p.os}, std::pair{"architecture", &p.architecture}}) {
        if (value->empty()) {
            return fail(Errc::invalid_argument, "platform: \"" + std::string(key) + "\" must not be empty");
        }
    }
    p.variant = HOIST_TRY(json::optional_string(j, "variant", what)).value_or("");
    p.os_version = HOIST_TRY(json::optional_string(j, "os.version", what)).value_or("");
    p.os_features = HOIST_TRY(json::string_array(j, "os.features", what));
    return p;
}

}  // namespace hoist::oci
