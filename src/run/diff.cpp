#include "src/run/diff.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/core.h>

namespace hoist::run {

namespace fs = std::filesystem;
using oci::LayerEntry;

namespace {

constexpr std::string_view k_owner_xattr = "user.hoist.owner";

// What hoist and overlayfs keep in xattrs is not the image's: the owner a rootless unpack
// could not set ("UID:GID", for a file that shows as 0:0) is put back, overlayfs's own go.
void restore_owner(LayerEntry& entry) {
    if (auto owner = entry.xattrs.find(std::string(k_owner_xattr)); owner != entry.xattrs.end()) {
        const auto& text = owner->second;
        std::uint32_t uid = 0;
        std::uint32_t gid = 0;
        auto colon = text.find(':');
        if (entry.uid == 0 && entry.gid == 0 && colon != std::string::npos) {
            std::from_chars(text.data(), text.data() + colon, uid);
            std::from_chars(text.data() + colon + 1, text.data() + text.size(), gid);
            entry.uid = uid;
            entry.gid = gid;
        }
        entry.xattrs.erase(owner);
    }
    std::erase_if(entry.xattrs, [](const auto& item) {
        return item.first.starts_with("trusted.overlay.") || item.first.starts_with("user.overlay.");
    });
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
        bool is_opaque = entry.type == LayerEntry::Type::directory && entry.xattrs.contains(opaque) &&
                         entry.xattrs.at(opaque) == "y";
        restore_owner(entry);
        std::string path = entry.path;
        entries.push_back(std::move(entry));
        if (is_opaque) {
            entries.push_back(LayerEntry::opaque(path));
        }
    }
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
        if (info.st_dev != top.st_dev) {
            it.disable_recursion_pending();
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
        state.m_nodes.emplace(it->path().lexically_relative(root).generic_string(), std::move(node));
    }
    if (error) {
        return fail(Errc::io, fmt::format("read {}: {}", root.string(), error.message()));
    }
    return state;
}

Result<std::vector<LayerEntry>> TreeState::changes(const fs::path& root, const std::vector<std::string>& ignore) const {
    auto now = HOIST_TRY(scan(root));
    auto ignored = [&](const std::string& path) {
        return std::any_of(ignore.begin(), ignore.end(),
                           [&](const std::string& dir) { return path == dir || is_under(path, dir); });
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
