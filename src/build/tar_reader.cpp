#include "src/build/tar_reader.hpp"

#include <fcntl.h>

#include <cerrno>

namespace hoist::build {

TarReader::TarReader(std::unique_ptr<oci::Reader> in, std::string name)
    : m_in(std::move(in)), m_name(std::move(name)), m_archive(archive_read_new()), m_buffer(std::size_t{1} << 16), m_data(std::size_t{1} << 16) {}

TarReader::~TarReader() = default;

Result<std::unique_ptr<TarReader>> TarReader::open(std::unique_ptr<oci::Reader> in, std::string name) {
    std::unique_ptr<TarReader> reader(new TarReader(std::move(in), std::move(name)));
    archive* a = reader->m_archive.get();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);    // ustar, pax and GNU tar
    archive_read_support_format_empty(a);  // an empty layer
    if (archive_read_open(a, reader.get(), nullptr, read_callback, nullptr) != ARCHIVE_OK) {
        return std::unexpected(reader->failure());
    }
    return reader;
}

Result<std::unique_ptr<TarReader>> TarReader::open_file(const std::filesystem::path& path) {
    auto fd = HOIST_TRY(hoist::open_file(path, O_RDONLY));
    return open(std::make_unique<oci::FileReader>(std::move(fd), path.string()), path.string());
}

bool TarReader::is_archive(const std::filesystem::path& path) {
    auto reader = open_file(path);
    if (!reader) {
        return false;
    }
    auto first = (*reader)->next();
    // An empty file is "empty" to libarchive, not a tar: Docker copies it as it is.
    return first && (*first != nullptr || archive_format((*reader)->m_archive.get()) != ARCHIVE_FORMAT_EMPTY);
}

la_ssize_t TarReader::read_callback(archive* a, void* data, const void** out) {
    auto* reader = static_cast<TarReader*>(data);
    auto n = reader->m_in->read(reader->m_buffer);
    if (!n) {
        archive_set_error(a, EIO, "%s", n.error().what().c_str());
        reader->m_error = std::move(n).error();
        return -1;
    }
    *out = reader->m_buffer.data();
    return static_cast<la_ssize_t>(*n);
}

Error TarReader::failure() {
    if (m_error) {
        return *m_error;
    }
    const char* message = archive_error_string(m_archive.get());
    return Error(Errc::invalid_argument,
                 m_name + ": read tar: " + (message != nullptr ? message : "unreadable archive"));
}

Result<archive_entry*> TarReader::next() {
    archive_entry* entry = nullptr;
    int status = archive_read_next_header(m_archive.get(), &entry);
    if (status == ARCHIVE_EOF) {
        return nullptr;
    }
    // ARCHIVE_WARN is, for one, a name that is not UTF-8 in the C locale: the raw bytes are kept.
    if (status < ARCHIVE_WARN) {
        return std::unexpected(failure());
    }
    return entry;
}

Result<void> TarReader::read_data(oci::Writer& out) {
    for (;;) {
        la_ssize_t n = archive_read_data(m_archive.get(), m_data.data(), m_data.size());
        if (n < 0) {
            return std::unexpected(failure());
        }
        if (n == 0) {
            return {};
        }
        HOIST_TRY(out.write(std::string_view(m_data.data(), static_cast<std::size_t>(n))));
    }
}

}  // namespace hoist::build
