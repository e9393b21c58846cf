// Docker's shell-word processing, as BuildKit's frontend/dockerfile/shell does it: quotes,
// escapes and variable expansion in the words of ADD, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL,
// USER, VOLUME, WORKDIR, ARG and ONBUILD (RUN, CMD and ENTRYPOINT are left to the shell).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "oci/error.hpp"

namespace hoist::dockerfile {

// Variables in scope for expansion: name -> value. A name that is absent is unset (which
// `${V-w}` and `${V:-w}` tell apart from set-but-empty).
using Variables = std::map<std::string, std::string, std::less<>>;

class ShellLexer {
public:
    // `escape` is the Dockerfile's escape character: '\\' by default, '`' after `# escape=``.
    explicit ShellLexer(char escape = '\\') : m_escape(escape) {}

    // The word with quotes removed and variables expanded, as one string (BuildKit's
    // ProcessWord): what ENV values, WORKDIR, USER... get. Errc::invalid_argument with BuildKit's
    // message for a malformed word (an unterminated quote or `${`, a bad substitution, `${V:?m}`
    // with V unset or empty).
    Result<std::string> process_word(std::string_view word, const Variables& variables) const;

    // The word split into fields after expansion (BuildKit's ProcessWords): unquoted whitespace,
    // including whitespace that came from a variable's value, separates fields.
    Result<std::vector<std::string>> process_words(std::string_view word, const Variables& variables) const;

    char escape() const { return m_escape; }

private:
    char m_escape;
};

}  // namespace hoist::dockerfile
