#include "registry/upload.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <thread>

namespace hoist::registry {
namespace {

constexpr int k_attempts = 5;
// A produced blob is held in memory a chunk at a time: never more than this per chunk.
constexpr std::uint64_t k_produced_chunk = 16u << 20;

struct Upload {
    Repository& repository;
    std::string location;         // the upload session's URL, as the registry last gave it
    std::uint64_t offset = 0;     // bytes the registry has acknowledged
    std::uint64_t min_chunk = 0;  // OCI-Chunk-Min-Length
};

Result<std::string> location_of(const Response& response, const Registry& registry) {
    auto location = response.header("location");
    if (!location || location->empty()) {
        return fail(Errc::protocol, fmt::format("{} {} without a Location", response.status, redact_url(response.url)));
    }
    return resolve_url(registry.base_url() + "/", *location);
}

std::string with_query(const std::string& url, std::string_view query) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + std::string(query);
}

Result<Upload> start(Repository& repository) {
    Request request{.method = "POST", .url = repository.url("blobs/uploads/")};
    auto response = HOIST_TRY(repository.send(std::move(request), true));
    if (response.status != 202) {
        return std::unexpected(http_error(response).wrap("starting an upload"));
    }
    Upload upload{.repository = repository, .location = HOIST_TRY(location_of(response, repository.registry()))};
    if (auto min = response.header("oci-chunk-min-length")) {
        std::from_chars(min->data(), min->data() + min->size(), upload.min_chunk);
    }
    return upload;
}

void cancel(Upload& upload) {
    Request request{.method = "DELETE", .url = upload.location, .retry = false};
    (void)upload.repository.send(std::move(request), true);
}

// How many bytes the registry holds for the upload, from its status ("Range: 0-<last byte>").
Result<std::uint64_t> registry_offset(Upload& upload) {
    Request request{.url = upload.location};
    auto response = HOIST_TRY(upload.repository.send(std::move(request), true));
    if (response.status != 204 && response.status != 202) {
        return std::unexpected(http_error(response).wrap("upload status"));
    }
    if (auto location = response.header("location")) {
        upload.location = HOIST_TRY(location_of(response, upload.repository.registry()));
    }
    auto range = response.header("range");
    if (!range) {
        return 0;
    }
    auto dash = range->find('-');
    std::uint64_t last = 0;
    if (dash == std::string_view::npos ||
        std::from_chars(range->data() + dash + 1, range->data() + range->size(), last).ec != std::errc()) {
        return fail(Errc::protocol, fmt::format("upload status: malformed Range \"{}\"", *range));
    }
    // "0-0" is what distribution reports for an empty upload as well as for one byte.
    return last == 0 ? 0 : last + 1;
}

bool worth_resuming(const Result<Response>& response) {
    if (!response) {
        return response.error().code() == Errc::network;
    }
    auto status = response->status;
    // 401: a token that expired while a streamed body was sent; send has fetched a new one.
    return status == 401 || status == 408 || status == 416 || status == 429 || status >= 500;
}

// Sends bytes [upload.offset, upload.offset + length) of the blob, from `bytes` or streamed from
// `stream`: as a PATCH, or with `digest` as the final PUT.
Result<Response> send_part(Upload& upload, std::string_view bytes, oci::Reader* stream, std::uint64_t length,
                           const std::optional<oci::Digest>& digest) {
    Request request{
        .method = digest ? "PUT" : "PATCH",
        .url = digest ? with_query(upload.location, "digest=" + digest->to_string()) : upload.location,
        .headers = {"Content-Type: application/octet-stream"},
        .body = bytes,
        .upload = stream,
        .upload_length = length,
        .retry = false,
    };
    if (length > 0) {
        request.headers.push_back(fmt::format("Content-Range: {}-{}", upload.offset, upload.offset + length - 1));
    }
    return upload.repository.send(std::move(request), true);
}

// After a part failed: whether the blob is complete already (the PUT landed although its answer
// was lost), else the offset to go on from, as the registry reports it.
Result<std::optional<std::uint64_t>> recover(Upload& upload, const std::optional<oci::Digest>& digest) {
    if (digest) {
        auto probe = oci::Descriptor{.digest = *digest};
        if (auto has = upload.repository.has_blob(probe); has && *has) {
            return std::nullopt;
        }
    }
    auto held = HOIST_TRY(registry_offset(upload));
    // A registry that reports less than it acknowledged (ECR) still has what it acknowledged.
    return std::max(held, upload.offset);
}

// Runs `send` (one part) until it succeeds, resuming after failures; `send` is told where to
// start. Returns false when the blob turned out to be complete already.
template <class Send>
Result<bool> send_resuming(Upload& upload, std::uint64_t end, const std::optional<oci::Digest>& digest, Send send) {
    auto backoff = std::chrono::milliseconds(250);
    for (int attempt = 1;; ++attempt) {
        auto response = send();
        if (response && (response->status == 201 || response->status == 202 || response->status == 204)) {
            upload.offset = end;
            if (!digest) {
                upload.location = HOIST_TRY(location_of(*response, upload.repository.registry()));
            }
            return true;
        }
        if (attempt == k_attempts || !worth_resuming(response)) {
            if (!response) {
                return std::unexpected(std::move(response).error());
            }
            return std::unexpected(http_error(*response));
        }
        std::this_thread::sleep_for(backoff);
        backoff *= 2;
        auto held = HOIST_TRY(recover(upload, digest));
        if (!held) {
            return false;
        }
        if (*held > end) {
            return fail(Errc::protocol,
                        fmt::format("the registry reports {} bytes of an upload that has {}", *held, end));
        }
        upload.offset = *held;
    }
}

// Reads from `content` until `buffer` holds `size` bytes or the content ends, hashing them.
Result<void> fill(oci::Reader& content, oci::Hasher& hasher, std::string& buffer, std::size_t size) {
    auto have = buffer.size();
    buffer.resize(std::max(size, have));
    while (have < buffer.size()) {
        auto n = HOIST_TRY(content.read(std::span<char>(buffer.data() + have, buffer.size() - have)));
        if (n == 0) {
            break;
        }
        hasher.update(buffer.data() + have, n);
        have += n;
    }
    buffer.resize(have);
    return {};
}

std::uint64_t chunk_size(const Upload& upload) {
    const auto& profile = upload.repository.registry().profile();
    auto size = std::max(profile.chunk_size, upload.min_chunk);
    return std::min(size, std::max(profile.max_chunk, upload.min_chunk));
}

// A blob's source, positioned at any offset: read on, or opened again and skipped forward.
class Source {
public:
    explicit Source(const oci::BlobOpener& open) : m_open(open) {}

    Result<oci::Reader*> at(std::uint64_t offset) {
        if (!m_reader || m_position > offset) {
            m_reader = HOIST_TRY(m_open());
            m_position = 0;
        }
        std::vector<char> discard(std::min<std::uint64_t>(offset - m_position, 1u << 20));
        while (m_position < offset) {
            auto want = std::min<std::uint64_t>(offset - m_position, discard.size());
            auto n = HOIST_TRY(m_reader->read(std::span<char>(discard.data(), want)));
            if (n == 0) {
                return fail(Errc::io, "the blob's content ended early");
            }
            m_position += n;
        }
        return &m_counter;
    }

private:
    // Keeps m_position in step with what the transfer reads.
    class Counter final : public oci::Reader {
    public:
        explicit Counter(Source& source) : m_source(source) {}
        Result<std::size_t> read(std::span<char> buffer) override {
            auto n = HOIST_TRY(m_source.m_reader->read(buffer));
            m_source.m_position += n;
            return n;
        }

    private:
        Source& m_source;
    };

    const oci::BlobOpener& m_open;
    std::unique_ptr<oci::Reader> m_reader;
    std::uint64_t m_position = 0;
    Counter m_counter{*this};
};

Result<void> send_known(Upload& upload, const oci::Descriptor& blob, const oci::BlobOpener& open) {
    Source source(open);
    auto size = static_cast<std::uint64_t>(blob.size);
    auto chunk = chunk_size(upload);
    do {
        auto end = size - upload.offset > chunk ? upload.offset + chunk : size;
        auto digest = end == size ? std::optional(blob.digest) : std::nullopt;
        auto complete = HOIST_TRY(send_resuming(upload, end, digest, [&]() -> Result<Response> {
            auto* reader = HOIST_TRY(source.at(upload.offset));
            return send_part(upload, {}, reader, end - upload.offset, digest);
        }));
        if (!complete) {
            return {};
        }
    } while (upload.offset < size);
    return {};
}

Result<oci::Descriptor> send_produced(Upload& upload, oci::Reader& content) {
    oci::Hasher hasher;
    auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size(upload), k_produced_chunk));
    // Reading ahead is how the last chunk is recognised: it goes in the PUT.
    std::string current;
    std::string next;
    HOIST_TRY(fill(content, hasher, current, chunk));
    HOIST_TRY(fill(content, hasher, next, chunk));
    while (!next.empty()) {
        auto start = upload.offset;
        auto end = start + current.size();
        HOIST_TRY(send_resuming(upload, end, std::nullopt, [&] {
            auto rest = std::string_view(current).substr(upload.offset - start);
            return send_part(upload, rest, nullptr, rest.size(), std::nullopt);
        }));
        std::swap(current, next);
        next.clear();
        HOIST_TRY(fill(content, hasher, next, chunk));
    }
    auto digest = hasher.finish();
    auto start = upload.offset;
    auto end = start + current.size();
    HOIST_TRY(send_resuming(upload, end, digest, [&] {
        auto rest = std::string_view(current).substr(upload.offset - start);
        return send_part(upload, rest, nullptr, rest.size(), digest);
    }));
    return oci::Descriptor{.digest = std::move(digest), .size = static_cast<std::int64_t>(end)};
}

}  // namespace

Result<void> upload_blob(Repository& repository, const oci::Descriptor& blob, const oci::BlobOpener& open) {
    auto upload = HOIST_TRY(start(repository));
    auto sent = send_known(upload, blob, open);
    if (!sent) {
        cancel(upload);
    }
    return sent;
}

Result<oci::Descriptor> upload_stream(Repository& repository, oci::Reader& content) {
    auto upload = HOIST_TRY(start(repository));
    auto sent = send_produced(upload, content);
    if (!sent) {
        cancel(upload);
    }
    return sent;
}

}  // namespace hoist::registry
