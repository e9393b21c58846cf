// Amazon ECR without the aws CLI: registry credentials from GetAuthorizationToken (SigV4-signed,
// AWS's JSON 1.1 protocol) with the caller's AWS keys, repositories created on request with
// CreateRepository, and a plain message when a push meets a repository that does not exist.
// A credHelpers entry (docker-credential-ecr-login) in an auth file still comes first: this is
// the fallback of CredentialSources.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "registry/credentials.hpp"
#include "registry/http.hpp"
#include "registry/sigv4.hpp"

namespace hoist::registry {

// One ECR registry: "<account>.dkr.ecr.<region>.amazonaws.com".
struct EcrRegistry {
    std::string account;
    std::string region;
};

// The account and region of an ECR registry host (with or without a port); nullopt for any other.
std::optional<EcrRegistry> parse_ecr_host(std::string_view host);

// AWS keys where the SDKs look: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with
// AWS_SESSION_TOKEN when set), else profile $AWS_PROFILE ("default") of the shared credentials
// file ($AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials). Errc::unauthorized saying where
// it looked when there are none; Errc::invalid_argument for a malformed file. No secret is ever
// part of a message.
Result<sigv4::AwsCredentials> find_aws_credentials(const Environment& env);

struct EcrOptions {
    Environment environment;  // AWS_* and HOME
    // The API's base URL; empty: $AWS_ENDPOINT_URL_ECR, else $AWS_ENDPOINT_URL, else
    // https://api.ecr.REGION.amazonaws.com. Tests point it at tools/fake-ecr.
    std::string endpoint;
    bool create_repositories = false;  // --ecr-create-repos
    // Registries that stand in for ECR ones, by domain: "127.0.0.1:5000" ->
    // "123456789012.dkr.ecr.us-east-1.amazonaws.com". Tests set them with $HOIST_ECR_STAND_INS
    // ("HOST=ECRHOST[,HOST=ECRHOST...]"), since a loopback registry has no account or region.
    std::map<std::string, std::string, std::less<>> stand_ins;
    TransportOptions transport;

    // environment, stand_ins from $HOIST_ECR_STAND_INS. Errc::invalid_argument for an entry
    // that is not HOST=ECRHOST with an ECR host.
    static Result<EcrOptions> from_environment(const Environment& env);
};

// ECR's API for the registries of one process. Thread-safe.
class Ecr {
public:
    explicit Ecr(EcrOptions options);
    ~Ecr();
    Ecr(const Ecr&) = delete;
    Ecr& operator=(const Ecr&) = delete;

    // The ECR registry `domain` is, or stands in for; nullopt when it is no ECR registry.
    std::optional<EcrRegistry> identify(std::string_view domain) const;
    bool creates_repositories() const { return m_options.create_repositories; }

    // The registry credential ("AWS" and a password) from GetAuthorizationToken, kept until
    // shortly before it expires. Errc::unauthorized when AWS refuses the keys (with AWS's message).
    Result<Credential> credential(const EcrRegistry& registry);
    // CreateRepository `name` (a repository that exists already is fine).
    Result<void> create_repository(const EcrRegistry& registry, std::string_view name);

    // The base URL of the API for `region`.
    std::string endpoint(std::string_view region) const;

private:
    // A SigV4-signed POST of `body` for `action` (AmazonEC2ContainerRegistry_V20150921.<action>).
    Result<Response> call(const EcrRegistry& registry, std::string_view action, const std::string& body);

    struct Token {
        Credential credential;
        std::chrono::system_clock::time_point refresh;  // when to ask again
    };

    EcrOptions m_options;
    std::mutex m_mutex;
    std::unique_ptr<Transport> m_transport;  // made on first use
    std::optional<sigv4::AwsCredentials> m_aws;
    std::map<std::string, Token> m_tokens;  // by account and region
};

// The plain error for a write refused because the repository does not exist (a 404 with
// NAME_UNKNOWN, or ECR's RepositoryNotFoundException); nullopt for any other response.
std::optional<Error> missing_repository_error(const Response& response, std::string_view domain,
                                              std::string_view repository);

}  // namespace hoist::registry
