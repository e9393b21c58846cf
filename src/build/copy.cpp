#include "src/build/copy.hpp"

#include <fcntl.h>

#include <ctime>
#include <map>
#include <set>

#include "oci/file.hpp"
#include "src/build/paths.hpp"
#include "src/build/tar_reader.hpp"

namespace hoist::build {
namespace fs = std::filesystem;

namespace {

using Type = oci::LayerEntry::Type;
using Entries = std::map<std::string, oci::LayerEntry>;  // by destination path

constexpr int k_max_symlinks = 255;

Error not_found(std::string_view path) {
    return Error(Errc::not_found, shown_path(path) + ": not found");
}

bool is_url(std::string_view source) {
    return source.starts_with("http://") || source.starts_with("https://");
}

Result<PathLookup> look_in(Tree& tree, const std::string& path) {
    auto entry = HOIST_TRY(tree.lstat(path));
    if (!entry) {
        return PathLookup{};
    }
    switch (entry->type) {
        case Type::directory:
            return PathLookup{.kind = PathLookup::Kind::directory};
        case Type::symlink:
            return PathLookup{.kind = PathLookup::Kind::symlink, .link_target = entry->link_target};
        default:
            return PathLookup{.kind = PathLookup::Kind::other};
    }
}

// Where `path` leads in the stage: existing parents followed through symlinks (and the last
// component too when `follow_last`), what does not exist kept as written. So a layer never
// names a path through a symlink, which write_layer would turn into a directory.
Result<std::string> stage_path(ImageTree& stage, std::string_view path, bool follow_last) {
    auto look = [&stage](const std::string& p) { return look_in(stage, p); };
    auto parts = components_of(path);
    std::string resolved;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        std::string candidate = join_path(resolved, parts[i]);
        bool last = i + 1 == parts.size();
        if (last && !follow_last) {
            return candidate;
        }
        auto followed = HOIST_TRY(resolve_path(candidate, true, look));
        auto kind = followed ? HOIST_TRY(look(*followed)).kind : PathLookup::Kind::missing;
        if (kind == PathLookup::Kind::directory) {
            resolved = *followed;
            continue;
        }
        if (last && kind != PathLookup::Kind::missing) {
            return *followed;
        }
        // Missing (or not a directory): the rest is made by this layer, as written.
        for (std::size_t j = i; j < parts.size(); ++j) {
            candidate = j == i ? candidate : join_path(candidate, parts[j]);
        }
        return candidate;
    }
    return resolved;
}

// The stage's directory at a symlink-free `path`, if there is one.
Result<std::optional<oci::LayerEntry>> stage_directory(ImageTree* stage, const std::string& path) {
    if (stage == nullptr) {
        return std::optional<oci::LayerEntry>();
    }
    auto entry = HOIST_TRY(stage->lstat(path));
    if (!entry || entry->type != Type::directory || entry->path != path) {
        return std::optional<oci::LayerEntry>();
    }
    return entry;
}

// A directory a copy creates: 0755 (or the --chmod mode, as BuildKit creates them), owned by
// the --chown owner or root.
oci::LayerEntry created_directory(const std::string& path, Owner owner, std::optional<std::uint32_t> mode,
                                  std::int64_t mtime) {
    return oci::LayerEntry{.path = path,
                           .type = Type::directory,
                           .mode = mode.value_or(0755) & 07777,
                           .uid = owner.uid,
                           .gid = owner.gid,
                           .mtime = mtime};
}

// Adds every missing parent of the entries: the stage's directory when there is one (so that
// applying the layer keeps e.g. /tmp's 1777), else a created one.
Result<void> add_parents(Entries& entries, ImageTree* stage, Owner owner, std::optional<std::uint32_t> mode,
                         std::int64_t mtime) {
    std::set<std::string> missing;
    for (const auto& [path, entry] : entries) {
        for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
            if (!entries.contains(path.substr(0, slash))) {
                missing.insert(path.substr(0, slash));
            }
        }
    }
    for (const auto& path : missing) {
        auto existing = HOIST_TRY(stage_directory(stage, path));
        entries[path] = existing ? std::move(*existing) : created_directory(path, owner, mode, mtime);
    }
    return {};
}

// Whether a symlink at `path` (in an archive) pointing at relative `target` leads above the
// archive's root.
bool escapes(std::string_view path, std::string_view target) {
    int depth = static_cast<int>(components_of(dir_of(path)).size());
    for (auto part : components_of(target)) {
        if (part == "..") {
            if (--depth < 0) {
                return true;
            }
        } else if (part != ".") {
            ++depth;
        }
    }
    return false;
}

// A Writer into a file that hashes what it writes (ADD --checksum).
class HashingFileWriter final : public oci::Writer {
public:
    HashingFileWriter(Fd fd, std::string name) : m_file(std::move(fd), std::move(name)) {}
    Result<void> write(std::string_view bytes) override {
        m_hasher.update(bytes);
        return m_file.write(bytes);
    }
    oci::Digest finish() { return m_hasher.finish(); }

private:
    oci::FileWriter m_file;
    oci::Hasher m_hasher;
};

// "Wed, 21 Oct 2015 07:28:00 GMT" as seconds since the epoch.
std::optional<std::int64_t> parse_http_date(std::string_view text) {
    std::tm tm{};
    std::string copy(text);
    const char* end = ::strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0') {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(::timegm(&tm));
}

// The last segment of a URL's path ("https://h/a/b.tar.gz?x" -> "b.tar.gz").
std::string url_file_name(std::string_view url) {
    url = url.substr(0, url.find_first_of("?#"));
    auto scheme = url.find("://");
    std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
    auto slash = rest.find('/');
    if (slash == std::string_view::npos) {
        return "";
    }
    return std::string(base_of(rest.substr(slash)));
}

// One step's planning: what it read and what the layer gets.
// One entry as the content digest sees it: its fields, and the file whose bytes follow them.
struct DigestInput {
    std::string fields;
    std::string file;  // not a fs::path: that keeps its components too, 4x the memory per file
};

Result<oci::Digest> hash_inputs(const std::vector<DigestInput>& inputs) {
    oci::Hasher hasher;
    std::vector<char> buffer(std::size_t{1} << 16);
    for (const auto& input : inputs) {
        hasher.update(input.fields);
        if (input.file.empty()) {
            continue;
        }
        auto fd = HOIST_TRY(open_file(input.file, O_RDONLY));
        oci::FileReader reader(std::move(fd), input.file);
        std::uint64_t size = 0;
        for (;;) {
            auto n = HOIST_TRY(reader.read(buffer));
            if (n == 0) {
                break;
            }
            hasher.update(buffer.data(), n);
            size += n;
        }
        auto length = std::to_string(size);
        hasher.update(std::to_string(length.size()) + ":" + length);
    }
    return hasher.finish();
}

class Planner {
public:
    Planner(const CopyStep& step, Tree& source, ImageTree& stage, registry::Transport* transport)
        : m_step(step), m_source(source), m_stage(step.link ? nullptr : &stage), m_scratch(stage),
          m_transport(transport), m_from_context(dynamic_cast<ContextTree*>(&source) != nullptr) {}

    Result<CopyPlan> run();

private:
    struct Item {
        std::string path;  // as matched in the source tree
        std::string kept;  // --parents: the part of `path` kept below the destination
        oci::LayerEntry entry;  // what `path` leads to, a named symlink followed
    };

    Result<std::vector<Item>> expand(const std::string& source);
    Result<std::vector<std::string>> match_wildcards(const std::string& pattern);
    Result<oci::LayerEntry> follow(const std::string& path);
    Result<std::string> place(const std::string& path, bool directory);
    void owned(oci::LayerEntry& entry, bool chmod) const;
    void put(const std::string& path, oci::LayerEntry entry, const std::string& source_path);
    Result<void> put_directory(const std::string& path, const oci::LayerEntry& source_entry, bool top);
    Result<void> put_kept_parents(const Item& item, const std::string& directory);
    Result<void> copy_tree(const std::string& from, const std::string& to, const std::string& relative,
                           const dockerfile::Dockerignore::Match* parent);
    Result<bool> add_archive(const Item& item, const std::string& directory);
    Result<void> fetch(const std::string& url, const std::string& target);
    void link_hardlinks();
    std::vector<DigestInput> digest_inputs(const std::vector<oci::LayerEntry>& entries) const;

    const CopyStep& m_step;
    Tree& m_source;
    ImageTree* m_stage;     // null with --link: the stage is not looked at
    ImageTree& m_scratch;   // where downloads and extracted files live
    registry::Transport* m_transport;
    bool m_from_context;
    std::optional<Owner> m_owner;
    std::optional<dockerfile::Dockerignore> m_excludes;
    Entries m_entries;
    std::map<std::string, std::string> m_sources;    // destination path -> source tree path
    std::map<std::string, std::string> m_link_keys;  // destination path -> its hardlink key
};

Result<oci::LayerEntry> Planner::follow(const std::string& path) {
    auto entry = HOIST_TRY(m_source.lstat(path));
    for (int links = 0; entry && entry->type == Type::symlink; ++links) {
        if (links == k_max_symlinks) {
            return fail(Errc::invalid_argument, shown_path(path) + ": too many levels of symbolic links");
        }
        std::string target = entry->link_target.starts_with('/')
                                 ? clean_path(entry->link_target)
                                 : clean_path(join_path(dir_of(entry->path), entry->link_target));
        entry = HOIST_TRY(m_source.lstat(target));
    }
    if (!entry) {
        return std::unexpected(not_found(path));
    }
    return std::move(*entry);
}

Result<std::vector<std::string>> Planner::match_wildcards(const std::string& pattern) {
    std::vector<std::string> candidates = {""};
    for (auto part : components_of(pattern)) {
        std::vector<std::string> next;
        for (const auto& candidate : candidates) {
            if (!has_wildcards(part)) {
                next.push_back(join_path(candidate, part));
                continue;
            }
            auto names = m_source.list(candidate);
            if (!names) {
                continue;  // not a directory: nothing matches below it
            }
            for (const auto& name : *names) {
                bool matched = HOIST_TRY(in_context(glob_match(part, name), shown_path(pattern)));
                if (matched) {
                    next.push_back(join_path(candidate, name));
                }
            }
        }
        candidates = std::move(next);
    }
    std::vector<std::string> found;
    for (auto& candidate : candidates) {
        if (HOIST_TRY(m_source.lstat(candidate))) {
            found.push_back(std::move(candidate));
        }
    }
    return found;
}

Result<std::vector<Planner::Item>> Planner::expand(const std::string& source) {
    // --parents keeps what follows a "/./" pivot, or the whole path without one.
    std::string pivot;
    if (auto at = source.find("/./"); m_step.parents && at != std::string::npos) {
        pivot = clean_path(source.substr(0, at));
    }
    std::string pattern = clean_path(source);
    std::vector<std::string> paths;
    if (has_wildcards(pattern)) {
        // A wildcard that matches nothing copies nothing, as in BuildKit.
        paths = HOIST_TRY(match_wildcards(pattern));
    } else {
        paths.push_back(pattern);
    }
    std::vector<Item> items;
    for (auto& path : paths) {
        if (m_excludes && !path.empty() && (m_excludes->excluded(path) || m_excludes->excluded(base_of(path)))) {
            continue;
        }
        auto entry = HOIST_TRY(follow(path));
        std::string kept = path;
        if (!pivot.empty()) {
            kept = path == pivot ? "" : path.starts_with(pivot + "/") ? path.substr(pivot.size() + 1) : path;
        }
        items.push_back(Item{.path = std::move(path), .kept = std::move(kept), .entry = std::move(entry)});
    }
    return items;
}

// Where an entry copied to `path` (whose parent is already where it leads) goes in the stage: an
// existing directory's symlink is followed for a directory, anything else is replaced.
Result<std::string> Planner::place(const std::string& path, bool directory) {
    if (m_stage == nullptr || !directory) {
        return path;
    }
    return stage_path(*m_stage, path, true);
}

// Applies --chown (or the context's 0:0) and --chmod to a copied entry.
void Planner::owned(oci::LayerEntry& entry, bool chmod) const {
    if (m_owner || m_from_context) {
        entry.uid = m_owner ? m_owner->uid : 0;
        entry.gid = m_owner ? m_owner->gid : 0;
        entry.uname.clear();
        entry.gname.clear();
    }
    if (chmod && m_step.chmod && entry.type != Type::symlink) {
        entry.mode = *m_step.chmod & 07777;
    }
}

void Planner::put(const std::string& path, oci::LayerEntry entry, const std::string& source_path) {
    entry.path = path;
    m_link_keys.erase(path);
    m_sources.erase(path);
    if (entry.type == Type::regular) {
        if (!entry.link_target.empty()) {
            m_link_keys[path] = entry.link_target;
            entry.link_target.clear();
        }
        if (!source_path.empty()) {
            m_sources[path] = source_path;
        }
    }
    m_entries[path] = std::move(entry);
}

// A copied directory: the stage's metadata when it has one there, else the source's.
Result<void> Planner::put_directory(const std::string& path, const oci::LayerEntry& source_entry, bool top) {
    if (path.empty()) {
        return {};  // the root is no entry of a layer
    }
    auto existing = HOIST_TRY(stage_directory(m_stage, path));
    if (existing) {
        if (!top || !m_entries.contains(path)) {
            put(path, std::move(*existing), "");
        }
        return {};
    }
    oci::LayerEntry entry = source_entry;
    entry.link_target.clear();
    owned(entry, true);
    put(path, std::move(entry), "");
    return {};
}

// --parents: the directories above a source that the destination keeps are copies of the
// source's directories.
Result<void> Planner::put_kept_parents(const Item& item, const std::string& directory) {
    for (auto slash = item.kept.find('/'); slash != std::string::npos; slash = item.kept.find('/', slash + 1)) {
        std::string kept = item.kept.substr(0, slash);
        std::string source_path = item.path.substr(0, item.path.size() - (item.kept.size() - kept.size()));
        auto entry = HOIST_TRY(m_source.lstat(source_path));
        if (entry && entry->type == Type::directory) {
            HOIST_TRY(put_directory(HOIST_TRY(place(join_path(directory, kept), true)), *entry, false));
        }
    }
    return {};
}

Result<void> Planner::copy_tree(const std::string& from, const std::string& to, const std::string& relative,
                                const dockerfile::Dockerignore::Match* parent) {
    auto names = HOIST_TRY(m_source.list(from));
    for (const auto& name : names) {
        std::string source_path = join_path(from, name);
        std::string kept = join_path(relative, name);
        auto entry = HOIST_TRY(m_source.lstat(source_path));
        if (!entry) {
            continue;
        }
        bool directory = entry->type == Type::directory;
        std::optional<dockerfile::Dockerignore::Match> match;
        if (m_excludes) {
            match = m_excludes->match(kept, parent);
            if (match->excluded() && !(directory && m_excludes->may_reinclude_under(kept))) {
                continue;
            }
        }
        std::string target = HOIST_TRY(place(join_path(to, name), directory));
        if (directory) {
            if (!match || !match->excluded()) {
                HOIST_TRY(put_directory(target, *entry, false));
            }
            HOIST_TRY(copy_tree(source_path, target, kept, match ? &*match : nullptr));
            continue;
        }
        owned(*entry, true);
        put(target, std::move(*entry), source_path);
    }
    return {};
}

// ADD of a local archive: its entries below `directory`. False when the file is no archive.
Result<bool> Planner::add_archive(const Item& item, const std::string& directory) {
    std::vector<oci::LayerEntry> file(1, item.entry);
    HOIST_TRY(m_source.materialize(file, {item.entry.path}));
    if (file[0].source.empty() || !TarReader::is_archive(file[0].source)) {
        return false;
    }
    std::string what = "ADD " + shown_path(item.path);
    auto tar = HOIST_TRY(TarReader::open_file(file[0].source));
    std::set<std::string> symlinks;
    std::map<std::string, std::string> files;  // archive name -> destination of a regular file
    for (;;) {
        archive_entry* header = HOIST_TRY(in_context(tar->next(), what));
        if (header == nullptr) {
            return true;
        }
        const char* raw_name = archive_entry_pathname(header);
        std::string raw = raw_name != nullptr ? raw_name : "";
        auto refuse = [&](std::string_view why) {
            return fail(Errc::unsafe, what + ": archive entry \"" + raw + "\" " + std::string(why));
        };
        if (raw.starts_with('/')) {
            return refuse("has an absolute path");
        }
        auto parts = components_of(raw);
        if (std::ranges::find(parts, std::string_view("..")) != parts.end()) {
            return refuse("has a \"..\" component");
        }
        std::string name = clean_path(raw);
        if (name.empty()) {
            continue;
        }
        for (auto slash = name.find('/'); slash != std::string::npos; slash = name.find('/', slash + 1)) {
            if (symlinks.contains(name.substr(0, slash))) {
                return refuse("is below a symlink of the archive");
            }
        }
        oci::LayerEntry entry{
            .mode = archive_entry_perm(header) & 07777,
            .uid = static_cast<std::uint32_t>(archive_entry_uid(header)),
            .gid = static_cast<std::uint32_t>(archive_entry_gid(header)),
            .mtime = archive_entry_mtime(header),
        };
        if (const char* uname = archive_entry_uname(header); uname != nullptr) {
            entry.uname = uname;
        }
        if (const char* gname = archive_entry_gname(header); gname != nullptr) {
            entry.gname = gname;
        }
        std::string target = join_path(directory, name);
        if (const char* link = archive_entry_hardlink(header); link != nullptr) {
            auto link_parts = components_of(link);
            std::string link_name = clean_path(link);
            auto first = files.find(link_name);
            if (std::string_view(link).starts_with('/') ||
                std::ranges::find(link_parts, std::string_view("..")) != link_parts.end() || first == files.end()) {
                return refuse("is a hardlink to \"" + std::string(link) + "\", which is not a file of the archive");
            }
            // Linked as a copy of the first name's entry; link_hardlinks makes it a hardlink.
            oci::LayerEntry copy = m_entries.at(first->second);
            copy.link_target = "archive " + item.path + ":" + link_name;
            m_link_keys[first->second] = copy.link_target;
            put(target, std::move(copy), "");
            m_link_keys[target] = "archive " + item.path + ":" + link_name;
            continue;
        }
        switch (archive_entry_filetype(header)) {
            case AE_IFDIR:
                entry.type = Type::directory;
                break;
            case AE_IFLNK: {
                entry.type = Type::symlink;
                const char* link = archive_entry_symlink(header);
                entry.link_target = link != nullptr ? link : "";
                if (!entry.link_target.starts_with('/') && escapes(name, entry.link_target)) {
                    return refuse("is a symlink to \"" + entry.link_target + "\", outside the archive");
                }
                symlinks.insert(name);
                break;
            }
            case AE_IFCHR:
            case AE_IFBLK:
                entry.type = archive_entry_filetype(header) == AE_IFCHR ? Type::char_device : Type::block_device;
                entry.dev_major = static_cast<std::uint32_t>(archive_entry_rdevmajor(header));
                entry.dev_minor = static_cast<std::uint32_t>(archive_entry_rdevminor(header));
                break;
            case AE_IFIFO:
                entry.type = Type::fifo;
                break;
            case AE_IFREG: {
                entry.type = Type::regular;
                entry.source = m_scratch.scratch_path();
                auto fd = HOIST_TRY(open_file(entry.source, O_WRONLY | O_CREAT | O_EXCL, 0600));
                oci::FileWriter out(std::move(fd), entry.source.string());
                HOIST_TRY(in_context(tar->read_data(out), what));
                files[name] = target;
                break;
            }
            default:
                return refuse("has a type ADD does not extract");
        }
        if (m_owner) {
            owned(entry, false);
        }
        put(target, std::move(entry), "");
    }
}

Result<void> Planner::fetch(const std::string& url, const std::string& target) {
    if (m_transport == nullptr) {
        return fail(Errc::invalid_argument, "ADD " + registry::redact_url(url) + ": needs the network (--offline)");
    }
    oci::LayerEntry entry{.type = Type::regular, .mode = 0600, .mtime = m_step.created_mtime};
    entry.source = m_scratch.scratch_path();
    auto fd = HOIST_TRY(open_file(entry.source, O_WRONLY | O_CREAT | O_EXCL, 0600));
    HashingFileWriter out(std::move(fd), entry.source.string());
    registry::Request request{.url = url, .download = &out};
    auto response = HOIST_TRY(m_transport->perform(request));
    if (response.status < 200 || response.status >= 300) {
        return fail(Errc::protocol, "ADD " + registry::redact_url(url) + ": HTTP " + std::to_string(response.status));
    }
    oci::Digest got = out.finish();
    if (!m_step.checksum.empty()) {
        auto expected = HOIST_TRY(in_context(oci::Digest::parse(m_step.checksum), "ADD --checksum"));
        if (got.algorithm() != expected.algorithm()) {
            return fail(Errc::unsupported, "ADD --checksum: only sha256 is supported");
        }
        if (got != expected) {
            return fail(Errc::digest_mismatch,
                        "checksum mismatch: expected " + expected.to_string() + ", got " + got.to_string());
        }
    }
    if (auto modified = response.header("last-modified")) {
        entry.mtime = parse_http_date(*modified).value_or(entry.mtime);
    }
    owned(entry, true);
    put(target, std::move(entry), "");
    return {};
}

// Names of one file (one hardlink key) become hardlinks to the first of them in write_layer's
// sorted order, which is written first.
void Planner::link_hardlinks() {
    std::map<std::string, std::set<std::string>> groups;
    for (const auto& [path, key] : m_link_keys) {
        groups[key].insert(path);
    }
    for (const auto& [key, paths] : groups) {
        if (paths.size() < 2) {
            continue;
        }
        const std::string& first = *paths.begin();
        for (auto it = std::next(paths.begin()); it != paths.end(); ++it) {
            auto& entry = m_entries.at(*it);
            entry.type = Type::hardlink;
            entry.link_target = first;
            entry.source.clear();
            entry.content.clear();
            m_sources.erase(*it);
        }
    }
}

// What the step read and made, for the build cache: every entry's path, type, mode, owner, link
// target and content, in path order (mtimes left out, as BuildKit leaves them out). The fields
// are gathered here; the files' contents are read by hash_inputs.
std::vector<DigestInput> Planner::digest_inputs(const std::vector<oci::LayerEntry>& entries) const {
    std::vector<DigestInput> inputs;
    inputs.reserve(entries.size());
    for (const auto& entry : entries) {
        DigestInput input;
        auto field = [&input](std::string_view text) {
            input.fields += std::to_string(text.size()) + ":";
            input.fields += text;
        };
        auto source = m_sources.find(entry.path);
        field(entry.path);
        field(source != m_sources.end() ? source->second : "");
        field(std::to_string(static_cast<int>(entry.type)) + " " + std::to_string(entry.mode) + " " +
              std::to_string(entry.uid) + ":" + std::to_string(entry.gid) + " " + std::to_string(entry.dev_major) +
              "," + std::to_string(entry.dev_minor));
        field(entry.link_target);
        for (const auto& [name, value] : entry.xattrs) {
            field(name);
            field(value);
        }
        if (entry.type == Type::regular && entry.source.empty()) {
            field(entry.content);
        } else if (entry.type == Type::regular) {
            input.file = entry.source.native();
        }
        inputs.push_back(std::move(input));
    }
    return inputs;
}

Result<CopyPlan> Planner::run() {
    if (m_step.sources.empty() && m_step.inline_files.empty()) {
        return fail(Errc::invalid_argument, "no source files were specified");
    }
    if (!m_step.chown.empty()) {
        m_owner = HOIST_TRY(resolve_owner(m_scratch, m_step.chown));
    }
    if (!m_step.excludes.empty()) {
        std::string text;
        for (const auto& pattern : m_step.excludes) {
            text += pattern + "\n";
        }
        m_excludes = HOIST_TRY(dockerfile::Dockerignore::parse(text, "--exclude"));
    }
    std::vector<Item> items;
    std::vector<std::string> urls;
    for (const auto& source : m_step.sources) {
        if (m_step.add && is_url(source)) {
            urls.push_back(source);
            continue;
        }
        if (!m_step.checksum.empty()) {
            return fail(Errc::invalid_argument, "checksum can't be specified for non-HTTP(S) sources");
        }
        auto expanded = HOIST_TRY(expand(source));
        std::ranges::move(expanded, std::back_inserter(items));
    }
    std::size_t count = items.size() + urls.size() + m_step.inline_files.size();

    // The destination: a directory when it says so, when there are several sources, or when the
    // stage has a directory there.
    const std::string& written = m_step.destination;
    std::string destination =
        clean_path(written.starts_with('/') ? written : join_path(m_step.workdir, written));
    bool says_directory = written.empty() || written.ends_with('/') || written == "." || written.ends_with("/.");
    std::string directory = destination;
    std::string file = destination;
    bool is_directory = destination.empty() || says_directory;
    if (m_stage != nullptr) {
        directory = HOIST_TRY(stage_path(*m_stage, destination, true));
        file = HOIST_TRY(stage_path(*m_stage, destination, false));
        is_directory = is_directory || HOIST_TRY(stage_directory(m_stage, directory)).has_value();
    }
    if (count > 1 && !is_directory) {
        return fail(Errc::invalid_argument,
                    "When using COPY with more than one source file, the destination must be a directory and end "
                    "with a /");
    }
    is_directory = is_directory || count > 1 || m_step.parents;

    for (const auto& item : items) {
        if (m_step.parents) {
            HOIST_TRY(put_kept_parents(item, directory));
        }
        if (item.entry.type == Type::directory) {
            std::string target = m_step.parents ? HOIST_TRY(place(join_path(directory, item.kept), true)) : directory;
            // The directory a copy of contents goes into is created as BuildKit creates it; with
            // --parents it is a copy of the source directory.
            auto metadata = m_step.parents ? item.entry
                                           : created_directory(target, m_owner.value_or(Owner{}), m_step.chmod,
                                                               m_step.created_mtime);
            HOIST_TRY(put_directory(target, metadata, true));
            HOIST_TRY(copy_tree(item.entry.path, target, "", nullptr));
            continue;
        }
        if (m_step.add && m_step.unpack && item.entry.type == Type::regular &&
            HOIST_TRY(add_archive(item, directory))) {
            continue;
        }
        std::string target = m_step.parents  ? join_path(directory, item.kept)
                             : is_directory ? join_path(directory, base_of(item.path))
                                            : file;
        oci::LayerEntry entry = item.entry;
        owned(entry, true);
        put(target, std::move(entry), item.entry.path);
    }
    for (const auto& url : urls) {
        std::string name = url_file_name(url);
        if (is_directory && name.empty()) {
            return fail(Errc::invalid_argument, "ADD " + registry::redact_url(url) + ": no file name in the URL");
        }
        HOIST_TRY(fetch(url, is_directory ? join_path(directory, name) : file));
    }
    for (const auto& inline_file : m_step.inline_files) {
        oci::LayerEntry entry{.type = Type::regular, .mode = 0644, .mtime = m_step.created_mtime};
        entry.content = inline_file.data;
        owned(entry, true);
        put(is_directory ? join_path(directory, inline_file.name) : file, std::move(entry), "");
    }
    if (m_entries.contains("")) {
        m_entries.erase("");
    }

    link_hardlinks();
    HOIST_TRY(add_parents(m_entries, m_stage, m_owner.value_or(Owner{}), m_step.chmod, m_step.created_mtime));
    std::vector<oci::LayerEntry> entries;
    entries.reserve(m_entries.size());
    std::vector<std::size_t> from_source;
    std::vector<std::string> source_paths;
    for (auto& [path, entry] : m_entries) {
        if (auto source = m_sources.find(path); source != m_sources.end() && entry.type == Type::regular) {
            from_source.push_back(entries.size());
            source_paths.push_back(source->second);
        }
        entries.push_back(std::move(entry));
    }
    m_entries.clear();  // a big context's entries are held once, not twice
    std::vector<oci::LayerEntry> files;
    files.reserve(from_source.size());
    for (auto i : from_source) {
        files.push_back(std::move(entries[i]));
    }
    HOIST_TRY(m_source.materialize(files, source_paths));
    for (std::size_t j = 0; j < from_source.size(); ++j) {
        entries[from_source[j]] = std::move(files[j]);
    }
    // Hashed on a thread of its own, so that reading the files again overlaps writing the layer.
    auto content_digest = std::async(std::launch::async, hash_inputs, digest_inputs(entries)).share();
    return CopyPlan{.entries = std::move(entries), .content_digest = std::move(content_digest)};
}

}  // namespace

Result<CopyPlan> plan_copy(const CopyStep& step, Tree& source, ImageTree& stage, registry::Transport* transport) {
    Planner planner(step, source, stage, transport);
    return planner.run();
}

Result<std::vector<oci::LayerEntry>> plan_workdir(const std::string& path, ImageTree& stage, Owner owner,
                                                  std::int64_t mtime) {
    std::string directory = HOIST_TRY(stage_path(stage, clean_path(path), true));
    if (directory.empty() || HOIST_TRY(stage_directory(&stage, directory))) {
        return std::vector<oci::LayerEntry>();
    }
    Entries entries;
    entries[directory] = oci::LayerEntry{
        .path = directory, .type = Type::directory, .mode = 0755, .uid = owner.uid, .gid = owner.gid, .mtime = mtime};
    HOIST_TRY(add_parents(entries, &stage, owner, std::nullopt, mtime));
    std::vector<oci::LayerEntry> out;
    for (auto& [p, entry] : entries) {
        out.push_back(std::move(entry));
    }
    return out;
}

}  // namespace hoist::build
