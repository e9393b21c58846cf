#include "src/dockerfile/dockerignore.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <utility>

#include "oci/file.hpp"
#include "src/dockerfile/shell_lexer.hpp"

namespace hoist::dockerfile {
namespace {

constexpr char32_t k_eof = 0xFFFFFFFF;
constexpr char32_t k_max_rune = 0x10FFFF;
// bufio.Scanner's default limit, which ignorefile.ReadAll keeps: a longer line is an error.
constexpr std::size_t k_max_line = 65535;

// Go's text/scanner, as patternmatcher reads a pattern with it: invalid UTF-8 as U+FFFD, a byte
// order mark at the very start skipped.
class Scanner {
public:
    explicit Scanner(std::string_view text) : m_text(text) {
        if (peek() == 0xFEFF) {
            next();
        }
    }
    char32_t peek() const { return m_pos < m_text.size() ? decode_rune(m_text.substr(m_pos)).value : k_eof; }
    char32_t next() {
        if (m_pos >= m_text.size()) {
            return k_eof;
        }
        auto rune = decode_rune(m_text.substr(m_pos));
        m_pos += rune.size;
        return rune.value;
    }

private:
    std::string_view m_text;
    std::size_t m_pos = 0;
};

// Go's strings.TrimSpace (Unicode white space).
std::string_view trim_space(std::string_view text) {
    std::size_t begin = 0;
    while (begin < text.size()) {
        auto rune = decode_rune(text.substr(begin));
        if (!is_go_space(rune.value)) {
            break;
        }
        begin += rune.size;
    }
    std::size_t end = begin;
    for (std::size_t at = begin; at < text.size();) {
        auto rune = decode_rune(text.substr(at));
        at += rune.size;
        if (!is_go_space(rune.value)) {
            end = at;
        }
    }
    return text.substr(begin, end - begin);
}

// Go's path.Clean (filepath.Clean on Unix): the shortest equivalent path, "." when empty.
std::string clean_path(std::string_view path) {
    if (path.empty()) {
        return ".";
    }
    bool rooted = path.front() == '/';
    std::vector<std::string_view> parts;
    std::size_t at = 0;
    while (at < path.size()) {
        std::size_t slash = path.find('/', at);
        std::string_view part = path.substr(at, slash == std::string_view::npos ? path.npos : slash - at);
        at = slash == std::string_view::npos ? path.size() : slash + 1;
        if (part.empty() || part == ".") {
            continue;
        }
        if (part == "..") {
            if (!parts.empty() && parts.back() != "..") {
                parts.pop_back();
            } else if (!rooted) {
                parts.push_back(part);
            }
            continue;
        }
        parts.push_back(part);
    }
    std::string out = rooted ? "/" : "";
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) {
            out += '/';
        }
        out += parts[i];
    }
    return out.empty() ? "." : out;
}

// filepath.Match's getEsc: one character of a class, `\` escaping; false when malformed.
bool take_class_char(std::string_view& chunk) {
    if (chunk.empty() || chunk.front() == '-' || chunk.front() == ']') {
        return false;
    }
    if (chunk.front() == '\\') {
        chunk.remove_prefix(1);
        if (chunk.empty()) {
            return false;
        }
    }
    auto rune = decode_rune(chunk);
    if (rune.value == 0xFFFD && rune.size == 1) {
        return false;
    }
    chunk.remove_prefix(rune.size);
    return !chunk.empty();
}

bool chunk_is_valid(std::string_view chunk) {
    while (!chunk.empty()) {
        char c = chunk.front();
        chunk.remove_prefix(1);
        if (c == '[') {
            if (!chunk.empty() && chunk.front() == '^') {
                chunk.remove_prefix(1);
            }
            for (int ranges = 0;; ++ranges) {
                if (!chunk.empty() && chunk.front() == ']' && ranges > 0) {
                    chunk.remove_prefix(1);
                    break;
                }
                if (!take_class_char(chunk)) {
                    return false;
                }
                if (chunk.front() == '-') {
                    chunk.remove_prefix(1);
                    if (!take_class_char(chunk)) {
                        return false;
                    }
                }
            }
        } else if (c == '\\') {
            if (chunk.empty()) {
                return false;
            }
            chunk.remove_prefix(1);
        }
    }
    return true;
}

// The syntax check patternmatcher.New makes with filepath.Match(pattern, "."): Go's Match checks
// every star-separated chunk of the pattern, whatever the name.
bool glob_is_valid(std::string_view pattern) {
    while (!pattern.empty()) {
        while (!pattern.empty() && pattern.front() == '*') {
            pattern.remove_prefix(1);
        }
        bool in_range = false;
        std::size_t i = 0;
        for (; i < pattern.size(); ++i) {
            char c = pattern[i];
            if (c == '\\') {
                if (i + 1 < pattern.size()) {
                    ++i;
                }
            } else if (c == '[') {
                in_range = true;
            } else if (c == ']') {
                in_range = false;
            } else if (c == '*' && !in_range) {
                break;
            }
        }
        if (!chunk_is_valid(pattern.substr(0, i))) {
            return false;
        }
        pattern.remove_prefix(i);
    }
    return true;
}

struct RuneRange {
    char32_t first;
    char32_t last;
};
using RuneClass = std::vector<RuneRange>;

RuneClass complement(RuneClass ranges) {
    std::sort(ranges.begin(), ranges.end(), [](const RuneRange& a, const RuneRange& b) { return a.first < b.first; });
    RuneClass out;
    char32_t next = 0;
    bool done = false;
    for (const auto& range : ranges) {
        if (range.first > next) {
            out.push_back({next, range.first - 1});
        }
        if (range.last >= k_max_rune) {
            done = true;
            break;
        }
        next = std::max<char32_t>(next, range.last + 1);
    }
    if (!done) {
        out.push_back({next, k_max_rune});
    }
    return out;
}

// The POSIX classes inside brackets and the Perl ones (`\d`...), all ASCII in Go.
std::optional<RuneClass> named_class(std::string_view name) {
    static const std::vector<std::pair<std::string_view, RuneClass>> k_classes = {
        {"alnum", {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}}},
        {"alpha", {{'A', 'Z'}, {'a', 'z'}}},
        {"ascii", {{0, 0x7F}}},
        {"blank", {{'\t', '\t'}, {' ', ' '}}},
        {"cntrl", {{0, 0x1F}, {0x7F, 0x7F}}},
        {"digit", {{'0', '9'}}},
        {"graph", {{'!', '~'}}},
        {"lower", {{'a', 'z'}}},
        {"print", {{' ', '~'}}},
        {"punct", {{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}}},
        {"space", {{'\t', '\r'}, {' ', ' '}}},
        {"upper", {{'A', 'Z'}}},
        {"word", {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}, {'_', '_'}}},
        {"xdigit", {{'0', '9'}, {'A', 'F'}, {'a', 'f'}}},
    };
    bool negated = !name.empty() && name.front() == '^';
    if (negated) {
        name.remove_prefix(1);
    }
    for (const auto& [class_name, ranges] : k_classes) {
        if (class_name == name) {
            return negated ? complement(ranges) : ranges;
        }
    }
    return std::nullopt;
}

std::optional<RuneClass> perl_class(char letter) {
    RuneClass ranges;
    switch (letter | 0x20) {
        case 'd':
            ranges = {{'0', '9'}};
            break;
        case 's':
            ranges = {{'\t', '\n'}, {'\f', '\r'}, {' ', ' '}};
            break;
        case 'w':
            ranges = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
            break;
        default:
            return std::nullopt;
    }
    return letter >= 'a' ? ranges : complement(ranges);
}

bool is_word_byte(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

// Go's regexp (RE2 syntax with Go's Perl flags) for the expressions patternmatcher generates
// from a pattern: literals, `.`, classes, `*` `+` `?`, groups, `^` `$` and the escapes of Go's
// syntax but `\p{...}`. A Thompson NFA answers whether the expression matches somewhere in a
// text, in time linear in the text. As in Go, `.` is never a newline, a negated class can be,
// and invalid UTF-8 in the text is read as U+FFFD a byte at a time.
class Regex {
public:
    static Result<Regex> compile(std::string_view expression) {
        Parser parser{expression};
        auto tree = HOIST_TRY(parser.parse());
        Regex regex;
        regex.m_classes = std::move(parser.classes);
        regex.emit(tree);
        regex.m_program.push_back({Op::match, 0, 0});
        return regex;
    }

    bool matches(std::string_view text) const {
        Threads current(m_program.size());
        Threads following(m_program.size());
        std::vector<std::size_t> stack;
        for (std::size_t pos = 0;;) {
            add(current, 0, text, pos, stack);
            auto rune = pos < text.size() ? decode_rune(text.substr(pos)) : DecodedRune{k_eof, 0};
            following.clear();
            for (std::size_t pc : current.pcs) {
                const auto& instruction = m_program[pc];
                if (instruction.op == Op::match) {
                    return true;
                }
                if (rune.size > 0 && consumes(instruction, rune.value)) {
                    add(following, pc + 1, text, pos + rune.size, stack);
                }
            }
            if (pos >= text.size()) {
                return false;
            }
            pos += rune.size;
            std::swap(current, following);
        }
    }

private:
    enum class Op { klass, any, begin_text, end_text, word_boundary, not_word_boundary, split, jump, match };
    struct Instruction {
        Op op;
        std::size_t x;  // klass: the class; split: one branch; jump: the target
        std::size_t y;  // split: the other branch
    };

    struct Node {
        enum class Kind { klass, any, assertion, group, repeat } kind;
        std::size_t klass = 0;
        Op assertion = Op::begin_text;
        bool at_least_one = false;  // repeat: + rather than *
        bool at_most_one = false;   // repeat: ?
        std::vector<Node> children;
    };

    class Parser {
    public:
        explicit Parser(std::string_view expression) : m_rest(expression) {}

        Result<Node> parse() {
            std::vector<Node> groups(1, Node{Node::Kind::group});
            bool last_was_repeat = false;
            while (!m_rest.empty()) {
                char c = m_rest.front();
                bool repeat = false;
                if (c == '(') {
                    if (m_rest.size() >= 2 && m_rest[1] == '?') {
                        return error("unsupported group syntax");
                    }
                    m_rest.remove_prefix(1);
                    groups.push_back(Node{Node::Kind::group});
                } else if (c == ')') {
                    if (groups.size() == 1) {
                        return error("unexpected )");
                    }
                    m_rest.remove_prefix(1);
                    Node group = std::move(groups.back());
                    groups.pop_back();
                    groups.back().children.push_back(std::move(group));
                } else if (c == '|') {
                    return error("unsupported alternation");
                } else if (c == '^' || c == '$' || c == '.') {
                    m_rest.remove_prefix(1);
                    groups.back().children.push_back(c == '.' ? Node{Node::Kind::any}
                                                              : assertion(c == '^' ? Op::begin_text : Op::end_text));
                } else if (c == '[') {
                    auto ranges = HOIST_TRY(parse_class());
                    groups.back().children.push_back(class_node(std::move(ranges)));
                } else if (c == '*' || c == '+' || c == '?') {
                    m_rest.remove_prefix(1);
                    if (!m_rest.empty() && m_rest.front() == '?') {
                        m_rest.remove_prefix(1);  // non-greedy: the same set of matches
                    }
                    if (last_was_repeat) {
                        return error("invalid nested repetition operator");
                    }
                    auto& siblings = groups.back().children;
                    if (siblings.empty()) {
                        return error("missing argument to repetition operator");
                    }
                    Node repeated{Node::Kind::repeat};
                    repeated.at_least_one = c == '+';
                    repeated.at_most_one = c == '?';
                    repeated.children.push_back(std::move(siblings.back()));
                    siblings.back() = std::move(repeated);
                    repeat = true;
                } else if (c == '\\') {
                    HOIST_TRY(parse_escape_outside_class(groups.back().children));
                } else {
                    auto rune = HOIST_TRY(next_rune());
                    groups.back().children.push_back(class_node({{rune, rune}}));
                }
                last_was_repeat = repeat;
            }
            if (groups.size() != 1) {
                return error("missing closing )");
            }
            return std::move(groups.front());
        }

        std::vector<RuneClass> classes;

    private:
        static std::unexpected<Error> error(std::string_view what) {
            return fail(Errc::invalid_argument, std::string(what));
        }

        static Node assertion(Op op) {
            Node node{Node::Kind::assertion};
            node.assertion = op;
            return node;
        }

        Node class_node(RuneClass ranges) {
            Node node{Node::Kind::klass};
            node.klass = classes.size();
            classes.push_back(std::move(ranges));
            return node;
        }

        Result<char32_t> next_rune() {
            auto rune = decode_rune(m_rest);
            if (rune.value == 0xFFFD && rune.size == 1) {
                return error("invalid UTF-8");
            }
            m_rest.remove_prefix(rune.size);
            return rune.value;
        }

        Result<void> parse_escape_outside_class(std::vector<Node>& siblings) {
            if (m_rest.size() >= 2) {
                switch (m_rest[1]) {
                    case 'A':
                    case 'z':
                    case 'b':
                    case 'B': {
                        char letter = m_rest[1];
                        m_rest.remove_prefix(2);
                        siblings.push_back(assertion(letter == 'A'   ? Op::begin_text
                                                     : letter == 'z' ? Op::end_text
                                                     : letter == 'b' ? Op::word_boundary
                                                                     : Op::not_word_boundary));
                        return {};
                    }
                    case 'Q': {
                        // \Q...\E: literal text.
                        m_rest.remove_prefix(2);
                        auto end = m_rest.find("\\E");
                        std::string_view literal = m_rest.substr(0, end);
                        m_rest.remove_prefix(end == std::string_view::npos ? m_rest.size() : end + 2);
                        while (!literal.empty()) {
                            auto rune = decode_rune(literal);
                            literal.remove_prefix(rune.size);
                            siblings.push_back(class_node({{rune.value, rune.value}}));
                        }
                        return {};
                    }
                    case 'C':
                        return error("invalid escape sequence: \\C");
                    case 'p':
                    case 'P':
                        return error("Unicode classes (\\p, \\P) are not supported");
                    default:
                        if (auto perl = perl_class(m_rest[1])) {
                            m_rest.remove_prefix(2);
                            siblings.push_back(class_node(std::move(*perl)));
                            return {};
                        }
                }
            }
            auto rune = HOIST_TRY(parse_escape());
            siblings.push_back(class_node({{rune, rune}}));
            return {};
        }

        // A `\` escape that stands for one character.
        Result<char32_t> parse_escape() {
            m_rest.remove_prefix(1);
            if (m_rest.empty()) {
                return error("trailing backslash at end of expression");
            }
            auto c = HOIST_TRY(next_rune());
            if (c < 0x80 && (c == '_' || !is_word_byte(static_cast<char>(c)))) {
                return c;  // punctuation (and `_`) stands for itself
            }
            auto octal = [&](char32_t value) {
                for (int i = 1; i < 3 && !m_rest.empty() && m_rest.front() >= '0' && m_rest.front() <= '7'; ++i) {
                    value = value * 8 + static_cast<char32_t>(m_rest.front() - '0');
                    m_rest.remove_prefix(1);
                }
                return value;
            };
            switch (c) {
                case '0':
                    return octal(0);
                case '1':
                case '2':
                case '3':
                case '4':
                case '5':
                case '6':
                case '7':
                    // A lone non-zero digit would be a backreference, which Go does not have.
                    if (!m_rest.empty() && m_rest.front() >= '0' && m_rest.front() <= '7') {
                        return octal(c - '0');
                    }
                    break;
                case 'x':
                    if (auto value = parse_hex()) {
                        return *value;
                    }
                    break;
                case 'a':
                    return U'\a';
                case 'f':
                    return U'\f';
                case 'n':
                    return U'\n';
                case 'r':
                    return U'\r';
                case 't':
                    return U'\t';
                case 'v':
                    return U'\v';
                default:
                    break;
            }
            return error("invalid escape sequence");
        }

        // After `\x`: two hex digits or `{...}`.
        std::optional<char32_t> parse_hex() {
            auto digit = [](char c) -> int {
                if (c >= '0' && c <= '9') {
                    return c - '0';
                }
                if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
                    return (c | 0x20) - 'a' + 10;
                }
                return -1;
            };
            if (!m_rest.empty() && m_rest.front() == '{') {
                std::size_t close = m_rest.find('}');
                if (close == std::string_view::npos || close == 1) {
                    return std::nullopt;
                }
                char32_t value = 0;
                for (char c : m_rest.substr(1, close - 1)) {
                    if (digit(c) < 0) {
                        return std::nullopt;
                    }
                    value = value * 16 + static_cast<char32_t>(digit(c));
                    if (value > k_max_rune) {
                        return std::nullopt;
                    }
                }
                m_rest.remove_prefix(close + 1);
                return value;
            }
            if (m_rest.size() < 2 || digit(m_rest[0]) < 0 || digit(m_rest[1]) < 0) {
                return std::nullopt;
            }
            char32_t value = static_cast<char32_t>(digit(m_rest[0]) * 16 + digit(m_rest[1]));
            m_rest.remove_prefix(2);
            return value;
        }

        Result<char32_t> parse_class_char() {
            if (m_rest.empty()) {
                return error("missing closing ]");
            }
            if (m_rest.front() == '\\') {
                return parse_escape();
            }
            return next_rune();
        }

        // Go's class syntax: `]` first is literal, `-` literal first or last, POSIX `[:name:]`,
        // Perl `\d`, escapes; `^` first negates.
        Result<RuneClass> parse_class() {
            m_rest.remove_prefix(1);
            bool negated = !m_rest.empty() && m_rest.front() == '^';
            if (negated) {
                m_rest.remove_prefix(1);
            }
            RuneClass ranges;
            for (bool first = true; m_rest.empty() || m_rest.front() != ']' || first; first = false) {
                if (m_rest.size() > 2 && m_rest[0] == '[' && m_rest[1] == ':') {
                    auto close = m_rest.find(":]", 2);
                    if (close != std::string_view::npos) {
                        auto named = named_class(m_rest.substr(2, close - 2));
                        if (!named) {
                            return error("invalid character class range");
                        }
                        ranges.insert(ranges.end(), named->begin(), named->end());
                        m_rest.remove_prefix(close + 2);
                        continue;
                    }
                }
                if (m_rest.size() >= 2 && m_rest[0] == '\\') {
                    if (m_rest[1] == 'p' || m_rest[1] == 'P') {
                        return error("Unicode classes (\\p, \\P) are not supported");
                    }
                    if (auto perl = perl_class(m_rest[1])) {
                        ranges.insert(ranges.end(), perl->begin(), perl->end());
                        m_rest.remove_prefix(2);
                        continue;
                    }
                }
                auto low = HOIST_TRY(parse_class_char());
                char32_t high = low;
                if (m_rest.size() >= 2 && m_rest[0] == '-' && m_rest[1] != ']') {
                    m_rest.remove_prefix(1);
                    high = HOIST_TRY(parse_class_char());
                    if (high < low) {
                        return error("invalid character class range");
                    }
                }
                ranges.push_back({low, high});
            }
            m_rest.remove_prefix(1);
            return negated ? complement(std::move(ranges)) : ranges;
        }

        std::string_view m_rest;
    };

    struct Threads {
        explicit Threads(std::size_t size) : seen(size, 0) {}
        void clear() {
            pcs.clear();
            ++generation;
        }
        std::vector<std::size_t> pcs;
        std::vector<std::uint64_t> seen;
        std::uint64_t generation = 1;
    };

    void emit(const Node& node) {
        switch (node.kind) {
            case Node::Kind::klass:
                m_program.push_back({Op::klass, node.klass, 0});
                break;
            case Node::Kind::any:
                m_program.push_back({Op::any, 0, 0});
                break;
            case Node::Kind::assertion:
                m_program.push_back({node.assertion, 0, 0});
                break;
            case Node::Kind::group:
                for (const auto& child : node.children) {
                    emit(child);
                }
                break;
            case Node::Kind::repeat: {
                std::size_t start = m_program.size();
                if (node.at_least_one) {
                    emit(node.children.front());
                    m_program.push_back({Op::split, start, m_program.size() + 1});
                    break;
                }
                m_program.push_back({Op::split, start + 1, 0});
                emit(node.children.front());
                if (!node.at_most_one) {
                    m_program.push_back({Op::jump, start, 0});
                }
                m_program[start].y = m_program.size();
                break;
            }
        }
    }

    bool consumes(const Instruction& instruction, char32_t rune) const {
        if (instruction.op == Op::any) {
            return rune != '\n';
        }
        if (instruction.op != Op::klass) {
            return false;
        }
        const auto& ranges = m_classes[instruction.x];
        return std::any_of(ranges.begin(), ranges.end(),
                           [&](const RuneRange& range) { return rune >= range.first && rune <= range.last; });
    }

    static bool holds(Op assertion, std::string_view text, std::size_t pos) {
        switch (assertion) {
            case Op::begin_text:
                return pos == 0;
            case Op::end_text:
                return pos == text.size();
            default: {
                bool before = pos > 0 && is_word_byte(text[pos - 1]);
                bool after = pos < text.size() && is_word_byte(text[pos]);
                return (before != after) == (assertion == Op::word_boundary);
            }
        }
    }

    // Adds `pc` and what it reaches without reading a character at `pos`.
    void add(Threads& threads, std::size_t pc, std::string_view text, std::size_t pos,
             std::vector<std::size_t>& stack) const {
        stack.push_back(pc);
        while (!stack.empty()) {
            std::size_t at = stack.back();
            stack.pop_back();
            if (threads.seen[at] == threads.generation) {
                continue;
            }
            threads.seen[at] = threads.generation;
            const auto& instruction = m_program[at];
            switch (instruction.op) {
                case Op::jump:
                    stack.push_back(instruction.x);
                    break;
                case Op::split:
                    stack.push_back(instruction.y);
                    stack.push_back(instruction.x);
                    break;
                case Op::begin_text:
                case Op::end_text:
                case Op::word_boundary:
                case Op::not_word_boundary:
                    if (holds(instruction.op, text, pos)) {
                        stack.push_back(at + 1);
                    }
                    break;
                default:
                    threads.pcs.push_back(at);
            }
        }
    }

    std::vector<RuneClass> m_classes;
    std::vector<Instruction> m_program;
};

bool should_escape(char32_t rune) {
    return rune < 0x80 && std::string_view(".+()|{}$").find(static_cast<char>(rune)) != std::string_view::npos;
}

std::string_view without_trailing_glob(std::string_view pattern) {
    if (pattern.ends_with("/**")) {
        pattern.remove_suffix(3);
    }
    if (pattern.ends_with("/*")) {
        pattern.remove_suffix(2);
    }
    return pattern;
}

}  // namespace

// How patternmatcher matches one pattern: literally, by prefix (`dir/**`), by suffix (`**/x`),
// or with the regular expression it compiles the pattern to.
struct Dockerignore::Compiled {
    enum class Type { exact, prefix, suffix, regex } type = Type::exact;
    std::optional<Regex> regex;

    // patternmatcher's Pattern.compile, read character by character as it does.
    static Result<Compiled> from(std::string_view pattern) {
        Compiled compiled;
        std::string expression = "^";
        Scanner scanner(pattern);
        for (int i = 0; scanner.peek() != k_eof; ++i) {
            char32_t rune = scanner.next();
            if (rune == '*') {
                if (scanner.peek() == '*') {
                    scanner.next();
                    if (scanner.peek() == '/') {
                        scanner.next();  // `**/` is `**`
                    }
                    if (scanner.peek() == k_eof) {
                        if (compiled.type == Type::exact) {
                            compiled.type = Type::prefix;
                        } else {
                            expression += ".*";
                            compiled.type = Type::regex;
                        }
                    } else {
                        expression += "(.*/)?";
                        compiled.type = Type::regex;
                    }
                    if (i == 0) {
                        compiled.type = Type::suffix;
                    }
                } else {
                    expression += "[^/]*";
                    compiled.type = Type::regex;
                }
            } else if (rune == '?') {
                expression += "[^/]";
                compiled.type = Type::regex;
            } else if (should_escape(rune)) {
                expression += '\\';
                append_rune(expression, rune);
            } else if (rune == '\\') {
                if (scanner.peek() != k_eof) {
                    expression += '\\';
                    append_rune(expression, scanner.next());
                    compiled.type = Type::regex;
                } else {
                    expression += '\\';
                }
            } else if (rune == '[' || rune == ']') {
                append_rune(expression, rune);
                compiled.type = Type::regex;
            } else {
                append_rune(expression, rune);
            }
        }
        if (compiled.type == Type::regex) {
            expression += '$';
            auto regex = Regex::compile(expression);
            if (!regex) {
                return std::unexpected(std::move(regex).error());
            }
            compiled.regex = std::move(*regex);
        }
        return compiled;
    }

    bool matches(std::string_view pattern, std::string_view path) const {
        switch (type) {
            case Type::exact:
                return path == pattern;
            case Type::prefix:
                return path.starts_with(pattern.substr(0, pattern.size() - 2));
            case Type::suffix: {
                std::string_view suffix = pattern.substr(2);
                return path.ends_with(suffix) || (suffix.front() == '/' && path == suffix.substr(1));
            }
            case Type::regex:
                return regex->matches(path);
        }
        return false;
    }
};

Dockerignore::Dockerignore() = default;
Dockerignore::Dockerignore(Dockerignore&&) noexcept = default;
Dockerignore& Dockerignore::operator=(Dockerignore&&) noexcept = default;
Dockerignore::~Dockerignore() = default;

Result<Dockerignore> Dockerignore::parse(std::string_view text, std::string_view name) {
    Dockerignore ignore;
    ignore.m_source = std::string(name);
    auto at_line = [&](std::size_t line, std::string message) {
        return fail(Errc::invalid_argument, std::string(name) + ":" + std::to_string(line) + ": " + message);
    };
    std::size_t line_number = 0;
    while (!text.empty()) {
        // bufio.ScanLines: up to '\n', without a '\r' before it.
        std::size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        ++line_number;
        if (line.size() > k_max_line) {
            return at_line(line_number, "line longer than Docker's limit of " + std::to_string(k_max_line) + " bytes");
        }
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        if (line_number == 1 && line.starts_with("\xEF\xBB\xBF")) {
            line.remove_prefix(3);
        }
        // ignorefile.ReadAll: comments, trimming, cleaning, no leading '/'.
        if (line.starts_with('#')) {
            continue;
        }
        std::string_view trimmed = trim_space(line);
        if (trimmed.empty()) {
            continue;
        }
        bool exception = trimmed.front() == '!';
        if (exception) {
            trimmed = trim_space(trimmed.substr(1));
        }
        std::string pattern(trimmed);
        if (!pattern.empty()) {
            pattern = clean_path(pattern);
            if (pattern.size() > 1 && pattern.front() == '/') {
                pattern.erase(0, 1);
            }
        }
        if (exception) {
            pattern.insert(0, "!");
        }
        // patternmatcher.New cleans again (so "!/" becomes "!") and checks the syntax.
        pattern = clean_path(trim_space(pattern));
        // A '!' here is an exception even when the line had none before: "/!a" is "!a".
        exception = pattern.front() == '!';
        if (exception) {
            if (pattern.size() == 1) {
                return at_line(line_number, "illegal exclusion pattern: \"!\"");
            }
            pattern.erase(0, 1);
        }
        if (!glob_is_valid(pattern)) {
            return at_line(line_number, "syntax error in pattern " + go_quote(pattern));
        }
        auto compiled = Compiled::from(pattern);
        if (!compiled) {
            return at_line(line_number,
                           "syntax error in pattern " + go_quote(pattern) + ": " + compiled.error().what());
        }
        if (exception) {
            ignore.m_has_exceptions = true;
            if (without_trailing_glob(pattern).find_first_of("*[]?^\\") != std::string_view::npos) {
                ignore.m_exceptions_are_prefixes = false;
            }
        }
        ignore.m_patterns.push_back({std::move(pattern), exception, line_number});
        ignore.m_compiled.push_back(std::move(*compiled));
    }
    return ignore;
}

Result<Dockerignore> Dockerignore::load(const std::filesystem::path& context, const std::filesystem::path& dockerfile) {
    auto regular_file = [](const std::filesystem::path& path) {
        struct stat info {};
        return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
    };
    std::vector<std::filesystem::path> candidates;
    if (!dockerfile.empty()) {
        candidates.emplace_back(dockerfile.native() + ".dockerignore");
    }
    candidates.push_back(context / ".dockerignore");
    for (const auto& candidate : candidates) {
        if (!regular_file(candidate)) {
            continue;
        }
        auto text = HOIST_TRY(read_file(candidate));
        return parse(text, candidate.native());
    }
    return Dockerignore();
}

Dockerignore::Match Dockerignore::match(std::string_view path, const Match* parent) const {
    Match result;
    result.m_pattern_matched.assign(m_patterns.size(), false);
    bool inherit = parent != nullptr && !parent->m_pattern_matched.empty();
    for (std::size_t i = 0; i < m_patterns.size(); ++i) {
        const auto& pattern = m_patterns[i];
        bool matched = inherit && parent->m_pattern_matched[i];
        if (!matched) {
            // Only a pattern that could change the answer is tried.
            if (pattern.exception != result.m_excluded) {
                continue;
            }
            matched = m_compiled[i].matches(pattern.text, path);
            // Without the directory's result, the directories of the path are tried instead.
            for (std::size_t slash = path.find('/'); !matched && !inherit && slash != std::string_view::npos;
                 slash = path.find('/', slash + 1)) {
                matched = m_compiled[i].matches(pattern.text, path.substr(0, slash));
            }
        }
        result.m_pattern_matched[i] = matched;
        if (matched) {
            result.m_excluded = !pattern.exception;
        }
    }
    return result;
}

bool Dockerignore::excluded(std::string_view path) const {
    std::string cleaned = clean_path(path);
    std::string_view relative = cleaned;
    while (relative.starts_with('/')) {
        relative.remove_prefix(1);
    }
    if (relative.empty() || relative == "." || m_patterns.empty()) {
        return false;
    }
    Match current;
    bool first = true;
    for (std::size_t end = relative.find('/');; end = relative.find('/', end + 1)) {
        std::string_view prefix = relative.substr(0, end);
        current = match(prefix, first ? nullptr : &current);
        first = false;
        if (end == std::string_view::npos) {
            return current.excluded();
        }
        if (current.excluded() && !may_reinclude_under(prefix)) {
            return true;
        }
    }
}

bool Dockerignore::may_reinclude_under(std::string_view directory) const {
    if (!m_exceptions_are_prefixes) {
        return true;
    }
    if (!m_has_exceptions) {
        return false;
    }
    std::string under = std::string(directory) + "/";
    return std::any_of(m_patterns.begin(), m_patterns.end(), [&](const Pattern& pattern) {
        return pattern.exception && (std::string(without_trailing_glob(pattern.text)) + "/").starts_with(under);
    });
}

}  // namespace hoist::dockerfile
