#include "src/build/tree.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <set>

#include "oci/compression.hpp"
#include "oci/file.hpp"
#include "src/build/tar_reader.hpp"

namespace hoist::build {
namespace fs = std::filesystem;

namespace {

using Type = oci::LayerEntry::Type;

constexpr std::string_view k_whiteout_prefix = ".wh.";
constexpr std::string_view k_whiteout_meta_prefix = ".wh..wh.";
constexpr std::string_view k_opaque_marker = ".wh..wh..opq";

// A layer name as apply_layer reads it (see layer_applier.hpp): leading '/', empty and "."
// components dropped; nullopt when a component is "..".
std::optional<std::string> layer_name(std::string_view name) {
    std::string out;
    for (auto part : components_of(name)) {
        if (part == "..") {
            return std::nullopt;
        }
        if (part != ".") {
            out = join_path(out, part);
        }
    }
    return out;
}

// The names in a directory on disk, unsorted.
Result<std::vector<std::string>> read_directory(const fs::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        names.push_back(it->path().filename().string());
    }
    if (ec) {
        return fail(Errc::io, "read " + dir.string() + ": " + ec.message());
    }
    return names;
}

// lstat(2), with nullopt for a path that is not there.
Result<std::optional<struct stat>> stat_path(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return std::optional<struct stat>();
        }
        return std::unexpected(os_error("stat " + path.string(), errno));
    }
    return std::optional<struct stat>(st);
}

Result<std::string> read_link(const fs::path& path) {
    std::error_code ec;
    auto target = fs::read_symlink(path, ec);
    if (ec) {
        return fail(Errc::io, "read link " + path.string() + ": " + ec.message());
    }
    return target.string();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ContextTree

Result<std::unique_ptr<ContextTree>> ContextTree::open(const fs::path& dir, dockerfile::Dockerignore ignore) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        return fail(Errc::not_found, "build context " + dir.string() + ": not a directory");
    }
    return std::unique_ptr<ContextTree>(new ContextTree(dir, std::move(ignore)));
}

Result<bool> ContextTree::includes_under(const std::string& directory) {
    if (!m_ignore.may_reinclude_under(directory)) {
        return false;
    }
    if (auto known = m_includes_under.find(directory); known != m_includes_under.end()) {
        return known->second;
    }
    bool found = false;
    auto names = HOIST_TRY(read_directory(m_dir / directory));
    for (const auto& name : names) {
        std::string path = join_path(directory, name);
        auto st = HOIST_TRY(stat_path(m_dir / path));
        if (st && HOIST_TRY(visible(path, S_ISDIR(st->st_mode)))) {
            found = true;
            break;
        }
    }
    m_includes_under[directory] = found;
    return found;
}

Result<bool> ContextTree::visible(const std::string& path, bool directory) {
    if (m_ignore.empty() || path.empty() || !m_ignore.excluded(path)) {
        return true;
    }
    return directory && HOIST_TRY(includes_under(path));
}

Result<PathLookup> ContextTree::look(const std::string& path) {
    auto st = HOIST_TRY(stat_path(m_dir / path));
    if (!st || !HOIST_TRY(visible(path, S_ISDIR(st->st_mode)))) {
        return PathLookup{};
    }
    if (S_ISDIR(st->st_mode)) {
        return PathLookup{.kind = PathLookup::Kind::directory};
    }
    if (S_ISLNK(st->st_mode)) {
        return PathLookup{.kind = PathLookup::Kind::symlink, .link_target = HOIST_TRY(read_link(m_dir / path))};
    }
    return PathLookup{.kind = PathLookup::Kind::other};
}

Result<std::optional<oci::LayerEntry>> ContextTree::lstat(std::string_view path) {
    std::string clean = clean_path(path);
    std::optional<std::string> resolved;
    if (!clean.empty() && m_listed.contains(std::string(dir_of(clean)))) {
        resolved = clean;
    } else {
        resolved = HOIST_TRY(resolve_path(clean, false, [this](const std::string& p) { return look(p); }));
    }
    if (!resolved) {
        return std::optional<oci::LayerEntry>();
    }
    auto st = HOIST_TRY(stat_path(m_dir / *resolved));
    if (!st || !HOIST_TRY(visible(*resolved, S_ISDIR(st->st_mode)))) {
        return std::optional<oci::LayerEntry>();
    }
    oci::LayerEntry entry{
        .path = *resolved,
        .mode = static_cast<std::uint32_t>(st->st_mode & 07777),
        .uid = st->st_uid,
        .gid = st->st_gid,
        .mtime = st->st_mtim.tv_sec,
    };
    switch (st->st_mode & S_IFMT) {
        case S_IFDIR:
            entry.type = Type::directory;
            break;
        case S_IFLNK:
            entry.type = Type::symlink;
            entry.link_target = HOIST_TRY(read_link(m_dir / *resolved));
            break;
        case S_IFCHR:
        case S_IFBLK:
            entry.type = S_ISCHR(st->st_mode) ? Type::char_device : Type::block_device;
            entry.dev_major = major(st->st_rdev);
            entry.dev_minor = minor(st->st_rdev);
            break;
        case S_IFIFO:
            entry.type = Type::fifo;
            break;
        case S_IFREG:
            if (st->st_nlink > 1) {
                entry.link_target = "inode " + std::to_string(st->st_dev) + ":" + std::to_string(st->st_ino);
            }
            break;
        default:  // a socket is no part of a context, as BuildKit skips them
            return std::optional<oci::LayerEntry>();
    }
    return std::optional<oci::LayerEntry>(std::move(entry));
}

Result<std::vector<std::string>> ContextTree::list(std::string_view path) {
    auto resolved = HOIST_TRY(resolve_path(clean_path(path), true, [this](const std::string& p) { return look(p); }));
    if (!resolved || HOIST_TRY(look(*resolved)).kind != PathLookup::Kind::directory) {
        return fail(Errc::not_found, shown_path(clean_path(path)) + ": not a directory");
    }
    m_listed.insert(*resolved);
    auto names = HOIST_TRY(read_directory(m_dir / *resolved));
    std::vector<std::string> shown;
    for (auto& name : names) {
        std::string child = join_path(*resolved, name);
        auto st = HOIST_TRY(stat_path(m_dir / child));
        if (st && !S_ISSOCK(st->st_mode) && HOIST_TRY(visible(child, S_ISDIR(st->st_mode)))) {
            shown.push_back(std::move(name));
        }
    }
    std::ranges::sort(shown);
    return shown;
}

Result<void> ContextTree::materialize(std::vector<oci::LayerEntry>& entries, const std::vector<std::string>& sources) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].type == Type::regular) {
            entries[i].source = m_dir / sources[i];
        }
    }
    return {};
}

// ---------------------------------------------------------------------------------------------
// ImageTree

namespace {

struct Node {
    // Metadata, and for the files of this build's layers their content (`source`/`content`).
    // `path` is not kept: a node's name is its key in its parent.
    oci::LayerEntry entry;
    std::int64_t size = 0;
    // For a regular file from an image layer: the layer, and the ordinal of the tar entry that
    // holds its content (a hardlink's target's); -1 for files of this build's layers.
    int layer = -1;
    std::uint64_t ordinal = 0;
    std::uint64_t link_group = 0;  // shared by hardlinked names; 0 for none
    std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
};

// One entry of a layer as read, before it is applied.
struct Pending {
    std::string path;      // a layer name (layer_name)
    std::string hardlink;  // its target, a layer name, for a hardlink
    oci::LayerEntry entry;
    std::int64_t size = 0;
    std::uint64_t ordinal = 0;
};

Type type_of(archive_entry* entry) {
    switch (archive_entry_filetype(entry)) {
        case AE_IFDIR:
            return Type::directory;
        case AE_IFLNK:
            return Type::symlink;
        case AE_IFCHR:
            return Type::char_device;
        case AE_IFBLK:
            return Type::block_device;
        case AE_IFIFO:
            return Type::fifo;
        default:
            return Type::regular;
    }
}

// The header of a layer's tar entry as a Pending; nullopt for the root's own entry.
Result<std::optional<Pending>> pending_of(archive_entry* header, std::uint64_t ordinal, const std::string& layer) {
    const char* raw = archive_entry_pathname(header);
    auto path = layer_name(raw != nullptr ? raw : "");
    if (!path) {
        return fail(Errc::unsafe, layer + ": entry \"" + std::string(raw) + "\": path has a \"..\" component");
    }
    if (path->empty()) {
        return std::optional<Pending>();
    }
    Pending pending{.path = *path, .size = archive_entry_size(header), .ordinal = ordinal};
    oci::LayerEntry& e = pending.entry;
    e.type = type_of(header);
    e.mode = archive_entry_perm(header) & 07777;
    e.uid = static_cast<std::uint32_t>(archive_entry_uid(header));
    e.gid = static_cast<std::uint32_t>(archive_entry_gid(header));
    if (const char* uname = archive_entry_uname(header); uname != nullptr) {
        e.uname = uname;
    }
    if (const char* gname = archive_entry_gname(header); gname != nullptr) {
        e.gname = gname;
    }
    e.mtime = archive_entry_mtime(header);
    if (const char* target = archive_entry_symlink(header); target != nullptr && e.type == Type::symlink) {
        e.link_target = target;
    }
    e.dev_major = static_cast<std::uint32_t>(archive_entry_rdevmajor(header));
    e.dev_minor = static_cast<std::uint32_t>(archive_entry_rdevminor(header));
    if (archive_entry_xattr_reset(header) > 0) {
        const char* key = nullptr;
        const void* value = nullptr;
        std::size_t size = 0;
        while (archive_entry_xattr_next(header, &key, &value, &size) == ARCHIVE_OK) {
            // The first of a name libarchive lists twice (SCHILY. and LIBARCHIVE.) wins.
            e.xattrs.emplace(key, std::string(static_cast<const char*>(value), size));
        }
    }
    if (const char* target = archive_entry_hardlink(header); target != nullptr) {
        auto normal = layer_name(target);
        if (!normal || normal->empty()) {
            return fail(Errc::unsafe, layer + ": entry \"" + std::string(raw) + "\": bad hardlink target \"" +
                                          std::string(target) + "\"");
        }
        pending.hardlink = *normal;
        e.type = Type::hardlink;
    }
    return std::optional<Pending>(std::move(pending));
}

}  // namespace

struct ImageTree::Impl {
    std::shared_ptr<oci::ImageSource> source;
    std::vector<oci::Descriptor> layers;
    TempDir scratch;
    Node root;
    std::uint64_t next_group = 1;
    std::uint64_t next_scratch = 0;
    std::map<std::pair<int, std::uint64_t>, fs::path> extracted;  // (layer, ordinal) -> file

    Impl(std::shared_ptr<oci::ImageSource> s, std::vector<oci::Descriptor> l, TempDir t)
        : source(std::move(s)), layers(std::move(l)), scratch(std::move(t)) {
        root.entry.type = Type::directory;
        root.entry.mode = 0755;
    }

    // The node at a clean, symlink-free path; nullptr when there is none.
    Node* at(std::string_view path) {
        Node* node = &root;
        for (auto part : components_of(path)) {
            auto child = node->children.find(part);
            if (child == node->children.end()) {
                return nullptr;
            }
            node = child->second.get();
        }
        return node;
    }

    Result<std::optional<std::string>> resolve(std::string_view path, bool follow_last) {
        return resolve_path(path, follow_last, [this](const std::string& p) -> Result<PathLookup> {
            Node* node = at(p);
            if (node == nullptr) {
                return PathLookup{};
            }
            switch (node->entry.type) {
                case Type::directory:
                    return PathLookup{.kind = PathLookup::Kind::directory};
                case Type::symlink:
                    return PathLookup{.kind = PathLookup::Kind::symlink, .link_target = node->entry.link_target};
                default:
                    return PathLookup{.kind = PathLookup::Kind::other};
            }
        });
    }

    // The directory `path` leads to, parents followed as apply_layer follows them; what is
    // missing is made (0755, root, as apply_layer and write_layer make it) and what is in the
    // way replaced.
    Node* directory(std::string_view path) {
        Node* node = &root;
        std::string resolved;
        for (auto part : components_of(path)) {
            std::string next = join_path(resolved, part);
            auto followed = resolve(next, true);
            if (followed && *followed) {
                Node* found = at(**followed);
                if (found != nullptr && found->entry.type == Type::directory) {
                    node = found;
                    resolved = **followed;
                    continue;
                }
            }
            auto made = std::make_unique<Node>();
            made->entry.type = Type::directory;
            made->entry.mode = 0755;
            Node* child = made.get();
            node->children.insert_or_assign(std::string(part), std::move(made));
            node = child;
            resolved = next;
        }
        return node;
    }

    void whiteout(const Pending& pending) {
        std::string_view name = base_of(pending.path);
        auto dir = resolve(dir_of(pending.path), true);
        Node* parent = dir && *dir ? at(**dir) : nullptr;
        if (parent == nullptr || parent->entry.type != Type::directory) {
            return;  // nothing below to hide
        }
        if (name == k_opaque_marker) {
            parent->children.clear();
        } else if (!name.starts_with(k_whiteout_meta_prefix)) {
            if (auto child = parent->children.find(name.substr(k_whiteout_prefix.size()));
                child != parent->children.end()) {
                parent->children.erase(child);
            }
        }
    }

    void add(Pending& pending, int layer) {
        auto made = std::make_unique<Node>();
        if (pending.entry.type == Type::hardlink) {
            // A hardlink shares its target's inode: metadata and content.
            auto target_path = resolve(pending.hardlink, false);
            Node* target = target_path && *target_path ? at(**target_path) : nullptr;
            if (target == nullptr || target->entry.type == Type::directory) {
                return;  // apply_layer refuses such a layer; nothing a copy could take
            }
            if (target->link_group == 0) {
                target->link_group = next_group++;
            }
            made->entry = target->entry;
            made->size = target->size;
            made->layer = target->layer;
            made->ordinal = target->ordinal;
            made->link_group = target->link_group;
        } else {
            made->entry = std::move(pending.entry);
            made->entry.path.clear();
            made->size = pending.size;
            made->layer = made->entry.type == Type::regular ? layer : -1;
            made->ordinal = pending.ordinal;
        }
        Node* parent = directory(dir_of(pending.path));
        std::string name(base_of(pending.path));
        auto existing = parent->children.find(name);
        if (existing != parent->children.end() && existing->second->entry.type == Type::directory &&
            made->entry.type == Type::directory) {
            existing->second->entry = std::move(made->entry);  // merged: what is in it stays
            return;
        }
        parent->children.insert_or_assign(std::move(name), std::move(made));
    }

    // Applies one layer: its whiteouts first, as they only ever hide what lower layers have.
    void apply(std::vector<Pending>& pending, int layer) {
        for (const auto& p : pending) {
            if (base_of(p.path).starts_with(k_whiteout_prefix)) {
                whiteout(p);
            }
        }
        for (auto& p : pending) {
            if (!base_of(p.path).starts_with(k_whiteout_prefix)) {
                add(p, layer);
            }
        }
    }

    std::string layer_label(int layer) const { return "layer " + layers[static_cast<std::size_t>(layer)].digest.to_string(); }

    Result<std::unique_ptr<TarReader>> open_layer(int layer) {
        const auto& descriptor = layers[static_cast<std::size_t>(layer)];
        auto blob = HOIST_TRY(source->open_blob(descriptor));
        auto plain = HOIST_TRY(oci::decompressing_reader(std::move(blob)));
        return TarReader::open(std::move(plain), layer_label(layer));
    }

    fs::path new_scratch_path() { return scratch.path() / ("f" + std::to_string(next_scratch++)); }

    // Extracts the wanted entries (by ordinal) of one layer, in one pass that stops after the last.
    Result<void> extract(int layer, const std::set<std::uint64_t>& wanted) {
        auto tar = HOIST_TRY(open_layer(layer));
        for (std::uint64_t ordinal = 0; ordinal <= *wanted.rbegin(); ++ordinal) {
            archive_entry* header = HOIST_TRY(tar->next());
            if (header == nullptr) {
                return fail(Errc::invalid_argument, layer_label(layer) + ": ended before entry " + std::to_string(ordinal));
            }
            if (!wanted.contains(ordinal)) {
                continue;
            }
            fs::path file = new_scratch_path();
            auto fd = HOIST_TRY(open_file(file, O_WRONLY | O_CREAT | O_EXCL, 0600));
            oci::FileWriter out(std::move(fd), file.string());
            HOIST_TRY(tar->read_data(out));
            extracted[{layer, ordinal}] = file;
        }
        return {};
    }
};

ImageTree::ImageTree(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
ImageTree::~ImageTree() = default;

Result<std::unique_ptr<ImageTree>> ImageTree::open(std::shared_ptr<oci::ImageSource> source,
                                                   std::vector<oci::Descriptor> layers, const fs::path& scratch) {
    auto dir = HOIST_TRY(TempDir::create(scratch, "tree-"));
    auto impl = std::make_unique<Impl>(std::move(source), std::move(layers), std::move(dir));
    for (std::size_t i = 0; i < impl->layers.size(); ++i) {
        int layer = static_cast<int>(i);
        auto tar = HOIST_TRY(impl->open_layer(layer));
        std::vector<Pending> pending;
        for (std::uint64_t ordinal = 0;; ++ordinal) {
            archive_entry* header = HOIST_TRY(tar->next());
            if (header == nullptr) {
                break;
            }
            auto entry = HOIST_TRY(pending_of(header, ordinal, impl->layer_label(layer)));
            if (entry) {
                pending.push_back(std::move(*entry));
            }
        }
        impl->apply(pending, layer);
    }
    return std::unique_ptr<ImageTree>(new ImageTree(std::move(impl)));
}

void ImageTree::add_layer(const std::vector<oci::LayerEntry>& entries) {
    // As write_layer writes them: the last entry for a path wins, parents before children.
    std::map<std::string, const oci::LayerEntry*> by_path;
    for (const auto& entry : entries) {
        if (auto path = layer_name(entry.path); path && !path->empty()) {
            by_path[*path] = &entry;
        }
    }
    std::vector<Pending> pending;
    pending.reserve(by_path.size());
    for (const auto& [path, entry] : by_path) {
        Pending p{.path = path, .entry = *entry, .size = static_cast<std::int64_t>(entry->content.size())};
        if (entry->type == Type::hardlink) {
            auto target = layer_name(entry->link_target);
            if (!target || target->empty()) {
                continue;
            }
            p.hardlink = *target;
        }
        if (entry->type == Type::regular && !entry->source.empty()) {
            std::error_code ec;
            p.size = static_cast<std::int64_t>(fs::file_size(entry->source, ec));
        }
        pending.push_back(std::move(p));
    }
    m_impl->apply(pending, -1);
}

fs::path ImageTree::scratch_path() {
    return m_impl->new_scratch_path();
}

Result<std::optional<oci::LayerEntry>> ImageTree::lstat(std::string_view path) {
    auto resolved = HOIST_TRY(m_impl->resolve(clean_path(path), false));
    Node* node = resolved ? m_impl->at(*resolved) : nullptr;
    if (node == nullptr) {
        return std::optional<oci::LayerEntry>();
    }
    oci::LayerEntry entry = node->entry;
    entry.path = *resolved;
    entry.source.clear();
    entry.content.clear();
    if (entry.type == Type::regular) {
        entry.link_target = node->link_group != 0 ? "link group " + std::to_string(node->link_group) : "";
    }
    return std::optional<oci::LayerEntry>(std::move(entry));
}

Result<std::vector<std::string>> ImageTree::list(std::string_view path) {
    auto resolved = HOIST_TRY(m_impl->resolve(clean_path(path), true));
    Node* node = resolved ? m_impl->at(*resolved) : nullptr;
    if (node == nullptr || node->entry.type != Type::directory) {
        return fail(Errc::not_found, shown_path(clean_path(path)) + ": not a directory");
    }
    std::vector<std::string> names;
    names.reserve(node->children.size());
    for (const auto& [name, child] : node->children) {
        names.push_back(name);
    }
    return names;
}

Result<void> ImageTree::materialize(std::vector<oci::LayerEntry>& entries, const std::vector<std::string>& sources) {
    std::vector<std::pair<std::size_t, const Node*>> files;
    std::map<int, std::set<std::uint64_t>> wanted;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].type != Type::regular) {
            continue;
        }
        auto resolved = HOIST_TRY(m_impl->resolve(sources[i], true));
        const Node* node = resolved ? m_impl->at(*resolved) : nullptr;
        if (node == nullptr || node->entry.type != Type::regular) {
            return fail(Errc::not_found, shown_path(sources[i]) + ": not a regular file");
        }
        files.emplace_back(i, node);
        if (node->layer >= 0 && !m_impl->extracted.contains({node->layer, node->ordinal})) {
            wanted[node->layer].insert(node->ordinal);
        }
    }
    for (const auto& [layer, ordinals] : wanted) {
        HOIST_TRY(m_impl->extract(layer, ordinals));
    }
    for (const auto& [i, node] : files) {
        if (node->layer >= 0) {
            entries[i].source = m_impl->extracted.at({node->layer, node->ordinal});
            entries[i].content.clear();
        } else {
            entries[i].source = node->entry.source;
            entries[i].content = node->entry.content;
        }
    }
    return {};
}

Result<std::optional<std::string>> ImageTree::read_file(std::string_view path, std::uint64_t limit) {
    std::string clean = clean_path(path);
    auto resolved = HOIST_TRY(m_impl->resolve(clean, true));
    Node* node = resolved ? m_impl->at(*resolved) : nullptr;
    if (node == nullptr || node->entry.type != Type::regular) {
        return std::optional<std::string>();
    }
    if (static_cast<std::uint64_t>(node->size) > limit) {
        return fail(Errc::invalid_argument,
                    shown_path(clean) + ": larger than the limit of " + std::to_string(limit) + " bytes");
    }
    std::vector<oci::LayerEntry> entries(1);
    HOIST_TRY(materialize(entries, {*resolved}));
    if (entries[0].source.empty()) {
        return std::optional<std::string>(entries[0].content);
    }
    auto content = HOIST_TRY(hoist::read_file(entries[0].source, limit));
    return std::optional<std::string>(std::move(content));
}

// ---------------------------------------------------------------------------------------------
// Owners

namespace {

std::optional<std::uint32_t> parse_id(std::string_view text) {
    std::uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// The fields of the line of a passwd or group file whose field `key` (0: name, 2: id) is `value`.
std::optional<std::vector<std::string_view>> find_line(std::string_view file, std::size_t key, std::string_view value) {
    while (!file.empty()) {
        auto newline = file.find('\n');
        std::string_view line = file.substr(0, newline);
        file = newline == std::string_view::npos ? std::string_view() : file.substr(newline + 1);
        std::vector<std::string_view> fields;
        for (std::size_t start = 0;;) {
            auto colon = line.find(':', start);
            fields.push_back(line.substr(start, colon - start));
            if (colon == std::string_view::npos) {
                break;
            }
            start = colon + 1;
        }
        if (fields.size() >= 4 && fields[key] == value) {
            return fields;
        }
    }
    return std::nullopt;
}

}  // namespace

Result<Owner> resolve_owner(ImageTree& tree, std::string_view spec) {
    auto colon = spec.find(':');
    std::string_view user = spec.substr(0, colon);
    std::optional<std::string_view> group;
    if (colon != std::string_view::npos) {
        group = spec.substr(colon + 1);
    }
    Owner owner;
    if (user.empty()) {
        // USER never set: root, and its group unless one is given.
    } else if (auto uid = parse_id(user)) {
        // BuildKit takes a numeric user as its own group, without reading /etc/passwd.
        owner.uid = *uid;
        owner.gid = *uid;
    } else {
        auto passwd = HOIST_TRY(tree.read_file("etc/passwd"));
        auto line = find_line(passwd ? std::string_view(*passwd) : std::string_view(), 0, user);
        auto listed = line ? parse_id((*line)[2]) : std::nullopt;
        if (!listed) {
            return fail(Errc::not_found,
                        "unable to find user " + std::string(user) + ": no matching entries in passwd file");
        }
        owner.uid = *listed;
        owner.gid = parse_id((*line)[3]).value_or(0);
    }
    if (!group) {
        return owner;
    }
    if (auto gid = parse_id(*group)) {
        owner.gid = *gid;
        return owner;
    }
    auto groups = HOIST_TRY(tree.read_file("etc/group"));
    auto line = find_line(groups ? std::string_view(*groups) : std::string_view(), 0, *group);
    auto gid = line ? parse_id((*line)[2]) : std::nullopt;
    if (!gid) {
        return fail(Errc::not_found,
                    "unable to find group " + std::string(*group) + ": no matching entries in group file");
    }
    owner.gid = *gid;
    return owner;
}

}  // namespace hoist::build
