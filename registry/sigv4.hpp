// AWS Signature Version 4 for requests signed in their Authorization header: the canonical
// request, the string to sign and the signature, with HMAC-SHA256 and SHA-256 from OpenSSL. Used
// for ECR's API (ecr.hpp); checked against AWS's test suite (testdata/sigv4/).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hoist::registry::sigv4 {

struct AwsCredentials {
    std::string access_key_id;
    std::string secret_access_key;  // never part of a message
    std::string session_token;      // empty for long-term keys
};

// What is signed of a request. Every header listed is signed, so list exactly the headers sent,
// Host and X-Amz-Date included.
struct Message {
    std::string method = "GET";
    std::string path = "/";  // decoded: canonical_request() normalises and percent-encodes it
    std::string query;       // after the '?', decoded; "a=1&b=2"
    std::vector<std::pair<std::string, std::string>> headers;  // as sent; repeated names allowed
    std::string_view payload;
};

struct Scope {
    std::string date_time;  // the X-Amz-Date value, "20150830T123600Z"
    std::string region;     // "us-east-1"
    std::string service;    // "ecr"

    // "20150830/us-east-1/ecr/aws4_request"
    std::string to_string() const;
};

// "20150830T123600Z" for `time`, in UTC.
std::string amz_date(std::chrono::system_clock::time_point time);

// The canonical request: method, the path with dot segments and repeated slashes removed, the
// query sorted by name then value, the headers lower-cased, trimmed (inner runs of spaces made
// one, folded lines and repeated headers joined with ','), sorted, the signed header names and
// the payload's SHA-256.
std::string canonical_request(const Message& message);
// "host;x-amz-date": the names of the headers signed, lower-case, sorted.
std::string signed_headers(const Message& message);
std::string string_to_sign(std::string_view canonical_request, const Scope& scope);
// The hex HMAC-SHA256 of `string_to_sign` with the key derived from the secret and the scope.
std::string signature(std::string_view secret_access_key, const Scope& scope, std::string_view string_to_sign);
// The Authorization header's value: "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
std::string authorization(const Message& message, const Scope& scope, const AwsCredentials& credentials);

}  // namespace hoist::registry::sigv4
