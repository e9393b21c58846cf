// COPY and ADD as layer entries: which files a step takes from its source tree and where they
// land in the stage's tree, with Docker's (BuildKit's) rules. The builder writes the entries
// as the step's layer; nothing is copied onto a root filesystem.
#pragma once

#include <cstdint>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "oci/digest.hpp"
#include "oci/layer_writer.hpp"
#include "registry/http.hpp"
#include "src/build/tree.hpp"
#include "src/dockerfile/instructions.hpp"

namespace hoist::build {

// One COPY or ADD, its words already expanded in the stage's scope.
struct CopyStep {
    bool add = false;                             // ADD: local tars are extracted, URLs fetched
    std::vector<std::string> sources;             // context (or --from tree) paths, wildcards; ADD: URLs too
    std::vector<dockerfile::InlineFile> inline_files;  // heredoc sources, contents final (expanded)
    std::string destination;                      // absolute, or relative to `workdir`
    std::string workdir = "/";                    // the stage's WORKDIR
    std::string chown;                            // --chown spec; empty: sources' owners (context: 0:0)
    std::optional<std::uint32_t> chmod;           // --chmod, octal already parsed
    bool link = false;                            // --link: the destination's parents are not looked up in the stage
    bool parents = false;                         // --parents: keep each source's path (below a "/./" pivot)
    std::vector<std::string> excludes;            // --exclude patterns, .dockerignore syntax
    std::string checksum;                         // ADD --checksum=sha256:... for a URL source
    bool unpack = true;                           // ADD: extract local tar archives (--unpack=false: copy them)
    std::int64_t created_mtime = 0;               // mtime for heredoc files and directories the copy creates
};

struct CopyPlan {
    // What the layer holds: every copied file, link and directory, and every parent directory of
    // them — parents that exist in the stage with their metadata there, parents the copy creates
    // as 0755 owned by the --chown owner (root otherwise). Regular files have `source` or
    // `content` set (materialized).
    std::vector<oci::LayerEntry> entries;
    // A digest of what the step read and writes: each entry's path, source path, type, mode,
    // owner, link target, xattrs and content, in path order (mtimes left out). Equal inputs
    // give equal digests; for the build cache. Computed on a thread of its own that reads the
    // files again while the layer is written: wait for it before the source tree goes.
    std::shared_future<Result<oci::Digest>> content_digest;
};

// Plans one step reading from `source` (the context, or the --from stage or image) and writing
// over `stage`. Docker's rules:
// - A source that is a directory copies its contents (not itself) to the destination; with
//   --parents, its path below the pivot is kept.
// - A file's destination is `destination/NAME` when the destination ends in '/', when there are
//   several sources (after wildcard expansion, several matches) or when it is an existing
//   directory in `stage`; else `destination` itself is the file.
// - Wildcards (`*`, `?`, `[...]`, Go's filepath.Match) match in `source`; no match is an error
//   (`no source files were specified` when nothing at all, else `lstat PATH: no such file or
//   directory`... see the messages below); a source outside the tree ("../x") is the tree's root
//   plus the cleaned path, as Docker treats it.
// - A source symlink named directly is followed; symlinks inside a copied directory are copied as
//   links. Hardlinks inside one copy stay hardlinked.
// - Owners: --chown (resolved through `stage`'s /etc/passwd and /etc/group), else 0:0 from the
//   context and the source's owner from an image; modes and mtimes as in the source; --chmod
//   replaces the permission bits of every copied file and directory.
// - --exclude patterns drop matching paths (and what is under matching directories): inside a
//   directory source relative to it; a file source (a wildcard's match) by its path in the tree
//   or its name.
// - Paths are resolved in `stage` (not with --link): /var/run/x lands in run/x when var/run is
//   a symlink to /run, so the layer never replaces a symlink of the stage by a directory.
//   Directories the copy writes into that the stage has keep the stage's metadata.
// - ADD: a local source that is a tar archive (plain, gzip, bzip2, xz or zstd, told by content)
//   is extracted into the destination directory (its entries' owners and modes kept unless
//   --chown; Errc::unsafe for absolute names, "..", symlinks out of the archive and entries
//   below the archive's own symlinks); a URL is fetched with `transport` into `destination` (a
//   file named after the URL's last path segment when the destination is a directory), mode
//   0600, mtime from Last-Modified (else created_mtime), checked against `checksum` when
//   given, never extracted. Extracted and fetched files live in `stage`'s scratch space.
// Errors (Errc::not_found / invalid_argument / digest_mismatch) in Docker's words where it has
// them: `"/missing.txt": not found`, `no source files were specified`,
// `When using COPY with more than one source file, the destination must be a directory and end with a /`,
// `checksum mismatch: expected sha256:..., got sha256:...`.
Result<CopyPlan> plan_copy(const CopyStep& step, Tree& source, ImageTree& stage, registry::Transport* transport);

// The entries for `WORKDIR path` when the directory is missing from `stage`: it and any missing
// parents, 0755, owned by `owner`; an empty list when it exists already.
Result<std::vector<oci::LayerEntry>> plan_workdir(const std::string& path, ImageTree& stage, Owner owner,
                                                  std::int64_t mtime);

}  // namespace hoist::build
