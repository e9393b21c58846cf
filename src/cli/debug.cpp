#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "oci/compression.hpp"
#include "src/cli/debug.hpp"
#include "src/transport.hpp"

namespace hoist::cli {
namespace {

// hoist debug compress: INPUT compressed into OUTPUT, as a layer would be; for benchmarks and
// interoperability tests.
void add_compress_command(CLI::App& debug, Context& context) {
    auto* command = debug.add_subcommand("compress", "Compress a file as hoist compresses layers");
    command->group("Subcommands");  // listed in hoist debug --help (the group is inherited from debug)
    struct Options {
        std::string input;
        std::string output;
        std::string compression = "gzip";
        unsigned jobs = 0;
        int level = 0;
        std::size_t block_size = oci::CompressionOptions{}.block_size;
    };
    auto options = std::make_shared<Options>();
    command->add_option("INPUT", options->input, "The file to compress")->required();
    command->add_option("OUTPUT", options->output, "The compressed file to write")->required();
    command->add_option("--compression", options->compression, "gzip (default), zstd or none")
        ->check(CLI::IsMember({"gzip", "zstd", "none"}));
    command->add_option("--jobs", options->jobs, "Compression threads (default: one per core)");
    command->add_option("--level", options->level, "Compression level (default: the format's)");
    command->add_option("--block-size", options->block_size, "gzip input bytes per member");
    command->callback([&context, options] {
        auto compressed = [&]() -> Result<void> {
            oci::CompressionOptions compression{
                .compression = options->compression == "zstd"   ? oci::Compression::zstd
                               : options->compression == "none" ? oci::Compression::none
                                                                : oci::Compression::gzip,
                .level = options->level,
                .threads = options->jobs,
                .block_size = options->block_size,
            };
            auto in_fd = HOIST_TRY(open_file(options->input, O_RDONLY));
            auto out_fd = HOIST_TRY(open_file(options->output, O_WRONLY | O_CREAT | O_TRUNC));
            oci::FileReader in(std::move(in_fd), options->input);
            oci::FileWriter out(std::move(out_fd), options->output);
            auto compressor = HOIST_TRY(oci::CompressingWriter::create(out, compression));
            std::vector<char> buffer(std::size_t{1} << 20);
            for (;;) {
                auto n = HOIST_TRY(in.read(buffer));
                if (n == 0) {
                    return compressor->finish();
                }
                HOIST_TRY(compressor->write(std::string_view(buffer.data(), n)));
            }
        }();
        if (!compressed) {
            context.report("debug compress " + options->input, compressed.error());
        }
    });
}

// hoist debug unpack: an image's layers applied, in order, to a new directory, with hoist's
// applier; for tests that compare trees with other tools.
void add_unpack_command(CLI::App& debug, Context& context) {
    auto* command = debug.add_subcommand("unpack", "Unpack an image's layers into a directory");
    command->group("Subcommands");
    auto ends = std::make_shared<std::pair<std::string, std::string>>();
    command->add_option("IMAGE", ends->first, "local:NAME, oci:DIR[:NAME], ...")->required();
    command->add_option("DIR", ends->second, "The directory to create")->required();
    command->callback([&context, ends] {
        auto unpacked = [&]() -> Result<void> {
            auto location = HOIST_TRY(Location::parse(ends->first));
            oci::ApplyOptions options{.rootless = ::geteuid() != 0};
            options.warn = [](std::string_view warning) { fmt::print(stderr, "hoist: warning: {}\n", warning); };
            auto session = HOIST_TRY(context.session());
            return unpack(location, ends->second, options, session);
        }();
        if (!unpacked) {
            context.report("debug unpack " + ends->first, unpacked.error());
        }
    });
}

// hoist debug upload: one file as a blob, through the uploader, for tests of its request
// patterns (monolithic, chunked, produced on the fly) and for benchmarks.
void add_upload_command(CLI::App& debug, Context& context) {
    auto* command = debug.add_subcommand("upload", "Upload a file as a blob to a registry repository");
    command->group("Subcommands");
    struct Options {
        std::string file;
        std::string repository;
        bool stream = false;
    };
    auto options = std::make_shared<Options>();
    command->add_option("FILE", options->file, "The blob's content")->required();
    command->add_option("REPOSITORY", options->repository, "HOST[:PORT]/NAME")->required();
    command->add_flag("--stream", options->stream, "Upload it as a blob produced on the fly, digest unknown");
    command->callback([&context, options] {
        auto uploaded = [&]() -> Result<oci::Descriptor> {
            auto session = HOIST_TRY(context.session());
            return upload_file(options->file, options->repository, options->stream, session);
        }();
        if (!uploaded) {
            return context.report("debug upload " + options->file, uploaded.error());
        }
        fmt::print("{} {}\n", uploaded->digest.to_string(), uploaded->size);
    });
}

}  // namespace

void add_debug_command(CLI::App& app, Context& context) {
    auto* debug = app.add_subcommand("debug", "Verbs for tests and benchmarks");
    debug->group("");  // not listed in hoist --help
    debug->require_subcommand(1);
    add_compress_command(*debug, context);
    add_unpack_command(*debug, context);
    add_upload_command(*debug, context);
    add_debug_parse_command(*debug, context);
    add_debug_words_commands(*debug, context);
}

}  // namespace hoist::cli
