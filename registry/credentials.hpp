// Registry credentials, found where docker, podman and skopeo keep them, and stored by
// `hoist login`. Secrets are never part of an error message.
#pragma once

#include <filesystem>
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

struct Credential {
    std::string username;
    std::string password;
    // Docker's "identitytoken" (an OAuth2 refresh token), given to the token server instead of a
    // password; docker-credential helpers return it with the username "<token>".
    std::string identity_token;
};

// Parses --creds USER[:PASSWORD]. Errc::invalid_argument for an empty user.
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

    static CredentialSources from_environment(const Environment& env,
                                              const std::optional<std::filesystem::path>& authfile = std::nullopt);
};

// The key that identifies a registry in auth files: "docker.io" for Docker Hub (and for
// index.docker.io, registry-1.docker.io, "https://index.docker.io/v1/"), otherwise host[:port]
// with any scheme and path removed.
std::string registry_key(std::string_view server);

// The credential for `registry` (host[:port], "docker.io" for Docker Hub), or nullopt for
// anonymous access. In each file in order: credHelpers[registry] (a docker-credential-NAME
// executable on `path`, spoken to with the docker-credential protocol), else an `auths` entry
// (`auth` base64 "user:password", or `identitytoken`), else credsStore. A helper that answers
// "credentials not found" means none; a helper that fails otherwise, or a malformed file, is an
// error naming the helper or the file (never the secret).
Result<std::optional<Credential>> find_credential(const CredentialSources& sources, std::string_view registry);

// The file `hoist login` writes: --authfile, else $REGISTRY_AUTH_FILE, else
// $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json.
std::filesystem::path login_file(const Environment& env, const std::optional<std::filesystem::path>& authfile);

// Stores the credential for `registry` in `file`: through credHelpers[registry] or credsStore
// when the file names one, else as an `auths` entry. The rest of the file is kept; the file is
// written atomically with mode 0600 (its directory created 0700 if missing).
Result<void> store_credential(const std::filesystem::path& file, std::string_view registry, const Credential& credential,
                              const std::string& path);

// Removes the credential for `registry` from `file` (or its helper). Errc::not_found when there
// was none.
Result<void> erase_credential(const std::filesystem::path& file, std::string_view registry, const std::string& path);

}  // namespace hoist::registry
