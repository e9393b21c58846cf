// Registry credentials, found where docker, podman and skopeo keep them, and stored by
// `hoist login`. Secrets are never part of an error message.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/error.hpp"

namespace hoist::registry {

// The process environment as a value, so that lookups can be tested without touching the real one.
using Environment = std::map<std::string, std::string, std::less<>>;
Environment current_environment();
// The value of `name`, or nullopt when it is unset or empty.
std::optional<std::string_view> env_value(const Environment& env, std::string_view name);
// $HOME, else the password database's home of this user (as docker does), else empty.
std::filesystem::path home_directory(const Environment& env);

struct Credential {
    std::string username;
    std::string password;
    // Docker's "identitytoken" (an OAuth2 refresh token), given to the token server instead of a
    // password; docker-credential helpers return it with the username "<token>".
    std::string identity_token;
};

// Parses --creds USER[:PASSWORD] (split at the first ':'; without one the password is empty).
// Errc::invalid_argument for an empty user; the text is never part of the message.
Result<Credential> parse_creds(std::string_view text);

// Where credentials are looked up, in DESIGN.md's order: an explicit credential (--creds), then
// the auth files: --authfile alone when given; else $REGISTRY_AUTH_FILE,
// $DOCKER_CONFIG/config.json, $HOME/.docker/config.json, $XDG_RUNTIME_DIR/containers/auth.json.
// Files that do not exist are skipped at lookup time.
struct CredentialSources {
    std::optional<Credential> explicit_credential;
    std::vector<std::filesystem::path> files;
    // PATH, for docker-credential-* helpers.
    std::string path = "/usr/local/bin:/usr/bin:/bin";
    // A helper that has not answered after this long is killed, and the lookup fails.
    std::chrono::milliseconds helper_timeout{30'000};
    // Asked last, when no file has a credential for the registry: the registry's own API (ECR's
    // GetAuthorizationToken, ecr.hpp). Thread-safe; empty for none.
    std::function<Result<std::optional<Credential>>(std::string_view registry)> fallback;

    // files and path from `env` (PATH when set); no explicit credential.
    static CredentialSources from_environment(const Environment& env,
                                              const std::optional<std::filesystem::path>& authfile = std::nullopt);
};

// The key that identifies a registry in auth files: "docker.io" for Docker Hub (and for
// index.docker.io, registry-1.docker.io, "https://index.docker.io/v1/"), otherwise host[:port]
// with any scheme and path removed, in lower case.
std::string registry_key(std::string_view server);

// The server URL docker uses for `registry`, given to helpers and written as the `auths` key:
// "https://index.docker.io/v1/" for Docker Hub, registry_key(registry) for any other.
std::string server_url(std::string_view registry);

// The credential for `registry` (host[:port], "docker.io" for Docker Hub), or nullopt for
// anonymous access: the explicit credential when there is one, else the first found in the
// files in order. In each file, the first of: credHelpers[registry] (a docker-credential-NAME
// executable on `path`, spoken to with the docker-credential protocol), an `auths` entry
// (`auth` base64 "user:password", and/or `identitytoken`), credsStore; after the files, the
// fallback. A helper that answers "credentials not found" means none there; a helper that
// fails otherwise (or is missing, or hangs), or a malformed file, is an error naming the
// helper or the file (never the secret).
// Keys of `auths` and `credHelpers` match with or without a scheme and a /v1/ or /v2/ path
// ("https://quay.io/v1/" is quay.io); a key naming a repository ("quay.io/org", as podman
// writes them for one namespace) is not used. An `auths` entry without a secret (docker leaves
// `{}` there when the secret is in credsStore) is skipped.
Result<std::optional<Credential>> find_credential(const CredentialSources& sources, std::string_view registry);

// The file `hoist login` writes: --authfile, else $REGISTRY_AUTH_FILE, else
// $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json.
std::filesystem::path login_file(const Environment& env, const std::optional<std::filesystem::path>& authfile);

// Stores the credential for `registry` in `file`: through credHelpers[registry] or credsStore
// when the file names one, else as an `auths` entry under the server URL. The rest of the file
// is kept; the file (a symbolic link's target) is written atomically with mode 0600, its
// directory created 0700 if missing. With credsStore, the registry's `auths` entries are
// replaced by an empty one, as docker does, so that no stale secret shadows the stored one.
// Errc::invalid_argument for a credential with neither username nor identity token.
Result<void> store_credential(const std::filesystem::path& file, std::string_view registry,
                              const Credential& credential, const std::string& path);

// Removes the credential for `registry` from `file`: every matching `auths` entry, and the
// helper's copy (credHelpers[registry], else credsStore). Errc::not_found when there was none
// ("no credentials for HOST in FILE").
Result<void> erase_credential(const std::filesystem::path& file, std::string_view registry, const std::string& path);

}  // namespace hoist::registry
