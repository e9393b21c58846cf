#include "registry/auth.hpp"

#include <curl/curl.h>
#include <fmt/core.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "oci/base64.hpp"

namespace hoist::registry {
namespace {

// A realm is a URL the registry controls: only http(s), and plain http only where the registry
// itself is spoken to over plain http (a loopback test registry), never to leak a password.
Result<void> check_realm(std::string_view realm, std::string_view base_url) {
    auto origin = url_origin(realm);
    if (!origin) {
        return fail(Errc::unauthorized, "the registry's token realm is not a URL: " + redact_url(realm));
    }
    if (origin->starts_with("https://") || (origin->starts_with("http://") && base_url.starts_with("http://"))) {
        return {};
    }
    return fail(Errc::unsafe, "refusing the registry's token realm " + redact_url(realm));
}

std::string query_escape(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

std::string basic_header(const Credential& credential) {
    return "Authorization: Basic " + oci::encode_base64(credential.username + ":" + credential.password);
}

// The message of a refusal: the registry's own error text where it sent one, in the
// distribution spec's form ("401 UNAUTHORIZED: authentication required", as http_error
// writes it) or in a token server's OAuth2 form.
std::string refusal(const Response& response) {
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_object() && body.contains("errors") && body["errors"].is_array() && !body["errors"].empty() &&
        body["errors"][0].is_object()) {
        const auto& first = body["errors"][0];
        auto text = fmt::format("{}", response.status);
        if (first.contains("code") && first["code"].is_string()) {
            text += " " + first["code"].get<std::string>();
        }
        if (first.contains("message") && first["message"].is_string()) {
            text += ": " + first["message"].get<std::string>();
        }
        return text;
    }
    if (body.is_object()) {
        for (auto key : {"details", "error_description", "message", "error"}) {
            if (body.contains(key) && body[key].is_string()) {
                return fmt::format("{} {}", response.status, body[key].get<std::string>());
            }
        }
    }
    return fmt::format("{}", response.status);
}

}  // namespace

std::string pull_scope(std::string_view repository) {
    return fmt::format("repository:{}:pull", repository);
}
std::string push_scope(std::string_view repository) {
    return fmt::format("repository:{}:pull,push", repository);
}

Authenticator::Authenticator(Transport& transport, std::string base_url, std::string key, CredentialSources sources)
    : m_transport(transport), m_base_url(std::move(base_url)), m_key(std::move(key)), m_sources(std::move(sources)) {}

std::string Authenticator::scope_key(const std::vector<std::string>& scopes) {
    auto sorted = scopes;
    std::ranges::sort(sorted);
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::string key;
    for (const auto& scope : sorted) {
        key += scope + " ";
    }
    return key;
}

std::string Authenticator::whose(bool had_credential) const {
    return had_credential ? fmt::format(" (the credentials for {} were refused)", m_key)
                          : fmt::format(" (no credentials for {}: hoist login {}, or --creds)", m_key, m_key);
}

Result<std::optional<Credential>> Authenticator::credential() {
    std::lock_guard lock(m_mutex);
    if (!m_credential) {
        m_credential = HOIST_TRY(find_credential(m_sources, m_key));
    }
    return *m_credential;
}

Result<void> Authenticator::authorize(Request& request, const std::vector<std::string>& scopes) {
    std::optional<Challenge> challenge;
    {
        std::lock_guard lock(m_mutex);
        challenge = m_challenge;
        if (challenge && challenge->scheme == "bearer") {
            auto it = m_tokens.find(scope_key(scopes));
            if (it != m_tokens.end() && std::chrono::steady_clock::now() < it->second.expiry) {
                request.headers.push_back("Authorization: Bearer " + it->second.value);
                return {};
            }
        }
    }
    if (!challenge) {
        return {};  // nothing asked for yet: the first request goes out anonymous
    }
    if (challenge->scheme == "basic") {
        if (auto found = HOIST_TRY(credential())) {
            request.headers.push_back(basic_header(*found));
        }
        return {};
    }
    // A known token server but no token for these scopes yet: get one now rather than after a 401.
    auto token = HOIST_TRY(fetch_token(*challenge, scopes));
    request.headers.push_back("Authorization: Bearer " + token.value);
    std::lock_guard lock(m_mutex);
    m_tokens[scope_key(scopes)] = std::move(token);
    return {};
}

void Authenticator::remember(const Response& response) {
    if (auto usable = usable_challenge(response)) {
        std::lock_guard lock(m_mutex);
        m_challenge = std::move(*usable);
    }
}

void Authenticator::set_base_url(std::string base_url) {
    std::lock_guard lock(m_mutex);
    m_base_url = std::move(base_url);
}

Result<Challenge> Authenticator::usable_challenge(const Response& response) {
    auto header = response.header("www-authenticate");
    if (!header) {
        return fail(Errc::unauthorized, refusal(response) + " without a WWW-Authenticate challenge");
    }
    auto challenges = HOIST_TRY(parse_challenges(*header));
    auto usable = std::ranges::find_if(challenges,
                                       [](const Challenge& c) { return c.scheme == "bearer" || c.scheme == "basic"; });
    if (usable == challenges.end()) {
        return fail(Errc::unauthorized,
                    fmt::format("{}: no supported authentication scheme in \"{}\"", refusal(response), *header));
    }
    return *usable;
}

Result<void> Authenticator::challenged(const Response& response, const std::vector<std::string>& scopes) {
    auto usable = HOIST_TRY(usable_challenge(response));
    // Basic credentials already sent (the challenge was known) and refused: trying again is futile.
    bool refused;
    {
        std::lock_guard lock(m_mutex);
        refused = m_challenge && m_challenge->scheme == "basic" && usable.scheme == "basic";
        m_challenge = usable;
        m_tokens.erase(scope_key(scopes));
    }
    if (usable.scheme == "basic") {
        auto found = HOIST_TRY(credential());
        if (!found || refused) {
            return fail(Errc::unauthorized, refusal(response) + whose(found.has_value()));
        }
        return {};
    }
    auto token = HOIST_TRY(fetch_token(usable, scopes));
    std::lock_guard lock(m_mutex);
    m_tokens[scope_key(scopes)] = std::move(token);
    return {};
}

Result<Authenticator::Token> Authenticator::fetch_token(const Challenge& challenge,
                                                        const std::vector<std::string>& scopes) {
    auto realm = challenge.params.find("realm");
    if (realm == challenge.params.end()) {
        return fail(Errc::unauthorized, "the registry's Bearer challenge has no realm");
    }
    std::string base_url;
    {
        std::lock_guard lock(m_mutex);
        base_url = m_base_url;
    }
    HOIST_TRY(check_realm(realm->second, base_url));
    auto service = challenge.params.find("service");
    auto all_scopes = scopes;
    if (auto scope = challenge.params.find("scope"); scope != challenge.params.end()) {
        all_scopes.push_back(scope->second);
    }
    std::ranges::sort(all_scopes);
    all_scopes.erase(std::unique(all_scopes.begin(), all_scopes.end()), all_scopes.end());

    auto found = HOIST_TRY(credential());
    Request request;
    std::string form;
    if (found && !found->identity_token.empty()) {
        // An identity token is an OAuth2 refresh token: exchange it with a POST.
        form = "grant_type=refresh_token&client_id=hoist&refresh_token=" + query_escape(found->identity_token);
        if (service != challenge.params.end()) {
            form += "&service=" + query_escape(service->second);
        }
        form += "&scope=" + query_escape([&] {
                    std::string joined;
                    for (const auto& scope : all_scopes) {
                        joined += (joined.empty() ? "" : " ") + scope;
                    }
                    return joined;
                }());
        request.method = "POST";
        request.url = realm->second;
        request.body = form;
        request.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    } else {
        std::string query;
        if (service != challenge.params.end()) {
            query += "service=" + query_escape(service->second);
        }
        for (const auto& scope : all_scopes) {
            query += (query.empty() ? "" : "&") + ("scope=" + query_escape(scope));
        }
        request.url = realm->second + (realm->second.find('?') == std::string::npos ? "?" : "&") + query;
        if (found) {
            request.headers.push_back(basic_header(*found));
        }
    }
    auto response = HOIST_TRY(m_transport.perform(request));
    if (response.status != 200) {
        return fail(Errc::unauthorized, fmt::format("token server {}: {}{}", redact_url(realm->second),
                                                    refusal(response), whose(found.has_value())));
    }
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    std::string value;
    if (body.is_object()) {
        for (auto key : {"token", "access_token"}) {
            if (body.contains(key) && body[key].is_string() && !body[key].get<std::string>().empty()) {
                value = body[key].get<std::string>();
                break;
            }
        }
    }
    if (value.empty()) {
        return fail(Errc::protocol, "token server " + redact_url(realm->second) + " answered without a token");
    }
    // The spec's default lifetime is 60 s; a second is kept in hand for the trip to the registry.
    long lifetime = 60;
    if (body.contains("expires_in") && body["expires_in"].is_number_integer()) {
        lifetime = std::max(body["expires_in"].get<long>(), 1L);
    }
    auto margin = std::min(lifetime / 10 + 1, 30L);
    return Token{.value = std::move(value),
                 .expiry = std::chrono::steady_clock::now() + std::chrono::seconds(lifetime - margin)};
}

}  // namespace hoist::registry
