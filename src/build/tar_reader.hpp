// Reading tar archives (plain or compressed with anything libarchive knows) entry by entry from
// a stream or a file: image layers for ImageTree, local archives for ADD. Names are given as
// the archive has them; callers decide what is safe.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oci/stream.hpp"

namespace hoist::build {

class TarReader {
public:
    // Reads the tar that `in` yields; `name` prefixes messages.
    static Result<std::unique_ptr<TarReader>> open(std::unique_ptr<oci::Reader> in, std::string name);
    // Reads the tar file at `path`.
    static Result<std::unique_ptr<TarReader>> open_file(const std::filesystem::path& path);
    // Whether the file at `path` is a tar archive (possibly compressed), told by its content:
    // its first header reads, or it is a well-formed empty archive.
    static bool is_archive(const std::filesystem::path& path);

    ~TarReader();
    TarReader(const TarReader&) = delete;
    TarReader& operator=(const TarReader&) = delete;

    // The next entry's header, valid until the next call; nullptr at the end of the archive.
    // Errc::invalid_argument "NAME: read tar: ..." for what libarchive cannot read.
    Result<archive_entry*> next();
    // Passes the current entry's content to `out`.
    Result<void> read_data(oci::Writer& out);

private:
    struct ReadFree {
        void operator()(archive* a) const { archive_read_free(a); }
    };
    TarReader(std::unique_ptr<oci::Reader> in, std::string name);
    Error failure();
    static la_ssize_t read_callback(archive*, void* data, const void** out);

    std::unique_ptr<oci::Reader> m_in;
    std::string m_name;
    std::unique_ptr<archive, ReadFree> m_archive;
    std::vector<char> m_buffer;  // what libarchive reads the stream into
    std::vector<char> m_data;    // what entries' contents are read into
    std::optional<Error> m_error;  // the stream's, kept for the message
};

}  // namespace hoist::build
