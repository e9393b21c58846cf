#include "src/dockerfile/parser.hpp"

#include "oci/text.hpp"
#include "src/dockerfile/shell_lexer.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <expected>
#include <limits>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

// BuildKit is written in Go, and what it accepts and how it splits words follows Go's library
// functions: unicode.IsSpace, utf8.DecodeRune (invalid bytes become U+FFFD), regexp's Split,
// encoding/json and strconv.Quote. The helpers below reproduce those rules so that hoist reads a
// Dockerfile as BuildKit does, byte for byte.

namespace hoist::dockerfile {
namespace {

constexpr char32_t k_rune_error = 0xFFFD;
// bufio.Scanner's limit, which BuildKit inherits: a longer line is an error.
constexpr std::size_t k_max_line = 65535;
// ONBUILD ONBUILD ... nests one node per word; BuildKit has no limit, a C++ stack has one.
constexpr int k_max_nesting = 64;

struct Rune {
    char32_t value;
    std::size_t width;
};

// utf8.DecodeRuneInString at `pos`: an invalid or truncated sequence is U+FFFD of width 1.
Rune decode_rune(std::string_view s, std::size_t pos) {
    DecodedRune r = dockerfile::decode_rune(s.substr(pos));
    return {r.value, r.size};
}

bool is_space(char32_t r) {
    return is_go_space(r);
}

// unicode.IsSpace(rune(b)) on a single byte, as BuildKit's flag and HEALTHCHECK splitters do.
bool is_space_byte(char c) {
    return is_space(static_cast<unsigned char>(c));
}

// The ASCII whitespace of BuildKit's reWhitespace, `[\t\v\f\r ]`.
bool is_blank(char c) {
    return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ';
}

// Go regexp's \s: `[\t\n\f\r ]`.
bool is_regexp_space(char c) {
    return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

// strings.TrimLeftFunc(s, unicode.IsSpace): the number of bytes trimmed.
std::size_t leading_space(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        Rune r = decode_rune(s, i);
        if (!is_space(r.value)) {
            break;
        }
        i += r.width;
    }
    return i;
}

// strings.TrimRightFunc(s, unicode.IsSpace): the length that remains.
std::size_t trimmed_right_length(std::string_view s) {
    std::size_t end = s.size();
    while (end > 0) {
        auto last = static_cast<unsigned char>(s[end - 1]);
        if (last < 0x80) {
            if (!is_space(last)) {
                break;
            }
            --end;
            continue;
        }
        std::size_t width = 0;
        for (std::size_t k = 2; k <= 4 && k <= end; ++k) {
            Rune r = decode_rune(s.substr(0, end), end - k);
            if (r.width == k) {
                width = is_space(r.value) ? k : 0;
                break;
            }
        }
        if (width == 0) {
            break;
        }
        end -= width;
    }
    return end;
}

// A trimmed view and where it starts in the untrimmed one (strings.TrimSpace).
struct Trimmed {
    std::string_view text;
    std::size_t offset;
};

Trimmed trim_space(std::string_view s) {
    std::size_t start = leading_space(s);
    std::string_view rest = s.substr(start);
    return {rest.substr(0, trimmed_right_length(rest)), start};
}

// bytes.TrimRight(line, "\r\n").
std::string_view trim_newline(std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
        line.remove_suffix(1);
    }
    return line;
}

bool is_comment(std::string_view line) {
    std::size_t start = leading_space(line);
    return start < line.size() && line[start] == '#';
}

struct Piece {
    std::string_view text;
    std::size_t offset;
};

// regexp.MustCompile(`[\t\v\f\r ]+`).Split(s, n), with each piece's offset in `s`.
std::vector<Piece> split_blanks(std::string_view s, int n) {
    if (s.empty()) {
        return {{s, 0}};
    }
    std::vector<std::pair<std::size_t, std::size_t>> matches;
    for (std::size_t i = 0; i < s.size() && (n < 0 || int(matches.size()) < n);) {
        if (!is_blank(s[i])) {
            ++i;
            continue;
        }
        std::size_t start = i;
        while (i < s.size() && is_blank(s[i])) {
            ++i;
        }
        matches.emplace_back(start, i);
    }
    std::vector<Piece> pieces;
    std::size_t begin = 0;
    std::size_t end = 0;
    for (auto [match_start, match_end] : matches) {
        if (n > 0 && int(pieces.size()) == n - 1) {
            break;
        }
        end = match_start;
        if (match_end != 0) {
            pieces.push_back({s.substr(begin, end - begin), begin});
        }
        begin = match_end;
    }
    if (end != s.size()) {
        pieces.push_back({s.substr(begin), begin});
    }
    return pieces;
}

// ---------------------------------------------------------------------------------------------
// Locations: a logical line is made of pieces of physical lines; diagnostics need to map an
// offset in it back to a line and a column.

struct Segment {
    std::size_t logical;  // where the piece starts in the logical line
    int line;             // 1-based physical line
    std::size_t byte;     // where the piece starts in that line
};

struct Failure {
    Position position;
    std::string message;
};

template <class T>
using Parsed = std::expected<T, Failure>;

std::unexpected<Failure> failure(Position position, std::string message) {
    return std::unexpected(Failure{position, std::move(message)});
}

class SourceMap {
public:
    explicit SourceMap(std::string_view source) : m_source(source) {
        m_starts.push_back(0);
        for (std::size_t i = 0; i < source.size(); ++i) {
            if (source[i] == '\n' && i + 1 < source.size()) {
                m_starts.push_back(i + 1);
            }
        }
    }

    // The position of byte `byte` of physical line `line`. Counting resumes from the previous
    // answer when it can: positions are asked for in increasing order, and a line can hold
    // thousands of arguments.
    Position at(int line, std::size_t byte) const {
        if (line < 1 || std::size_t(line) > m_starts.size()) {
            return {line, 1};
        }
        std::string_view text = m_source.substr(m_starts[line - 1]);
        byte = std::min(byte, text.size());
        std::size_t from = 0;
        int column = 1;
        if (m_last_line == line && m_last_byte <= byte) {
            from = m_last_byte;
            column = m_last_column;
        }
        for (std::size_t i = from; i < byte; ++i) {
            if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
                ++column;
            }
        }
        m_last_line = line;
        m_last_byte = byte;
        m_last_column = column;
        return {line, column};
    }

private:
    std::string_view m_source;
    std::vector<std::size_t> m_starts;
    mutable int m_last_line = 0;
    mutable std::size_t m_last_byte = 0;
    mutable int m_last_column = 1;
};

// Maps offsets in one logical line to positions.
class LineMap {
public:
    LineMap(const SourceMap& source, std::vector<Segment> segments)
        : m_source(&source), m_segments(std::move(segments)) {}

    Position at(std::size_t offset) const {
        if (m_segments.empty()) {
            return {0, 0};
        }
        auto it = std::upper_bound(m_segments.begin(), m_segments.end(), offset,
                                   [](std::size_t value, const Segment& s) { return value < s.logical; });
        const Segment& segment = it == m_segments.begin() ? m_segments.front() : *std::prev(it);
        std::size_t into = offset >= segment.logical ? offset - segment.logical : 0;
        return m_source->at(segment.line, segment.byte + into);
    }

private:
    const SourceMap* m_source;
    std::vector<Segment> m_segments;
};

// ---------------------------------------------------------------------------------------------
// Go's encoding/json, as far as parseJSON needs it: the whole text must be one valid JSON value
// (checkValid), and the top-level array's elements must all be strings.

enum class JsonKind { not_json, not_strings, strings };

struct JsonArray {
    JsonKind kind = JsonKind::not_json;
    std::vector<std::string> values;
};

class JsonReader {
public:
    explicit JsonReader(std::string_view text) : m_text(text) {}

    JsonArray read_array() {
        JsonArray result;
        bool all_strings = true;
        std::vector<char> stack;
        skip_whitespace();
        // The value-reading loop: `expect_value` after a '[', ',' or ':'; otherwise after a value.
        bool expect_value = true;
        for (;;) {
            if (expect_value) {
                skip_whitespace();
                if (m_pos >= m_text.size()) {
                    return {};
                }
                char c = m_text[m_pos];
                bool top_element = stack.size() == 1 && stack.back() == '[';
                if (c == '[' || c == '{') {
                    if (top_element) {
                        all_strings = false;
                    }
                    if (stack.size() >= 10000) {
                        return {};  // Go: "exceeded max depth"
                    }
                    stack.push_back(c);
                    ++m_pos;
                    skip_whitespace();
                    if (m_pos < m_text.size() && m_text[m_pos] == (c == '[' ? ']' : '}')) {
                        ++m_pos;
                        stack.pop_back();
                        expect_value = false;
                        continue;
                    }
                    if (c == '{') {
                        if (!read_key()) {
                            return {};
                        }
                    }
                    continue;
                }
                if (c == '"') {
                    std::string value;
                    if (!read_string(top_element ? &value : nullptr)) {
                        return {};
                    }
                    if (top_element) {
                        result.values.push_back(std::move(value));
                    }
                } else {
                    if (top_element) {
                        all_strings = false;
                    }
                    if (!read_scalar()) {
                        return {};
                    }
                }
                expect_value = false;
                continue;
            }
            skip_whitespace();
            if (stack.empty()) {
                break;
            }
            if (m_pos >= m_text.size()) {
                return {};
            }
            char c = m_text[m_pos++];
            if (c == ',') {
                if (stack.back() == '{' && !read_key()) {
                    return {};
                }
                expect_value = true;
            } else if (c == (stack.back() == '[' ? ']' : '}')) {
                stack.pop_back();
            } else {
                return {};
            }
        }
        if (m_pos != m_text.size()) {
            return {};
        }
        result.kind = all_strings ? JsonKind::strings : JsonKind::not_strings;
        if (!all_strings) {
            result.values.clear();
        }
        return result;
    }

private:
    void skip_whitespace() {
        while (m_pos < m_text.size() &&
               (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' || m_text[m_pos] == '\n' || m_text[m_pos] == '\r')) {
            ++m_pos;
        }
    }

    // `"key" :` inside an object.
    bool read_key() {
        skip_whitespace();
        if (m_pos >= m_text.size() || m_text[m_pos] != '"' || !read_string(nullptr)) {
            return false;
        }
        skip_whitespace();
        if (m_pos >= m_text.size() || m_text[m_pos] != ':') {
            return false;
        }
        ++m_pos;
        return true;
    }

    std::optional<char32_t> hex4(std::size_t at) const {
        if (at + 4 > m_text.size()) {
            return std::nullopt;
        }
        char32_t value = 0;
        for (std::size_t i = at; i < at + 4; ++i) {
            char c = m_text[i];
            int digit = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
            if (digit < 0) {
                return std::nullopt;
            }
            value = value * 16 + char32_t(digit);
        }
        return value;
    }

    // A string at m_pos; decoded into `out` when given (invalid UTF-8 and lone surrogates
    // become U+FFFD, as Go decodes them).
    bool read_string(std::string* out) {
        ++m_pos;  // the opening quote
        while (m_pos < m_text.size()) {
            auto c = static_cast<unsigned char>(m_text[m_pos]);
            if (c == '"') {
                ++m_pos;
                return true;
            }
            if (c < 0x20) {
                return false;
            }
            if (c == '\\') {
                if (m_pos + 1 >= m_text.size()) {
                    return false;
                }
                char e = m_text[m_pos + 1];
                m_pos += 2;
                char decoded = 0;
                switch (e) {
                    case '"':
                    case '\\':
                    case '/':
                        decoded = e;
                        break;
                    case 'b':
                        decoded = '\b';
                        break;
                    case 'f':
                        decoded = '\f';
                        break;
                    case 'n':
                        decoded = '\n';
                        break;
                    case 'r':
                        decoded = '\r';
                        break;
                    case 't':
                        decoded = '\t';
                        break;
                    case 'u': {
                        auto r = hex4(m_pos);
                        if (!r) {
                            return false;
                        }
                        m_pos += 4;
                        char32_t rune = *r;
                        if (rune >= 0xD800 && rune < 0xE000) {
                            auto low = m_pos + 6 <= m_text.size() && m_text[m_pos] == '\\' && m_text[m_pos + 1] == 'u'
                                           ? hex4(m_pos + 2)
                                           : std::nullopt;
                            if (rune < 0xDC00 && low && *low >= 0xDC00 && *low < 0xE000) {
                                rune = 0x10000 + ((rune - 0xD800) << 10) + (*low - 0xDC00);
                                m_pos += 6;
                            } else {
                                rune = k_rune_error;
                            }
                        }
                        if (out != nullptr) {
                            append_rune(*out, rune);
                        }
                        continue;
                    }
                    default:
                        return false;
                }
                if (out != nullptr) {
                    *out += decoded;
                }
                continue;
            }
            Rune r = decode_rune(m_text, m_pos);
            if (out != nullptr) {
                if (r.value == k_rune_error && r.width == 1) {
                    append_rune(*out, k_rune_error);
                } else {
                    out->append(m_text.substr(m_pos, r.width));
                }
            }
            m_pos += r.width;
        }
        return false;
    }

    // A number, true, false or null.
    bool read_scalar() {
        for (std::string_view literal : {"true", "false", "null"}) {
            if (m_text.substr(m_pos, literal.size()) == literal) {
                m_pos += literal.size();
                return true;
            }
        }
        auto digit = [&] { return m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9'; };
        auto digits = [&] {
            if (!digit()) {
                return false;
            }
            while (digit()) {
                ++m_pos;
            }
            return true;
        };
        if (m_pos < m_text.size() && m_text[m_pos] == '-') {
            ++m_pos;
        }
        if (m_pos < m_text.size() && m_text[m_pos] == '0') {
            ++m_pos;
        } else if (!digits()) {
            return false;
        }
        if (m_pos < m_text.size() && m_text[m_pos] == '.') {
            ++m_pos;
            if (!digits()) {
                return false;
            }
        }
        if (m_pos < m_text.size() && (m_text[m_pos] == 'e' || m_text[m_pos] == 'E')) {
            ++m_pos;
            if (m_pos < m_text.size() && (m_text[m_pos] == '+' || m_text[m_pos] == '-')) {
                ++m_pos;
            }
            if (!digits()) {
                return false;
            }
        }
        return true;
    }

    std::string_view m_text;
    std::size_t m_pos = 0;
};

// ---------------------------------------------------------------------------------------------
// ParseHeredoc on a word: nullopt when it is not a heredoc.
std::expected<std::optional<Heredoc>, std::string> heredoc_from_word(std::string_view word) {
    // ^(\d*)<<(-?)\s*([^<]*)$
    std::size_t i = 0;
    unsigned long long fd = 0;
    while (i < word.size() && word[i] >= '0' && word[i] <= '9') {
        fd = std::min<unsigned long long>(fd * 10 + unsigned(word[i] - '0'), std::numeric_limits<unsigned>::max());
        ++i;
    }
    if (word.substr(i, 2) != "<<") {
        return std::nullopt;
    }
    i += 2;
    bool chomp = i < word.size() && word[i] == '-';
    if (chomp) {
        ++i;
    }
    while (i < word.size() && is_regexp_space(word[i])) {
        ++i;
    }
    std::string_view rest = word.substr(i);
    if (rest.find('<') != std::string_view::npos || rest.empty()) {
        return std::nullopt;
    }
    // BuildKit lexes the delimiter with and without quotes kept: if they differ, part of it was
    // quoted, and the body is not to be expanded. Always with '\\' as the escape character.
    const Variables none;
    auto words = ShellLexer('\\', {.skip_unset = true}).process_words(rest, none);
    if (!words) {
        return std::unexpected(words.error().what());
    }
    if (words->size() != 1) {
        return std::nullopt;
    }
    auto raw = ShellLexer('\\', {.raw_quotes = true, .skip_unset = true}).process_words(rest, none);
    if (!raw) {
        return std::unexpected(raw.error().what());
    }
    if (raw->size() != words->size()) {
        return std::unexpected(fmt::format("internal lexing of heredoc produced inconsistent results: {}", rest));
    }
    auto quotes = [](std::string_view s) { return std::ranges::count(s, '\'') + std::ranges::count(s, '"'); };
    Heredoc heredoc;
    heredoc.name = words->front();
    heredoc.expand = quotes(words->front()) == quotes(raw->front());
    heredoc.chomp = chomp;
    heredoc.file_descriptor = unsigned(fd);
    return heredoc;
}

// ---------------------------------------------------------------------------------------------
// Directives.

struct Directives {
    char escape = '\\';
    bool done = false;
    std::set<std::string> seen;
    std::vector<Directive> found;
};

// DirectiveParser.ParseLine plus setEscapeToken: true when `line` was a directive.
Parsed<bool> parse_directive(Directives& d, std::string_view line, int line_number) {
    if (d.done) {
        return false;
    }
    if (line.empty() || line.front() != '#') {
        d.done = true;
        return false;
    }
    line.remove_prefix(1);
    line.remove_prefix(leading_space(line));
    // ^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    std::size_t i = 0;
    if (line.empty() || !alpha(line[0])) {
        d.done = true;
        return false;
    }
    while (i < line.size() && (alpha(line[i]) || (line[i] >= '0' && line[i] <= '9'))) {
        ++i;
    }
    std::string key = ascii_lower(line.substr(0, i));
    while (i < line.size() && is_regexp_space(line[i])) {
        ++i;
    }
    if (i >= line.size() || line[i] != '=') {
        d.done = true;
        return false;
    }
    ++i;
    std::size_t value_start = i;
    while (value_start < line.size() && is_regexp_space(line[value_start])) {
        ++value_start;
    }
    std::size_t value_end = line.size();
    while (value_end > value_start && is_regexp_space(line[value_end - 1])) {
        --value_end;
    }
    std::string value;
    if (value_start < value_end) {
        value = line.substr(value_start, value_end - value_start);
    } else if (i < line.size()) {
        // Only spaces after '=': the lazy `(.+?)` takes the last one.
        value = line.substr(line.size() - 1);
    } else {
        d.done = true;
        return false;
    }
    if (key != "syntax" && key != "escape" && key != "check") {
        d.done = true;
        return false;
    }
    if (!d.seen.insert(key).second) {
        return failure({line_number, 1}, fmt::format("only one {} parser directive can be used", key));
    }
    if (key == "escape") {
        if (value != "`" && value != "\\") {
            return failure({line_number, 1}, fmt::format("invalid escape token '{}' does not match ` or \\", value));
        }
        d.escape = value[0];
    }
    d.found.push_back({key, value, line_number});
    return true;
}

// ---------------------------------------------------------------------------------------------
// Instruction lines.

// What an instruction's line parser made of its arguments.
struct Arguments {
    std::vector<std::string> values;
    std::vector<std::size_t> offsets;  // one per value, or empty when unknown
    bool json = false;
    std::vector<Node> children;
};

class LineParser {
public:
    LineParser(const Directives& directives, const LineMap& map) : m_escape(directives.escape), m_map(map) {}

    // newNodeFromLine: `line` starts at `base` in the logical line.
    Parsed<Node> node(std::string_view line, std::size_t base, int depth) {
        if (depth > k_max_nesting) {
            return failure(m_map.at(base), "ONBUILD nested too deeply");
        }
        Trimmed trimmed = trim_space(line);
        std::size_t start = base + trimmed.offset;
        auto parts = split_blanks(trimmed.text, 2);
        Node node;
        node.name = parts[0].text;
        node.original = line;
        node.position = m_map.at(start);
        std::string_view args;
        std::size_t args_offset = start + trimmed.text.size();
        if (parts.size() == 2) {
            std::size_t rest_offset = start + parts[1].offset;
            auto flags = extract_flags(parts[1].text, rest_offset);
            node.flags = std::move(flags.words);
            for (std::size_t offset : flags.offsets) {
                node.flag_positions.push_back(m_map.at(offset));
            }
            Trimmed rest = trim_space(flags.rest);
            args = rest.text;
            args_offset = flags.rest_offset + rest.offset;
        }
        node.arguments_position = m_map.at(args.empty() && parts.size() == 1 ? start : args_offset);
        auto parsed = dispatch(ascii_lower(node.name), args, args_offset, depth);
        if (!parsed) {
            return std::unexpected(parsed.error());
        }
        node.values = std::move(parsed->values);
        for (std::size_t offset : parsed->offsets) {
            node.value_positions.push_back(m_map.at(offset));
        }
        node.json = parsed->json;
        node.children = std::move(parsed->children);
        return node;
    }

private:
    struct Flags {
        std::vector<std::string> words;
        std::vector<std::size_t> offsets;
        std::string_view rest;
        std::size_t rest_offset;
    };

    // extractBuilderFlags: leading `--words`, byte by byte, quotes and escapes removed, up to
    // the first word that does not start with "--" or a lone "--".
    Flags extract_flags(std::string_view line, std::size_t base) const {
        enum { in_spaces, in_word, in_quote } phase = in_spaces;
        Flags flags{{}, {}, {}, base + line.size()};
        std::string word;
        std::size_t word_start = 0;
        char quote = 0;
        bool blank_ok = false;
        // Each byte is written as the rune of that value, as BuildKit's WriteRune(rune(byte)).
        auto put = [&](char c) { append_rune(word, static_cast<unsigned char>(c)); };
        for (std::size_t pos = 0; pos <= line.size(); ++pos) {
            char ch = pos < line.size() ? line[pos] : 0;
            if (phase == in_spaces) {
                if (pos == line.size()) {
                    break;
                }
                if (is_space_byte(ch)) {
                    continue;
                }
                if (ch != '-' || pos + 1 == line.size() || line[pos + 1] != '-') {
                    flags.rest = line.substr(pos);
                    flags.rest_offset = base + pos;
                    return flags;
                }
                phase = in_word;
                word_start = pos;
            }
            if (pos == line.size()) {
                if (word != "--" && (blank_ok || !word.empty())) {
                    flags.words.push_back(word);
                    flags.offsets.push_back(base + word_start);
                }
                break;
            }
            if (phase == in_word) {
                if (is_space_byte(ch)) {
                    phase = in_spaces;
                    if (word == "--") {
                        flags.rest = line.substr(pos);
                        flags.rest_offset = base + pos;
                        return flags;
                    }
                    if (blank_ok || !word.empty()) {
                        flags.words.push_back(word);
                        flags.offsets.push_back(base + word_start);
                    }
                    word.clear();
                    blank_ok = false;
                    continue;
                }
                if (ch == '\'' || ch == '"') {
                    quote = ch;
                    blank_ok = true;
                    phase = in_quote;
                    continue;
                }
                if (ch == m_escape) {
                    if (pos + 1 == line.size()) {
                        continue;
                    }
                    ch = line[++pos];
                }
                put(ch);
                continue;
            }
            // in_quote
            if (ch == quote) {
                phase = in_word;
                continue;
            }
            if (ch == m_escape) {
                if (pos + 1 == line.size()) {
                    phase = in_word;
                    continue;
                }
                ch = line[++pos];
            }
            put(ch);
        }
        flags.rest = {};
        return flags;
    }

    Parsed<Arguments> dispatch(const std::string& command, std::string_view rest, std::size_t offset, int depth) {
        if (command == "add" || command == "copy" || command == "volume") {
            return maybe_json_to_list(rest, offset);
        }
        if (command == "cmd" || command == "entrypoint" || command == "run" || command == "shell") {
            return maybe_json(rest, offset);
        }
        if (command == "arg") {
            return name_or_name_value(rest, offset);
        }
        if (command == "env" || command == "label") {
            return name_value(rest, offset, command == "env" ? "ENV" : "LABEL");
        }
        if (command == "expose" || command == "from") {
            return whitespace_delimited(rest, offset);
        }
        if (command == "healthcheck") {
            return health_config(rest, offset);
        }
        if (command == "maintainer" || command == "stopsignal" || command == "user" || command == "workdir") {
            return single_string(rest, offset);
        }
        if (command == "onbuild") {
            return sub_command(rest, offset, depth);
        }
        // parseIgnore: an unknown instruction keeps one empty value.
        return Arguments{{""}, {offset}, false, {}};
    }

    // parseWords: words split at unquoted spaces, quotes and escapes kept.
    std::vector<Piece> words(std::string_view rest, std::vector<std::string>& out) const {
        enum { in_spaces, in_word, in_quote } phase = in_spaces;
        std::vector<Piece> starts;
        std::string word;
        std::size_t word_start = 0;
        char32_t quote = 0;
        bool blank_ok = false;
        auto push = [&] {
            out.push_back(word);
            starts.push_back({{}, word_start});
        };
        std::size_t width = 0;
        char32_t ch = 0;
        for (std::size_t pos = 0; pos <= rest.size(); pos += width) {
            if (pos != rest.size()) {
                Rune r = decode_rune(rest, pos);
                ch = r.value;
                width = r.width;
            }
            if (phase == in_spaces) {
                if (pos == rest.size()) {
                    break;
                }
                if (is_space(ch)) {
                    continue;
                }
                phase = in_word;
                word_start = pos;
            }
            if (pos == rest.size()) {
                if (blank_ok || !word.empty()) {
                    push();
                }
                break;
            }
            if (phase == in_word) {
                if (is_space(ch)) {
                    phase = in_spaces;
                    if (blank_ok || !word.empty()) {
                        push();
                    }
                    word.clear();
                    blank_ok = false;
                    continue;
                }
                if (ch == '\'' || ch == '"') {
                    quote = ch;
                    blank_ok = true;
                    phase = in_quote;
                }
                if (ch == char32_t(m_escape)) {
                    if (pos + width == rest.size()) {
                        continue;
                    }
                    append_rune(word, ch);
                    pos += width;
                    Rune r = decode_rune(rest, pos);
                    ch = r.value;
                    width = r.width;
                }
                append_rune(word, ch);
                continue;
            }
            // in_quote
            if (ch == quote) {
                phase = in_word;
            }
            if (ch == char32_t(m_escape) && quote != '\'') {
                if (pos + width == rest.size()) {
                    phase = in_word;
                    continue;
                }
                pos += width;
                append_rune(word, ch);
                Rune r = decode_rune(rest, pos);
                ch = r.value;
                width = r.width;
            }
            append_rune(word, ch);
        }
        return starts;
    }

    // parseNameVal: `KEY name value` (legacy) or `KEY name=value ...`, three values per pair:
    // name, value and the separator ("" for the legacy form, "=" otherwise).
    Parsed<Arguments> name_value(std::string_view rest, std::size_t offset, std::string_view key) const {
        std::vector<std::string> list;
        auto starts = words(rest, list);
        Arguments args;
        if (list.empty()) {
            return args;
        }
        if (list[0].find('=') == std::string::npos) {
            auto parts = split_blanks(rest, 2);
            if (parts.size() < 2) {
                return failure(m_map.at(offset), fmt::format("{} must have two arguments", key));
            }
            args.values = {std::string(parts[0].text), std::string(parts[1].text), ""};
            args.offsets = {offset + parts[0].offset, offset + parts[1].offset, offset + parts[1].offset};
            return args;
        }
        for (std::size_t i = 0; i < list.size(); ++i) {
            const std::string& word = list[i];
            std::size_t at = offset + starts[i].offset;
            auto equals = word.find('=');
            if (equals == std::string::npos) {
                return failure(
                    m_map.at(at),
                    fmt::format("Syntax error - can't find = in {}. Must be of the form: name=value", go_quote(word)));
            }
            args.values.push_back(word.substr(0, equals));
            args.values.push_back(word.substr(equals + 1));
            args.values.push_back("=");
            args.offsets.insert(args.offsets.end(), {at, at + equals + 1, at + equals + 1});
        }
        return args;
    }

    // parseNameOrNameVal (ARG): the words as they are.
    Parsed<Arguments> name_or_name_value(std::string_view rest, std::size_t offset) const {
        Arguments args;
        auto starts = words(rest, args.values);
        for (const Piece& start : starts) {
            args.offsets.push_back(offset + start.offset);
        }
        return args;
    }

    static Arguments whitespace_delimited(std::string_view rest, std::size_t offset) {
        Arguments args;
        if (rest.empty()) {
            return args;
        }
        for (const Piece& piece : split_blanks(rest, -1)) {
            args.values.emplace_back(piece.text);
            args.offsets.push_back(offset + piece.offset);
        }
        return args;
    }

    static Arguments single_string(std::string_view rest, std::size_t offset) {
        Arguments args;
        if (!rest.empty()) {
            args.values.emplace_back(rest);
            args.offsets.push_back(offset);
        }
        return args;
    }

    // parseJSON: nullopt when `rest` is not a JSON array (the caller falls back), an error when
    // it is one with an element that is not a string.
    Parsed<std::optional<Arguments>> json(std::string_view rest, std::size_t offset) const {
        std::size_t skip = leading_space(rest);
        rest.remove_prefix(skip);
        if (rest.empty() || rest.front() != '[') {
            return std::nullopt;
        }
        JsonArray array = JsonReader(rest).read_array();
        if (array.kind == JsonKind::not_json) {
            return std::nullopt;
        }
        if (array.kind == JsonKind::not_strings) {
            return failure(m_map.at(offset + skip),
                           "when using JSON array syntax, arrays must be comprised of strings only");
        }
        Arguments args;
        args.values = std::move(array.values);
        args.json = true;
        return args;
    }

    Parsed<Arguments> maybe_json(std::string_view rest, std::size_t offset) const {
        if (rest.empty()) {
            return Arguments{};
        }
        auto parsed = json(rest, offset);
        if (!parsed) {
            return std::unexpected(parsed.error());
        }
        if (*parsed) {
            return std::move(**parsed);
        }
        return single_string(rest, offset);
    }

    Parsed<Arguments> maybe_json_to_list(std::string_view rest, std::size_t offset) const {
        auto parsed = json(rest, offset);
        if (!parsed) {
            return std::unexpected(parsed.error());
        }
        if (*parsed) {
            return std::move(**parsed);
        }
        return whitespace_delimited(rest, offset);
    }

    // parseHealthConfig: the type word (CMD, NONE...), then the command as parseMaybeJSON.
    Parsed<Arguments> health_config(std::string_view rest, std::size_t offset) const {
        std::size_t sep = 0;
        while (sep < rest.size() && !is_space_byte(rest[sep])) {
            ++sep;
        }
        std::size_t next = sep;
        while (next < rest.size() && is_space_byte(rest[next])) {
            ++next;
        }
        if (sep == 0) {
            return Arguments{};
        }
        auto command = maybe_json(rest.substr(next), offset + next);
        if (!command) {
            return std::unexpected(command.error());
        }
        Arguments args;
        args.values.emplace_back(rest.substr(0, sep));
        args.offsets.push_back(offset);
        args.values.insert(args.values.end(), command->values.begin(), command->values.end());
        if (command->offsets.size() == command->values.size()) {
            args.offsets.insert(args.offsets.end(), command->offsets.begin(), command->offsets.end());
        } else {
            args.offsets.clear();
        }
        args.json = command->json;
        return args;
    }

    // parseSubCommand (ONBUILD): the rest is an instruction of its own.
    Parsed<Arguments> sub_command(std::string_view rest, std::size_t offset, int depth) {
        Arguments args;
        if (rest.empty()) {
            return args;
        }
        auto child = node(rest, offset, depth + 1);
        if (!child) {
            return std::unexpected(child.error());
        }
        args.children.push_back(std::move(*child));
        return args;
    }

    char m_escape;
    const LineMap& m_map;
};

// canContainHeredoc: RUN, COPY and ADD in shell form, also as an ONBUILD trigger.
bool can_contain_heredoc(const Node& node) {
    const Node* n = &node;
    if (ascii_lower(n->name) == "onbuild" && !n->children.empty()) {
        n = &n->children.front();
    }
    std::string name = ascii_lower(n->name);
    return (name == "add" || name == "copy" || name == "run") && !n->json;
}

// ---------------------------------------------------------------------------------------------
// The file, line by line, as bufio.Scanner with BuildKit's scanLines gives them.

class Scanner {
public:
    explicit Scanner(std::string_view text) : m_text(text) {}

    // The next line with its newline; false at the end or at a line that is too long.
    bool scan() {
        if (m_pos >= m_text.size() || m_too_long) {
            return false;
        }
        std::size_t end = m_text.find('\n', m_pos);
        std::size_t length = (end == std::string_view::npos ? m_text.size() : end) - m_pos;
        if (length > k_max_line) {
            m_too_long = true;
            return false;
        }
        std::size_t next = end == std::string_view::npos ? m_text.size() : end + 1;
        m_line = m_text.substr(m_pos, next - m_pos);
        m_pos = next;
        return true;
    }

    std::string_view line() const { return m_line; }
    bool too_long() const { return m_too_long; }

private:
    std::string_view m_text;
    std::size_t m_pos = 0;
    std::string_view m_line;
    bool m_too_long = false;
};

std::string_view discard_bom(std::string_view line) {
    if (line.starts_with("\xEF\xBB\xBF")) {
        line.remove_prefix(3);
    }
    return line;
}

// processLine: the line without its newline, (for a first line) without leading spaces, and
// empty when it is a comment; `stripped` is the number of leading bytes removed.
struct ProcessedLine {
    std::string_view text;
    std::size_t stripped;
    bool directive;
};

Parsed<ProcessedLine> process_line(Directives& d, std::string_view token, bool strip_left, int line_number) {
    token = trim_newline(token);
    std::size_t stripped = 0;
    if (strip_left) {
        stripped = leading_space(token);
        token.remove_prefix(stripped);
    }
    auto directive = parse_directive(d, token, line_number);
    if (!directive) {
        return std::unexpected(directive.error());
    }
    if (is_comment(token)) {
        token = {};
    }
    return ProcessedLine{token, stripped, *directive};
}

// trimContinuationCharacter: the line without a trailing escape character (and the blanks after
// it), and whether the line ends the instruction.
std::pair<std::string_view, bool> trim_continuation(std::string_view line, char escape) {
    std::size_t end = line.size();
    while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) {
        --end;
    }
    if (end == 0 || line[end - 1] != escape) {
        return {line, true};
    }
    if (end >= 2 && line[end - 2] == escape) {
        return {line, true};
    }
    return {line.substr(0, end - 1), false};
}

bool is_empty_continuation_line(std::string_view line) {
    line = trim_newline(line);
    return leading_space(line) == line.size();
}

std::string dump_node(const Node& node) {
    std::string out = ascii_lower(node.name);
    if (!node.flags.empty()) {
        out += " [";
        for (std::size_t i = 0; i < node.flags.size(); ++i) {
            if (i > 0) {
                out += ' ';
            }
            out += go_quote(node.flags[i]);
        }
        out += ']';
    }
    for (const Node& child : node.children) {
        out += " (" + dump_node(child) + ")";
    }
    for (const std::string& value : node.values) {
        out += ' ';
        out += go_quote(value);
    }
    std::size_t start = out.find_first_not_of(' ');
    return start == std::string::npos ? std::string() : out.substr(start);
}

}  // namespace

std::string Node::dump() const {
    return dump_node(*this);
}

std::string Ast::dump() const {
    std::string out;
    for (const Node& node : nodes) {
        out += "(" + node.dump() + ")\n";
    }
    return out;
}

std::string format_diagnostic(std::string_view file_name, std::string_view source, Position position,
                              std::string_view message) {
    std::string out = fmt::format("{}:{}:{}: {}", file_name, position.line, position.column, message);
    if (position.line < 1) {
        return out;
    }
    std::size_t start = 0;
    for (int line = 1; line < position.line; ++line) {
        std::size_t newline = source.find('\n', start);
        if (newline == std::string_view::npos) {
            return out;
        }
        start = newline + 1;
    }
    if (start >= source.size()) {
        return out;
    }
    std::string_view text = trim_newline(source.substr(start, source.find('\n', start) - start));
    // The line as characters, so that the caret lands under the column however wide the bytes.
    std::vector<std::string_view> chars;
    for (std::size_t i = 0; i < text.size();) {
        Rune r = decode_rune(text, i);
        chars.push_back(text.substr(i, r.width));
        i += r.width;
    }
    // Long lines are shown as a window around the column.
    constexpr std::size_t k_window = 160;
    std::size_t column = std::size_t(std::max(position.column, 1)) - 1;
    std::size_t first = 0;
    std::size_t last = chars.size();
    if (chars.size() > k_window) {
        first = column > k_window / 2 ? std::min(column - k_window / 2, chars.size() - k_window) : 0;
        last = first + k_window;
    }
    std::string shown = first > 0 ? "..." : "";
    std::string caret = first > 0 ? "   " : "";
    for (std::size_t i = first; i < last; ++i) {
        shown.append(chars[i]);
        if (i < column) {
            caret += chars[i] == "\t" ? '\t' : ' ';
        }
    }
    if (last < chars.size()) {
        shown += "...";
    }
    for (std::size_t i = std::max(last, first); i < column; ++i) {
        caret += ' ';
    }
    caret += '^';
    out += "\n" + shown + "\n" + caret;
    return out;
}

Result<Heredoc> parse_heredoc_word(std::string_view word) {
    auto heredoc = heredoc_from_word(word);
    if (!heredoc) {
        return fail(Errc::invalid_argument, heredoc.error());
    }
    return heredoc->value_or(Heredoc{.name = ""});
}

std::string chomp_heredoc(std::string_view content) {
    std::string out;
    bool line_start = true;
    for (char c : content) {
        if (line_start && c == '\t') {
            continue;
        }
        line_start = c == '\n';
        out += c;
    }
    return out;
}

Result<Ast> parse(std::string_view text, std::string_view file_name) {
    Ast ast;
    ast.file_name = file_name;
    ast.source = text;
    SourceMap source(ast.source);
    auto error = [&](const Failure& f) {
        return fail(Errc::invalid_argument, format_diagnostic(file_name, ast.source, f.position, f.message));
    };

    Directives d;
    Scanner scanner(ast.source);
    int current_line = 0;
    std::vector<std::string> comments;
    while (scanner.scan()) {
        std::string_view bytes = scanner.line();
        std::size_t bom = 0;
        if (current_line == 0) {
            std::string_view without = discard_bom(bytes);
            bom = bytes.size() - without.size();
            bytes = without;
        }
        if (is_comment(bytes)) {
            // BuildKit drops the line's first byte, not the '#': an indented comment keeps it.
            Trimmed comment = trim_space(bytes.substr(1));
            if (comment.text.empty()) {
                comments.clear();
            } else {
                comments.emplace_back(comment.text);
            }
        }
        auto first = process_line(d, bytes, true, current_line + 1);
        if (!first) {
            return error(first.error());
        }
        if (first->directive && !comments.empty()) {
            comments.pop_back();
        }
        ++current_line;
        int start_line = current_line;
        auto [line, end_of_line] = trim_continuation(first->text, d.escape);
        if (end_of_line && line.empty()) {
            continue;
        }
        std::string buffer(line);
        std::vector<Segment> segments{{0, current_line, bom + first->stripped}};

        bool empty_continuation = false;
        while (!end_of_line && scanner.scan()) {
            auto next = process_line(d, scanner.line(), false, current_line + 1);
            if (!next) {
                return error(next.error());
            }
            ++current_line;
            if (is_comment(scanner.line())) {
                continue;
            }
            if (is_empty_continuation_line(next->text)) {
                empty_continuation = true;
                continue;
            }
            std::string_view piece;
            std::tie(piece, end_of_line) = trim_continuation(next->text, d.escape);
            segments.push_back({buffer.size(), current_line, 0});
            buffer.append(piece);
        }
        if (empty_continuation) {
            ast.warnings.push_back("Empty continuation line found in: " + buffer);
        }

        LineMap map(source, std::move(segments));
        LineParser parser(d, map);
        auto node = parser.node(buffer, 0, 0);
        if (!node) {
            return error(node.error());
        }
        node->comments = std::move(comments);
        comments.clear();

        if (can_contain_heredoc(*node) && buffer.find("<<") != std::string::npos) {
            // The line's words with quotes, escapes and variables as written (a lexing error
            // means no heredocs, as in BuildKit); each word is found in the line again for
            // messages about it.
            auto words = ShellLexer('\\', {.raw_quotes = true, .raw_escapes = true, .skip_unset = true})
                             .process_words(buffer, Variables{});
            std::vector<std::pair<Heredoc, std::size_t>> heredocs;
            std::size_t search_from = 0;
            for (const std::string& word : words ? *words : std::vector<std::string>{}) {
                std::size_t offset = std::min(buffer.find(word, search_from), buffer.size());
                search_from = offset == buffer.size() ? search_from : offset + word.size();
                auto heredoc = heredoc_from_word(word);
                if (!heredoc) {
                    return error({map.at(offset), heredoc.error()});
                }
                if (*heredoc) {
                    heredocs.emplace_back(std::move(**heredoc), offset);
                }
            }
            for (auto& [heredoc, offset] : heredocs) {
                bool terminated = false;
                std::string content;
                while (scanner.scan()) {
                    std::string_view raw = scanner.line();
                    ++current_line;
                    std::string_view candidate = trim_newline(raw);
                    if (heredoc.chomp) {
                        candidate.remove_prefix(std::min(candidate.find_first_not_of('\t'), candidate.size()));
                    }
                    if (candidate == heredoc.name) {
                        terminated = true;
                        break;
                    }
                    content.append(raw);
                }
                if (!terminated) {
                    return error({map.at(offset), "unterminated heredoc"});
                }
                heredoc.content = std::move(content);
                node->heredocs.push_back(std::move(heredoc));
            }
        }
        node->start_line = start_line;
        node->end_line = current_line;
        ast.nodes.push_back(std::move(*node));
    }

    if (ast.nodes.empty()) {
        return error({{1, 1}, "file with no instructions"});
    }
    if (scanner.too_long()) {
        return error(
            {{current_line + 1, 1}, fmt::format("dockerfile line greater than max allowed size of {}", k_max_line)});
    }
    ast.directives = std::move(d.found);
    ast.escape = d.escape;
    return ast;
}

}  // namespace hoist::dockerfile
