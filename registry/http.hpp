// HTTP over libcurl, as the registry protocol needs it: connections kept per worker, no
// `Expect: 100-continue` stall, retries with backoff, and redirects followed by hand so that an
// Authorization header never reaches another host.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "oci/error.hpp"
#include "oci/stream.hpp"

namespace hoist::registry {

struct Request {
    std::string method = "GET";
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string_view body;             // sent as is; kept alive by the caller
    // Or the body streamed from here: exactly `upload_length` bytes. Such a request is sent once:
    // no retry, no redirect; its caller resumes it.
    oci::Reader* upload = nullptr;
    std::uint64_t upload_length = 0;
    // Where the body of a 2xx response goes; when null it is collected into Response::body, up
    // to `body_limit` bytes (an error beyond). Bodies of other responses are always collected.
    oci::Writer* download = nullptr;
    std::uint64_t body_limit = 4u << 20;
    // For a request with a Range header: when the server ignores it and answers 200 with the
    // whole body, this many leading bytes are dropped before `download` sees the rest.
    std::uint64_t range_start = 0;
    // Retry on connection errors, 408, 429 and 5xx. Off for requests whose effect is not
    // idempotent (a PATCH of an upload), which their callers resume themselves.
    bool retry = true;
};

struct Response {
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased; of the final response
    std::string body;
    std::string url;               // after redirects
    std::uint64_t downloaded = 0;  // body bytes given to Request::download

    // The first value of header `name` (lower-case).
    std::optional<std::string_view> header(std::string_view name) const;
};

struct TransportOptions {
    bool tls_verify = true;
    int attempts = 5;                        // tries per request, the first included
    std::chrono::milliseconds backoff{250};  // doubled after each failed try, with jitter
    std::chrono::milliseconds max_backoff{10'000};
    std::chrono::seconds connect_timeout{30};
    // A transfer slower than 1 KiB/s for this long is abandoned (and retried).
    std::chrono::seconds stall_timeout{60};
    std::string user_agent = "hoist";
};

// `url` without user information or query string: what may appear in a message.
std::string redact_url(std::string_view url);
// "scheme://host:port" of `url`, lower-cased, with the default port made explicit.
Result<std::string> url_origin(std::string_view url);
// `location` (absolute, or relative to `base`) as an absolute http(s) URL. Errc::unsafe for any
// other scheme.
Result<std::string> resolve_url(std::string_view base, std::string_view location);

// Thread-safe: each request borrows an idle curl handle, so connections to a host are kept and
// reused by whichever worker sends to it next.
class Transport {
public:
    explicit Transport(TransportOptions options = {});
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    // Sends the request, following up to 10 redirects (dropping Authorization whenever the
    // origin changes) and retrying as Request::retry says. An HTTP error status is a Response,
    // not an error; errors are for connections that failed on every try (Errc::io, naming the
    // redacted URL) and for bodies over the limit.
    Result<Response> perform(const Request& request);

    const TransportOptions& options() const { return m_options; }

private:
    struct Handle;
    std::unique_ptr<Handle> borrow();
    void give_back(std::unique_ptr<Handle> handle);
    // `downloaded`: the body bytes given to the request's writer, also when it fails.
    Result<Response> perform_once(Handle& handle, const Request& request, std::uint64_t& downloaded);

    TransportOptions m_options;
    std::mutex m_mutex;
    std::vector<std::unique_ptr<Handle>> m_idle;
};

}  // namespace hoist::registry
