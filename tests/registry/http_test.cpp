#include "registry/http.hpp"

#include <catch2/catch.hpp>

#include "registry/client.hpp"

using hoist::Errc;
using hoist::registry::http_error;
using hoist::registry::redact_url;
using hoist::registry::resolve_url;
using hoist::registry::Response;
using hoist::registry::upload_profile_for;
using hoist::registry::upload_profile_named;
using hoist::registry::url_origin;

TEST_CASE("redact_url drops user information and the query", "[registry]") {
    CHECK(redact_url("https://user:secret@example.com:8443/v2/app/blobs/x?sig=abc#frag") ==
          "https://example.com:8443/v2/app/blobs/x");
    CHECK(redact_url("https://cdn.example.com/path?X-Amz-Signature=secret") == "https://cdn.example.com/path");
    CHECK(redact_url("http://127.0.0.1:5000/v2/") == "http://127.0.0.1:5000/v2/");
    // An '@' in the path is not user information.
    CHECK(redact_url("https://example.com/a@b") == "https://example.com/a@b");
}

TEST_CASE("url_origin makes the default port explicit and lowers the host", "[registry]") {
    CHECK(url_origin("https://Registry.Example.COM/v2/").value() == "https://registry.example.com:443");
    CHECK(url_origin("http://127.0.0.1:5000/v2/x").value() == "http://127.0.0.1:5000");
    CHECK(url_origin("HTTP://example.com").value() == "http://example.com:80");
    // Another port or scheme is another origin: an Authorization header must not follow.
    CHECK(url_origin("https://example.com:444/").value() != url_origin("https://example.com/").value());
    CHECK(url_origin("http://example.com/").value() != url_origin("https://example.com/").value());
}

TEST_CASE("resolve_url follows relative and absolute locations", "[registry]") {
    CHECK(resolve_url("http://127.0.0.1:5000/v2/app/blobs/uploads/", "/v2/app/blobs/uploads/u1?_state=s").value() ==
          "http://127.0.0.1:5000/v2/app/blobs/uploads/u1?_state=s");
    CHECK(
        resolve_url("https://registry.example.com/v2/app/blobs/sha256:1", "https://cdn.example.com/x?sig=1").value() ==
        "https://cdn.example.com/x?sig=1");
}

TEST_CASE("resolve_url refuses schemes other than http and https", "[registry]") {
    auto resolved = resolve_url("https://registry.example.com/v2/", "file:///etc/passwd");
    REQUIRE_FALSE(resolved);
    CHECK(resolved.error().code() == Errc::unsafe);
    CHECK(resolved.error().what() == "refusing to follow a redirect to file:///etc/passwd");
}

TEST_CASE("http_error reads the registry's error body", "[registry]") {
    Response response{.status = 404,
                      .body = R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]})"};
    auto error = http_error(response);
    CHECK(error.code() == Errc::not_found);
    CHECK(error.what() == "404 MANIFEST_UNKNOWN: manifest unknown");

    Response invalid{
        .status = 400,
        .body = R"({"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]})"};
    CHECK(http_error(invalid).code() == Errc::digest_mismatch);
    CHECK(http_error(invalid).what() == "400 DIGEST_INVALID: provided digest did not match uploaded content");

    Response refused{.status = 401, .body = "not json"};
    CHECK(http_error(refused).code() == Errc::unauthorized);
    CHECK(http_error(refused).what() == "401");
    Response broken{.status = 502, .body = ""};
    CHECK(http_error(broken).code() == Errc::protocol);
    CHECK(http_error(broken).what() == "502");
}

TEST_CASE("upload profiles follow the registry's host", "[registry]") {
    auto ecr = upload_profile_for("123456789012.dkr.ecr.us-east-1.amazonaws.com");
    CHECK(ecr.name == "ecr");
    CHECK(ecr.chunk_size >= (5u << 20));
    CHECK(ecr.max_chunk <= (10u << 20));
    auto ghcr = upload_profile_for("ghcr.io");
    CHECK(ghcr.name == "ghcr");
    CHECK(ghcr.max_chunk <= (4u << 20));
    CHECK(upload_profile_for("127.0.0.1:5000").name == "default");
    CHECK(upload_profile_named("ecr").value().name == "ecr");
    auto unknown = upload_profile_named("quay");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().what() == "unknown upload profile \"quay\" (default, ecr, ghcr)");
}
