#include "oci/compression.hpp"

#include <zlib.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "tests/support.hpp"
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using hoist::Errc;
using hoist::Error;
using hoist::Result;
using hoist::oci::CompressingWriter;
using hoist::oci::Compression;
using hoist::oci::CompressionOptions;
using hoist::oci::decompressing_reader;
using hoist::oci::Digest;
using hoist::oci::LayerStream;
using hoist::oci::Reader;
using hoist::oci::Writer;

namespace {

constexpr std::size_t k_block = 64 * 1024;  // small blocks keep the tests fast

using hoist::test::StringReader;
using hoist::test::StringWriter;

// Fails every write once `limit` bytes have been written.
class FailingWriter final : public Writer {
public:
    explicit FailingWriter(std::size_t limit) : limit_(limit) {}
    Result<void> write(std::string_view bytes) override {
        written_ += bytes.size();
        if (written_ > limit_) {
            return hoist::fail(Errc::io, "write out: No space left on device");
        }
        return {};
    }
    std::size_t limit_;
    std::size_t written_ = 0;
};

// Gives out its string at most `chunk` bytes at a time.
// Text-like bytes that compress about as well as a tar of source files, the same on every run.
std::string sample(std::size_t size, std::uint32_t seed = 1) {
    static const char* const k_words[] = {"layer ",    "image ",      "digest ",   "sha256 ",    "\n",
                                          "manifest ", "{\"a\": 1} ", "/usr/lib/", "0123456789", "tar ",
                                          "\t",        "oci ",        "zstd ",     "gzip "};
    std::string bytes;
    bytes.reserve(size + 16);
    std::uint32_t state = seed;
    while (bytes.size() < size) {
        state = state * 1664525u + 1013904223u;
        if ((state >> 28) == 0) {
            bytes.push_back(static_cast<char>(state >> 16));  // a little noise
        } else {
            bytes += k_words[(state >> 16) % std::size(k_words)];
        }
    }
    bytes.resize(size);
    return bytes;
}

CompressionOptions options_for(Compression compression, unsigned threads = 2) {
    return CompressionOptions{.compression = compression, .level = 0, .threads = threads, .block_size = k_block};
}

// Compresses `input`, handing it to the writer `chunk` bytes at a time.
std::string compress(std::string_view input, const CompressionOptions& options, std::size_t chunk = SIZE_MAX) {
    StringWriter out;
    auto writer = CompressingWriter::create(out, options);
    REQUIRE(writer);
    Result<void> written;
    while (!input.empty() && written) {
        std::size_t n = std::min(chunk, input.size());
        written = (*writer)->write(input.substr(0, n));
        input.remove_prefix(n);
    }
    REQUIRE(written);
    REQUIRE((*writer)->finish());
    return out.text;
}

Result<std::string> decompress(std::string compressed, std::size_t read_size = 65536,
                               std::size_t source_chunk = SIZE_MAX) {
    auto reader = HOIST_TRY(decompressing_reader(std::make_unique<StringReader>(std::move(compressed), source_chunk)));
    std::string bytes;
    std::vector<char> buffer(read_size);
    for (;;) {
        auto n = HOIST_TRY(reader->read(buffer));
        if (n == 0) {
            return bytes;
        }
        bytes.append(buffer.data(), n);
    }
}

// The error decompressing `compressed` gives; it must be Errc::invalid_argument.
std::string decompress_error(std::string compressed) {
    auto result = decompress(std::move(compressed));
    REQUIRE_FALSE(result);
    CHECK(result.error().code() == Errc::invalid_argument);
    return result.error().what();
}

struct Inflated {
    std::string bytes;
    int members = 0;
};

// zlib on its own, member after member, as other gzip readers do.
Inflated zlib_inflate(const std::string& compressed) {
    Inflated result;
    z_stream z{};
    REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    z.avail_in = static_cast<uInt>(compressed.size());
    std::vector<char> buffer(1 << 16);
    while (z.avail_in > 0) {
        z.next_out = reinterpret_cast<Bytef*>(buffer.data());
        z.avail_out = static_cast<uInt>(buffer.size());
        int status = inflate(&z, Z_NO_FLUSH);
        REQUIRE((status == Z_OK || status == Z_STREAM_END));
        result.bytes.append(buffer.data(), buffer.size() - z.avail_out);
        if (status == Z_STREAM_END) {
            ++result.members;
            inflateReset(&z);
        }
    }
    inflateEnd(&z);
    return result;
}

// gzip written by zlib itself, for reading what hoist did not write.
std::string zlib_gzip(const std::string& input) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&z, static_cast<uLong>(input.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    z.avail_in = static_cast<uInt>(input.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

std::string name_of(Compression compression) {
    switch (compression) {
        case Compression::none:
            return "none";
        case Compression::gzip:
            return "gzip";
        case Compression::zstd:
            return "zstd";
    }
    return "?";
}

}  // namespace

TEST_CASE("Compressed streams round-trip empty, one-byte, one-block and many-block inputs", "[compression]") {
    auto compression = GENERATE(Compression::none, Compression::gzip, Compression::zstd);
    auto size = GENERATE(std::size_t{0}, std::size_t{1}, k_block, 7 * k_block + 1234);
    INFO(name_of(compression) << ", " << size << " bytes");
    std::string input = sample(size);
    std::string compressed = compress(input, options_for(compression));
    if (compression == Compression::none) {
        CHECK(compressed == input);
    } else {
        CHECK_FALSE(compressed.empty());
    }
    if (compression == Compression::gzip && size > 1000) {
        CHECK(compressed.size() < input.size());
    }
    auto back = decompress(compressed);
    REQUIRE(back);
    CHECK(*back == input);
}

TEST_CASE("Compressed streams round-trip through one-byte reads and writes", "[compression]") {
    auto compression = GENERATE(Compression::none, Compression::gzip, Compression::zstd);
    INFO(name_of(compression));
    std::string input = sample(3 * k_block + 17);
    std::string compressed = compress(input, options_for(compression), 1);
    CHECK(compressed == compress(input, options_for(compression)));
    auto back = decompress(compressed, 1, 1);
    REQUIRE(back);
    CHECK(*back == input);
}

TEST_CASE("gzip output is the same bytes for 1, 2 and 8 threads, any write sizes and repeated runs", "[compression]") {
    std::string input = sample(11 * k_block + 4321);
    std::string expected = compress(input, options_for(Compression::gzip, 1));
    for (unsigned threads : {1u, 2u, 8u}) {
        for (std::size_t chunk : {std::size_t{1000}, k_block, SIZE_MAX}) {
            INFO(threads << " threads, writes of " << chunk);
            CHECK(compress(input, options_for(Compression::gzip, threads), chunk) == expected);
        }
    }
}

TEST_CASE("zstd output is the same bytes for 1, 2 and 8 threads, any write sizes and repeated runs", "[compression]") {
    // Larger than three of zstd's jobs at level 3 (8 MiB each), so the workers share the work.
    std::string input = sample(26u << 20, 7);
    std::string expected = compress(input, options_for(Compression::zstd, 1));
    for (unsigned threads : {1u, 2u, 8u, 2u}) {
        for (std::size_t chunk : {std::size_t{100'000}, SIZE_MAX}) {
            INFO(threads << " threads, writes of " << chunk);
            CHECK(compress(input, options_for(Compression::zstd, threads), chunk) == expected);
        }
    }
    auto back = decompress(expected);
    REQUIRE(back);
    CHECK(*back == input);
}

TEST_CASE("gzip output is one member per block, read by zlib to the same bytes", "[compression]") {
    auto size = GENERATE(std::size_t{1}, k_block, 5 * k_block, 9 * k_block + 1);
    std::string input = sample(size);
    auto inflated = zlib_inflate(compress(input, options_for(Compression::gzip, 8)));
    CHECK(inflated.bytes == input);
    CHECK(inflated.members == static_cast<int>((size + k_block - 1) / k_block));
}

TEST_CASE("gzip of an empty input is one empty member", "[compression]") {
    std::string compressed = compress("", options_for(Compression::gzip));
    CHECK(compressed.substr(0, 3) == "\x1f\x8b\x08");
    auto inflated = zlib_inflate(compressed);
    CHECK(inflated.bytes.empty());
    CHECK(inflated.members == 1);
}

TEST_CASE("gzip honours the level and the block size", "[compression]") {
    std::string input = sample(4 * k_block);
    auto options = options_for(Compression::gzip);
    std::string level4 = compress(input, options);
    options.level = 4;
    CHECK(compress(input, options) == level4);
    options.level = 1;
    CHECK(compress(input, options).size() > level4.size());
    options.level = 0;
    options.block_size = 1000;
    auto small_blocks = zlib_inflate(compress(input, options));
    CHECK(small_blocks.bytes == input);
    CHECK(small_blocks.members == static_cast<int>((input.size() + 999) / 1000));
}

TEST_CASE("LayerStream yields the diffID, digest and sizes of one pass", "[compression]") {
    auto compression = GENERATE(Compression::none, Compression::gzip, Compression::zstd);
    auto size = GENERATE(std::size_t{0}, 3 * k_block + 5);
    INFO(name_of(compression) << ", " << size << " bytes");
    std::string input = sample(size, 3);
    StringWriter out;
    auto stream = LayerStream::create(out, options_for(compression));
    REQUIRE(stream);
    for (std::size_t offset = 0; offset < input.size(); offset += 10'000) {
        REQUIRE((*stream)->write(std::string_view(input).substr(offset, 10'000)));
    }
    auto blob = (*stream)->finish();
    REQUIRE(blob);
    CHECK(blob->diff_id == Digest::of(input));
    CHECK(blob->uncompressed_size == static_cast<std::int64_t>(input.size()));
    CHECK(blob->descriptor.digest == Digest::of(out.text));
    CHECK(blob->descriptor.size == static_cast<std::int64_t>(out.text.size()));
    CHECK(blob->descriptor.media_type == hoist::oci::media_type::oci_layer_type(compression));
    CHECK(out.text == compress(input, options_for(compression)));
    if (compression == Compression::none) {
        CHECK(blob->descriptor.digest == blob->diff_id);
    }
    auto again = (*stream)->finish();
    REQUIRE_FALSE(again);
    CHECK(again.error().what() == "layer stream: finish called twice");
}

TEST_CASE("LayerStream media types are the OCI layer types", "[compression]") {
    for (auto [compression, type] : {std::pair{Compression::none, "application/vnd.oci.image.layer.v1.tar"},
                                     std::pair{Compression::gzip, "application/vnd.oci.image.layer.v1.tar+gzip"},
                                     std::pair{Compression::zstd, "application/vnd.oci.image.layer.v1.tar+zstd"}}) {
        StringWriter out;
        auto stream = LayerStream::create(out, options_for(compression));
        REQUIRE(stream);
        auto blob = (*stream)->finish();
        REQUIRE(blob);
        CHECK(blob->descriptor.media_type == type);
    }
}

TEST_CASE("decompressing_reader passes plain input through, even when it starts like a magic number", "[compression]") {
    auto input = GENERATE(std::string(), std::string("x"), std::string("\x1f"), std::string("\x28\xb5\x2f"),
                          std::string("\x28\xb5\x2f\xfc and more"), std::string("\x8b\x1f plain"), sample(100'000));
    auto back = decompress(input, 7, 3);
    REQUIRE(back);
    CHECK(*back == input);
}

TEST_CASE("decompressing_reader reads gzip written by zlib and concatenated members and frames", "[compression]") {
    std::string a = sample(100'000, 11);
    std::string b = sample(3'000, 12);
    auto from_zlib = decompress(zlib_gzip(a) + zlib_gzip(b) + compress(a, options_for(Compression::gzip)));
    REQUIRE(from_zlib);
    CHECK(*from_zlib == a + b + a);
    auto frames =
        decompress(compress(a, options_for(Compression::zstd)) + compress("", options_for(Compression::zstd)) +
                   compress(b, options_for(Compression::zstd)));
    REQUIRE(frames);
    CHECK(*frames == a + b);
}

TEST_CASE("decompressing_reader refuses corrupt gzip with zlib's reason", "[compression]") {
    std::string input = sample(2 * k_block + 10);
    std::string good = compress(input, options_for(Compression::gzip));
    REQUIRE(good.size() > 40);

    std::string bad_crc = good;
    bad_crc[bad_crc.size() - 8] ^= 1;  // the last member's CRC-32
    CHECK(decompress_error(bad_crc) == "corrupt gzip stream: incorrect data check");

    std::string bad_length = good;
    bad_length[bad_length.size() - 4] ^= 1;  // the last member's ISIZE
    CHECK(decompress_error(bad_length) == "corrupt gzip stream: incorrect length check");

    std::string bad_method = good;
    bad_method[2] = 7;
    CHECK(decompress_error(bad_method) == "corrupt gzip stream: unknown compression method");

    // The first deflate block's header: final, type 3 (reserved).
    std::string bad_block = compress("", options_for(Compression::gzip));
    bad_block[10] = 0x07;
    CHECK(decompress_error(bad_block) == "corrupt gzip stream: invalid block type");

    CHECK(decompress_error(good + "trailing garbage") == "corrupt gzip stream: incorrect header check");
    CHECK(decompress_error(good + std::string(16, '\0')) == "corrupt gzip stream: incorrect header check");
}

TEST_CASE("decompressing_reader refuses truncated gzip", "[compression]") {
    std::string good = compress(sample(2 * k_block + 10), options_for(Compression::gzip));
    for (std::size_t size : {std::size_t{2}, std::size_t{5}, std::size_t{10}, good.size() / 2, good.size() - 1}) {
        INFO(size << " of " << good.size() << " bytes");
        CHECK(decompress_error(good.substr(0, size)) == "truncated gzip stream");
    }
}

TEST_CASE("decompressing_reader refuses corrupt zstd with zstd's reason", "[compression]") {
    std::string good = compress(sample(2 * k_block + 10), options_for(Compression::zstd));
    REQUIRE(good.size() > 40);

    std::string bad_checksum = good;
    bad_checksum.back() ^= 1;
    CHECK(decompress_error(bad_checksum) == "corrupt zstd stream: Restored data doesn't match checksum");

    std::string bad_descriptor = good;
    bad_descriptor[4] |= 0x08;  // a reserved bit of the frame header descriptor
    CHECK(decompress_error(bad_descriptor) == "corrupt zstd stream: Unsupported frame parameter");

    CHECK(decompress_error(good + "trailing garbage") == "corrupt zstd stream: Unknown frame descriptor");
}

TEST_CASE("decompressing_reader refuses truncated zstd", "[compression]") {
    std::string good = compress(sample(2 * k_block + 10), options_for(Compression::zstd));
    std::string empty = compress("", options_for(Compression::zstd));
    for (std::size_t size : {std::size_t{4}, std::size_t{6}, good.size() / 2, good.size() - 1}) {
        INFO(size << " of " << good.size() << " bytes");
        CHECK(decompress_error(good.substr(0, size)) == "truncated zstd stream");
    }
    CHECK(decompress_error(good + empty.substr(0, empty.size() - 1)) == "truncated zstd stream");
}

TEST_CASE("A failed read is returned again by later reads", "[compression]") {
    std::string good = compress(sample(k_block), options_for(Compression::gzip));
    auto reader = decompressing_reader(std::make_unique<StringReader>(good.substr(0, good.size() / 2)));
    REQUIRE(reader);
    std::vector<char> buffer(1 << 20);
    auto first = (*reader)->read(buffer);
    if (first) {
        first = (*reader)->read(buffer);
    }
    REQUIRE_FALSE(first);
    auto second = (*reader)->read(buffer);
    REQUIRE_FALSE(second);
    CHECK(second.error().what() == "truncated gzip stream");
}

TEST_CASE("CompressingWriter checks its options", "[compression]") {
    StringWriter out;
    auto error_of = [&](CompressionOptions options) {
        auto writer = CompressingWriter::create(out, options);
        REQUIRE_FALSE(writer);
        CHECK(writer.error().code() == Errc::invalid_argument);
        return writer.error().what();
    };
    CHECK(error_of({.compression = Compression::gzip, .level = 13}) == "gzip level 13 is not between 1 and 12");
    CHECK(error_of({.compression = Compression::gzip, .level = -1}) == "gzip level -1 is not between 1 and 12");
    CHECK(error_of({.compression = Compression::zstd, .level = 23}) == "zstd level 23 is not between -131072 and 22");
    CHECK(error_of({.compression = Compression::gzip, .threads = 257}) == "compression threads: 257 is more than 256");
    CHECK(error_of({.compression = Compression::zstd, .block_size = 0}) ==
          "compression block size: 0 is not between 1 and 1073741824");
    CHECK(CompressingWriter::create(out, {.compression = Compression::none, .level = 99}));
}

TEST_CASE("An error of the output is returned, and again by every later call", "[compression]") {
    auto compression = GENERATE(Compression::none, Compression::gzip, Compression::zstd);
    INFO(name_of(compression));
    std::string input = sample(40 * k_block, 5);
    FailingWriter out(3 * k_block);
    auto writer = CompressingWriter::create(out, options_for(compression, 4));
    REQUIRE(writer);
    Result<void> result;
    for (std::size_t offset = 0; offset < input.size() && result; offset += k_block) {
        result = (*writer)->write(std::string_view(input).substr(offset, k_block));
    }
    if (result) {
        result = (*writer)->finish();
    }
    REQUIRE_FALSE(result);
    CHECK(result.error().what() == "write out: No space left on device");
    if (compression != Compression::none) {
        auto again = (*writer)->finish();
        REQUIRE_FALSE(again);
        CHECK(again.error().what() == "write out: No space left on device");
    }
}

TEST_CASE("A CompressingWriter destroyed before finish stops its threads", "[compression]") {
    StringWriter out;
    {
        auto writer = CompressingWriter::create(out, options_for(Compression::gzip, 8));
        REQUIRE(writer);
        REQUIRE((*writer)->write(sample(20 * k_block)));
    }
    CHECK(out.text.size() > 0);
}
