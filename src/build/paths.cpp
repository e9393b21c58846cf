#include "src/build/paths.hpp"

#include <cstdint>
#include <filesystem>

namespace hoist::build {

namespace {

constexpr int k_max_symlinks = 255;

// The code point at the start of `text` and its length in bytes; a byte that does not start
// valid UTF-8 is one character of its own, as Go's utf8.DecodeRuneInString treats it.
std::pair<char32_t, std::size_t> decode_rune(std::string_view text) {
    auto byte = static_cast<unsigned char>(text[0]);
    std::size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xe ? 3 : (byte >> 3) == 0x1e ? 4 : 0;
    if (length <= 1 || length > text.size()) {
        return {byte, 1};
    }
    char32_t rune = byte & (0x7f >> length);
    for (std::size_t i = 1; i < length; ++i) {
        auto next = static_cast<unsigned char>(text[i]);
        if ((next & 0xc0) != 0x80) {
            return {byte, 1};
        }
        rune = (rune << 6) | (next & 0x3f);
    }
    return {rune, length};
}

// One character of a class, `\` escapes included; nullopt for a malformed class.
std::optional<char32_t> class_char(std::string_view& pattern) {
    if (pattern.empty() || pattern[0] == '-' || pattern[0] == ']') {
        return std::nullopt;
    }
    if (pattern[0] == '\\') {
        pattern.remove_prefix(1);
        if (pattern.empty()) {
            return std::nullopt;
        }
    }
    auto [rune, length] = decode_rune(pattern);
    pattern.remove_prefix(length);
    return rune;
}

// Reads the class at the start of `pattern` (just after its '[') and tells whether `rune`
// is in it; nullopt when the class is malformed.
std::optional<bool> match_class(std::string_view& pattern, char32_t rune) {
    bool negated = !pattern.empty() && pattern[0] == '^';
    if (negated) {
        pattern.remove_prefix(1);
    }
    bool matched = false;
    for (int ranges = 0;; ++ranges) {
        if (!pattern.empty() && pattern[0] == ']' && ranges > 0) {
            pattern.remove_prefix(1);
            return matched != negated;
        }
        auto low = class_char(pattern);
        if (!low) {
            return std::nullopt;
        }
        char32_t high = *low;
        if (!pattern.empty() && pattern[0] == '-') {
            pattern.remove_prefix(1);
            auto end = class_char(pattern);
            if (!end) {
                return std::nullopt;
            }
            high = *end;
        }
        if (*low <= rune && rune <= high) {
            matched = true;
        }
    }
}

// Whether the pattern is well formed: every class closed, no trailing `\`.
bool pattern_is_valid(std::string_view pattern) {
    while (!pattern.empty()) {
        char c = pattern[0];
        pattern.remove_prefix(1);
        if (c == '\\') {
            if (pattern.empty()) {
                return false;
            }
            pattern.remove_prefix(decode_rune(pattern).second);
        } else if (c == '[' && !match_class(pattern, 0)) {
            return false;
        }
    }
    return true;
}

// Matches a valid pattern against all of `name`; `*` backtracks.
bool match_valid(std::string_view pattern, std::string_view name) {
    while (!pattern.empty()) {
        char c = pattern[0];
        if (c == '*') {
            while (!pattern.empty() && pattern[0] == '*') {
                pattern.remove_prefix(1);
            }
            if (pattern.empty()) {
                return true;
            }
            for (std::size_t at = 0; at <= name.size(); at += at < name.size() ? decode_rune(name.substr(at)).second : 1) {
                if (match_valid(pattern, name.substr(at))) {
                    return true;
                }
            }
            return false;
        }
        if (name.empty()) {
            return false;
        }
        pattern.remove_prefix(1);
        auto [rune, length] = decode_rune(name);
        if (c == '?') {
            name.remove_prefix(length);
        } else if (c == '[') {
            if (!*match_class(pattern, rune)) {
                return false;
            }
            name.remove_prefix(length);
        } else {
            if (c == '\\') {
                c = pattern[0];
                pattern.remove_prefix(1);
            }
            if (name[0] != c) {
                return false;
            }
            name.remove_prefix(1);
        }
    }
    return name.empty();
}

}  // namespace

std::string clean_path(std::string_view path) {
    // A tree of nothing but directories: resolving is cleaning.
    auto cleaned = resolve_path(path, false, [](const std::string&) -> Result<PathLookup> {
        return PathLookup{.kind = PathLookup::Kind::directory};
    });
    return **cleaned;
}

std::string shown_path(std::string_view path) {
    return "\"/" + std::string(path) + "\"";
}

std::string join_path(std::string_view dir, std::string_view name) {
    if (dir.empty()) {
        return std::string(name);
    }
    if (name.empty()) {
        return std::string(dir);
    }
    std::string out(dir);
    out += '/';
    out += name;
    return out;
}

std::string_view dir_of(std::string_view path) {
    auto slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

std::string_view base_of(std::string_view path) {
    auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::vector<std::string_view> components_of(std::string_view path) {
    std::vector<std::string_view> parts;
    while (!path.empty()) {
        auto slash = path.find('/');
        auto part = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
        if (!part.empty()) {
            parts.push_back(part);
        }
    }
    return parts;
}

Result<std::optional<std::string>> resolve_path(std::string_view path, bool follow_last,
                                                const std::function<Result<PathLookup>(const std::string&)>& look) {
    // Components still to walk, the next one last; `resolved` never holds a symlink.
    std::vector<std::string> todo;
    for (auto part : components_of(path)) {
        todo.insert(todo.begin(), std::string(part));
    }
    std::vector<std::string> resolved;
    auto joined = [&] {
        std::string out;
        for (const auto& part : resolved) {
            out = join_path(out, part);
        }
        return out;
    };
    int links = 0;
    while (!todo.empty()) {
        std::string part = std::move(todo.back());
        todo.pop_back();
        if (part.empty() || part == ".") {
            continue;
        }
        if (part == "..") {
            if (!resolved.empty()) {
                resolved.pop_back();
            }
            continue;
        }
        resolved.push_back(part);
        bool last = todo.empty();
        auto found = HOIST_TRY(look(joined()));
        switch (found.kind) {
            case PathLookup::Kind::missing:
                if (!last) {
                    return std::optional<std::string>();
                }
                break;
            case PathLookup::Kind::directory:
                break;
            case PathLookup::Kind::other:
                if (!last) {
                    return std::optional<std::string>();
                }
                break;
            case PathLookup::Kind::symlink:
                if (last && !follow_last) {
                    break;
                }
                if (++links > k_max_symlinks) {
                    return fail(Errc::invalid_argument, "\"/" + std::string(path) + "\": too many levels of symbolic links");
                }
                resolved.pop_back();
                if (found.link_target.starts_with('/')) {
                    resolved.clear();
                }
                auto target = components_of(found.link_target);
                for (auto it = target.rbegin(); it != target.rend(); ++it) {
                    todo.emplace_back(*it);
                }
                break;
        }
    }
    return std::optional<std::string>(joined());
}

bool has_wildcards(std::string_view pattern) {
    return pattern.find_first_of("*?[\\") != std::string_view::npos;
}

Result<bool> glob_match(std::string_view pattern, std::string_view name) {
    if (!pattern_is_valid(pattern)) {
        return fail(Errc::invalid_argument, "syntax error in pattern");
    }
    return match_valid(pattern, name);
}

std::string absolute_path(std::string_view path, std::string_view workdir) {
    std::filesystem::path joined =
        path.starts_with('/') ? std::filesystem::path(path) : std::filesystem::path(workdir.empty() ? "/" : workdir) / path;
    std::string clean = joined.lexically_normal().generic_string();
    while (clean.size() > 1 && clean.ends_with('/')) {
        clean.pop_back();
    }
    return clean;
}

}  // namespace hoist::build
