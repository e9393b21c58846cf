// The places images are read from and written to, as the command line names them, and the
// operations across them: copy, load, inspect. Every transport opens as an ImageSource or an
// ImageSink, so copy is one function for all pairs.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/layer_applier.hpp"
#include "oci/reference.hpp"
#include "oci/store.hpp"

namespace hoist {

struct Location {
    enum class Kind { local, oci, oci_archive, docker_archive, docker };
    Kind kind = Kind::local;
    std::string path;                 // the directory or file; empty for local and docker
    std::optional<std::string> name;  // the image within it (for docker, the reference)

    // "local:NAME", "oci:DIR[:NAME]", "oci-archive:FILE[:NAME]", "docker-archive:FILE[:REF]",
    // "docker://REF"; a bare reference means docker://. DIR and FILE end at the first ':'.
    static Result<Location> parse(std::string_view text);
    std::string to_string() const;
};

struct CopiedImage {
    oci::Descriptor manifest;         // what was written
    std::optional<std::string> name;  // the name it was written under
};

// Copies the image at `from`, with everything it references, to `to`. The local store is at
// `store_root`. Without a name at `to`, the image keeps the name it had where that is known.
Result<CopiedImage> copy(const Location& from, const Location& to, const std::filesystem::path& store_root);

// Loads every image of an oci-archive or docker-archive (told apart by their contents) into the
// store, under the names the archive gives them.
Result<std::vector<CopiedImage>> load(const std::filesystem::path& file, oci::Store& store);

// Unpacks the image at `location` (for an index, the host platform's) into the directory `dir`,
// which is created, applying its layers in order.
Result<void> unpack(const Location& location, const std::filesystem::path& dir, const oci::ApplyOptions& options,
                    const std::filesystem::path& store_root);

enum class InspectView { summary, raw_manifest, config };
// What `hoist inspect` prints: a JSON summary as skopeo prints it, the manifest as stored, or
// the image config. For an index, the summary and config are of the host platform's image.
Result<std::string> inspect(const Location& location, InspectView view, const std::filesystem::path& store_root);

}  // namespace hoist
