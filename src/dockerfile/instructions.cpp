#include "src/dockerfile/instructions.hpp"

#include "oci/text.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <span>

// The checks and messages follow BuildKit's instructions package (parse.go, bflag.go,
// commands_runmount.go...), so that hoist accepts what `docker build` accepts and says why it
// does not in the same words, with a location added. Where BuildKit's message would leave the
// reader guessing (a flag given to the wrong instruction), the message says more.

namespace hoist::dockerfile {
namespace {

struct Failure {
    Position position;
    std::string message;
};

template <class T>
using Parsed = std::expected<T, Failure>;

std::unexpected<Failure> failure(Position position, std::string message) {
    return std::unexpected(Failure{position, std::move(message)});
}

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = char(c - 'a' + 'A');
        }
    }
    return out;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) {
            out += separator;
        }
        out += parts[i];
    }
    return out;
}

// The Levenshtein distance, for suggestions.
std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// BuildKit's suggest.Search: the closest option at a distance below 3 (none on an exact match),
// in the case of `value` when not case-sensitive.
std::string suggestion(std::string_view value, std::span<const std::string_view> options, bool case_sensitive) {
    std::string wanted = case_sensitive ? std::string(value) : ascii_lower(value);
    std::string match;
    std::size_t best = 3;
    for (std::string_view option : options) {
        std::string candidate = case_sensitive ? std::string(option) : ascii_lower(option);
        if (candidate == wanted) {
            return "";
        }
        std::size_t d = distance(wanted, candidate);
        if (d < best) {
            best = d;
            match = candidate;
            if (!case_sensitive) {
                match = value == ascii_lower(value) ? ascii_lower(option)
                        : value == upper(value)     ? upper(option)
                                                    : option;
            }
        }
    }
    return match;
}

std::string with_suggestion(std::string message, std::string_view value, std::span<const std::string_view> options,
                            bool case_sensitive, std::string_view prefix = "") {
    std::string match = suggestion(value, options, case_sensitive);
    if (!match.empty()) {
        message += fmt::format(" (did you mean {}{}?)", prefix, match);
    }
    return message;
}

constexpr std::array<std::string_view, 18> k_instructions = {
    "ADD",   "ARG",        "CMD",     "COPY", "ENTRYPOINT", "ENV",        "EXPOSE", "FROM",   "HEALTHCHECK",
    "LABEL", "MAINTAINER", "ONBUILD", "RUN",  "SHELL",      "STOPSIGNAL", "USER",   "VOLUME", "WORKDIR",
};

bool is_instruction(std::string_view name) {
    return std::ranges::find(k_instructions, upper(name)) != k_instructions.end();
}

// Go's %q for messages.
std::string quote(std::string_view text) {
    return go_quote(text);
}

// strconv.ParseBool.
std::optional<bool> parse_bool(std::string_view text) {
    for (std::string_view yes : {"1", "t", "T", "TRUE", "true", "True"}) {
        if (text == yes) {
            return true;
        }
    }
    for (std::string_view no : {"0", "f", "F", "FALSE", "false", "False"}) {
        if (text == no) {
            return false;
        }
    }
    return std::nullopt;
}

// strconv.ParseUint(text, base, 32).
std::optional<std::uint32_t> parse_uint32(std::string_view text, int base) {
    if (text.empty()) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (char c : text) {
        int digit = c >= '0' && c <= '9' ? c - '0' : 99;
        if (digit >= base) {
            return std::nullopt;
        }
        value = value * std::uint64_t(base) + std::uint64_t(digit);
        if (value > std::numeric_limits<std::uint32_t>::max()) {
            return std::nullopt;
        }
    }
    return std::uint32_t(value);
}

// ---------------------------------------------------------------------------------------------
// Flags (BuildKit's BFlags).

enum class FlagType { boolean, string, strings };

struct FlagSpec {
    std::string_view name;
    FlagType type;
};

struct FlagValue {
    bool used = false;
    std::string value;  // boolean: "true"/"false"
    std::vector<std::string> values;
};

class Flags {
public:
    Flags(std::span<const FlagSpec> specs) : m_specs(specs.begin(), specs.end()) {
        for (const FlagSpec& spec : specs) {
            m_values[std::string(spec.name)].value = spec.type == FlagType::boolean ? "false" : "";
        }
    }

    void set_default(std::string_view name, std::string value) { m_values[std::string(name)].value = std::move(value); }

    // BFlags.Parse over the node's flags, for instruction `instruction` ("COPY").
    Parsed<void> parse(const Node& node, std::string_view instruction) {
        for (std::size_t i = 0; i < node.flags.size(); ++i) {
            const std::string& flag = node.flags[i];
            Position at = i < node.flag_positions.size() ? node.flag_positions[i] : node.position;
            if (flag == "--") {
                return {};
            }
            if (!flag.starts_with("--")) {
                return failure(at, "arg should start with -- : " + flag);
            }
            auto equals = flag.find('=');
            std::string flag_name = flag.substr(0, equals);
            bool has_value = equals != std::string::npos;
            std::string value = has_value ? flag.substr(equals + 1) : "";
            std::string name = flag_name.substr(2);
            auto spec = std::ranges::find(m_specs, name, &FlagSpec::name);
            if (spec == m_specs.end()) {
                return failure(at, unknown_flag_message(flag_name, name, instruction));
            }
            FlagValue& slot = m_values[name];
            if (slot.used && spec->type != FlagType::strings) {
                return failure(at, "duplicate flag specified: " + flag_name);
            }
            slot.used = true;
            m_used.push_back(name);
            switch (spec->type) {
                case FlagType::boolean: {
                    if (has_value && value.empty()) {
                        return failure(at, "missing a value on flag: " + flag_name);
                    }
                    std::string v = ascii_lower(value);
                    if (v == "true" || v.empty()) {
                        slot.value = "true";
                    } else if (v == "false") {
                        slot.value = "false";
                    } else {
                        return failure(at,
                                       fmt::format("expecting boolean value for flag {}, not: {}", flag_name, value));
                    }
                    break;
                }
                case FlagType::string:
                    if (!has_value) {
                        return failure(at, "missing a value on flag: " + flag_name);
                    }
                    slot.value = value;
                    break;
                case FlagType::strings:
                    if (!has_value) {
                        return failure(at, "missing a value on flag: " + flag_name);
                    }
                    slot.values.push_back(value);
                    break;
            }
        }
        return {};
    }

    const std::string& value(std::string_view name) const { return m_values.at(std::string(name)).value; }
    bool is_true(std::string_view name) const { return value(name) == "true"; }
    bool used(std::string_view name) const { return m_values.at(std::string(name)).used; }
    const std::vector<std::string>& values(std::string_view name) const {
        return m_values.at(std::string(name)).values;
    }
    std::vector<std::string> used_names() const {
        std::vector<std::string> names = m_used;
        std::ranges::sort(names);
        names.erase(std::unique(names.begin(), names.end()), names.end());
        return names;
    }

private:
    // A flag that some other instruction takes is named as misplaced, with where it belongs;
    // anything else is unknown, with the closest flag this instruction takes.
    std::string unknown_flag_message(const std::string& flag_name, const std::string& name,
                                     std::string_view instruction) const {
        static const std::map<std::string_view, std::string_view> k_owners = {
            {"from", "COPY"},
            {"chown", "ADD and COPY"},
            {"chmod", "ADD and COPY"},
            {"link", "ADD and COPY"},
            {"exclude", "ADD and COPY"},
            {"parents", "COPY"},
            {"checksum", "ADD"},
            {"keep-git-dir", "ADD"},
            {"unpack", "ADD"},
            {"platform", "FROM"},
            {"mount", "RUN"},
            {"network", "RUN"},
            {"security", "RUN"},
            {"interval", "HEALTHCHECK"},
            {"timeout", "HEALTHCHECK"},
            {"start-period", "HEALTHCHECK"},
            {"start-interval", "HEALTHCHECK"},
            {"retries", "HEALTHCHECK"},
        };
        if (auto owner = k_owners.find(name); owner != k_owners.end()) {
            return fmt::format("{} is not allowed on {} (only on {})", flag_name, instruction, owner->second);
        }
        std::vector<std::string_view> names;
        for (const FlagSpec& spec : m_specs) {
            names.push_back(spec.name);
        }
        std::ranges::sort(names);
        return with_suggestion("unknown flag: " + flag_name, name, names, true, "--");
    }

    std::vector<FlagSpec> m_specs;
    std::map<std::string, FlagValue> m_values;
    std::vector<std::string> m_used;
};

// ---------------------------------------------------------------------------------------------
// Go's time.ParseDuration and docker/go-units' RAMInBytes.

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text, std::string& error) {
    std::string_view s = text;
    error = "time: invalid duration " + quote(text);
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0") {
        return std::chrono::nanoseconds(0);
    }
    if (s.empty()) {
        return std::nullopt;
    }
    constexpr std::uint64_t k_limit = std::uint64_t(1) << 63;
    static const std::map<std::string_view, std::uint64_t> k_units = {
        {"ns", 1},       {"us", 1000},      {"\xC2\xB5s", 1000},       {"\xCE\xBCs", 1000},
        {"ms", 1000000}, {"s", 1000000000}, {"m", 60ull * 1000000000}, {"h", 3600ull * 1000000000},
    };
    std::uint64_t total = 0;
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    while (!s.empty()) {
        if (!(s[0] == '.' || digit(s[0]))) {
            return std::nullopt;
        }
        std::uint64_t whole = 0;
        std::size_t i = 0;
        for (; i < s.size() && digit(s[i]); ++i) {
            if (whole > (k_limit - 1) / 10) {
                return std::nullopt;
            }
            whole = whole * 10 + std::uint64_t(s[i] - '0');
            if (whole > k_limit) {
                return std::nullopt;
            }
        }
        bool before = i > 0;
        s.remove_prefix(i);
        std::uint64_t fraction = 0;
        double scale = 1;
        bool after = false;
        if (!s.empty() && s[0] == '.') {
            s.remove_prefix(1);
            bool overflow = false;
            for (i = 0; i < s.size() && digit(s[i]); ++i) {
                if (overflow) {
                    continue;
                }
                if (fraction > (std::numeric_limits<std::uint64_t>::max() / 10)) {
                    overflow = true;
                    continue;
                }
                std::uint64_t next = fraction * 10 + std::uint64_t(s[i] - '0');
                if (next > k_limit) {
                    overflow = true;
                    continue;
                }
                fraction = next;
                scale *= 10;
            }
            after = i > 0;
            s.remove_prefix(i);
        }
        if (!before && !after) {
            return std::nullopt;
        }
        for (i = 0; i < s.size() && s[i] != '.' && !digit(s[i]); ++i) {
        }
        if (i == 0) {
            error = "time: missing unit in duration " + quote(text);
            return std::nullopt;
        }
        std::string_view unit_name = s.substr(0, i);
        s.remove_prefix(i);
        auto unit = k_units.find(unit_name);
        if (unit == k_units.end()) {
            error = fmt::format("time: unknown unit {} in duration {}", quote(unit_name), quote(text));
            return std::nullopt;
        }
        if (whole > k_limit / unit->second) {
            return std::nullopt;
        }
        whole *= unit->second;
        if (fraction > 0) {
            whole += std::uint64_t(double(fraction) * (double(unit->second) / scale));
            if (whole > k_limit) {
                return std::nullopt;
            }
        }
        total += whole;
        if (total > k_limit) {
            return std::nullopt;
        }
    }
    if (negative) {
        return std::chrono::nanoseconds(total == k_limit ? std::numeric_limits<std::int64_t>::min()
                                                         : -std::int64_t(total));
    }
    if (total > k_limit - 1) {
        return std::nullopt;
    }
    return std::chrono::nanoseconds(std::int64_t(total));
}

}  // namespace

std::optional<std::int64_t> parse_ram_in_bytes(std::string_view size) {
    auto sep = size.find_last_of("01234567890. ");
    if (sep == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view number = size[sep] != ' ' ? size.substr(0, sep + 1) : size.substr(0, sep);
    std::string suffix = ascii_lower(size.substr(sep + 1));
    // strconv.ParseFloat, for the decimal forms a size is written in.
    std::size_t i = 0;
    auto digits = [&] {
        std::size_t start = i;
        while (i < number.size() && number[i] >= '0' && number[i] <= '9') {
            ++i;
        }
        return i > start;
    };
    if (i < number.size() && (number[i] == '+' || number[i] == '-')) {
        ++i;
    }
    bool whole = digits();
    bool fraction = false;
    if (i < number.size() && number[i] == '.') {
        ++i;
        fraction = digits();
    }
    if (!whole && !fraction) {
        return std::nullopt;
    }
    if (i < number.size() && (number[i] == 'e' || number[i] == 'E')) {
        ++i;
        if (i < number.size() && (number[i] == '+' || number[i] == '-')) {
            ++i;
        }
        if (!digits()) {
            return std::nullopt;
        }
    }
    if (i != number.size()) {
        return std::nullopt;
    }
    double value = std::strtod(std::string(number).c_str(), nullptr);
    if (value < 0 || !std::isfinite(value)) {
        return std::nullopt;
    }
    auto to_int = [](double v) -> std::optional<std::int64_t> {
        if (v >= 9.2233720368547758e18) {
            return std::numeric_limits<std::int64_t>::min();  // Go's conversion overflows so
        }
        return std::int64_t(v);
    };
    if (suffix.empty()) {
        return to_int(value);
    }
    if (suffix.size() > 3) {
        return std::nullopt;
    }
    if (suffix[0] == 'b') {
        return suffix.size() > 1 ? std::nullopt : to_int(value);
    }
    static constexpr std::string_view k_units = "kmgtp";
    auto unit = k_units.find(suffix[0]);
    if (unit == std::string_view::npos) {
        return std::nullopt;
    }
    value *= std::pow(1024.0, double(unit + 1));
    if ((suffix.size() == 2 && suffix[1] != 'b') || (suffix.size() == 3 && suffix.substr(1) != "ib")) {
        return std::nullopt;
    }
    return to_int(value);
}

namespace {

// The fields of a one-line CSV record, as encoding/csv reads them.
Result<std::vector<std::string>> csv_fields(std::string_view text) {
    std::vector<std::string> fields;
    if (text.empty()) {
        return fields;
    }
    std::size_t i = 0;
    for (;;) {
        std::string field;
        if (i < text.size() && text[i] == '"') {
            ++i;
            for (;;) {
                if (i >= text.size()) {
                    return fail(Errc::invalid_argument, "extraneous or missing \" in quoted-field");
                }
                if (text[i] == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += text[i++];
            }
            if (i < text.size() && text[i] != ',') {
                return fail(Errc::invalid_argument, "extraneous or missing \" in quoted-field");
            }
        } else {
            std::size_t end = std::min(text.find(',', i), text.size());
            field = text.substr(i, end - i);
            if (field.find('"') != std::string::npos) {
                return fail(Errc::invalid_argument, "bare \" in non-quoted-field");
            }
            i = end;
        }
        fields.push_back(std::move(field));
        if (i >= text.size()) {
            break;
        }
        ++i;  // the comma
        if (i == text.size()) {
            fields.emplace_back();
            break;
        }
    }
    return fields;
}

// ---------------------------------------------------------------------------------------------
// Instructions.

// nodeArgs: the values, with an ONBUILD's trigger flattened into its name and values.
std::vector<std::string> node_args(const Node& node) {
    std::vector<std::string> args = node.values;
    for (const Node& child : node.children) {
        args.push_back(child.name);
        auto rest = node_args(child);
        args.insert(args.end(), rest.begin(), rest.end());
    }
    return args;
}

InstructionInfo info_of(const Node& node) {
    return InstructionInfo{
        .name = node.name,
        .code = std::string(trim(node.original)),
        .start_line = node.start_line,
        .end_line = node.end_line,
        .position = node.position,
        .comments = node.comments,
    };
}

Position value_position(const Node& node, std::size_t index) {
    return index < node.value_positions.size() ? node.value_positions[index] : node.arguments_position;
}

std::string at_least_one(std::string_view command) {
    return fmt::format("{} requires at least one argument", command);
}

std::string exactly_one(std::string_view command) {
    return fmt::format("{} requires exactly one argument", command);
}

Parsed<std::vector<KeyValue>> key_values(const Node& node, const std::vector<std::string>& args,
                                         std::string_view command) {
    if (args.empty()) {
        return failure(node.arguments_position, at_least_one(command));
    }
    if (args.size() % 3 != 0) {
        return failure(node.arguments_position, fmt::format("Bad input to {}, too many arguments", command));
    }
    std::vector<KeyValue> pairs;
    for (std::size_t i = 0; i < args.size(); i += 3) {
        if (args[i].empty()) {
            return failure(value_position(node, i), fmt::format("{} names can not be blank", command));
        }
        pairs.push_back({args[i], args[i + 1], args[i + 2].empty()});
    }
    return pairs;
}

std::string doc_comment(const std::vector<std::string>& comments, std::string_view name) {
    if (name.empty()) {
        return "";
    }
    std::string prefix = std::string(name) + " ";
    for (const std::string& line : comments) {
        if (line.starts_with(prefix)) {
            return line.substr(prefix.size());
        }
    }
    return "";
}

CommandLine command_line(const Node& node, const std::vector<std::string>& args) {
    CommandLine command;
    command.shell_form = !node.json;
    if (!args.empty()) {
        command.args = node.json ? args : std::vector<std::string>{join(args, " ")};
    }
    for (const Heredoc& heredoc : node.heredocs) {
        command.files.push_back({heredoc.name, heredoc.content, heredoc.chomp, heredoc.expand});
    }
    return command;
}

// The heredoc a source or destination word stands for, if it is one.
std::optional<Heredoc> heredoc_word(std::string_view word) {
    auto heredoc = parse_heredoc_word(word);
    if (!heredoc || heredoc->name.empty()) {
        return std::nullopt;
    }
    return *heredoc;
}

struct SourcesAndDestination {
    std::vector<std::string> sources;
    std::vector<InlineFile> contents;
    std::string destination;
};

Parsed<SourcesAndDestination> sources_and_destination(const Node& node, const std::vector<std::string>& args,
                                                      std::string_view command) {
    SourcesAndDestination out;
    out.destination = args.back();
    if (heredoc_word(out.destination)) {
        return failure(value_position(node, args.size() - 1),
                       fmt::format("{} cannot accept a heredoc as a destination", command));
    }
    std::map<std::string, const Heredoc*> by_name;
    for (const Heredoc& heredoc : node.heredocs) {
        by_name[heredoc.name] = &heredoc;
    }
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        if (auto heredoc = heredoc_word(args[i])) {
            auto found = by_name.find(heredoc->name);
            std::string content = found == by_name.end() ? "" : found->second->content;
            if (heredoc->chomp) {
                content = chomp_heredoc(content);
            }
            out.contents.push_back({heredoc->name, std::move(content), heredoc->chomp, heredoc->expand});
        } else {
            out.sources.push_back(args[i]);
        }
    }
    return out;
}

Parsed<Instruction> parse_env(const Node& node, const std::vector<std::string>& args) {
    Flags flags({});
    if (auto parsed = flags.parse(node, "ENV"); !parsed) {
        return std::unexpected(parsed.error());
    }
    auto pairs = key_values(node, args, "ENV");
    if (!pairs) {
        return std::unexpected(pairs.error());
    }
    EnvInstruction env{info_of(node)};
    env.variables = std::move(*pairs);
    return env;
}

Parsed<Instruction> parse_label(const Node& node, const std::vector<std::string>& args) {
    Flags flags({});
    if (auto parsed = flags.parse(node, "LABEL"); !parsed) {
        return std::unexpected(parsed.error());
    }
    auto pairs = key_values(node, args, "LABEL");
    if (!pairs) {
        return std::unexpected(pairs.error());
    }
    LabelInstruction label{info_of(node)};
    label.labels = std::move(*pairs);
    return label;
}

Parsed<Instruction> parse_maintainer(const Node& node, const std::vector<std::string>& args) {
    if (args.size() != 1) {
        return failure(node.arguments_position, exactly_one("MAINTAINER"));
    }
    Flags flags({});
    if (auto parsed = flags.parse(node, "MAINTAINER"); !parsed) {
        return std::unexpected(parsed.error());
    }
    MaintainerInstruction maintainer{info_of(node)};
    maintainer.maintainer = args[0];
    return maintainer;
}

std::string no_destination(std::string_view command) {
    return fmt::format(
        "{} requires at least two arguments, but only one was provided. Destination could not be determined", command);
}

Parsed<Instruction> parse_add(const Node& node, const std::vector<std::string>& args) {
    if (args.size() < 2) {
        return failure(node.arguments_position, no_destination("ADD"));
    }
    static constexpr FlagSpec k_flags[] = {
        {"chown", FlagType::string},         {"chmod", FlagType::string},    {"link", FlagType::boolean},
        {"keep-git-dir", FlagType::boolean}, {"checksum", FlagType::string}, {"unpack", FlagType::boolean},
        {"exclude", FlagType::strings},
    };
    Flags flags(k_flags);
    if (auto parsed = flags.parse(node, "ADD"); !parsed) {
        return std::unexpected(parsed.error());
    }
    auto paths = sources_and_destination(node, args, "ADD");
    if (!paths) {
        return std::unexpected(paths.error());
    }
    AddInstruction add{info_of(node)};
    add.sources = std::move(paths->sources);
    add.contents = std::move(paths->contents);
    add.destination = std::move(paths->destination);
    add.chown = flags.value("chown");
    add.chmod = flags.value("chmod");
    add.link = flags.is_true("link");
    if (flags.used("keep-git-dir")) {
        add.keep_git_dir = flags.is_true("keep-git-dir");
    }
    add.checksum = flags.value("checksum");
    if (flags.used("unpack")) {
        add.unpack = flags.is_true("unpack");
    }
    add.excludes = flags.values("exclude");
    return add;
}

Parsed<Instruction> parse_copy(const Node& node, const std::vector<std::string>& args, char escape) {
    if (args.size() < 2) {
        return failure(node.arguments_position, no_destination("COPY"));
    }
    static constexpr FlagSpec k_flags[] = {
        {"chown", FlagType::string}, {"from", FlagType::string},     {"chmod", FlagType::string},
        {"link", FlagType::boolean}, {"exclude", FlagType::strings}, {"parents", FlagType::boolean},
    };
    Flags flags(k_flags);
    if (auto parsed = flags.parse(node, "COPY"); !parsed) {
        return std::unexpected(parsed.error());
    }
    auto paths = sources_and_destination(node, args, "COPY");
    if (!paths) {
        return std::unexpected(paths.error());
    }
    CopyInstruction copy{info_of(node)};
    copy.sources = std::move(paths->sources);
    copy.contents = std::move(paths->contents);
    copy.destination = std::move(paths->destination);
    copy.from = flags.value("from");
    // BuildKit expands --from with no variables and refuses any change: a stage or image name
    // is fixed when the file is read.
    if (copy.from.find_first_of(std::string("$'\"") + escape) != std::string::npos) {
        auto at = std::ranges::find_if(node.flags, [](const std::string& f) { return f.starts_with("--from="); });
        std::size_t index = std::size_t(at - node.flags.begin());
        return failure(index < node.flag_positions.size() ? node.flag_positions[index] : node.position,
                       "variable expansion is not supported for --from, define a new stage with FROM using ARG "
                       "from global scope as a workaround");
    }
    copy.chown = flags.value("chown");
    copy.chmod = flags.value("chmod");
    copy.link = flags.is_true("link");
    copy.parents = flags.is_true("parents");
    copy.excludes = flags.values("exclude");
    return copy;
}

bool valid_stage_name(std::string_view name) {
    if (name.empty() || name[0] < 'a' || name[0] > 'z') {
        return false;
    }
    return std::ranges::all_of(name, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    });
}

Parsed<Instruction> parse_from(const Node& node, const std::vector<std::string>& args) {
    FromInstruction from{info_of(node)};
    if (args.size() == 3 && ascii_lower(args[1]) == "as") {
        from.stage_name = ascii_lower(args[2]);
        if (!valid_stage_name(from.stage_name)) {
            return failure(value_position(node, 2),
                           fmt::format("invalid name for build stage: {}, name can't start with a number or contain "
                                       "symbols",
                                       quote(args[2])));
        }
    } else if (args.size() != 1) {
        return failure(node.arguments_position, "FROM requires either one or three arguments");
    }
    static constexpr FlagSpec k_flags[] = {{"platform", FlagType::string}};
    Flags flags(k_flags);
    if (auto parsed = flags.parse(node, "FROM"); !parsed) {
        return std::unexpected(parsed.error());
    }
    from.base = args[0];
    from.platform = flags.value("platform");
    return from;
}

Parsed<Instruction> parse_onbuild(const Node& node, const std::vector<std::string>& args) {
    if (args.empty()) {
        return failure(node.arguments_position, at_least_one("ONBUILD"));
    }
    Flags flags({});
    if (auto parsed = flags.parse(node, "ONBUILD"); !parsed) {
        return std::unexpected(parsed.error());
    }
    std::string trigger = upper(trim(args[0]));
    Position trigger_position = node.children.empty() ? node.arguments_position : node.children.front().position;
    if (trigger == "ONBUILD") {
        return failure(trigger_position, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    }
    if (trigger == "MAINTAINER" || trigger == "FROM") {
        return failure(trigger_position, fmt::format("{} isn't allowed as an ONBUILD trigger", trigger));
    }
    // BuildKit leaves the trigger unchecked until an image built FROM this one runs it; a typo
    // is better reported to the author.
    if (!is_instruction(trigger)) {
        return failure(trigger_position, with_suggestion("unknown instruction: " + std::string(trim(args[0])),
                                                         trim(args[0]), k_instructions, false));
    }
    // `(?i)^\s*ONBUILD\s*` removed from the original line.
    std::string_view original = node.original;
    std::size_t i = 0;
    auto regexp_space = [](char c) { return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '; };
    while (i < original.size() && regexp_space(original[i])) {
        ++i;
    }
    std::string expression(original);
    if (ascii_lower(original.substr(i, 7)) == "onbuild") {
        i += 7;
        while (i < original.size() && regexp_space(original[i])) {
            ++i;
        }
        expression = original.substr(i);
    }
    for (const Heredoc& heredoc : node.heredocs) {
        expression += "\n" + heredoc.content + heredoc.name;
    }
    OnbuildInstruction onbuild{info_of(node)};
    onbuild.expression = std::move(expression);
    return onbuild;
}

Parsed<Instruction> parse_workdir(const Node& node, const std::vector<std::string>& args) {
    if (args.size() != 1) {
        return failure(node.arguments_position, exactly_one("WORKDIR"));
    }
    Flags flags({});
    if (auto parsed = flags.parse(node, "WORKDIR"); !parsed) {
        return std::unexpected(parsed.error());
    }
    WorkdirInstruction workdir{info_of(node)};
    workdir.path = args[0];
    return workdir;
}

Result<MountSpec> parse_mount_impl(std::string_view spec, const Expander* expand);

Parsed<Instruction> parse_run(const Node& node, const std::vector<std::string>& args) {
    static constexpr FlagSpec k_flags[] = {
        {"mount", FlagType::strings},
        {"network", FlagType::string},
        {"security", FlagType::string},
    };
    Flags flags(k_flags);
    flags.set_default("network", "default");
    flags.set_default("security", "sandbox");
    if (auto parsed = flags.parse(node, "RUN"); !parsed) {
        return std::unexpected(parsed.error());
    }
    RunInstruction run{info_of(node)};
    run.flags_used = flags.used_names();
    run.command = command_line(node, args);
    // BuildKit runs `sh -c` with no command, which fails only when the stage is built.
    if (run.command.args.empty()) {
        return failure(node.arguments_position, at_least_one("RUN"));
    }
    auto flag_position = [&](std::string_view prefix, std::size_t nth) {
        std::size_t seen = 0;
        for (std::size_t i = 0; i < node.flags.size(); ++i) {
            if (node.flags[i].starts_with(prefix) && seen++ == nth) {
                return i < node.flag_positions.size() ? node.flag_positions[i] : node.position;
            }
        }
        return node.position;
    };
    run.mount_flags = flags.values("mount");
    for (std::size_t i = 0; i < run.mount_flags.size(); ++i) {
        auto mount = parse_mount_impl(run.mount_flags[i], nullptr);
        if (!mount) {
            return failure(flag_position("--mount", i), mount.error().what());
        }
        run.mounts.push_back(std::move(*mount));
    }
    run.network = flags.value("network");
    if (run.network != "default" && run.network != "none" && run.network != "host") {
        return failure(flag_position("--network", 0), "invalid network mode " + quote(run.network));
    }
    run.security = flags.value("security");
    if (run.security != "sandbox" && run.security != "insecure") {
        return failure(flag_position("--security", 0), fmt::format("security {} is not valid", quote(run.security)));
    }
    return run;
}

Parsed<Instruction> parse_cmd(const Node& node, const std::vector<std::string>& args) {
    Flags flags({});
    if (auto parsed = flags.parse(node, "CMD"); !parsed) {
        return std::unexpected(parsed.error());
    }
    CmdInstruction cmd{info_of(node)};
    cmd.command = command_line(node, args);
    return cmd;
}

Parsed<Instruction> parse_entrypoint(const Node& node, const std::vector<std::string>& args) {
    Flags flags({});
    if (auto parsed = flags.parse(node, "ENTRYPOINT"); !parsed) {
        return std::unexpected(parsed.error());
    }
    EntrypointInstruction entrypoint{info_of(node)};
    entrypoint.command = command_line(node, args);
    return entrypoint;
}

Parsed<Instruction> parse_healthcheck(const Node& node, const std::vector<std::string>& args) {
    if (args.empty()) {
        return failure(node.arguments_position, at_least_one("HEALTHCHECK"));
    }
    HealthcheckInstruction health{info_of(node)};
    std::string type = upper(args[0]);
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (type == "NONE") {
        if (!rest.empty()) {
            return failure(value_position(node, 1), "HEALTHCHECK NONE takes no arguments");
        }
        health.test = {type};
        return health;
    }
    static constexpr FlagSpec k_flags[] = {
        {"interval", FlagType::string},       {"timeout", FlagType::string}, {"start-period", FlagType::string},
        {"start-interval", FlagType::string}, {"retries", FlagType::string},
    };
    Flags flags(k_flags);
    if (auto parsed = flags.parse(node, "HEALTHCHECK"); !parsed) {
        return std::unexpected(parsed.error());
    }
    if (type != "CMD") {
        return failure(value_position(node, 0), fmt::format("Unknown type {} in HEALTHCHECK (try CMD)", quote(type)));
    }
    std::vector<std::string> command;
    if (!rest.empty()) {
        command = node.json ? rest : std::vector<std::string>{join(rest, " ")};
    }
    if (command.empty()) {
        return failure(value_position(node, 0), "Missing command after HEALTHCHECK CMD");
    }
    health.test = {node.json ? "CMD" : "CMD-SHELL"};
    health.test.insert(health.test.end(), command.begin(), command.end());

    auto flag_position = [&](std::string_view name) {
        for (std::size_t i = 0; i < node.flags.size(); ++i) {
            if (node.flags[i].starts_with(fmt::format("--{}=", name))) {
                return i < node.flag_positions.size() ? node.flag_positions[i] : node.position;
            }
        }
        return node.position;
    };
    struct Interval {
        std::string_view name;
        std::chrono::nanoseconds* slot;
    };
    for (Interval interval :
         {Interval{"interval", &health.interval}, Interval{"timeout", &health.timeout},
          Interval{"start-period", &health.start_period}, Interval{"start-interval", &health.start_interval}}) {
        const std::string& text = flags.value(interval.name);
        if (text.empty()) {
            continue;
        }
        std::string error;
        auto duration = parse_go_duration(text, error);
        if (!duration) {
            return failure(flag_position(interval.name), error);
        }
        if (duration->count() != 0 && *duration < std::chrono::milliseconds(1)) {
            return failure(flag_position(interval.name),
                           fmt::format("Interval {} cannot be less than 1ms", quote(interval.name)));
        }
        *interval.slot = *duration;
    }
    if (const std::string& text = flags.value("retries"); !text.empty()) {
        // strconv.ParseInt(text, 10, 32)
        std::string_view digits = text;
        bool negative = false;
        if (digits.front() == '+' || digits.front() == '-') {
            negative = digits.front() == '-';
            digits.remove_prefix(1);
        }
        bool valid = !digits.empty() && std::ranges::all_of(digits, [](char c) { return c >= '0' && c <= '9'; });
        if (!valid) {
            return failure(flag_position("retries"),
                           fmt::format("strconv.ParseInt: parsing {}: invalid syntax", quote(text)));
        }
        long long value = 0;
        for (char c : digits) {
            value = std::min<long long>(value * 10 + (c - '0'), 1ll << 40);
        }
        value = negative ? -value : value;
        if (value > std::numeric_limits<std::int32_t>::max() || value < std::numeric_limits<std::int32_t>::min()) {
            return failure(flag_position("retries"),
                           fmt::format("strconv.ParseInt: parsing {}: value out of range", quote(text)));
        }
        if (value < 0) {
            return failure(flag_position("retries"), fmt::format("--retries cannot be negative ({})", value));
        }
        health.retries = int(value);
    }
    return health;
}

Parsed<Instruction> parse_expose(const Node& node, const std::vector<std::string>& args) {
    if (args.empty()) {
        return failure(node.arguments_position, at_least_one("EXPOSE"));
    }
    Flags flags({});
    if (auto parsed = flags.parse(node, "EXPOSE"); !parsed) {
        return std::unexpected(parsed.error());
    }
    ExposeInstruction expose{info_of(node)};
    expose.ports = args;
    std::ranges::sort(expose.ports);
    return expose;
}

Parsed<Instruction> parse_user(const Node& node, const std::vector<std::string>& args) {
    if (args.size() != 1) {
        return failure(node.arguments_position, exactly_one("USER"));
    }
    Flags flags({});
    if (auto parsed = flags.parse(node, "USER"); !parsed) {
        return std::unexpected(parsed.error());
    }
    UserInstruction user{info_of(node)};
    user.user = args[0];
    return user;
}

Parsed<Instruction> parse_volume(const Node& node, const std::vector<std::string>& args) {
    if (args.empty()) {
        return failure(node.arguments_position, at_least_one("VOLUME"));
    }
    Flags flags({});
    if (auto parsed = flags.parse(node, "VOLUME"); !parsed) {
        return std::unexpected(parsed.error());
    }
    VolumeInstruction volume{info_of(node)};
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view v = trim(args[i]);
        if (v.empty()) {
            return failure(value_position(node, i), "VOLUME specified can not be an empty string");
        }
        volume.volumes.emplace_back(v);
    }
    return volume;
}

// Like BuildKit, STOPSIGNAL and ARG ignore flags.
Parsed<Instruction> parse_stopsignal(const Node& node, const std::vector<std::string>& args) {
    if (args.size() != 1) {
        return failure(node.arguments_position, exactly_one("STOPSIGNAL"));
    }
    StopSignalInstruction stop{info_of(node)};
    stop.signal = args[0];
    return stop;
}

Parsed<Instruction> parse_arg(const Node& node, const std::vector<std::string>& args) {
    if (args.empty()) {
        return failure(node.arguments_position, at_least_one("ARG"));
    }
    ArgInstruction arg{info_of(node)};
    for (std::size_t i = 0; i < args.size(); ++i) {
        ArgDefinition definition;
        if (auto equals = args[i].find('='); equals != std::string::npos) {
            if (equals == 0) {
                return failure(value_position(node, i), "ARG names can not be blank");
            }
            definition.key = args[i].substr(0, equals);
            definition.value = args[i].substr(equals + 1);
        } else {
            definition.key = args[i];
        }
        definition.doc_comment = doc_comment(node.comments, definition.key);
        arg.args.push_back(std::move(definition));
    }
    return arg;
}

Parsed<Instruction> parse_shell(const Node& node, const std::vector<std::string>& args) {
    Flags flags({});
    if (auto parsed = flags.parse(node, "SHELL"); !parsed) {
        return std::unexpected(parsed.error());
    }
    if (args.empty()) {
        return failure(node.arguments_position, at_least_one("SHELL"));
    }
    if (!node.json) {
        return failure(node.arguments_position, "SHELL requires the arguments to be in JSON form");
    }
    ShellInstruction shell{info_of(node)};
    shell.shell = args;
    return shell;
}

Parsed<Instruction> parse_node(const Node& node, char escape) {
    std::vector<std::string> args = node_args(node);
    std::string name = ascii_lower(node.name);
    if (name == "env") {
        return parse_env(node, args);
    }
    if (name == "maintainer") {
        return parse_maintainer(node, args);
    }
    if (name == "label") {
        return parse_label(node, args);
    }
    if (name == "add") {
        return parse_add(node, args);
    }
    if (name == "copy") {
        return parse_copy(node, args, escape);
    }
    if (name == "from") {
        return parse_from(node, args);
    }
    if (name == "onbuild") {
        return parse_onbuild(node, args);
    }
    if (name == "workdir") {
        return parse_workdir(node, args);
    }
    if (name == "run") {
        return parse_run(node, args);
    }
    if (name == "cmd") {
        return parse_cmd(node, args);
    }
    if (name == "healthcheck") {
        return parse_healthcheck(node, args);
    }
    if (name == "entrypoint") {
        return parse_entrypoint(node, args);
    }
    if (name == "expose") {
        return parse_expose(node, args);
    }
    if (name == "user") {
        return parse_user(node, args);
    }
    if (name == "volume") {
        return parse_volume(node, args);
    }
    if (name == "stopsignal") {
        return parse_stopsignal(node, args);
    }
    if (name == "arg") {
        return parse_arg(node, args);
    }
    if (name == "shell") {
        return parse_shell(node, args);
    }
    return failure(node.position,
                   with_suggestion("unknown instruction: " + node.name, node.name, k_instructions, false));
}

Error diagnostic(std::string_view file_name, std::string_view source, const Failure& f) {
    return Error(Errc::invalid_argument, format_diagnostic(file_name, source, f.position, f.message));
}

// ---------------------------------------------------------------------------------------------
// Mounts.

constexpr std::array<std::string_view, 5> k_mount_types = {"bind", "cache", "secret", "ssh", "tmpfs"};

std::optional<MountType> mount_type(std::string_view name) {
    static constexpr std::pair<std::string_view, MountType> k_types[] = {
        {"bind", MountType::bind},     {"cache", MountType::cache}, {"tmpfs", MountType::tmpfs},
        {"secret", MountType::secret}, {"ssh", MountType::ssh},
    };
    for (auto [text, type] : k_types) {
        if (text == name) {
            return type;
        }
    }
    return std::nullopt;
}

Result<MountSpec> parse_mount_impl(std::string_view spec, const Expander* expand) {
    auto invalid = [](std::string message) { return fail(Errc::invalid_argument, std::move(message)); };
    auto fields = csv_fields(spec);
    if (!fields) {
        return invalid("failed to parse csv mounts: " + fields.error().what());
    }
    MountSpec m;
    bool read_only_auto = true;
    auto type_name = [&] { return std::string(to_string(m.type)); };
    for (const std::string& field : *fields) {
        auto equals = field.find('=');
        std::string key = ascii_lower(field.substr(0, equals));
        if (equals == std::string::npos) {
            if (key == "readonly" || key == "ro") {
                m.read_only = true;
                read_only_auto = false;
            } else if (key == "readwrite" || key == "rw") {
                m.read_only = false;
                read_only_auto = false;
            } else if (key == "required") {
                if (m.type != MountType::secret && m.type != MountType::ssh) {
                    return invalid(fmt::format("unexpected key '{}' for mount type '{}'", key, type_name()));
                }
                m.required = true;
            } else {
                return invalid(fmt::format("invalid field '{}' must be a key=value pair", field));
            }
            continue;
        }
        std::string value = field.substr(equals + 1);
        if (expand != nullptr) {
            auto expanded = (*expand)(value);
            if (!expanded) {
                return std::unexpected(expanded.error());
            }
            value = std::move(*expanded);
        } else if (value.find('$') != std::string::npos) {
            if (key == "from" && value.find('$') != value.size() - 1) {
                return invalid(fmt::format("'{}' doesn't support variable expansion, define alias stage instead", key));
            }
            continue;  // checked when expanded
        }
        if (key == "type") {
            auto type = mount_type(ascii_lower(value));
            if (!type) {
                return invalid(with_suggestion(fmt::format("unsupported mount type {}", quote(value)), value,
                                               k_mount_types, true));
            }
            m.type = *type;
        } else if (key == "from") {
            m.from = value;
        } else if (key == "source" || key == "src") {
            m.source = value;
        } else if (key == "target" || key == "dst" || key == "destination") {
            m.target = value;
        } else if (key == "readonly" || key == "ro" || key == "readwrite" || key == "rw") {
            auto flag = parse_bool(value);
            if (!flag) {
                return invalid(fmt::format("invalid value for {}: {}", key, value));
            }
            m.read_only = key == "readonly" || key == "ro" ? *flag : !*flag;
            read_only_auto = false;
        } else if (key == "required") {
            if (m.type != MountType::secret && m.type != MountType::ssh) {
                return invalid(fmt::format("unexpected key '{}' for mount type '{}'", key, type_name()));
            }
            auto flag = parse_bool(value);
            if (!flag) {
                return invalid(fmt::format("invalid value for {}: {}", key, value));
            }
            m.required = *flag;
        } else if (key == "size") {
            if (m.type != MountType::tmpfs) {
                return invalid(fmt::format("unexpected key '{}' for mount type '{}'", key, type_name()));
            }
            auto size = parse_ram_in_bytes(value);
            if (!size) {
                return invalid(fmt::format("invalid value for {}: {}", key, value));
            }
            m.size_limit = *size;
        } else if (key == "id") {
            m.id = value;
        } else if (key == "sharing") {
            std::string mode = ascii_lower(value);
            static constexpr std::array<std::string_view, 3> k_modes = {"locked", "private", "shared"};
            if (mode == "shared") {
                m.sharing = CacheSharing::shared;
            } else if (mode == "private") {
                m.sharing = CacheSharing::private_;
            } else if (mode == "locked") {
                m.sharing = CacheSharing::locked;
            } else {
                return invalid(
                    with_suggestion(fmt::format("unsupported sharing value {}", quote(value)), value, k_modes, true));
            }
        } else if (key == "mode" || key == "uid" || key == "gid") {
            auto number = parse_uint32(value, key == "mode" ? 8 : 10);
            if (!number) {
                return invalid(fmt::format("invalid value {} for {}", value, key));
            }
            (key == "mode" ? m.mode : key == "uid" ? m.uid : m.gid) = *number;
        } else if (key == "env") {
            m.env = value;
        } else {
            static constexpr std::array<std::string_view, 19> k_keys = {
                "type", "from", "source", "target", "readonly",    "id", "sharing", "required",  "size", "mode",
                "uid",  "gid",  "src",    "dst",    "destination", "ro", "rw",      "readwrite", "env",
            };
            return invalid(with_suggestion(fmt::format("unexpected key '{}' in '{}'", key, field), key, k_keys, true));
        }
    }
    bool file_info_allowed = m.type == MountType::secret || m.type == MountType::ssh || m.type == MountType::cache;
    if (!file_info_allowed) {
        for (auto [name, set] : {std::pair{"mode", m.mode.has_value()}, std::pair{"uid", m.uid.has_value()},
                                 std::pair{"gid", m.gid.has_value()}}) {
            if (set) {
                return invalid(fmt::format("{} not allowed for {} type mounts", name, quote(type_name())));
            }
        }
    }
    if (read_only_auto) {
        m.read_only = m.type != MountType::cache && m.type != MountType::tmpfs;
    }
    if (m.type == MountType::secret) {
        if (!m.from.empty()) {
            return invalid("secret mount should not have a from");
        }
        if (m.sharing) {
            return invalid("secret mount should not define sharing");
        }
        if (m.source.empty() && m.target.empty() && m.id.empty()) {
            return invalid("invalid secret mount. one of source, target required");
        }
        if (!m.source.empty() && !m.id.empty()) {
            return invalid("both source and id can't be set");
        }
    }
    if (m.sharing && m.type != MountType::cache) {
        return invalid(fmt::format("invalid cache sharing set for {} mount", type_name()));
    }
    return m;
}

// Names BuildKit keeps out of the environment although ARG declares them.
bool is_non_env_arg(std::string_view name) {
    return name == "BUILDKIT_SBOM_SCAN_CONTEXT" || name == "BUILDKIT_SBOM_SCAN_STAGE";
}

void add_env(std::vector<std::string>& env, std::string_view key, std::string_view value) {
    std::string entry = fmt::format("{}={}", key, value);
    for (std::string& existing : env) {
        if (existing.substr(0, existing.find('=')) == key) {
            existing = std::move(entry);
            return;
        }
    }
    env.push_back(std::move(entry));
}

}  // namespace

std::string_view to_string(MountType type) {
    switch (type) {
        case MountType::bind:
            return "bind";
        case MountType::cache:
            return "cache";
        case MountType::tmpfs:
            return "tmpfs";
        case MountType::secret:
            return "secret";
        case MountType::ssh:
            return "ssh";
    }
    return "bind";
}

std::string_view to_string(CacheSharing sharing) {
    switch (sharing) {
        case CacheSharing::shared:
            return "shared";
        case CacheSharing::private_:
            return "private";
        case CacheSharing::locked:
            return "locked";
    }
    return "shared";
}

Result<MountSpec> parse_mount(std::string_view spec, const Expander* expand) {
    return parse_mount_impl(spec, expand);
}

const InstructionInfo& info(const Instruction& instruction) {
    return std::visit([](const auto& i) -> const InstructionInfo& { return i; }, instruction);
}

Result<Instruction> parse_instruction(const Node& node, const Ast& ast) {
    auto parsed = parse_node(node, ast.escape);
    if (!parsed) {
        return std::unexpected(diagnostic(ast.file_name, ast.source, parsed.error()));
    }
    return std::move(*parsed);
}

Result<Dockerfile> Dockerfile::parse(std::string_view text, std::string_view file_name) {
    auto ast = HOIST_TRY(dockerfile::parse(text, file_name));
    return from_ast(ast);
}

Result<Dockerfile> Dockerfile::from_ast(const Ast& ast) {
    Dockerfile file;
    file.escape = ast.escape;
    file.file_name = ast.file_name;
    file.source = ast.source;
    for (const Node& node : ast.nodes) {
        auto instruction = HOIST_TRY(parse_instruction(node, ast));
        if (file.stages.empty()) {
            if (auto* arg = std::get_if<ArgInstruction>(&instruction)) {
                file.global_args.push_back(std::move(*arg));
                continue;
            }
        }
        if (auto* from = std::get_if<FromInstruction>(&instruction)) {
            Stage stage{from->stage_name, file.stages.size(), std::move(*from), {}};
            file.stages.push_back(std::move(stage));
            continue;
        }
        if (file.stages.empty()) {
            return std::unexpected(diagnostic(
                ast.file_name, ast.source,
                {node.position, fmt::format("no build stage in current context: {} before the first FROM (only ARG "
                                            "may come before it)",
                                            upper(node.name))}));
        }
        file.stages.back().instructions.push_back(std::move(instruction));
    }
    if (file.stages.empty()) {
        return std::unexpected(diagnostic(ast.file_name, ast.source,
                                          {ast.nodes.front().position, "dockerfile contains no stages to build"}));
    }
    return file;
}

const Stage* Dockerfile::find_stage(std::string_view name) const {
    std::string wanted = ascii_lower(name);
    const Stage* found = nullptr;
    for (const Stage& stage : stages) {
        if (!stage.name.empty() && stage.name == wanted) {
            found = &stage;
        }
    }
    return found;
}

// ---------------------------------------------------------------------------------------------
// Variables.

bool is_predefined_arg(std::string_view name) {
    static constexpr std::string_view k_names[] = {
        "HTTP_PROXY",     "http_proxy",    "HTTPS_PROXY",  "https_proxy",    "FTP_PROXY",     "ftp_proxy",
        "NO_PROXY",       "no_proxy",      "ALL_PROXY",    "all_proxy",      "BUILDPLATFORM", "BUILDOS",
        "BUILDOSVERSION", "BUILDARCH",     "BUILDVARIANT", "TARGETPLATFORM", "TARGETOS",      "TARGETOSVERSION",
        "TARGETARCH",     "TARGETVARIANT", "TARGETSTAGE",
    };
    return std::ranges::find(k_names, name) != std::end(k_names);
}

Variables platform_args(const BuildContext& context) {
    const oci::Platform& build = context.build_platform;
    const oci::Platform& target = context.target_platform;
    auto format = [](const oci::Platform& p) { return p.os.empty() && p.architecture.empty() ? "" : p.to_string(); };
    Variables args = {
        {"BUILDPLATFORM", format(build)},
        {"BUILDOS", build.os},
        {"BUILDOSVERSION", build.os_version},
        {"BUILDARCH", build.architecture},
        {"BUILDVARIANT", build.variant},
        {"TARGETPLATFORM", format(target)},
        {"TARGETOS", target.os},
        {"TARGETOSVERSION", target.os_version},
        {"TARGETARCH", target.architecture},
        {"TARGETVARIANT", target.variant},
        {"TARGETSTAGE", context.target.empty() ? "default" : context.target},
    };
    for (auto& [name, value] : args) {
        if (auto given = context.build_args.find(name); given != context.build_args.end()) {
            value = given->second;
        }
    }
    return args;
}

Variables proxy_args(const Variables& build_args) {
    Variables proxies;
    for (const auto& [name, value] : build_args) {
        std::string l = ascii_lower(name);
        if (l == "http_proxy" || l == "https_proxy" || l == "ftp_proxy" || l == "no_proxy" || l == "all_proxy") {
            proxies.emplace(name, value);
        }
    }
    return proxies;
}

Result<Variables> global_scope(const Dockerfile& dockerfile, const BuildContext& context) {
    BuildContext with_target = context;
    if (with_target.target.empty() && !dockerfile.stages.empty()) {
        with_target.target = dockerfile.stages.back().name;
    }
    Variables variables = platform_args(with_target);
    ShellLexer lexer(dockerfile.escape);
    for (const ArgInstruction& instruction : dockerfile.global_args) {
        for (const ArgDefinition& arg : instruction.args) {
            std::optional<std::string> value;
            if (auto given = context.build_args.find(arg.key); given != context.build_args.end()) {
                value = given->second;
            } else if (arg.value) {
                auto expanded = lexer.process_word(*arg.value, variables);
                if (!expanded) {
                    return std::unexpected(diagnostic(dockerfile.file_name, dockerfile.source,
                                                      {instruction.position, expanded.error().what()}));
                }
                value = std::move(*expanded);
            }
            if (value) {
                variables.insert_or_assign(arg.key, std::move(*value));
            }
        }
    }
    return variables;
}

StageScope::StageScope(Variables globals, Variables build_args, const std::vector<std::string>& base_env, char escape)
    : m_globals(std::move(globals)), m_build_args(std::move(build_args)), m_image_env(base_env), m_lexer(escape) {
    for (const std::string& entry : base_env) {
        auto equals = entry.find('=');
        m_variables.insert_or_assign(entry.substr(0, equals),
                                     equals == std::string::npos ? "" : entry.substr(equals + 1));
    }
}

Result<void> StageScope::declare(const ArgInstruction& arg) {
    for (const ArgDefinition& definition : arg.args) {
        std::optional<std::string> value;
        auto given = m_build_args.find(definition.key);
        if (given != m_build_args.end()) {
            value = given->second;
        } else if (definition.value) {
            value = HOIST_TRY(m_lexer.process_word(*definition.value, m_variables));
        } else if (auto global = m_globals.find(definition.key); global != m_globals.end()) {
            value = global->second;
        }
        if (value && !is_non_env_arg(definition.key)) {
            m_variables.insert_or_assign(definition.key, *value);
        }
        m_declared.push_back({definition.key, value, definition.doc_comment});
    }
    return {};
}

Result<void> StageScope::set(const EnvInstruction& env) {
    std::vector<std::pair<std::string, std::string>> expanded;
    for (const KeyValue& variable : env.variables) {
        auto key = HOIST_TRY(m_lexer.process_word(variable.key, m_variables));
        auto value = HOIST_TRY(m_lexer.process_word(variable.value, m_variables));
        expanded.emplace_back(std::move(key), std::move(value));
    }
    for (auto& [key, value] : expanded) {
        add_env(m_image_env, key, value);
        m_variables.insert_or_assign(std::move(key), std::move(value));
    }
    return {};
}

Result<std::string> StageScope::expand(std::string_view word) const {
    return m_lexer.process_word(word, m_variables);
}

Result<std::vector<std::string>> StageScope::expand_words(std::string_view word) const {
    return m_lexer.process_words(word, m_variables);
}

namespace {

// Expands the fields BuildKit's Expand() methods expand.
struct Expanding {
    const StageScope& scope;

    Result<void> word(std::string& text) const {
        text = HOIST_TRY(scope.expand(text));
        return {};
    }
    Result<void> words(std::vector<std::string>& list) const {
        for (std::string& text : list) {
            HOIST_TRY(word(text));
        }
        return {};
    }
    Result<void> pairs(std::vector<KeyValue>& list) const {
        for (KeyValue& pair : list) {
            HOIST_TRY(word(pair.key));
            HOIST_TRY(word(pair.value));
        }
        return {};
    }

    Result<void> operator()(EnvInstruction& i) const { return pairs(i.variables); }
    Result<void> operator()(LabelInstruction& i) const { return pairs(i.labels); }
    Result<void> operator()(AddInstruction& i) const {
        HOIST_TRY(word(i.chown));
        HOIST_TRY(word(i.chmod));
        HOIST_TRY(word(i.checksum));
        HOIST_TRY(words(i.sources));
        return word(i.destination);
    }
    Result<void> operator()(CopyInstruction& i) const {
        HOIST_TRY(word(i.chown));
        HOIST_TRY(word(i.chmod));
        HOIST_TRY(words(i.sources));
        return word(i.destination);
    }
    Result<void> operator()(WorkdirInstruction& i) const { return word(i.path); }
    Result<void> operator()(UserInstruction& i) const { return word(i.user); }
    Result<void> operator()(VolumeInstruction& i) const { return words(i.volumes); }
    Result<void> operator()(StopSignalInstruction& i) const { return word(i.signal); }
    Result<void> operator()(ExposeInstruction& i) const {
        std::vector<std::string> ports;
        for (const std::string& port : i.ports) {
            auto split = HOIST_TRY(scope.expand_words(port));
            ports.insert(ports.end(), split.begin(), split.end());
        }
        i.ports = std::move(ports);
        return {};
    }
    Result<void> operator()(RunInstruction& i) const {
        Expander expander = [this](std::string_view text) { return scope.expand(text); };
        i.mounts.clear();
        for (const std::string& flag : i.mount_flags) {
            auto mount = HOIST_TRY(parse_mount(flag, &expander));
            i.mounts.push_back(std::move(mount));
        }
        return {};
    }
    template <class Other>
    Result<void> operator()(Other&) const {
        return {};
    }
};

}  // namespace

Result<Instruction> expand(const Instruction& instruction, const StageScope& scope, const Dockerfile& file) {
    Instruction copy = instruction;
    auto expanded = std::visit(Expanding{scope}, copy);
    if (!expanded) {
        return std::unexpected(
            diagnostic(file.file_name, file.source, {info(instruction).position, expanded.error().what()}));
    }
    return copy;
}

Result<FromInstruction> expand_from(const FromInstruction& from, const Variables& globals, const Dockerfile& file) {
    auto error = [&](std::string message) {
        return std::unexpected(diagnostic(file.file_name, file.source, {from.position, std::move(message)}));
    };
    ShellLexer lexer(file.escape);
    FromInstruction out = from;
    auto base = lexer.process_word(from.base, globals);
    if (!base) {
        return error(base.error().what());
    }
    if (base->empty()) {
        return error(fmt::format("base name ({}) should not be blank", from.base));
    }
    out.base = std::move(*base);
    if (!from.platform.empty()) {
        auto platform = lexer.process_word(from.platform, globals);
        if (!platform) {
            return error(
                fmt::format("failed to process arguments for platform {}: {}", from.platform, platform.error().what()));
        }
        if (platform->empty()) {
            return error(fmt::format("empty platform value from expression {}", from.platform));
        }
        out.platform = std::move(*platform);
    }
    return out;
}

}  // namespace hoist::dockerfile
