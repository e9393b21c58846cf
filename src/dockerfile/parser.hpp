// The Dockerfile parser: text -> a list of instruction nodes, as BuildKit's
// frontend/dockerfile/parser builds them. Parser directives (`# syntax`, `# escape`, `# check`),
// comments, line continuations with the file's escape character, heredocs on RUN, COPY and ADD,
// the JSON exec form with its fallback to the shell form, and each instruction's argument rules
// (ENV/LABEL key-value pairs incl. the legacy `ENV k v`, ARG words, ONBUILD's nested
// instruction...). Instruction names are matched case-insensitively; unknown instructions are
// kept (the typed model in instructions.hpp rejects them).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "oci/error.hpp"

namespace hoist::dockerfile {

// A place in the Dockerfile: 1-based line and 1-based column, counted in characters.
struct Position {
    int line = 0;
    int column = 0;

    bool operator==(const Position&) const = default;
};

// A here-document attached to a RUN, COPY or ADD line (`<<EOF`, `<<-EOF`, `3<<"EOF"`).
struct Heredoc {
    std::string name;              // the delimiter, quotes and escapes removed: "EOF"
    unsigned file_descriptor = 0;  // `3<<EOF` -> 3; 0 when not given
    bool expand = true;            // false when any part of the delimiter was quoted
    bool chomp = false;            // `<<-`: leading tabs of each line are to be stripped
    std::string content;           // the lines up to the delimiter, each with its newline, as written

    bool operator==(const Heredoc&) const = default;
};

// One instruction, BuildKit's parser.Node flattened: the name as written, the flags before the
// arguments, and the arguments as the instruction's line parser split them.
struct Node {
    std::string name;                 // as written: "RUN", "run", "Copy"
    std::vector<std::string> flags;   // "--from=build", quotes and escapes removed
    std::vector<std::string> values;  // the arguments (see dump() for their shape per instruction)
    std::vector<Node> children;       // ONBUILD: its trigger instruction, the only child
    std::vector<Heredoc> heredocs;
    bool json = false;                  // the arguments were a JSON array (exec form)
    std::string original;               // the logical line: continuations joined, comments dropped
    std::vector<std::string> comments;  // the comment lines right above, '#' and spaces trimmed
    int start_line = 0;                 // first and last line, 1-based, heredoc bodies included
    int end_line = 0;

    // Where things start, for diagnostics.
    Position position;                      // the instruction name
    std::vector<Position> flag_positions;   // one per flag
    Position arguments_position;            // the first argument after the flags (or the name)
    std::vector<Position> value_positions;  // one per value where known, else empty

    // BuildKit's Node.Dump(): `run ["--mount=type=cache"] "echo hi"`, the name in lower case,
    // flags as a bracketed list and values each quoted with Go's %q (go_quote). ONBUILD nests its trigger:
    // `onbuild (run "echo")`. No surrounding parentheses.
    std::string dump() const;
};

// A parser directive found at the top of the file.
struct Directive {
    std::string name;  // "syntax", "escape" or "check", in lower case
    std::string value;
    int line = 0;

    bool operator==(const Directive&) const = default;
};

// The parsed file.
struct Ast {
    std::vector<Node> nodes;  // the instructions, in order
    std::vector<Directive> directives;
    char escape = '\\';                 // '\\', or '`' after `# escape=``
    std::vector<std::string> warnings;  // "Empty continuation line found in: RUN a b" ...
    std::string file_name;              // as given to parse(), for diagnostics
    std::string source;                 // the text parsed, for diagnostics

    // Every node's dump() in parentheses, one per line, as BuildKit's parser tests expect them
    // (the `result` files), with a final newline.
    std::string dump() const;
};

// Parses a Dockerfile. `file_name` only names the file in messages. Errors are
// Errc::invalid_argument with the text of format_diagnostic(): "Dockerfile:3:1: unknown ...",
// then the line and a caret. Rejected, as BuildKit rejects them: a file with no instructions, a
// repeated or invalid directive (`# escape=x`), a JSON array with a non-string element, ENV or
// LABEL without a value or with a word lacking '=', an unterminated heredoc, and a line longer
// than 65535 bytes.
Result<Ast> parse(std::string_view text, std::string_view file_name = "Dockerfile");

// "NAME:LINE:COL: message", then the source line and a caret line under the column (tabs
// before the column kept, so that the caret lines up). Without the source lines when `position`
// is outside the text.
std::string format_diagnostic(std::string_view file_name, std::string_view source, Position position,
                              std::string_view message);

// The heredoc a word such as `<<EOF`, `<<-"EOF"` or `3<<EOF` introduces, when it is one
// (BuildKit's ParseHeredoc): an empty name when `word` is not a heredoc, Errc::invalid_argument
// for a delimiter with an unterminated quote. The content is left empty.
Result<Heredoc> parse_heredoc_word(std::string_view word);

// Strips the leading tabs of every line, as `<<-` asks.
std::string chomp_heredoc(std::string_view content);

}  // namespace hoist::dockerfile
