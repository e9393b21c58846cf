#include "registry/sigv4.hpp"

#include <fmt/chrono.h>
#include <fmt/core.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <map>

#include "oci/digest.hpp"
#include "oci/text.hpp"

namespace hoist::registry::sigv4 {
namespace {

constexpr std::string_view k_algorithm = "AWS4-HMAC-SHA256";

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

// RFC 3986 percent-encoding of every byte but the unreserved ones (and '/', where asked).
std::string uri_encode(std::string_view text, bool keep_slash) {
    std::string out;
    for (unsigned char c : text) {
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

// The path without empty, "." and ".." segments (RFC 3986 section 5.2.4), keeping a trailing '/'.
std::string normalize_path(std::string_view path) {
    std::vector<std::string_view> segments;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto end = std::min(path.find('/', start), path.size());
        auto segment = path.substr(start, end - start);
        if (segment == "..") {
            if (!segments.empty()) {
                segments.pop_back();
            }
        } else if (!segment.empty() && segment != ".") {
            segments.push_back(segment);
        }
        start = end + 1;
    }
    std::string out;
    for (auto segment : segments) {
        out += "/";
        out += segment;
    }
    bool trailing = path.ends_with("/") || path.ends_with("/.") || path.ends_with("/..");
    if (out.empty() || trailing) {
        out += "/";
    }
    return out;
}

std::string canonical_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> parameters;
    std::size_t start = 0;
    while (start < query.size()) {
        auto end = std::min(query.find('&', start), query.size());
        auto parameter = query.substr(start, end - start);
        if (!parameter.empty()) {
            auto equals = parameter.find('=');
            auto value = equals == std::string_view::npos ? std::string_view() : parameter.substr(equals + 1);
            parameters.emplace_back(uri_encode(parameter.substr(0, equals), false), uri_encode(value, false));
        }
        start = end + 1;
    }
    std::ranges::sort(parameters);
    std::string out;
    for (const auto& [name, value] : parameters) {
        out += (out.empty() ? "" : "&") + name + "=" + value;
    }
    return out;
}

// A header value trimmed, its inner runs of blanks made one space; the lines of a folded value
// (obsolete line folding) are joined with ',' as repeated headers are.
std::string canonical_value(std::string_view value) {
    std::string out;
    bool blank = false;
    bool line_start = true;
    for (char c : value) {
        if (c == '\r') {
            continue;
        }
        if (c == '\n') {
            while (!out.empty() && out.back() == ' ') {
                out.pop_back();
            }
            out += ',';
            line_start = true;
            blank = false;
            continue;
        }
        if (c == ' ' || c == '\t') {
            blank = !line_start;
            continue;
        }
        if (blank) {
            out += ' ';
            blank = false;
        }
        out += c;
        line_start = false;
    }
    return out;
}

// Lower-case name -> values joined with ',' in the order sent; sorted by name.
std::map<std::string, std::string> canonical_headers(const Message& message) {
    std::map<std::string, std::string> headers;
    for (const auto& [name, value] : message.headers) {
        auto [it, inserted] = headers.try_emplace(ascii_lower(name), canonical_value(value));
        if (!inserted) {
            it->second += "," + canonical_value(value);
        }
    }
    return headers;
}

std::string hmac(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &length);
    return std::string(reinterpret_cast<const char*>(out), length);
}

std::string hex(std::string_view bytes) {
    std::string out;
    for (unsigned char c : bytes) {
        out += fmt::format("{:02x}", c);
    }
    return out;
}

}  // namespace

std::string Scope::to_string() const {
    return fmt::format("{}/{}/{}/aws4_request", date_time.substr(0, 8), region, service);
}

std::string amz_date(std::chrono::system_clock::time_point time) {
    return fmt::format("{:%Y%m%dT%H%M%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(time)));
}

std::string signed_headers(const Message& message) {
    std::string out;
    for (const auto& [name, value] : canonical_headers(message)) {
        out += (out.empty() ? "" : ";") + name;
    }
    return out;
}

std::string canonical_request(const Message& message) {
    std::string headers;
    for (const auto& [name, value] : canonical_headers(message)) {
        headers += name + ":" + value + "\n";
    }
    return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", message.method, uri_encode(normalize_path(message.path), true),
                       canonical_query(message.query), headers, signed_headers(message),
                       oci::Digest::of(message.payload).hex());
}

std::string string_to_sign(std::string_view canonical_request, const Scope& scope) {
    return fmt::format("{}\n{}\n{}\n{}", k_algorithm, scope.date_time, scope.to_string(),
                       oci::Digest::of(canonical_request).hex());
}

std::string signature(std::string_view secret_access_key, const Scope& scope, std::string_view string_to_sign) {
    auto key = hmac("AWS4" + std::string(secret_access_key), scope.date_time.substr(0, 8));
    key = hmac(key, scope.region);
    key = hmac(key, scope.service);
    key = hmac(key, "aws4_request");
    return hex(hmac(key, string_to_sign));
}

std::string authorization(const Message& message, const Scope& scope, const AwsCredentials& credentials) {
    auto to_sign = string_to_sign(canonical_request(message), scope);
    return fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", k_algorithm, credentials.access_key_id,
                       scope.to_string(), signed_headers(message),
                       signature(credentials.secret_access_key, scope, to_sign));
}

}  // namespace hoist::registry::sigv4
