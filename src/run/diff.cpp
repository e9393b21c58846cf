#include "src/run/diff.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include <fmt/core.h>

namespace hoist::run {

namespace fs = std::filesystem;
using oci::LayerEntry;

namespace {

constexpr std::string_view k_owner_xattr = "user.hoist.owner";

// "UID:GID" as the applier writes it; nothing for anything else.
std::optional<std::pair<std::uint32_t, std::uint32_t>> parse_owner(std::string_view text) {
    auto number = [](std::string_view digits) -> std::optional<std::uint32_t> {
        std::uint32_t value = 0;
        auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
            return std::nullopt;
        }
        return value;
    };
    auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }
    auto uid = number(text.substr(0, colon));
    auto gid = number(text.substr(colon + 1));
    if (!uid || !gid) {
        return std::nullopt;
    }
    return std::pair{*uid, *gid};
}

// What hoist and overlayfs keep in xattrs is not the image's: the owner a rootless unpack
// could not set ("UID:GID", for a file that shows as 0:0) is put back, overlayfs's own go.
void restore_owner(LayerEntry& entry) {
    if (auto owner = entry.xattrs.find(std::string(k_owner_xattr)); owner != entry.xattrs.end()) {
        if (entry.uid == 0 && entry.gid == 0) {
            if (auto ids = parse_owner(owner->second)) {
                entry.uid = ids->first;
                entry.gid = ids->second;
            }
        }
        entry.xattrs.erase(owner);
    }
    std::erase_if(entry.xattrs, [](const auto& item) {
        return item.first.starts_with("trusted.overlay.") || item.first.starts_with("user.overlay.");
    });
}

// scan_paths names a hardlinked file's first name in std::filesystem::path order ("a/b" before
// "a-b"), write_layer writes entries in byte order ("a-b" first): the file goes under the name
// that comes first in bytes, so that no hardlink in the tar points at a later entry.
void link_to_first_in_bytes(std::vector<LayerEntry>& entries) {
    std::map<std::string, std::size_t> files;                  // path -> index, regular files
    std::map<std::string, std::vector<std::size_t>> links_to;  // a file's path -> its hardlinks
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].type == LayerEntry::Type::hardlink) {
            links_to[entries[i].link_target].push_back(i);
        } else if (entries[i].type == LayerEntry::Type::regular) {
            files.emplace(entries[i].path, i);
        }
    }
    for (const auto& [target, links] : links_to) {
        auto file = files.find(target);
        if (file == files.end()) {
            continue;
        }
        std::size_t first = file->second;
        for (std::size_t link : links) {
            if (entries[link].path < entries[first].path) {
                first = link;
            }
        }
        if (first == file->second) {
            continue;
        }
        // The same inode under either name: swapping the names moves the content forward.
        std::swap(entries[file->second].path, entries[first].path);
        for (std::size_t link : links) {
            entries[link].link_target = entries[file->second].path;
        }
    }
}

// An xattr overlayfs leaves when a feature is on that makes the upper directory alone not the
// whole story: a renamed directory's content stays in the lower layers (redirect_dir), a
// chown'd file's data too (metacopy).
Result<void> refuse_partial_copy_up(const LayerEntry& entry) {
    for (std::string_view prefix : {"trusted.overlay.", "user.overlay."}) {
        std::string redirect = std::string(prefix) + "redirect";
        std::string metacopy = std::string(prefix) + "metacopy";
        if (entry.xattrs.contains(redirect)) {
            return fail(Errc::unsupported, "upper directory: \"" + entry.path + "\" has the xattr " + redirect +
                                               " (mount overlayfs with redirect_dir=off)");
        }
        if (entry.xattrs.contains(metacopy)) {
            return fail(Errc::unsupported, "upper directory: \"" + entry.path + "\" has the xattr " + metacopy +
                                               " (mount overlayfs with metacopy=off)");
        }
    }
    return {};
}

bool is_under(const std::string& path, const std::string& dir) {
    return path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/';
}

std::string parent_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

}  // namespace

Result<std::vector<LayerEntry>> upper_entries(const fs::path& upper, OverlayXattrs flavour) {
    auto scanned = HOIST_TRY(oci::scan_tree(upper));
    std::string opaque(opaque_xattr(flavour));
    std::vector<LayerEntry> entries;
    entries.reserve(scanned.size());
    for (auto& entry : scanned) {
        if (entry.type == LayerEntry::Type::char_device && entry.dev_major == 0 && entry.dev_minor == 0) {
            entries.push_back(LayerEntry::whiteout(entry.path));
            continue;
        }
        HOIST_TRY(refuse_partial_copy_up(entry));
        bool is_opaque = entry.type == LayerEntry::Type::directory && entry.xattrs.contains(opaque) &&
                         entry.xattrs.at(opaque) == "y";
        restore_owner(entry);
        std::string path = entry.path;
        entries.push_back(std::move(entry));
        if (is_opaque) {
            entries.push_back(LayerEntry::opaque(path));
        }
    }
    link_to_first_in_bytes(entries);
    return entries;
}

Result<TreeState> TreeState::scan(const fs::path& root) {
    TreeState state;
    struct stat top {};
    if (::lstat(root.c_str(), &top) != 0) {
        return std::unexpected(os_error("stat " + root.string(), errno));
    }
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(root, error); !error && it != fs::recursive_directory_iterator();
         it.increment(error)) {
        struct stat info {};
        if (::lstat(it->path().c_str(), &info) != 0) {
            return std::unexpected(os_error("stat " + it->path().string(), errno));
        }
        auto path = it->path().lexically_relative(root).generic_string();
        if (info.st_dev != top.st_dev) {
            it.disable_recursion_pending();
            state.m_mounts.insert(std::move(path));
            continue;
        }
        Node node{.inode = info.st_ino,
                  .ctime_ns = info.st_ctim.tv_sec * 1'000'000'000 + info.st_ctim.tv_nsec,
                  .mtime_ns = info.st_mtim.tv_sec * 1'000'000'000 + info.st_mtim.tv_nsec,
                  .size = static_cast<std::uint64_t>(info.st_size),
                  .mode = info.st_mode,
                  .uid = info.st_uid,
                  .gid = info.st_gid};
        node.xattrs = HOIST_TRY(oci::read_xattrs(it->path()));
        state.m_nodes.emplace(std::move(path), std::move(node));
    }
    if (error) {
        return fail(Errc::io, fmt::format("read {}: {}", root.string(), error.message()));
    }
    return state;
}

Result<std::vector<LayerEntry>> TreeState::changes(const fs::path& root, const std::vector<std::string>& ignore) const {
    auto now = HOIST_TRY(scan(root));
    auto below = [](const std::string& path, const auto& dirs) {
        return std::any_of(dirs.begin(), dirs.end(),
                           [&](const std::string& dir) { return path == dir || is_under(path, dir); });
    };
    // A mount point, then or now, covers what the tree has there.
    auto ignored = [&](const std::string& path) {
        return below(path, ignore) || below(path, m_mounts) || below(path, now.m_mounts);
    };
    // A directory's ctime moves with every name made or removed in it (the executor's mount
    // points too, whose directory's times it puts back): directories compare without it.
    auto same = [](const Node& before, const Node& after) {
        if (!S_ISDIR(after.mode)) {
            return before == after;
        }
        auto a = before;
        a.ctime_ns = after.ctime_ns;
        return a == after;
    };
    std::set<std::string> changed_paths;
    for (const auto& [path, node] : now.m_nodes) {
        auto before = m_nodes.find(path);
        if (!ignored(path) && (before == m_nodes.end() || !same(before->second, node))) {
            // With its parent directories as they are, or the layer would make them 0755 root.
            for (auto at = path; !at.empty() && changed_paths.insert(at).second; at = parent_of(at)) {
            }
        }
    }
    std::vector<fs::path> changed;
    for (const auto& path : changed_paths) {
        changed.push_back(root / path);
    }
    auto entries = HOIST_TRY(oci::scan_paths(root, std::move(changed)));
    for (auto& entry : entries) {
        restore_owner(entry);
    }
    link_to_first_in_bytes(entries);
    // What is gone: one whiteout for the top-most missing path, where its parent is still the
    // directory it was in (under a path that became a file, the file replaces it all).
    for (const auto& [path, node] : m_nodes) {
        if (now.m_nodes.contains(path) || ignored(path)) {
            continue;
        }
        auto parent = parent_of(path);
        if (!parent.empty()) {
            auto parent_now = now.m_nodes.find(parent);
            if (parent_now == now.m_nodes.end() || !S_ISDIR(parent_now->second.mode)) {
                continue;
            }
        }
        entries.push_back(LayerEntry::whiteout(path));
    }
    return entries;
}

}  // namespace hoist::run
