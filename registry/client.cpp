#include "registry/client.hpp"

#include <fmt/core.h>

#include <charconv>
#include <condition_variable>
#include <deque>
#include <nlohmann/json.hpp>
#include <thread>

#include "oci/index.hpp"
#include "oci/media_type.hpp"
#include "registry/upload.hpp"

namespace hoist::registry {
namespace {

using oci::Descriptor;

// localhost, 127.0.0.0/8 or [::1], with or without a port: where docker speaks plain HTTP.
bool is_loopback(std::string_view domain) {
    if (domain.starts_with("[")) {
        return domain.starts_with("[::1]");
    }
    auto host = domain.substr(0, domain.find(':'));
    return host == "localhost" || host.starts_with("127.");
}

// The host that serves a reference's domain: Docker Hub's registry is not at docker.io.
std::string registry_host(std::string_view domain) {
    return domain == "docker.io" ? "registry-1.docker.io" : std::string(domain);
}

bool is_manifest_type(std::string_view type) {
    return oci::media_type::is_manifest(type) || oci::media_type::is_index(type);
}

std::string media_type_of(const Response& response) {
    auto type = std::string(response.header("content-type").value_or(""));
    return type.substr(0, type.find(';'));
}

// Tries at a small body (a manifest, a config) whose content was damaged on the way.
constexpr int k_content_attempts = 3;

// A digest header or a reference that should name these bytes.
Result<void> check_digest(const std::string& bytes, const oci::Digest& expected, std::string_view what) {
    auto actual = oci::Digest::of(bytes, expected.algorithm());
    if (actual != expected) {
        return fail(Errc::digest_mismatch,
                    fmt::format("{}: content has digest {}, not {}", what, actual.to_string(), expected.to_string()));
    }
    return {};
}

// A download handed from the thread that runs it to the reader that consumes it, with at most
// k_window bytes between them.
class BlobStream final : public oci::Reader {
public:
    // `size`: how long the blob is, when known: a response that ends short of it (a wrong
    // Content-Length) is resumed like a dropped one.
    BlobStream(Repository& repository, std::string url, std::optional<std::uint64_t> size)
        : m_repository(repository), m_url(std::move(url)), m_size(size) {
        m_thread = std::jthread([this] { run(); });
    }
    ~BlobStream() override {
        {
            std::lock_guard lock(m_mutex);
            m_cancelled = true;
        }
        m_changed.notify_all();
    }

    Result<std::size_t> read(std::span<char> buffer) override {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&] { return !m_chunks.empty() || m_done; });
        if (m_chunks.empty()) {
            if (m_error) {
                return std::unexpected(*m_error);
            }
            return 0;
        }
        auto& front = m_chunks.front();
        auto n = std::min(buffer.size(), front.size() - m_front_offset);
        std::copy_n(front.data() + m_front_offset, n, buffer.data());
        m_front_offset += n;
        m_queued -= n;
        if (m_front_offset == front.size()) {
            m_chunks.pop_front();
            m_front_offset = 0;
        }
        m_changed.notify_all();
        return n;
    }

private:
    static constexpr std::size_t k_window = 8u << 20;
    static constexpr int k_attempts = 5;

    class Sink final : public oci::Writer {
    public:
        explicit Sink(BlobStream& stream) : m_stream(stream) {}
        Result<void> write(std::string_view bytes) override { return m_stream.push(bytes); }

    private:
        BlobStream& m_stream;
    };

    Result<void> push(std::string_view bytes) {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&] { return m_queued < k_window || m_cancelled; });
        if (m_cancelled) {
            return fail(Errc::io, "download cancelled");
        }
        m_chunks.emplace_back(bytes);
        m_queued += bytes.size();
        m_offset += bytes.size();
        m_changed.notify_all();
        return {};
    }

    void run() {
        auto outcome = [&]() -> Result<void> {
            for (int attempt = 1;; ++attempt) {
                Sink sink(*this);
                Request request{.url = m_url, .download = &sink};
                std::uint64_t start;
                {
                    std::lock_guard lock(m_mutex);
                    start = m_offset;
                }
                if (start > 0) {
                    request.headers.push_back(fmt::format("Range: bytes={}-", start));
                    request.range_start = start;
                }
                auto response = m_repository.send(std::move(request), false);
                if (response && (response->status == 200 || response->status == 206)) {
                    std::lock_guard lock(m_mutex);
                    if (!m_size || m_offset >= *m_size) {
                        return {};
                    }
                    response = fail(Errc::network, fmt::format("GET {}: the body ended after {} of {} bytes",
                                                               redact_url(m_url), m_offset, *m_size));
                } else if (response) {
                    return std::unexpected(http_error(*response));
                }
                if (response.error().code() != Errc::network || attempt == k_attempts) {
                    return std::unexpected(std::move(response).error());
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(250 << attempt));
            }
        }();
        std::lock_guard lock(m_mutex);
        if (!outcome) {
            m_error = std::move(outcome).error();
        }
        m_done = true;
        m_changed.notify_all();
    }

    Repository& m_repository;
    std::string m_url;
    std::optional<std::uint64_t> m_size;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<std::string> m_chunks;
    std::size_t m_front_offset = 0;
    std::size_t m_queued = 0;
    std::uint64_t m_offset = 0;
    bool m_done = false;
    bool m_cancelled = false;
    std::optional<Error> m_error;
    std::jthread m_thread;  // last: joined before the members it uses go
};

// ECR's registry credential after whatever the auth files hold, for an ECR registry.
CredentialSources with_ecr(CredentialSources sources, const std::shared_ptr<Ecr>& ecr,
                           const std::optional<EcrRegistry>& registry) {
    if (ecr && registry) {
        sources.fallback = [ecr, registry = *registry](std::string_view) -> Result<std::optional<Credential>> {
            return HOIST_TRY(ecr->credential(registry));
        };
    }
    return sources;
}

}  // namespace

UploadProfile upload_profile_for(std::string_view host) {
    auto name = host.substr(0, host.find(':'));
    if (name.find(".dkr.ecr.") != std::string_view::npos && name.ends_with(".amazonaws.com")) {
        return *upload_profile_named("ecr");
    }
    if (name == "ghcr.io") {
        return *upload_profile_named("ghcr");
    }
    return {};
}

Result<UploadProfile> upload_profile_named(std::string_view name) {
    if (name == "default") {
        return UploadProfile{};
    }
    if (name == "ecr") {
        return UploadProfile{.name = "ecr", .chunk_size = 8u << 20, .max_chunk = 10u << 20};
    }
    if (name == "ghcr") {
        return UploadProfile{.name = "ghcr", .chunk_size = 4u << 20, .max_chunk = 4u << 20};
    }
    return fail(Errc::invalid_argument, fmt::format("unknown upload profile \"{}\" (default, ecr, ghcr)", name));
}

std::string manifest_accept_header() {
    return fmt::format("Accept: {}, {}, {}, {}", oci::media_type::oci_manifest, oci::media_type::oci_index,
                       oci::media_type::docker_manifest, oci::media_type::docker_manifest_list);
}

Error http_error(const Response& response) {
    auto code = response.status == 401 || response.status == 403 ? Errc::unauthorized
                : response.status == 404                         ? Errc::not_found
                                                                 : Errc::protocol;
    std::string text = std::to_string(response.status);
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_object() && body.contains("errors") && body["errors"].is_array() && !body["errors"].empty()) {
        const auto& first = body["errors"][0];
        if (first.contains("code") && first["code"].is_string()) {
            text += " " + first["code"].get<std::string>();
            if (first["code"] == "DIGEST_INVALID") {
                code = Errc::digest_mismatch;  // content refused for not matching its digest
            }
        }
        if (first.contains("message") && first["message"].is_string()) {
            text += ": " + first["message"].get<std::string>();
        }
    } else if (response.status == 404) {
        text += " not found";
    }
    return Error(code, text);
}

Registry::Registry(Transport& transport, std::string domain, RegistryOptions options)
    : m_transport(transport),
      m_domain(std::move(domain)),
      m_tls_verify(options.tls_verify),
      m_base_url((is_loopback(m_domain) ? "http://" : "https://") + registry_host(m_domain)),
      m_ecr(std::move(options.ecr)),
      m_ecr_registry(m_ecr ? m_ecr->identify(m_domain) : std::nullopt),
      m_profile(options.profile.value_or(m_ecr_registry ? *upload_profile_named("ecr") : upload_profile_for(m_domain))),
      m_auth(transport, m_base_url, m_domain, with_ecr(std::move(options.credentials), m_ecr, m_ecr_registry)) {}

Result<void> Registry::ping() {
    std::lock_guard lock(m_ping_mutex);
    if (m_pinged) {
        return {};
    }
    auto response = m_transport.perform(Request{.url = m_base_url + "/v2/"});
    if (!response && !m_tls_verify && m_base_url.starts_with("https://")) {
        auto plain = "http://" + registry_host(m_domain);
        if (auto second = m_transport.perform(Request{.url = plain + "/v2/"})) {
            m_base_url = plain;
            m_auth.set_base_url(plain);
            response = std::move(second);
        }
    }
    if (!response) {
        return std::unexpected(std::move(response).error().wrap("registry " + m_domain));
    }
    if (response->status == 401) {
        m_auth.remember(*response);
    }
    m_pinged = true;
    return {};
}

Result<Response> Registry::send(Request request, const std::vector<std::string>& scopes) {
    HOIST_TRY(ping());
    if (!request.url.starts_with("http://") && !request.url.starts_with("https://")) {
        request.url = m_base_url + request.url;
    }
    auto first = request;
    HOIST_TRY(m_auth.authorize(first, scopes));
    auto response = HOIST_TRY(m_transport.perform(first));
    if (response.status == 401) {
        HOIST_TRY(m_auth.challenged(response, scopes));
        if (request.upload != nullptr) {
            return response;  // its body is spent: the caller resumes it, now with a fresh token
        }
        HOIST_TRY(m_auth.authorize(request, scopes));
        response = HOIST_TRY(m_transport.perform(request));
    }
    if (auto remaining = response.header("ratelimit-remaining")) {
        std::lock_guard lock(m_state_mutex);
        m_rate_limit = RateLimit{.limit = std::string(response.header("ratelimit-limit").value_or("")),
                                 .remaining = std::string(*remaining)};
    }
    return response;
}

std::optional<Registry::RateLimit> Registry::rate_limit() const {
    std::lock_guard lock(m_state_mutex);
    return m_rate_limit;
}

Result<void> Registry::prepare_write(const std::string& repository) {
    if (!m_ecr_registry || !m_ecr->creates_repositories()) {
        return {};
    }
    // Held while the repository is created, so that no other write goes ahead of it.
    std::lock_guard lock(m_prepare_mutex);
    if (!m_prepared.contains(repository)) {
        HOIST_TRY(m_ecr->create_repository(*m_ecr_registry, repository));
        m_prepared.insert(repository);
    }
    return {};
}

std::optional<Error> Registry::write_error(const Response& response, std::string_view repository) const {
    if (!m_ecr_registry) {
        return std::nullopt;
    }
    return missing_repository_error(response, m_domain, repository);
}

Result<void> Registry::check_login() {
    auto response = HOIST_TRY(send(Request{.url = "/v2/"}, {}));
    if (response.status == 200) {
        return {};
    }
    return std::unexpected(http_error(response));
}

Repository::Repository(std::shared_ptr<Registry> registry, std::string path)
    : m_registry(std::move(registry)), m_path(std::move(path)) {}

std::string Repository::url(std::string_view rest) const {
    return fmt::format("/v2/{}/{}", m_path, rest);
}

Result<Response> Repository::send(Request request, bool push) {
    if (!push) {
        return m_registry->send(std::move(request), {pull_scope(m_path)});
    }
    HOIST_TRY(m_registry->prepare_write(m_path));
    auto response = HOIST_TRY(m_registry->send(std::move(request), {push_scope(m_path)}));
    if (auto error = m_registry->write_error(response, m_path)) {
        return std::unexpected(std::move(*error));
    }
    return response;
}

Result<Descriptor> Repository::resolve(const std::optional<std::string>& name) {
    auto reference = name.value_or("latest");
    Request request{.method = "HEAD", .url = url("manifests/" + reference), .headers = {manifest_accept_header()}};
    auto response = HOIST_TRY(send(std::move(request), false));
    if (response.status != 200) {
        return std::unexpected(http_error(response).wrap("manifest " + reference));
    }
    auto digest_header = response.header("docker-content-digest");
    auto length = response.header("content-length");
    auto type = media_type_of(response);
    if (!digest_header || !length || !is_manifest_type(type)) {
        // Not enough in the headers (some registries): the manifest itself says.
        return HOIST_TRY(get_manifest(reference)).first;
    }
    auto digest = HOIST_TRY(oci::Digest::parse(*digest_header));
    if (reference.find(':') != std::string::npos && digest.to_string() != reference) {
        return fail(Errc::digest_mismatch,
                    fmt::format("manifest {}: the registry answered with digest {}", reference, digest.to_string()));
    }
    std::int64_t size = 0;
    std::from_chars(length->data(), length->data() + length->size(), size);
    return Descriptor{.media_type = type, .digest = std::move(digest), .size = size};
}

Result<std::pair<Descriptor, std::string>> Repository::get_manifest(const std::string& reference) {
    Request request{.url = url("manifests/" + reference), .headers = {manifest_accept_header()}};
    auto what = "manifest " + reference;
    Response response;
    std::optional<oci::Digest> digest;
    // A body that is not what the digest says was damaged on the way: asked for again.
    for (int attempt = 1;; ++attempt) {
        response = HOIST_TRY(send(request, false));
        if (response.status != 200) {
            return std::unexpected(http_error(response).wrap(what));
        }
        if (reference.find(':') != std::string::npos) {
            digest = HOIST_TRY(in_context(oci::Digest::parse(reference), what));
        } else if (auto header = response.header("docker-content-digest")) {
            digest = HOIST_TRY(in_context(oci::Digest::parse(*header), what));
        } else {
            digest = oci::Digest::of(response.body);
            break;
        }
        auto checked = check_digest(response.body, *digest, what);
        if (checked) {
            break;
        }
        if (attempt == k_content_attempts) {
            return std::unexpected(std::move(checked).error());
        }
    }
    auto type = media_type_of(response);
    if (!is_manifest_type(type)) {
        auto body = nlohmann::json::parse(response.body, nullptr, false);
        if (body.is_object() && body.contains("mediaType") && body["mediaType"].is_string()) {
            type = body["mediaType"].get<std::string>();
        }
    }
    if (!is_manifest_type(type)) {
        return fail(Errc::unsupported, fmt::format("{}: unsupported media type \"{}\"", what, type));
    }
    Descriptor descriptor{
        .media_type = type, .digest = *digest, .size = static_cast<std::int64_t>(response.body.size())};
    return std::pair(std::move(descriptor), std::move(response.body));
}

Result<std::string> Repository::read_blob(const Descriptor& blob, std::uint64_t limit) {
    auto what = "blob " + blob.digest.to_string();
    if (static_cast<std::uint64_t>(blob.size) > limit) {
        return fail(Errc::invalid_argument,
                    fmt::format("{}: {} bytes is over the limit of {}", what, blob.size, limit));
    }
    bool manifest = is_manifest_type(blob.media_type);
    Request request{.url = url((manifest ? "manifests/" : "blobs/") + blob.digest.to_string()), .body_limit = limit};
    if (manifest) {
        request.headers.push_back(manifest_accept_header());
    }
    // Content that is not the blob was damaged on the way (a body cut short, a wrong length):
    // asked for again, a few times.
    for (int attempt = 1;; ++attempt) {
        auto response = HOIST_TRY(send(request, false));
        if (response.status != 200) {
            return std::unexpected(http_error(response).wrap(what));
        }
        auto checked = [&]() -> Result<void> {
            if (static_cast<std::int64_t>(response.body.size()) != blob.size) {
                return std::unexpected(oci::mismatch_error(
                    blob, oci::Digest::of(response.body, blob.digest.algorithm()),
                    static_cast<std::int64_t>(response.body.size())));
            }
            return check_digest(response.body, blob.digest, what);
        }();
        if (checked) {
            return std::move(response.body);
        }
        if (attempt == k_content_attempts) {
            return std::unexpected(std::move(checked).error());
        }
    }
}

Result<std::unique_ptr<oci::Reader>> Repository::open_blob(const Descriptor& blob) {
    if (is_manifest_type(blob.media_type)) {
        auto bytes = HOIST_TRY(read_blob(blob));
        struct StringReader final : oci::Reader {
            explicit StringReader(std::string text) : bytes(std::move(text)) {}
            Result<std::size_t> read(std::span<char> buffer) override {
                auto n = std::min(buffer.size(), bytes.size() - offset);
                std::copy_n(bytes.data() + offset, n, buffer.data());
                offset += n;
                return n;
            }
            std::string bytes;
            std::size_t offset = 0;
        };
        return std::make_unique<StringReader>(std::move(bytes));
    }
    auto stream = std::make_unique<BlobStream>(*this, url("blobs/" + blob.digest.to_string()),
                                               static_cast<std::uint64_t>(blob.size));
    return std::make_unique<oci::VerifyingReader>(std::move(stream), blob);
}

Result<std::unique_ptr<oci::Reader>> Repository::open_blob_unchecked(const Descriptor& blob) {
    if (is_manifest_type(blob.media_type)) {
        return open_blob(blob);
    }
    return std::make_unique<BlobStream>(*this, url("blobs/" + blob.digest.to_string()),
                                        static_cast<std::uint64_t>(blob.size));
}

Result<bool> Repository::has_blob(const Descriptor& blob) {
    bool manifest = is_manifest_type(blob.media_type);
    Request request{.method = "HEAD", .url = url((manifest ? "manifests/" : "blobs/") + blob.digest.to_string())};
    if (manifest) {
        request.headers.push_back(manifest_accept_header());
    }
    auto response = HOIST_TRY(send(std::move(request), true));
    if (response.status == 200) {
        return true;
    }
    if (response.status == 404) {
        return false;
    }
    return std::unexpected(http_error(response).wrap("blob " + blob.digest.to_string()));
}

Result<bool> Repository::mount_blob(const Descriptor& blob, oci::ImageSource& from) {
    auto* other = dynamic_cast<Repository*>(&from);
    if (other == nullptr || other->m_registry->domain() != m_registry->domain() || other->m_path == m_path) {
        return false;
    }
    Request request{.method = "POST",
                    .url = url(fmt::format("blobs/uploads/?mount={}&from={}", blob.digest.to_string(), other->m_path))};
    auto response = m_registry->send(std::move(request), {push_scope(m_path), pull_scope(other->m_path)});
    if (response && response->status == 201) {
        return true;
    }
    if (response && response->status == 202) {
        // The registry started an ordinary upload instead: give it back, the caller uploads.
        if (auto location = response->header("location")) {
            if (auto session = resolve_url(m_registry->base_url() + "/", *location)) {
                (void)send(Request{.method = "DELETE", .url = *session, .retry = false}, true);
            }
        }
    }
    return false;  // any refusal: an upload still works
}

Result<void> Repository::put_blob(const Descriptor& blob, const oci::BlobOpener& open) {
    return in_context(upload_blob(*this, blob, open), "blob " + blob.digest.to_string());
}

Result<void> Repository::put_manifest(const Descriptor& manifest, std::string_view bytes) {
    auto what = "manifest " + manifest.digest.to_string();
    HOIST_TRY(check_digest(std::string(bytes), manifest.digest, what));
    Request request{.method = "PUT",
                    .url = url("manifests/" + manifest.digest.to_string()),
                    .headers = {"Content-Type: " + manifest.media_type},
                    .body = bytes};
    auto response = HOIST_TRY(send(std::move(request), true));
    if (response.status != 201 && response.status != 200) {
        return std::unexpected(http_error(response).wrap(what));
    }
    std::lock_guard lock(m_mutex);
    m_manifests[manifest.digest.to_string()] = std::string(bytes);
    return {};
}

Result<void> Repository::tag(const Descriptor& manifest, const std::string& name) {
    std::optional<std::string> bytes;
    {
        std::lock_guard lock(m_mutex);
        if (auto it = m_manifests.find(manifest.digest.to_string()); it != m_manifests.end()) {
            bytes = it->second;
        }
    }
    if (!bytes) {
        bytes = HOIST_TRY(read_blob(manifest));
    }
    Request request{.method = "PUT",
                    .url = url("manifests/" + name),
                    .headers = {"Content-Type: " + manifest.media_type},
                    .body = *bytes};
    auto response = HOIST_TRY(send(std::move(request), true));
    if (response.status != 201 && response.status != 200) {
        return std::unexpected(http_error(response).wrap("tag " + name));
    }
    return {};
}

Result<std::vector<std::string>> Repository::list_tags() {
    std::vector<std::string> tags;
    std::string next = url("tags/list?n=1000");
    std::string origin;
    for (int page = 0; page < 100'000; ++page) {
        auto response = HOIST_TRY(send(Request{.url = next}, false));
        if (response.status != 200) {
            return std::unexpected(http_error(response).wrap("tags"));
        }
        if (origin.empty()) {
            origin = HOIST_TRY(url_origin(response.url));
        }
        auto body = nlohmann::json::parse(response.body, nullptr, false);
        if (!body.is_object()) {
            return fail(Errc::protocol, "tags: the registry's answer is not a JSON object");
        }
        if (body.contains("tags") && body["tags"].is_array()) {
            for (const auto& tag : body["tags"]) {
                if (tag.is_string()) {
                    tags.push_back(tag.get<std::string>());
                }
            }
        }
        // Link: </v2/app/tags/list?n=1000&last=x>; rel="next"
        auto link = response.header("link");
        if (!link || link->find("rel=\"next\"") == std::string_view::npos) {
            return tags;
        }
        auto open = link->find('<');
        auto close = link->find('>');
        if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
            return fail(Errc::protocol, "tags: malformed Link header");
        }
        next = HOIST_TRY(resolve_url(response.url, link->substr(open + 1, close - open - 1)));
        if (HOIST_TRY(url_origin(next)) != origin) {
            return fail(Errc::unsafe, "tags: refusing a next page on another host: " + redact_url(next));
        }
    }
    return fail(Errc::protocol, "tags: too many pages");
}

Result<Descriptor> Repository::delete_manifest(const std::string& reference) {
    auto descriptor = HOIST_TRY(resolve(reference));
    Request request{.method = "DELETE", .url = url("manifests/" + descriptor.digest.to_string())};
    auto response = HOIST_TRY(send(std::move(request), true));
    if (response.status != 202 && response.status != 200 && response.status != 204) {
        return std::unexpected(http_error(response).wrap("delete " + descriptor.digest.to_string()));
    }
    return descriptor;
}

Result<std::vector<Descriptor>> Repository::referrers(const oci::Digest& subject) {
    auto response = HOIST_TRY(send(Request{.url = url("referrers/" + subject.to_string())}, false));
    std::string bytes;
    if (response.status == 200 && media_type_of(response) == oci::media_type::oci_index) {
        bytes = std::move(response.body);
    } else if (response.status == 404 || response.status == 400 || response.status == 405) {
        // No referrers API: the fallback tag lists them.
        auto fallback = subject.to_string();
        fallback[fallback.find(':')] = '-';
        auto manifest = get_manifest(fallback);
        if (!manifest) {
            if (manifest.error().code() == Errc::not_found) {
                return std::vector<Descriptor>{};
            }
            return std::unexpected(std::move(manifest).error());
        }
        bytes = std::move(manifest->second);
    } else {
        return std::unexpected(http_error(response).wrap("referrers of " + subject.to_string()));
    }
    auto index = HOIST_TRY(in_context(oci::Index::parse(bytes), "referrers of " + subject.to_string()));
    return index.manifests;
}

}  // namespace hoist::registry
