// Paths inside a build's trees (the context, an image's filesystem): lexical cleaning that
// never leaves the root, symlink resolution over any tree, and Go's filepath.Match for the
// wildcards of COPY and ADD sources.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/error.hpp"

namespace hoist::build {

// `path` as Go's filepath.Clean("/" + path) gives it, without the leading '/': "./a//b/../c/" is
// "a/c", "../../x" is "x" (".." stops at the root), "/" and "" are "".
std::string clean_path(std::string_view path);
// A path made absolute against `workdir` and cleaned, as WORKDIR, COPY destinations and RUN's
// mount targets are: "/srv/app".
std::string absolute_path(std::string_view path, std::string_view workdir);

// A tree path as messages show it, absolute and quoted: "\"/a/b\"".
std::string shown_path(std::string_view path);

// "a/b" + "c" = "a/b/c"; either side may be "" (the root).
std::string join_path(std::string_view dir, std::string_view name);
// The directory of a clean path ("a/b" -> "a", "a" -> "").
std::string_view dir_of(std::string_view path);
// The last component of a clean path ("a/b" -> "b").
std::string_view base_of(std::string_view path);
// The components of a clean path; none for "".
std::vector<std::string_view> components_of(std::string_view path);

// What a tree has at one clean, symlink-free path, as path resolution needs it.
struct PathLookup {
    enum class Kind { missing, directory, symlink, other } kind = Kind::missing;
    std::string link_target;  // for a symlink
};

// Resolves `path` in a tree whose entries `look` describes, following symlinks inside the tree
// as openat2(RESOLVE_IN_ROOT) does: an absolute target starts again at the root, ".." stops
// there. Parents are always followed, the last component only when `follow_last`. Returns the
// symlink-free path that `path` leads to (which may not exist), or nullopt when a parent is
// missing or not a directory. Errc::invalid_argument after 255 symlinks (a loop).
Result<std::optional<std::string>> resolve_path(std::string_view path, bool follow_last,
                                                const std::function<Result<PathLookup>(const std::string&)>& look);

// Whether `pattern` has any of Go's filepath.Match metacharacters (`*`, `?`, `[`, `\`).
bool has_wildcards(std::string_view pattern);

// Go's filepath.Match for one path component: `*` any run of characters, `?` one character
// (UTF-8 aware), `[...]`/`[^...]` a class with ranges, `\` escapes. Errc::invalid_argument
// `syntax error in pattern` for a malformed pattern (as Go's ErrBadPattern).
Result<bool> glob_match(std::string_view pattern, std::string_view name);

}  // namespace hoist::build
