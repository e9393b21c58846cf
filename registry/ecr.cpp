#include "registry/ecr.hpp"

#include <fmt/core.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "oci/base64.hpp"

namespace hoist::registry {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_target_prefix = "AmazonEC2ContainerRegistry_V20150921.";

std::string_view trim(std::string_view text) {
    auto start = text.find_first_not_of(" \t\r");
    if (start == std::string_view::npos) {
        return {};
    }
    return text.substr(start, text.find_last_not_of(" \t\r") - start + 1);
}

bool all_digits(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// The profile's keys in an INI file of AWS's shared-credentials form: "[name]" sections with
// "key = value" lines; '#' and ';' start comments.
Result<std::map<std::string, std::string>> read_profile(const fs::path& file, std::string_view profile) {
    std::ifstream in(file);
    if (!in) {
        return fail(Errc::not_found, file.string() + " does not exist");
    }
    std::map<std::string, std::string> keys;
    bool found = false;
    bool inside = false;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        auto text = trim(line);
        if (text.empty() || text.front() == '#' || text.front() == ';') {
            continue;
        }
        if (text.front() == '[') {
            if (text.back() != ']') {
                return fail(Errc::invalid_argument,
                            fmt::format("{}:{}: malformed section header", file.string(), number));
            }
            inside = trim(text.substr(1, text.size() - 2)) == profile;
            found = found || inside;
            continue;
        }
        auto equals = text.find('=');
        if (equals == std::string_view::npos) {
            // Only the line number: the line may be a secret.
            return fail(Errc::invalid_argument, fmt::format("{}:{}: expected key = value", file.string(), number));
        }
        if (inside) {
            keys[std::string(trim(text.substr(0, equals)))] = std::string(trim(text.substr(equals + 1)));
        }
    }
    if (!found) {
        return fail(Errc::not_found, fmt::format("no profile \"{}\" in {}", profile, file.string()));
    }
    return keys;
}

// AWS's error type and message from a JSON 1.1 error body: "RepositoryNotFoundException: ...".
std::string aws_error(const Response& response) {
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    std::string type;
    std::string message;
    if (body.is_object()) {
        if (body.contains("__type") && body["__type"].is_string()) {
            type = body["__type"].get<std::string>();
            type = type.substr(type.find('#') + 1);  // "com.amazonaws...#Name" -> "Name"
        }
        for (auto key : {"message", "Message"}) {
            if (body.contains(key) && body[key].is_string()) {
                message = body[key].get<std::string>();
            }
        }
    }
    auto text = std::to_string(response.status);
    if (!type.empty()) {
        text += " " + type;
    }
    if (!message.empty()) {
        text += ": " + message;
    }
    return text;
}

bool is_aws_error(const Response& response, std::string_view type) {
    return aws_error(response).find(type) != std::string::npos;
}

}  // namespace

std::optional<EcrRegistry> parse_ecr_host(std::string_view host) {
    auto name = host.substr(0, host.find(':'));
    constexpr std::string_view k_infix = ".dkr.ecr.";
    constexpr std::string_view k_suffix = ".amazonaws.com";
    auto infix = name.find(k_infix);
    if (infix == std::string_view::npos || !name.ends_with(k_suffix)) {
        return std::nullopt;
    }
    auto account = name.substr(0, infix);
    auto region_start = infix + k_infix.size();
    if (region_start + k_suffix.size() >= name.size()) {
        return std::nullopt;
    }
    auto region = name.substr(region_start, name.size() - k_suffix.size() - region_start);
    if (!all_digits(account) || region.empty() || region.find('.') != std::string_view::npos) {
        return std::nullopt;
    }
    return EcrRegistry{.account = std::string(account), .region = std::string(region)};
}

Result<sigv4::AwsCredentials> find_aws_credentials(const Environment& env) {
    auto key_id = env_value(env, "AWS_ACCESS_KEY_ID");
    auto secret = env_value(env, "AWS_SECRET_ACCESS_KEY");
    if (key_id && secret) {
        return sigv4::AwsCredentials{.access_key_id = std::string(*key_id),
                                     .secret_access_key = std::string(*secret),
                                     .session_token = std::string(env_value(env, "AWS_SESSION_TOKEN").value_or(""))};
    }
    if (key_id || secret) {
        return fail(Errc::unauthorized, key_id ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                                               : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    }
    auto file = env_value(env, "AWS_SHARED_CREDENTIALS_FILE") ? fs::path(*env_value(env, "AWS_SHARED_CREDENTIALS_FILE"))
                                                              : home_directory(env) / ".aws" / "credentials";
    auto profile = std::string(env_value(env, "AWS_PROFILE").value_or("default"));
    auto keys = read_profile(file, profile);
    if (!keys) {
        if (keys.error().code() != Errc::not_found) {
            return std::unexpected(std::move(keys).error());
        }
        return fail(Errc::unauthorized, fmt::format("no AWS credentials: set AWS_ACCESS_KEY_ID and "
                                                    "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE ({})",
                                                    keys.error().what()));
    }
    auto id = keys->find("aws_access_key_id");
    auto key = keys->find("aws_secret_access_key");
    if (id == keys->end() || key == keys->end() || id->second.empty() || key->second.empty()) {
        return fail(Errc::unauthorized,
                    fmt::format("profile \"{}\" in {} has no aws_access_key_id and aws_secret_access_key", profile,
                                file.string()));
    }
    sigv4::AwsCredentials credentials{
        .access_key_id = id->second, .secret_access_key = key->second, .session_token = {}};
    if (auto token = keys->find("aws_session_token"); token != keys->end()) {
        credentials.session_token = token->second;
    }
    return credentials;
}

Result<EcrOptions> EcrOptions::from_environment(const Environment& env) {
    EcrOptions options;
    options.environment = env;
    auto list = env_value(env, "HOIST_ECR_STAND_INS").value_or("");
    std::size_t start = 0;
    while (start < list.size()) {
        auto end = std::min(list.find(',', start), list.size());
        auto entry = trim(list.substr(start, end - start));
        start = end + 1;
        if (entry.empty()) {
            continue;
        }
        auto equals = entry.find('=');
        if (equals == std::string_view::npos || !parse_ecr_host(entry.substr(equals + 1))) {
            return fail(
                Errc::invalid_argument,
                fmt::format("HOIST_ECR_STAND_INS: \"{}\" is not HOST=ACCOUNT.dkr.ecr.REGION.amazonaws.com", entry));
        }
        options.stand_ins[std::string(entry.substr(0, equals))] = std::string(entry.substr(equals + 1));
    }
    return options;
}

Ecr::Ecr(EcrOptions options)
    : m_options(std::move(options)), m_transport(std::make_unique<Transport>(m_options.transport)) {}

Ecr::~Ecr() = default;

std::optional<EcrRegistry> Ecr::identify(std::string_view domain) const {
    if (auto it = m_options.stand_ins.find(domain); it != m_options.stand_ins.end()) {
        return parse_ecr_host(it->second);
    }
    return parse_ecr_host(domain);
}

std::string Ecr::endpoint(std::string_view region) const {
    std::string url = m_options.endpoint;
    for (auto name : {"AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL"}) {
        if (url.empty()) {
            url = std::string(env_value(m_options.environment, name).value_or(""));
        }
    }
    if (url.empty()) {
        url = fmt::format("https://api.ecr.{}.amazonaws.com", region);
    }
    while (url.ends_with("/")) {
        url.pop_back();
    }
    return url;
}

Result<Response> Ecr::call(const EcrRegistry& registry, std::string_view action, const std::string& body) {
    if (!m_aws) {
        m_aws = HOIST_TRY(find_aws_credentials(m_options.environment));
    }
    auto base = endpoint(registry.region);
    auto authority_start = base.find("://");
    if (authority_start == std::string::npos) {
        return fail(Errc::invalid_argument, "AWS endpoint " + redact_url(base) + " is not a URL");
    }
    auto authority = base.substr(authority_start + 3);
    authority = authority.substr(authority.rfind('@') + 1);  // no user information in Host
    auto date = sigv4::amz_date(std::chrono::system_clock::now());
    sigv4::Message message{.method = "POST", .path = "/", .query = {}, .headers = {}, .payload = body};
    message.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                       {"Host", authority},
                       {"X-Amz-Date", date},
                       {"X-Amz-Target", std::string(k_target_prefix) + std::string(action)}};
    if (!m_aws->session_token.empty()) {
        message.headers.emplace_back("X-Amz-Security-Token", m_aws->session_token);
    }
    sigv4::Scope scope{.date_time = date, .region = registry.region, .service = "ecr"};
    Request request{.method = "POST", .url = base + "/", .body = body};
    for (const auto& [name, value] : message.headers) {
        request.headers.push_back(name + ": " + value);
    }
    request.headers.push_back("Authorization: " + sigv4::authorization(message, scope, *m_aws));
    return m_transport->perform(request);
}

Result<Credential> Ecr::credential(const EcrRegistry& registry) {
    auto key = registry.account + " " + registry.region;
    std::lock_guard lock(m_mutex);
    auto now = std::chrono::system_clock::now();
    if (auto it = m_tokens.find(key); it != m_tokens.end() && now < it->second.refresh) {
        return it->second.credential;
    }
    auto what = fmt::format("ECR GetAuthorizationToken at {}", redact_url(endpoint(registry.region)));
    nlohmann::json body = {{"registryIds", {registry.account}}};
    auto response = HOIST_TRY(in_context(call(registry, "GetAuthorizationToken", body.dump()), what));
    if (response.status != 200) {
        return fail(response.status < 500 ? Errc::unauthorized : Errc::protocol,
                    fmt::format("{}: {}", what, aws_error(response)));
    }
    auto answer = nlohmann::json::parse(response.body, nullptr, false);
    const nlohmann::json* data = nullptr;
    if (answer.is_object() && answer.contains("authorizationData") && answer["authorizationData"].is_array() &&
        !answer["authorizationData"].empty() && answer["authorizationData"][0].is_object()) {
        data = &answer["authorizationData"][0];
    }
    if (data == nullptr || !data->contains("authorizationToken") || !(*data)["authorizationToken"].is_string()) {
        return fail(Errc::protocol, what + ": no authorizationToken in the answer");
    }
    auto decoded = oci::decode_base64((*data)["authorizationToken"].get<std::string>());
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
        return fail(Errc::protocol, what + ": the authorizationToken is not base64 USER:PASSWORD");
    }
    Credential credential{
        .username = decoded->substr(0, colon), .password = decoded->substr(colon + 1), .identity_token = {}};
    // ECR's tokens last 12 hours; asked again a tenth of their life (at most 5 minutes) early.
    auto expiry = now + std::chrono::hours(12);
    if (data->contains("expiresAt") && (*data)["expiresAt"].is_number()) {
        auto seconds = static_cast<std::int64_t>(std::floor((*data)["expiresAt"].get<double>()));
        expiry = std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
    }
    auto margin = std::min<std::chrono::system_clock::duration>((expiry - now) / 10, std::chrono::minutes(5));
    m_tokens[key] = Token{.credential = credential, .refresh = expiry - margin};
    return credential;
}

Result<void> Ecr::create_repository(const EcrRegistry& registry, std::string_view name) {
    std::lock_guard lock(m_mutex);
    auto what = fmt::format("ECR CreateRepository {}", name);
    nlohmann::json body = {{"repositoryName", name}, {"registryId", registry.account}};
    auto response = HOIST_TRY(in_context(call(registry, "CreateRepository", body.dump()), what));
    if (response.status == 200 || is_aws_error(response, "RepositoryAlreadyExistsException")) {
        return {};
    }
    return fail(response.status == 400 || response.status == 403 ? Errc::unauthorized : Errc::protocol,
                fmt::format("{}: {}", what, aws_error(response)));
}

std::optional<Error> missing_repository_error(const Response& response, std::string_view domain,
                                              std::string_view repository) {
    if (response.status != 404 && !is_aws_error(response, "RepositoryNotFoundException")) {
        return std::nullopt;
    }
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    bool name_unknown = body.is_object() && body.contains("errors") && body["errors"].is_array() &&
                        !body["errors"].empty() && body["errors"][0].is_object() &&
                        body["errors"][0].value("code", "") == "NAME_UNKNOWN";
    if (!name_unknown && !is_aws_error(response, "RepositoryNotFoundException")) {
        return std::nullopt;
    }
    return Error(Errc::not_found, fmt::format("repository {} does not exist on {}: create it or enable "
                                              "create-on-push (hoist --ecr-create-repos creates it)",
                                              repository, domain));
}

}  // namespace hoist::registry
