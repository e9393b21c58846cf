// A registry spoken to over the OCI distribution protocol, and its repositories as an
// ImageSource and an ImageSink, so that copy_image pushes, pulls and copies between registries
// like between any other transports.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "oci/image_source.hpp"
#include "oci/reference.hpp"
#include "registry/auth.hpp"
#include "registry/credentials.hpp"
#include "registry/ecr.hpp"
#include "registry/http.hpp"

namespace hoist::registry {

// How blobs are cut into requests for one registry. Non-final PATCH bodies are `chunk_size`
// bytes, raised to the registry's OCI-Chunk-Min-Length and capped by `max_chunk`; a blob of
// known size up to `chunk_size` goes up in one PUT. By default a known blob is one streamed PUT
// (tools/bench/push measured it fastest on the loopback registry).
struct UploadProfile {
    std::string name = "default";
    std::uint64_t chunk_size = UINT64_MAX;
    std::uint64_t max_chunk = UINT64_MAX;
};
// The profile for `host`: "ecr" for *.dkr.ecr.*.amazonaws.com (parts of 5 to 10 MiB), "ghcr"
// for ghcr.io (PATCH bodies of at most 4 MiB), "default" otherwise.
UploadProfile upload_profile_for(std::string_view host);
// The profile called `name`; Errc::invalid_argument for an unknown one.
Result<UploadProfile> upload_profile_named(std::string_view name);

struct RegistryOptions {
    CredentialSources credentials;
    // false: certificates are not checked and plain HTTP is allowed (docker's "insecure registry").
    bool tls_verify = true;
    std::optional<UploadProfile> profile;  // default: upload_profile_for(host), "ecr" for ECR stand-ins
    // ECR's API, for the registries it identifies: their credentials after the auth files',
    // repositories created before the first write when asked, plain missing-repository errors.
    std::shared_ptr<Ecr> ecr;
};

// One registry host. Thread-safe; shared by the repositories opened on it.
class Registry {
public:
    // `domain` as in a reference ("docker.io", "127.0.0.1:5000"). Plain HTTP is used for
    // localhost and 127.0.0.0/8 (as docker does) and, with tls_verify off, when TLS fails.
    Registry(Transport& transport, std::string domain, RegistryOptions options);

    const std::string& domain() const { return m_domain; }
    const std::string& base_url() const { return m_base_url; }
    const UploadProfile& profile() const { return m_profile; }
    Authenticator& authenticator() { return m_auth; }

    // Sends `request` (its URL relative to the registry unless absolute) with the credentials for
    // `scopes`; a 401 gets one new token or credential and one more try (for a request with a
    // streamed body, the 401 is returned once the new token is in hand).
    Result<Response> send(Request request, const std::vector<std::string>& scopes);

    // GET /v2/: are the credentials good? Errc::unauthorized with the registry's message if not.
    Result<void> check_login();

    // The rate limit the registry announced in its latest answer that had one (Docker Hub's
    // ratelimit-limit "100;w=21600" and ratelimit-remaining "98;w=21600"), for display.
    struct RateLimit {
        std::string limit;
        std::string remaining;
    };
    std::optional<RateLimit> rate_limit() const;

    // Called before the first write to `repository`: on ECR with create_repositories, creates it.
    Result<void> prepare_write(const std::string& repository);
    // A refused write as a plainer error where there is one (ECR: the repository does not exist).
    std::optional<Error> write_error(const Response& response, std::string_view repository) const;

private:
    // The first contact: GET /v2/, to learn the scheme (an insecure registry may fall back to
    // plain http) and how the registry wants to be authenticated.
    Result<void> ping();

    Transport& m_transport;
    std::string m_domain;
    bool m_tls_verify;
    std::mutex m_ping_mutex;
    bool m_pinged = false;
    std::string m_base_url;  // fixed once pinged
    std::shared_ptr<Ecr> m_ecr;
    std::optional<EcrRegistry> m_ecr_registry;  // when the registry is (or stands in for) ECR
    UploadProfile m_profile;
    Authenticator m_auth;
    std::mutex m_prepare_mutex;
    std::set<std::string> m_prepared;  // repositories prepare_write() has made sure of
    mutable std::mutex m_state_mutex;
    std::optional<RateLimit> m_rate_limit;
};

// An error for an HTTP response that is not what the protocol wants: "404 MANIFEST_UNKNOWN:
// manifest unknown" from the registry's error body where it sent one. 401/403 give
// Errc::unauthorized, 404 Errc::not_found, DIGEST_INVALID Errc::digest_mismatch, anything else
// Errc::protocol.
Error http_error(const Response& response);

// One repository ("library/alpine") on a registry.
class Repository final : public oci::ImageSource, public oci::ImageSink {
public:
    Repository(std::shared_ptr<Registry> registry, std::string path);

    const std::string& path() const { return m_path; }
    Registry& registry() { return *m_registry; }

    // ImageSource. resolve() takes a tag or a digest ("sha256:..."); read_blob() and open_blob()
    // fetch manifests and indexes from /manifests/, everything else from /blobs/, and verify the
    // digest (open_blob at the end of the stream, resuming a dropped download where it stopped).
    Result<oci::Descriptor> resolve(const std::optional<std::string>& name) override;
    Result<std::string> read_blob(const oci::Descriptor& blob, std::uint64_t limit = 16u << 20) override;
    Result<std::unique_ptr<oci::Reader>> open_blob(const oci::Descriptor& blob) override;
    // The download without hashing, for a sink that checks the digest itself (another registry).
    Result<std::unique_ptr<oci::Reader>> open_blob_unchecked(const oci::Descriptor& blob) override;

    // ImageSink. put_blob() uploads through the chunked uploader (upload.hpp); put_manifest()
    // PUTs by digest; tag() PUTs the manifest's bytes again under the tag.
    Result<bool> has_blob(const oci::Descriptor& blob) override;
    // The registry checks every blob's digest on the final PUT (400 DIGEST_INVALID, nothing kept).
    bool checks_digests() const override { return true; }
    Result<bool> mount_blob(const oci::Descriptor& blob, oci::ImageSource& from) override;
    Result<void> put_blob(const oci::Descriptor& blob, const oci::BlobOpener& open) override;
    Result<void> put_manifest(const oci::Descriptor& manifest, std::string_view bytes) override;
    Result<void> tag(const oci::Descriptor& manifest, const std::string& name) override;

    // The manifest `reference` (tag or digest) names, with its bytes, verified.
    Result<std::pair<oci::Descriptor, std::string>> get_manifest(const std::string& reference);
    // Every tag, following the registry's pagination (same origin only, pages of at most 1000).
    Result<std::vector<std::string>> list_tags();
    // DELETE of a manifest by digest (a tag is resolved first, so the digest is what goes).
    Result<oci::Descriptor> delete_manifest(const std::string& reference);
    // The referrers of `subject`: the referrers API when the registry has it, else the fallback
    // tag "<alg>-<hex>".
    Result<std::vector<oci::Descriptor>> referrers(const oci::Digest& subject);

    // Sends a request about this repository with pull (and, for writes, push) scope.
    Result<Response> send(Request request, bool push);
    // "/v2/<path>/" + rest.
    std::string url(std::string_view rest) const;

private:
    std::shared_ptr<Registry> m_registry;
    std::string m_path;
    std::mutex m_mutex;
    std::map<std::string, std::string> m_manifests;  // bytes put, by digest, for tag()
};

// The manifest media types hoist asks for, as an Accept header.
std::string manifest_accept_header();

}  // namespace hoist::registry
