#include "registry/ecr.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "oci/file.hpp"
#include "registry/client.hpp"

using hoist::Errc;
using hoist::TempDir;
using hoist::registry::EcrOptions;
using hoist::registry::Environment;
using hoist::registry::find_aws_credentials;
using hoist::registry::missing_repository_error;
using hoist::registry::parse_ecr_host;
using hoist::registry::Response;
namespace fs = std::filesystem;

TEST_CASE("ecr: parse_ecr_host reads the account and region of ECR hosts only") {
    auto ecr = parse_ecr_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
    REQUIRE(ecr);
    CHECK(ecr->account == "123456789012");
    CHECK(ecr->region == "eu-west-1");
    CHECK(parse_ecr_host("123456789012.dkr.ecr.us-east-1.amazonaws.com:443"));
    CHECK_FALSE(parse_ecr_host("docker.io"));
    CHECK_FALSE(parse_ecr_host("127.0.0.1:5000"));
    CHECK_FALSE(parse_ecr_host("account.dkr.ecr.us-east-1.amazonaws.com"));
    CHECK_FALSE(parse_ecr_host("123.dkr.ecr.amazonaws.com"));
    CHECK_FALSE(parse_ecr_host("123.dkr.ecr.us-east-1.amazonaws.com.evil.example"));
}

TEST_CASE("ecr: AWS keys come from the environment first") {
    auto keys = find_aws_credentials(
        {{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "secret"}, {"AWS_SESSION_TOKEN", "token"}});
    REQUIRE(keys);
    CHECK(keys->access_key_id == "AKID");
    CHECK(keys->secret_access_key == "secret");
    CHECK(keys->session_token == "token");

    auto half = find_aws_credentials({{"AWS_ACCESS_KEY_ID", "AKID"}, {"HOME", "/nonexistent"}});
    REQUIRE_FALSE(half);
    CHECK(half.error().what() == "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
}

TEST_CASE("ecr: AWS keys come from the shared credentials file's profile") {
    auto dir = TempDir::create(hoist::temp_directory(), "hoist-ecr-test-").value();
    auto file = dir.path() / "credentials";
    std::ofstream(file) << "# keys\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\n"
                           "[ci]\naws_access_key_id=AKIDCI\naws_secret_access_key=s2\naws_session_token = t2\n"
                           "[empty]\n";
    Environment env{{"AWS_SHARED_CREDENTIALS_FILE", file.string()}};
    auto keys = find_aws_credentials(env);
    REQUIRE(keys);
    CHECK(keys->access_key_id == "AKIDDEFAULT");
    CHECK(keys->session_token.empty());

    env["AWS_PROFILE"] = "ci";
    keys = find_aws_credentials(env);
    REQUIRE(keys);
    CHECK(keys->access_key_id == "AKIDCI");
    CHECK(keys->secret_access_key == "s2");
    CHECK(keys->session_token == "t2");

    env["AWS_PROFILE"] = "empty";
    keys = find_aws_credentials(env);
    REQUIRE_FALSE(keys);
    CHECK(keys.error().what() ==
          "profile \"empty\" in " + file.string() + " has no aws_access_key_id and aws_secret_access_key");

    env["AWS_PROFILE"] = "missing";
    keys = find_aws_credentials(env);
    REQUIRE_FALSE(keys);
    CHECK(keys.error().code() == Errc::unauthorized);
    CHECK(keys.error().what() ==
          "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
          "AWS_PROFILE (no profile \"missing\" in " +
              file.string() + ")");
}

TEST_CASE("ecr: a malformed credentials file is named with the line, never its text") {
    auto dir = TempDir::create(hoist::temp_directory(), "hoist-ecr-test-").value();
    auto file = dir.path() / "credentials";
    std::ofstream(file) << "[default]\nAKIDSECRETLINE\n";
    auto keys = find_aws_credentials({{"AWS_SHARED_CREDENTIALS_FILE", file.string()}});
    REQUIRE_FALSE(keys);
    CHECK(keys.error().what() == file.string() + ":2: expected key = value");
}

TEST_CASE("ecr: without keys anywhere, the message says where to put them") {
    auto keys = find_aws_credentials({{"HOME", "/nonexistent"}});
    REQUIRE_FALSE(keys);
    CHECK(keys.error().what() ==
          "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
          "AWS_PROFILE (/nonexistent/.aws/credentials does not exist)");
}

TEST_CASE("ecr: HOIST_ECR_STAND_INS maps test registries to the ECR registries they stand for") {
    auto options = EcrOptions::from_environment({{"HOIST_ECR_STAND_INS",
                                                  "127.0.0.1:5000=111111111111.dkr.ecr.us-east-1.amazonaws.com, "
                                                  "127.0.0.1:5001=222222222222.dkr.ecr.eu-west-1.amazonaws.com"}});
    REQUIRE(options);
    hoist::registry::Ecr ecr(*options);
    auto first = ecr.identify("127.0.0.1:5000");
    REQUIRE(first);
    CHECK(first->account == "111111111111");
    auto second = ecr.identify("127.0.0.1:5001");
    REQUIRE(second);
    CHECK(second->region == "eu-west-1");
    CHECK_FALSE(ecr.identify("127.0.0.1:5002"));
    CHECK(ecr.identify("333333333333.dkr.ecr.us-east-2.amazonaws.com"));
    CHECK(ecr.endpoint("us-east-2") == "https://api.ecr.us-east-2.amazonaws.com");

    auto bad = EcrOptions::from_environment({{"HOIST_ECR_STAND_INS", "127.0.0.1:5000=docker.io"}});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().what() ==
          "HOIST_ECR_STAND_INS: \"127.0.0.1:5000=docker.io\" is not HOST=ACCOUNT.dkr.ecr.REGION.amazonaws.com");
}

TEST_CASE("ecr: the AWS endpoint: --aws-endpoint, then AWS_ENDPOINT_URL_ECR, then AWS_ENDPOINT_URL") {
    auto options = EcrOptions::from_environment(
        {{"AWS_ENDPOINT_URL", "http://127.0.0.1:1/"}, {"AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:2/"}});
    REQUIRE(options);
    CHECK(hoist::registry::Ecr(*options).endpoint("us-east-1") == "http://127.0.0.1:2");
    options->endpoint = "http://127.0.0.1:3";
    CHECK(hoist::registry::Ecr(*options).endpoint("us-east-1") == "http://127.0.0.1:3");
}

TEST_CASE("ecr: a push to a repository ECR does not have says how to make it") {
    Response response{.status = 404,
                      .headers = {},
                      .body = R"({"errors":[{"code":"NAME_UNKNOWN","message":"The repository with name 'app' does )"
                              R"(not exist in the registry with id '123456789012'"}]})",
                      .url = {},
                      .downloaded = 0};
    auto error = missing_repository_error(response, "123456789012.dkr.ecr.us-east-1.amazonaws.com", "app");
    REQUIRE(error);
    CHECK(error->code() == Errc::not_found);
    CHECK(error->what() ==
          "repository app does not exist on 123456789012.dkr.ecr.us-east-1.amazonaws.com: create "
          "it or enable create-on-push (hoist --ecr-create-repos creates it)");
    response.body = R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]})";
    CHECK_FALSE(missing_repository_error(response, "host", "app"));
    response.body.clear();
    CHECK_FALSE(missing_repository_error(response, "host", "app"));
}

TEST_CASE("ecr: ECR registries and their stand-ins get the ECR upload profile") {
    auto options = EcrOptions::from_environment(
        {{"HOIST_ECR_STAND_INS", "127.0.0.1:5000=111111111111.dkr.ecr.us-east-1.amazonaws.com"}});
    REQUIRE(options);
    hoist::registry::Transport transport;
    hoist::registry::RegistryOptions registry_options;
    registry_options.ecr = std::make_shared<hoist::registry::Ecr>(*options);
    CHECK(hoist::registry::Registry(transport, "127.0.0.1:5000", registry_options).profile().name == "ecr");
    CHECK(hoist::registry::Registry(transport, "127.0.0.1:5001", registry_options).profile().name == "default");
    CHECK(hoist::registry::Registry(transport, "111111111111.dkr.ecr.us-east-1.amazonaws.com", registry_options)
              .profile()
              .name == "ecr");
}

TEST_CASE("ecr: the API's credential is the last resort, after the auth files' (credHelpers included)") {
    auto dir = TempDir::create(hoist::temp_directory(), "hoist-ecr-test-").value();
    hoist::registry::CredentialSources sources;
    int asked = 0;
    sources.fallback = [&](std::string_view) -> hoist::Result<std::optional<hoist::registry::Credential>> {
        ++asked;
        return hoist::registry::Credential{.username = "AWS", .password = "from-api", .identity_token = {}};
    };
    auto host = std::string("111111111111.dkr.ecr.us-east-1.amazonaws.com");
    auto found = hoist::registry::find_credential(sources, host);
    REQUIRE(found);
    REQUIRE(*found);
    CHECK((*found)->password == "from-api");

    auto file = dir.path() / "config.json";
    std::ofstream(file) << R"({"auths": {")" << host << R"(": {"auth": "QVdTOmZyb20tZmlsZQ=="}}})";
    sources.files = {file};
    found = hoist::registry::find_credential(sources, host);
    REQUIRE(found);
    REQUIRE(*found);
    CHECK((*found)->password == "from-file");
    CHECK(asked == 1);
}
