// Layer compression as streams: gzip (the default), zstd and none, and decompression that
// detects the format from the first bytes. gzip is compressed in fixed-size blocks, each an
// independent gzip member, in parallel; the output bytes do not depend on the thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "oci/descriptor.hpp"
#include "oci/media_type.hpp"
#include "oci/stream.hpp"

namespace hoist::oci {

using media_type::Compression;

// Checked by CompressingWriter::create: Errc::invalid_argument for a level outside the format's
// range (gzip 1-12, libdeflate's levels; zstd ZSTD_minCLevel()-ZSTD_maxCLevel()), more than
// 256 threads, or a block size of 0 or over 1 GiB. The level is ignored for none.
struct CompressionOptions {
    Compression compression = Compression::gzip;
    int level = 0;                                  // 0: the format's default (gzip 4, zstd 3)
    unsigned threads = 0;                           // 0: one per core
    std::size_t block_size = std::size_t{1} << 20;  // gzip input bytes per member
};

// A Writer that compresses what it is given into `out`. finish() must be called once at the
// end; until then `out` may not have everything. `out` is only ever called from the thread
// that calls write() and finish(). After an error (of `out` or of the compressor), every
// later call returns that error again.
//
// gzip: at most threads + 2 blocks are in flight (one being filled, the others queued, being
// compressed or waiting to be written in order), each holding at most block_size bytes
// (+0.1% for incompressible data). Each worker thread also has one output buffer of that size
// to compress into, as libdeflate compresses whole buffers and a block's input and output
// must coexist while it is compressed: (2 x threads + 2) x block_size at worst. Empty input
// gives one empty member.
// zstd: one frame with a content checksum, compressed by max(1, threads) zstd workers in
// zstd's own job size (8 MiB at level 3), which bounds its memory; the bytes are the same for
// any number of workers.
class CompressingWriter : public Writer {
public:
    static Result<std::unique_ptr<CompressingWriter>> create(Writer& out, const CompressionOptions& options);
    virtual Result<void> finish() = 0;
};

// Reads `compressed` (gzip with any number of members, zstd, or plain, told apart by their
// magic bytes) and yields the uncompressed bytes, through buffers of a fixed size. Corrupt or
// truncated data fails the read with Errc::invalid_argument: "corrupt gzip stream: <zlib's
// reason>", "truncated gzip stream", "corrupt zstd stream: <zstd's reason>", "truncated zstd
// stream". Bytes after the last gzip member that are not another member are corrupt data.
Result<std::unique_ptr<Reader>> decompressing_reader(std::unique_ptr<Reader> compressed);

// What one pass over a layer yields.
struct LayerBlob {
    Descriptor descriptor;  // media type for the compression, digest and size of the blob
    Digest diff_id;         // digest of the uncompressed tar
    std::int64_t uncompressed_size = 0;
};

// Takes a layer's uncompressed tar stream, hashes it (the diffID), compresses it, hashes and
// counts what comes out (the digest) and passes that on to `out`.
class LayerStream final : public Writer {
public:
    static Result<std::unique_ptr<LayerStream>> create(Writer& out, const CompressionOptions& options);
    Result<void> write(std::string_view bytes) override;
    // Ends the stream; the LayerBlob's descriptor has the OCI layer media type of the compression.
    Result<LayerBlob> finish();

private:
    // Hashes and counts the compressed bytes on their way to `out`.
    class CountingWriter final : public Writer {
    public:
        explicit CountingWriter(Writer& out) : m_out(out) {}
        Result<void> write(std::string_view bytes) override;

        Writer& m_out;
        Hasher m_hasher;
        std::int64_t m_size = 0;
    };

    LayerStream(Writer& out, Compression compression) : m_compressed(out), m_compression(compression) {}

    CountingWriter m_compressed;  // before m_compressor, which writes into it
    std::unique_ptr<CompressingWriter> m_compressor;
    Compression m_compression;
    Hasher m_diff_id;
    std::int64_t m_uncompressed_size = 0;
    bool m_finished = false;
};

}  // namespace hoist::oci
