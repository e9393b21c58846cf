// Docker's shell-word processing, as BuildKit's frontend/dockerfile/shell does it: quotes,
// escapes and variable expansion in the words of ADD, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL,
// USER, VOLUME, WORKDIR, ARG and ONBUILD (RUN, CMD and ENTRYPOINT are left to the shell).
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "oci/error.hpp"

namespace hoist::dockerfile {

// Variables in scope for expansion: name -> value. A name that is absent is unset (which
// `${V-w}` and `${V:-w}` tell apart from set-but-empty).
using Variables = std::map<std::string, std::string, std::less<>>;

// BuildKit's Lex switches, for its callers other than plain expansion (all off by default).
// The parser finds heredoc words with {raw_quotes, raw_escapes, skip_unset} on an empty scope;
// checking a heredoc delimiter for quotes compares a run with raw_quotes to one without.
struct ShellLexerOptions {
    bool raw_quotes = false;   // keep the quote characters in the result (RawQuotes)
    bool raw_escapes = false;  // keep the escape characters in the result (RawEscapes)
    bool skip_quotes = false;  // quotes are ordinary characters (SkipProcessQuotes)
    bool skip_unset = false;   // `$V`, `${V}`, `${V...}` with V unset stay as written (SkipUnsetEnv)
};

// A word expanded, with the names it looked up (BuildKit's ProcessWordWithMatches): the linter
// warns about names in `unmatched`.
struct WordExpansion {
    std::string word;
    std::set<std::string, std::less<>> matched;    // looked up and set
    std::set<std::string, std::less<>> unmatched;  // looked up and unset
};

class ShellLexer {
public:
    // `escape` is the Dockerfile's escape character: '\\' by default, '`' after `# escape=``.
    explicit ShellLexer(char escape = '\\') : m_escape(escape) {}
    ShellLexer(char escape, ShellLexerOptions options) : m_escape(escape), m_options(options) {}

    // The word with quotes removed and variables expanded, as one string (BuildKit's
    // ProcessWord): what ENV values, WORKDIR, USER... get. Errc::invalid_argument with BuildKit's
    // message for a malformed word (an unterminated quote or `${`, a bad substitution, `${V:?m}`
    // with V unset or empty), e.g. `failed to process "${}": syntax error: bad substitution`;
    // also, unlike BuildKit, for `${...}` nested more than 1000 deep ("nested too deeply").
    Result<std::string> process_word(std::string_view word, const Variables& variables) const;

    // process_word, plus the names looked up.
    Result<WordExpansion> process_word_with_matches(std::string_view word, const Variables& variables) const;

    // The word split into fields after expansion (BuildKit's ProcessWords): unquoted whitespace,
    // including whitespace that came from a variable's value, separates fields. As in BuildKit,
    // a `${V<op>w}` form (any form with an operator) drops the part of the field before it.
    Result<std::vector<std::string>> process_words(std::string_view word, const Variables& variables) const;

    char escape() const { return m_escape; }
    const ShellLexerOptions& options() const { return m_options; }

private:
    char m_escape;
    ShellLexerOptions m_options;
};

// The Go text semantics BuildKit's behaviour rests on, for the rest of the front end.

// One character decoded as Go's utf8.DecodeRuneInString does: an invalid or truncated sequence
// (overlong, surrogate, beyond U+10FFFF) is U+FFFD with size 1; empty input has size 0.
struct DecodedRune {
    char32_t value;
    std::size_t size;
};
DecodedRune decode_rune(std::string_view text);

// Appends `rune` as UTF-8 (U+FFFD for a surrogate or a value beyond U+10FFFF).
void append_rune(std::string& out, char32_t rune);

// Go's unicode.IsSpace: ASCII and Latin-1 white space plus the Unicode White_Space characters.
bool is_go_space(char32_t rune);

// Go's strconv.Quote, which fmt's %q uses for strings: double quotes, `\"` and `\\`, \a \b \f
// \n \r \t \v, \xNN for other control bytes and bytes of invalid UTF-8, \uNNNN or \UNNNNNNNN
// for characters that are not printable (Unicode 15.0, as Go's tables); printable UTF-8 as is.
std::string go_quote(std::string_view text);

}  // namespace hoist::dockerfile
