#include "oci/layout.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "oci/manifest.hpp"
#include "oci/media_type.hpp"

namespace hoist::oci {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_layout_file = R"({"imageLayoutVersion":"1.0.0"})";

bool has_name(const Descriptor& entry, const std::string& name) {
    auto it = entry.annotations.find(std::string(k_ref_name_annotation));
    return it != entry.annotations.end() && it->second == name;
}

}  // namespace

bool is_leftover(const std::string& name) {
    return name.starts_with(".") && name.find(".tmp-") != std::string::npos;
}

Result<void> BlobWriter::write(std::string_view bytes) {
    HOIST_TRY(write_all(m_fd.get(), bytes, m_temp.string()));
    m_hasher.update(bytes);
    m_size += static_cast<std::int64_t>(bytes.size());
    return {};
}

Result<Descriptor> BlobWriter::commit(std::string_view media_type, const std::optional<Descriptor>& expected) {
    Descriptor blob{.media_type = std::string(media_type), .digest = m_hasher.finish(), .size = m_size};
    if (expected && (expected->digest != blob.digest || expected->size != blob.size)) {
        return std::unexpected(mismatch_error(*expected, blob.digest, blob.size));
    }
    if (::fchmod(m_fd.get(), 0644) != 0 || ::fsync(m_fd.get()) != 0) {
        return std::unexpected(os_error("sync " + m_temp.string(), errno));
    }
    fs::path target = m_layout / "blobs" / std::string(blob.digest.algorithm_name()) / blob.digest.hex();
    HOIST_TRY(make_directories(target.parent_path()));
    if (::rename(m_temp.c_str(), target.c_str()) != 0) {
        return std::unexpected(os_error("rename " + m_temp.string() + " to " + target.string(), errno));
    }
    m_temp.clear();
    Fd dir = HOIST_TRY(open_file(target.parent_path(), O_RDONLY | O_DIRECTORY));
    ::fsync(dir.get());
    return blob;
}

BlobWriter::~BlobWriter() {
    if (!m_temp.empty()) {
        ::unlink(m_temp.c_str());
    }
}

Result<std::unique_ptr<OciLayout>> OciLayout::open(const fs::path& dir, Mode mode) {
    std::error_code ec;
    bool exists = fs::exists(dir / "oci-layout", ec);
    if (!exists && mode == Mode::open_existing) {
        return fail(Errc::not_found, dir.string() + ": not an OCI layout (no oci-layout file)");
    }
    if (!exists) {
        HOIST_TRY(make_directories(dir / "blobs" / "sha256"));
    }
    Fd dir_fd = HOIST_TRY(open_file(dir, O_RDONLY | O_DIRECTORY));
    if (!exists) {
        // Two processes may create the same layout at once; the lock makes one of them do it.
        auto locked = HOIST_TRY(FileLock::acquire(dir_fd.get(), FileLock::Mode::exclusive));
        if (!fs::exists(dir / "index.json", ec)) {
            HOIST_TRY(write_file_atomic(dir / "index.json", Index{}.to_json()));
        }
        if (!fs::exists(dir / "oci-layout", ec)) {
            HOIST_TRY(write_file_atomic(dir / "oci-layout", k_layout_file));
        }
    }
    for (auto part : {"blobs", "index.json"}) {
        if (!fs::exists(dir / part, ec)) {
            return fail(Errc::not_found, dir.string() + ": not an OCI layout (no " + part + ")");
        }
    }
    auto layout_text = HOIST_TRY(read_file(dir / "oci-layout", 1 << 16));
    auto layout_json = HOIST_TRY(json::parse_object(layout_text, (dir / "oci-layout").string()));
    HOIST_TRY(json::string_field(layout_json, "imageLayoutVersion", (dir / "oci-layout").string()));
    if (mode == Mode::create) {
        HOIST_TRY(make_directories(dir / "blobs" / "sha256"));
    }
    Fd blobs_fd = HOIST_TRY(open_file(dir / "blobs", O_RDONLY | O_DIRECTORY));
    auto session = HOIST_TRY(FileLock::acquire(blobs_fd.get(), FileLock::Mode::shared));
    auto layout =
        std::unique_ptr<OciLayout>(new OciLayout(dir, std::move(dir_fd), std::move(blobs_fd), std::move(session)));
    HOIST_TRY(layout->read_index());
    return layout;
}

fs::path OciLayout::blob_path(const Digest& digest) const {
    return m_dir / "blobs" / std::string(digest.algorithm_name()) / digest.hex();
}

bool OciLayout::contains(const Digest& digest) const {
    std::error_code ec;
    return fs::is_regular_file(blob_path(digest), ec);
}

Result<BlobWriter> OciLayout::blob_writer(DigestAlgorithm algorithm) {
    std::string pattern = (m_dir / ".blob.tmp-XXXXXX").string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    Fd fd(::mkostemp(name.data(), O_CLOEXEC));
    if (!fd) {
        return std::unexpected(os_error("create a temporary blob in " + m_dir.string(), errno));
    }
    return BlobWriter(m_dir, fs::path(name.data()), std::move(fd), algorithm);
}

Result<Descriptor> OciLayout::put_bytes(std::string_view media_type, std::string_view bytes) {
    auto writer = HOIST_TRY(blob_writer());
    HOIST_TRY(writer.write(bytes));
    return writer.commit(media_type);
}

Result<Descriptor> OciLayout::put_file(std::string_view media_type, const fs::path& path) {
    FileReader content(HOIST_TRY(open_file(path, O_RDONLY)), path.string());
    return write_stream(content, media_type, std::nullopt);
}

Result<Descriptor> OciLayout::write_stream(Reader& content, std::string_view media_type,
                                           const std::optional<Descriptor>& expected) {
    auto writer = HOIST_TRY(blob_writer(expected ? expected->digest.algorithm() : DigestAlgorithm::sha256));
    std::vector<char> buffer(1 << 20);
    for (;;) {
        auto n = HOIST_TRY(content.read(buffer));
        if (n == 0) {
            return writer.commit(media_type, expected);
        }
        HOIST_TRY(writer.write(std::string_view(buffer.data(), n)));
    }
}

Result<Index> OciLayout::read_index() const {
    auto path = m_dir / "index.json";
    auto text = HOIST_TRY(read_file(path));
    return in_context(Index::parse(text), path.string());
}

Result<void> OciLayout::update_index(const std::function<Result<void>(Index&)>& edit) {
    auto locked = HOIST_TRY(FileLock::acquire(m_dir_fd.get(), FileLock::Mode::exclusive));
    auto index = HOIST_TRY(read_index());
    HOIST_TRY(edit(index));
    return write_file_atomic(m_dir / "index.json", index.to_json());
}

Result<std::optional<Descriptor>> OciLayout::find(const std::string& name) const {
    auto index = HOIST_TRY(read_index());
    for (const auto& entry : index.manifests) {
        if (has_name(entry, name)) {
            return entry;
        }
    }
    return std::nullopt;
}

Result<void> OciLayout::untag(const std::string& name) {
    return update_index([&](Index& index) -> Result<void> {
        auto removed = std::erase_if(index.manifests, [&](const Descriptor& entry) { return has_name(entry, name); });
        if (removed == 0) {
            return fail(Errc::not_found, "no image named " + name);
        }
        return {};
    });
}

Result<std::vector<Descriptor>> children_of(const Descriptor& node, std::string_view bytes) {
    std::vector<Descriptor> children;
    std::optional<Descriptor> subject;
    if (media_type::is_index(node.media_type)) {
        auto index = HOIST_TRY(Index::parse(bytes));
        children = std::move(index.manifests);
        subject = std::move(index.subject);
    } else if (media_type::is_manifest(node.media_type)) {
        auto manifest = HOIST_TRY(Manifest::parse(bytes));
        children.push_back(std::move(manifest.config));
        children.insert(children.end(), manifest.layers.begin(), manifest.layers.end());
        subject = std::move(manifest.subject);
    }
    if (subject) {
        children.push_back(std::move(*subject));
    }
    return children;
}

Result<GcResult> OciLayout::gc(const std::vector<Descriptor>& roots) {
    // The index lock first: it makes this the only gc, so that the moment below in which a
    // failed lock conversion has dropped our shared lock cannot be used by another gc.
    auto locked = HOIST_TRY(FileLock::acquire(m_dir_fd.get(), FileLock::Mode::exclusive));
    if (::flock(m_blobs_fd.get(), LOCK_EX | LOCK_NB) != 0) {
        ::flock(m_blobs_fd.get(), LOCK_SH);
        return GcResult{.skipped = true};
    }
    struct Relock {
        int fd;
        ~Relock() { ::flock(fd, LOCK_SH); }
    } relock{m_blobs_fd.get()};

    std::set<Digest> reachable;
    std::vector<Descriptor> pending = HOIST_TRY(read_index()).manifests;
    pending.insert(pending.end(), roots.begin(), roots.end());
    while (!pending.empty()) {
        Descriptor node = std::move(pending.back());
        pending.pop_back();
        if (!reachable.insert(node.digest).second || !contains(node.digest)) {
            continue;
        }
        if (media_type::is_index(node.media_type) || media_type::is_manifest(node.media_type)) {
            auto bytes = HOIST_TRY(read_blob(node));
            auto children = HOIST_TRY(in_context(children_of(node, bytes), node.digest.to_string()));
            pending.insert(pending.end(), children.begin(), children.end());
        }
    }

    GcResult result;
    std::error_code ec;
    for (const auto& algorithm_dir : fs::directory_iterator(m_dir / "blobs", ec)) {
        for (const auto& blob : fs::directory_iterator(algorithm_dir.path(), ec)) {
            auto digest =
                Digest::parse(algorithm_dir.path().filename().string() + ":" + blob.path().filename().string());
            std::error_code blob_ec;
            if ((digest && reachable.contains(*digest)) || !blob.is_regular_file(blob_ec)) {
                continue;
            }
            auto size = blob.file_size(blob_ec);
            if (!blob_ec && fs::remove(blob.path(), blob_ec)) {
                ++result.blobs_removed;
                result.bytes_removed += size;
            }
        }
    }
    for (const auto& entry : fs::directory_iterator(m_dir, ec)) {
        if (is_leftover(entry.path().filename().string())) {
            fs::remove(entry.path(), ec);
        }
    }
    return result;
}

Result<Descriptor> OciLayout::resolve(const std::optional<std::string>& name) {
    if (name) {
        auto found = HOIST_TRY(find(*name));
        if (!found) {
            return fail(Errc::not_found, "no image named " + *name + " in " + m_dir.string());
        }
        return *found;
    }
    auto index = HOIST_TRY(read_index());
    if (index.manifests.size() != 1) {
        return fail(
            index.manifests.empty() ? Errc::not_found : Errc::invalid_argument,
            m_dir.string() + " holds " + std::to_string(index.manifests.size()) + " images; name the one to use");
    }
    return index.manifests.front();
}

Result<std::string> OciLayout::read_blob(const Descriptor& blob, std::uint64_t limit) {
    if (static_cast<std::uint64_t>(blob.size) > limit) {
        return fail(Errc::invalid_argument, "blob " + blob.digest.to_string() + ": " + std::to_string(blob.size) +
                                                " bytes is more than the limit of " + std::to_string(limit));
    }
    auto path = blob_path(blob.digest);
    if (!contains(blob.digest)) {
        return fail(Errc::not_found, "blob " + blob.digest.to_string() + ": not in " + m_dir.string());
    }
    // One byte past the size, so that a longer file is caught as corrupt rather than truncated.
    auto bytes = read_file(path, static_cast<std::uint64_t>(blob.size) + 1);
    if (!bytes && bytes.error().code() == Errc::invalid_argument) {
        return fail(Errc::digest_mismatch, "blob " + blob.digest.to_string() + ": larger than its descriptor says");
    }
    if (!bytes) {
        return std::unexpected(bytes.error());
    }
    auto digest = Digest::of(*bytes, blob.digest.algorithm());
    if (digest != blob.digest || static_cast<std::int64_t>(bytes->size()) != blob.size) {
        return std::unexpected(mismatch_error(blob, digest, static_cast<std::int64_t>(bytes->size())));
    }
    return bytes;
}

Result<std::unique_ptr<Reader>> OciLayout::open_blob(const Descriptor& blob) {
    auto file = HOIST_TRY(open_blob_unchecked(blob));
    return std::make_unique<VerifyingReader>(std::move(file), blob);
}

Result<std::unique_ptr<Reader>> OciLayout::open_blob_unchecked(const Descriptor& blob) {
    if (!contains(blob.digest)) {
        return fail(Errc::not_found, "blob " + blob.digest.to_string() + ": not in " + m_dir.string());
    }
    return std::make_unique<FileReader>(HOIST_TRY(open_file(blob_path(blob.digest), O_RDONLY)),
                                        blob_path(blob.digest).string());
}

Result<bool> OciLayout::has_blob(const Descriptor& blob) {
    return contains(blob.digest);
}

Result<void> OciLayout::put_blob(const Descriptor& blob, const BlobOpener& open) {
    auto content = HOIST_TRY(open());
    HOIST_TRY(write_stream(*content, blob.media_type, blob));
    return {};
}

Result<void> OciLayout::put_manifest(const Descriptor& manifest, std::string_view bytes) {
    auto writer = HOIST_TRY(blob_writer(manifest.digest.algorithm()));
    HOIST_TRY(writer.write(bytes));
    HOIST_TRY(writer.commit(manifest.media_type, manifest));
    return {};
}

Result<void> OciLayout::tag(const Descriptor& manifest, const std::string& name) {
    return add_entry(manifest, name);
}

Result<void> OciLayout::add_entry(const Descriptor& manifest, const std::optional<std::string>& name) {
    return update_index([&](Index& index) -> Result<void> {
        Descriptor entry = manifest;
        entry.annotations.erase(std::string(k_ref_name_annotation));
        if (name) {
            std::erase_if(index.manifests, [&](const Descriptor& other) { return has_name(other, *name); });
            entry.annotations[std::string(k_ref_name_annotation)] = *name;
        } else if (std::ranges::any_of(index.manifests,
                                       [&](const Descriptor& other) { return other.digest == manifest.digest; })) {
            return {};
        }
        index.manifests.push_back(std::move(entry));
        return {};
    });
}

}  // namespace hoist::oci
