#include "registry/http.hpp"

#include <curl/curl.h>
#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <thread>

#include "oci/text.hpp"

namespace hoist::registry {
namespace {

struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
    void operator()(CURLU* url) const { curl_url_cleanup(url); }
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
    void operator()(char* text) const { curl_free(text); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using UrlPtr = std::unique_ptr<CURLU, CurlDeleter>;
using ListPtr = std::unique_ptr<curl_slist, CurlDeleter>;
using TextPtr = std::unique_ptr<char, CurlDeleter>;

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n')) {
        text.remove_suffix(1);
    }
    return text;
}

Result<UrlPtr> parse_url(std::string_view text) {
    UrlPtr url(curl_url());
    if (!url || curl_url_set(url.get(), CURLUPART_URL, std::string(text).c_str(), 0) != CURLUE_OK) {
        return fail(Errc::invalid_argument, "malformed URL " + redact_url(text));
    }
    return url;
}

std::optional<std::string> url_part(CURLU* url, CURLUPart part, unsigned flags = 0) {
    char* text = nullptr;
    if (curl_url_get(url, part, &text, flags) != CURLUE_OK || text == nullptr) {
        return std::nullopt;
    }
    TextPtr owned(text);
    return std::string(text);
}

bool is_redirect(long status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool is_retryable_status(long status) {
    return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

bool is_retryable_curl_error(CURLcode code) {
    switch (code) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_SEND_FAIL_REWIND:     // curl resent on a new connection a body it cannot replay
        case CURLE_UNSUPPORTED_PROTOCOL:  // an "HTTP/0.9" reply: stray bytes on a broken connection
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_SSL_CONNECT_ERROR:
            return true;
        default:
            return false;
    }
}

// Retry-After as seconds (the HTTP-date form is treated as "soon"); without it, a 429's
// RateLimit-Reset (seconds until the window resets, IETF's RateLimit header fields).
std::optional<std::chrono::milliseconds> retry_after(const Response& response) {
    auto value = response.header("retry-after");
    if (!value && response.status == 429) {
        value = response.header("ratelimit-reset");
    }
    if (!value) {
        return std::nullopt;
    }
    unsigned seconds = 0;
    auto text = trim(*value);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return std::chrono::seconds(1);
    }
    return std::chrono::seconds(std::min(seconds, 300u));
}

bool is_authorization(std::string_view header) {
    return header.size() >= 14 && ascii_lower(header.substr(0, 14)) == "authorization:";
}

}  // namespace

std::optional<std::string_view> Response::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (key == name) {
            return value;
        }
    }
    return std::nullopt;
}

std::string redact_url(std::string_view url) {
    auto text = url.substr(0, url.find_first_of("?#"));
    auto scheme_end = text.find("://");
    auto authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    auto authority_end = text.find('/', authority_start);
    auto at = text.substr(0, authority_end).rfind('@');
    if (at != std::string_view::npos && at >= authority_start) {
        return std::string(text.substr(0, authority_start)) + std::string(text.substr(at + 1));
    }
    return std::string(text);
}

Result<std::string> url_origin(std::string_view text) {
    auto url = HOIST_TRY(parse_url(text));
    auto scheme = url_part(url.get(), CURLUPART_SCHEME);
    auto host = url_part(url.get(), CURLUPART_HOST);
    auto port = url_part(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
    if (!scheme || !host || !port) {
        return fail(Errc::invalid_argument, "URL without a host: " + redact_url(text));
    }
    return ascii_lower(*scheme) + "://" + ascii_lower(*host) + ":" + *port;
}

Result<std::string> resolve_url(std::string_view base, std::string_view location) {
    auto url = HOIST_TRY(parse_url(base));
    if (curl_url_set(url.get(), CURLUPART_URL, std::string(location).c_str(), 0) != CURLUE_OK) {
        return fail(Errc::invalid_argument, "malformed redirect location " + redact_url(location));
    }
    auto scheme = url_part(url.get(), CURLUPART_SCHEME);
    if (!scheme || (ascii_lower(*scheme) != "http" && ascii_lower(*scheme) != "https")) {
        return fail(Errc::unsafe, "refusing to follow a redirect to " + redact_url(location));
    }
    return *url_part(url.get(), CURLUPART_URL);
}

struct Transport::Handle {
    CurlPtr curl;
};

Transport::Transport(TransportOptions options) : m_options(std::move(options)) {
    // Reference-counted and thread-safe since curl 7.84: each Transport holds one reference.
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

Transport::~Transport() {
    m_idle.clear();
    curl_global_cleanup();
}

std::unique_ptr<Transport::Handle> Transport::borrow() {
    {
        std::lock_guard lock(m_mutex);
        if (!m_idle.empty()) {
            auto handle = std::move(m_idle.back());
            m_idle.pop_back();
            return handle;
        }
    }
    auto handle = std::make_unique<Handle>();
    handle->curl.reset(curl_easy_init());
    return handle;
}

void Transport::give_back(std::unique_ptr<Handle> handle) {
    std::lock_guard lock(m_mutex);
    m_idle.push_back(std::move(handle));
}

namespace {

// What the curl callbacks of one exchange write into.
struct Exchange {
    const Request* request;
    Response* response;
    std::string_view remaining_body;
    bool to_download = false;  // decided when the headers end
    std::uint64_t skip = 0;    // leading body bytes to drop
    std::uint64_t upload_left = 0;
    std::optional<Error> error;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto& exchange = *static_cast<Exchange*>(user);
    std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {
        // A new response (after a 100 Continue, or a proxy's): only the last one counts.
        exchange.response->headers.clear();
        auto space = line.find(' ');
        if (space != std::string_view::npos) {
            long status = 0;
            std::from_chars(line.data() + space + 1, line.data() + line.size(), status);
            exchange.response->status = status;
        }
    } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
        exchange.response->headers.emplace_back(ascii_lower(trim(line.substr(0, colon))),
                                                std::string(trim(line.substr(colon + 1))));
    } else if (trim(line).empty()) {
        auto status = exchange.response->status;
        exchange.to_download = exchange.request->download != nullptr && status >= 200 && status < 300;
        exchange.skip = status == 200 ? exchange.request->range_start : 0;
    }
    return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto& exchange = *static_cast<Exchange*>(user);
    std::string_view bytes(data, size * count);
    if (exchange.to_download) {
        auto skipped = std::min<std::uint64_t>(exchange.skip, bytes.size());
        exchange.skip -= skipped;
        bytes.remove_prefix(skipped);
        if (auto written = exchange.request->download->write(bytes); !written) {
            exchange.error = std::move(written).error();
            return CURL_WRITEFUNC_ERROR;
        }
        exchange.response->downloaded += bytes.size();
        return size * count;
    }
    if (exchange.response->body.size() + bytes.size() > exchange.request->body_limit) {
        exchange.error =
            Error(Errc::invalid_argument, fmt::format("{} {}: response body over {} bytes", exchange.request->method,
                                                      redact_url(exchange.request->url), exchange.request->body_limit));
        return CURL_WRITEFUNC_ERROR;
    }
    exchange.response->body.append(bytes);
    return bytes.size();
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto& exchange = *static_cast<Exchange*>(user);
    if (auto* upload = exchange.request->upload) {
        auto want = std::min<std::uint64_t>(size * count, exchange.upload_left);
        if (want == 0) {
            return 0;
        }
        auto n = upload->read(std::span<char>(buffer, want));
        if (!n || *n == 0) {
            exchange.error = n ? Error(Errc::io, "the upload's content ended early") : std::move(n).error();
            return CURL_READFUNC_ABORT;
        }
        exchange.upload_left -= *n;
        return *n;
    }
    auto n = std::min(size * count, exchange.remaining_body.size());
    std::copy_n(exchange.remaining_body.data(), n, buffer);
    exchange.remaining_body.remove_prefix(n);
    return n;
}

int on_seek(void* user, curl_off_t offset, int origin) {
    auto& exchange = *static_cast<Exchange*>(user);
    if (exchange.request->upload != nullptr || origin != SEEK_SET || offset < 0 ||
        static_cast<std::size_t>(offset) > exchange.request->body.size()) {
        return CURL_SEEKFUNC_CANTSEEK;
    }
    exchange.remaining_body = exchange.request->body.substr(static_cast<std::size_t>(offset));
    return CURL_SEEKFUNC_OK;
}

}  // namespace

Result<Response> Transport::perform_once(Handle& handle, const Request& request, std::uint64_t& downloaded) {
    CURL* curl = handle.curl.get();
    curl_easy_reset(curl);
    Response response;
    Exchange exchange{.request = &request,
                      .response = &response,
                      .remaining_body = request.body,
                      .upload_left = request.upload_length};

    ListPtr headers;
    auto append = [&](const std::string& header) {
        auto* list = curl_slist_append(headers.get(), header.c_str());
        if (list != nullptr) {
            headers.release();
            headers.reset(list);
        }
    };
    for (const auto& header : request.headers) {
        append(header);
    }
    // Without this, curl waits up to a second for a 100 reply before sending an upload's body.
    append("Expect:");

    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_USERAGENT, m_options.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(m_options.connect_timeout.count() * 1000));
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(m_options.stall_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, m_options.tls_verify ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, m_options.tls_verify ? 2L : 0L);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
    if (request.download != nullptr) {
        // Blob downloads in pieces of 512 KiB rather than 16 KiB: fewer hand-overs to the writer.
        curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 512L * 1024);
    }
    if (request.method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT" || request.method == "PATCH" || request.method == "POST") {
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        auto length = request.upload != nullptr ? request.upload_length : request.body.size();
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(length));
        curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(curl, CURLOPT_READDATA, &exchange);
        curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(curl, CURLOPT_SEEKDATA, &exchange);
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    } else if (request.method != "GET") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }

    auto code = curl_easy_perform(curl);
    downloaded = response.downloaded;
    if (exchange.error) {
        return std::unexpected(std::move(*exchange.error));
    }
    if (code != CURLE_OK) {
        // curl calls a reply that is not HTTP at all "Unsupported protocol" (it read it as HTTP/0.9).
        std::string_view why = code == CURLE_UNSUPPORTED_PROTOCOL ? "the server's reply is not HTTP"
                                                                  : curl_easy_strerror(code);
        return fail(is_retryable_curl_error(code) ? Errc::network : Errc::io,
                    fmt::format("{} {}: {}", request.method, redact_url(request.url), why));
    }
    response.url = request.url;
    return response;
}

Result<Response> Transport::perform(const Request& original) {
    Request request = original;
    std::mt19937 random(std::random_device{}());
    auto backoff = m_options.backoff;
    int redirects = 0;
    for (int attempt = 1;; ++attempt) {
        auto handle = borrow();
        std::uint64_t downloaded = 0;
        auto response = perform_once(*handle, request, downloaded);
        give_back(std::move(handle));

        // Only what has not reached the caller's writer can be tried again (the caller resumes
        // the rest).
        bool may_retry = request.retry && request.upload == nullptr && attempt < m_options.attempts && downloaded == 0;
        std::optional<std::chrono::milliseconds> wait;
        if (!response) {
            if (!may_retry || response.error().code() != Errc::network) {
                return response;
            }
        } else if (is_redirect(response->status) && request.upload == nullptr) {
            auto location = response->header("location");
            if (!location) {
                return response;
            }
            if (++redirects > 10) {
                return fail(Errc::protocol,
                            fmt::format("{} {}: too many redirects", request.method, redact_url(original.url)));
            }
            auto next = HOIST_TRY(resolve_url(request.url, *location));
            if (HOIST_TRY(url_origin(next)) != HOIST_TRY(url_origin(request.url))) {
                std::erase_if(request.headers, is_authorization);
            }
            if (response->status == 303 ||
                ((response->status == 301 || response->status == 302) && request.method == "POST")) {
                request.method = "GET";
                request.body = {};
            }
            request.url = std::move(next);
            --attempt;  // a redirect is not a failed try
            continue;
        } else if (!may_retry || !is_retryable_status(response->status)) {
            response->url = request.url;
            return response;
        } else {
            wait = retry_after(*response);
        }
        if (!wait) {
            auto jitter = std::uniform_int_distribution<long>(0, backoff.count() / 2)(random);
            wait = backoff + std::chrono::milliseconds(jitter);
            backoff = std::min(backoff * 2, m_options.max_backoff);
        }
        std::this_thread::sleep_for(*wait);
    }
}

}  // namespace hoist::registry
