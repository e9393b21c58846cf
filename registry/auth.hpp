// Authentication with one registry: Basic, or Bearer tokens from the registry's token server
// (Docker's token spec), one token per scope set, cached until it expires and fetched again when
// the registry answers 401 in the middle of an operation.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "registry/challenge.hpp"
#include "registry/credentials.hpp"
#include "registry/http.hpp"

namespace hoist::registry {

// "repository:NAME:pull" or "repository:NAME:pull,push": what a request needs.
std::string pull_scope(std::string_view repository);
std::string push_scope(std::string_view repository);

class Authenticator {
public:
    // `base_url` is the registry's "scheme://host[:port]"; `key` its name for credential lookup.
    Authenticator(Transport& transport, std::string base_url, std::string key, CredentialSources sources);

    // Adds an Authorization header for `scopes` to `request` when one is known without asking
    // anyone: Basic once the registry asked for it, or a cached, unexpired token.
    Result<void> authorize(Request& request, const std::vector<std::string>& scopes);

    // Takes note of the challenge of a 401 to a ping of /v2/, so that later requests carry
    // credentials from the start instead of collecting a 401 each.
    void remember(const Response& response);

    // The registry moved from https to plain http (an insecure registry): realms may follow.
    void set_base_url(std::string base_url);

    // After a 401: reads the challenge, forgets the token that was refused and gets a new one
    // (asking the token server) so that authorize() can try again. Errc::unauthorized when the
    // response has no challenge hoist can answer, or the token server refuses.
    Result<void> challenged(const Response& response, const std::vector<std::string>& scopes);

    // The credential in use (looked up once), or nullopt for anonymous access.
    Result<std::optional<Credential>> credential();

private:
    struct Token {
        std::string value;
        std::chrono::steady_clock::time_point expiry;
    };
    static Result<Challenge> usable_challenge(const Response& response);
    // What a refusal says about the credentials, for its message.
    std::string whose(bool had_credential) const;
    Result<Token> fetch_token(const Challenge& challenge, const std::vector<std::string>& scopes);
    static std::string scope_key(const std::vector<std::string>& scopes);

    Transport& m_transport;
    std::string m_base_url;
    std::string m_key;
    CredentialSources m_sources;

    std::mutex m_mutex;
    std::optional<std::optional<Credential>> m_credential;
    std::optional<Challenge> m_challenge;   // the registry's last, once it has sent one
    std::map<std::string, Token> m_tokens;  // by scope_key
};

}  // namespace hoist::registry
