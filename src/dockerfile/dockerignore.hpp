// Which files of a build context a build sees: `.dockerignore`, as BuildKit reads it
// (moby/patternmatcher's ignorefile.ReadAll) and applies it while it walks the context
// (tonistiigi/fsutil with patternmatcher's MatchesUsingParentResults).
//
// The rules, all Docker's:
// - Lines starting with `#` are comments (only in the first column); a UTF-8 BOM before the first
//   line is dropped; every other line is trimmed of white space, and blank lines are skipped.
// - A pattern is cleaned as Go's filepath.Clean does (`a//b/../c/` is `c`) and loses a leading
//   `/`: patterns are relative to the context root.
// - `*` is any run of characters but `/`, `?` one character but `/`, `[...]` a class (`[^...]`
//   negated), `\` escapes the next character; `**` is any number of directories (`**/x`,
//   `a/**/b`, `a/**`); a leading `**` matches any suffix.
// - A pattern that matches a directory excludes everything under it; the last pattern that
//   matches a path (or one of its directories) decides, and one starting with `!` re-includes.
// - A directory excluded where no `!` pattern could reach inside is skipped whole, so a later
//   `!` pattern cannot bring back files under it (see may_reinclude_under).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "oci/error.hpp"

namespace hoist::dockerfile {

class Dockerignore {
public:
    // One pattern as the matcher keeps it.
    struct Pattern {
        std::string text;        // cleaned, without the leading '!'
        bool exception = false;  // a `!` line: re-includes what it matches
        std::size_t line = 0;    // in the file, from 1; 0 when not from a file
    };

    // The result of matching one path. A walker keeps the one of each directory it enters and
    // passes it when matching the directory's entries, as BuildKit does.
    class Match {
    public:
        bool excluded() const { return m_excluded; }

    private:
        friend class Dockerignore;
        bool m_excluded = false;
        std::vector<bool> m_pattern_matched;  // per pattern, what the entries inherit
    };

    // Excludes nothing.
    Dockerignore();
    Dockerignore(Dockerignore&&) noexcept;
    Dockerignore& operator=(Dockerignore&&) noexcept;
    ~Dockerignore();

    // The patterns of an ignore file's text. `name` prefixes messages ("name:LINE: ..."). Errors,
    // Errc::invalid_argument: a line longer than 65535 bytes (Docker's limit), a lone `!`, a
    // malformed pattern (`[a`, a trailing `\`, a reversed range `[z-a]`).
    static Result<Dockerignore> parse(std::string_view text, std::string_view name = ".dockerignore");

    // The ignore file of a build: `<dockerfile>.dockerignore` beside the Dockerfile when it is a
    // regular file (even an empty one), else `.dockerignore` at the root of `context`, else
    // none. `dockerfile` may be empty (no Dockerfile-specific file). Errc::io when the file
    // exists but cannot be read.
    static Result<Dockerignore> load(const std::filesystem::path& context, const std::filesystem::path& dockerfile);

    // The file the patterns came from; empty when there was none.
    const std::string& source() const { return m_source; }
    const std::vector<Pattern>& patterns() const { return m_patterns; }
    bool empty() const { return m_patterns.empty(); }

    // Matches `path` (relative to the context root, slash-separated, clean: "a/b") given the
    // Match of its directory, or nullptr for an entry at the root or when the directory's Match
    // is not at hand (then the directories of `path` are tried against each pattern instead).
    Match match(std::string_view path, const Match* parent) const;

    // Whether `path` is left out of the context: its directories matched from the root down,
    // then itself; true as well when one of its directories is skipped whole. A path that is not
    // clean is cleaned first; the root (".") is never excluded. An excluded directory still
    // appears when something under it is included.
    bool excluded(std::string_view path) const;

    // For a directory that is excluded: whether an exception could re-include something under it.
    // When false, BuildKit does not walk into it, and a walker must not either to select the same
    // files. Patterns with wildcards in a `!` line keep every excluded directory walked.
    bool may_reinclude_under(std::string_view directory) const;

private:
    struct Compiled;

    std::string m_source;
    std::vector<Pattern> m_patterns;
    std::vector<Compiled> m_compiled;  // one per pattern
    bool m_has_exceptions = false;
    bool m_exceptions_are_prefixes = true;  // no `!` pattern has wildcards before a trailing /* or /**
};

}  // namespace hoist::dockerfile
