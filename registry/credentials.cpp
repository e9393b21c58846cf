#include "registry/credentials.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "oci/base64.hpp"
#include "oci/file.hpp"
#include "oci/process.hpp"
#include "oci/text.hpp"

extern char** environ;

namespace hoist::registry {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
// Keeps the order of the keys in a file that is read and written back.
using Json = nlohmann::ordered_json;

constexpr std::string_view k_docker_hub = "docker.io";
constexpr std::string_view k_docker_hub_server = "https://index.docker.io/v1/";
// What docker-credential helpers call an identity token in place of a username.
constexpr std::string_view k_token_username = "<token>";
constexpr std::string_view k_not_found_answer = "credentials not found";
constexpr std::uint64_t k_auth_file_limit = 4u << 20;
constexpr std::size_t k_helper_output_limit = 1u << 20;
constexpr std::size_t k_message_limit = 200;

}  // namespace

std::optional<std::string_view> env_value(const Environment& env, std::string_view name) {
    auto it = env.find(name);
    if (it == env.end() || it->second.empty()) {
        return std::nullopt;
    }
    return it->second;
}

// As docker does, the password database when $HOME is unset, and relative paths when even that
// fails.
fs::path home_directory(const Environment& env) {
    if (auto home = env_value(env, "HOME")) {
        return fs::path(*home);
    }
    struct passwd entry {};
    struct passwd* found = nullptr;
    std::array<char, 4096> buffer{};
    if (::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
        found->pw_dir != nullptr) {
        return fs::path(found->pw_dir);
    }
    return {};
}

namespace {

std::string_view strip_scheme(std::string_view server) {
    auto separator = server.find("://");
    return separator == std::string_view::npos ? server : server.substr(separator + 3);
}

// The registry a key of `auths` or `credHelpers` stands for, or nullopt for a key scoped to a
// repository.
std::optional<std::string> key_registry(std::string_view key) {
    std::string_view rest = strip_scheme(key);
    auto slash = rest.find('/');
    if (slash != std::string_view::npos) {
        std::string_view path = rest.substr(slash);
        if (path != "/" && path != "/v1" && path != "/v1/" && path != "/v2" && path != "/v2/") {
            return std::nullopt;
        }
    }
    return registry_key(key);
}

// ---- docker-credential helpers ----------------------------------------------------------

struct HelperAnswer {
    int exit_status = 0;
    std::string output;  // stdout: the answer, or the helper's error message
    std::string errors;  // stderr
};

std::string format_duration(std::chrono::milliseconds duration) {
    if (duration.count() % 1000 == 0) {
        return fmt::format("{} s", duration.count() / 1000);
    }
    return fmt::format("{} ms", duration.count());
}

// Reads stdout and stderr to their ends; false when `deadline` passes first.
Result<bool> read_outputs(Fd& out, Fd& err, HelperAnswer& answer, Clock::time_point deadline, std::string_view what) {
    std::array<char, 65536> buffer{};
    while (out || err) {
        auto remaining = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (remaining.count() <= 0) {
            return false;
        }
        std::array<pollfd, 2> fds{};
        std::array<std::pair<Fd*, std::string*>, 2> streams{};
        nfds_t count = 0;
        for (auto [fd, text] : {std::pair{&out, &answer.output}, std::pair{&err, &answer.errors}}) {
            if (*fd) {
                fds[count] = pollfd{fd->get(), POLLIN, 0};
                streams[count] = {fd, text};
                ++count;
            }
        }
        int ready = ::poll(fds.data(), count, static_cast<int>(remaining.count()));
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready < 0) {
            return std::unexpected(os_error("poll " + std::string(what), errno));
        }
        for (nfds_t i = 0; i < count; ++i) {
            if (fds[i].revents == 0) {
                continue;
            }
            auto [fd, text] = streams[i];
            ssize_t n = ::read(fd->get(), buffer.data(), buffer.size());
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
                continue;
            }
            if (n < 0) {
                return std::unexpected(os_error("read from " + std::string(what), errno));
            }
            if (n == 0) {
                *fd = Fd();
                continue;
            }
            if (answer.output.size() + answer.errors.size() + static_cast<std::size_t>(n) > k_helper_output_limit) {
                return fail(Errc::invalid_argument,
                            fmt::format("{}: more than {} bytes of output", what, k_helper_output_limit));
            }
            text->append(buffer.data(), static_cast<std::size_t>(n));
        }
    }
    return true;
}

// Runs `docker-credential-NAME ACTION` from `path` with `input` on its stdin: no shell, this
// process's environment. Errors for a helper that cannot be run, is killed by a signal or does
// not finish within `timeout`; an exit status is the caller's to judge.
Result<HelperAnswer> run_helper(const std::string& name, std::string_view action, std::string_view input,
                                const std::string& path, std::chrono::milliseconds timeout) {
    std::string program = "docker-credential-" + name;
    std::string what = program + " " + std::string(action);
    if (name.empty() || name.find('/') != std::string::npos) {
        return fail(Errc::invalid_argument, fmt::format("invalid credential helper name \"{}\"", name));
    }
    std::optional<fs::path> executable = find_executable(program, path);
    if (!executable) {
        return fail(Errc::not_found, fmt::format("{}: not found in {}", program, path));
    }

    // The input is small, so it goes into the pipe whole before the helper starts: no writes to
    // a helper that may already have exited (SIGPIPE), no deadlock with its output.
    Pipe in = HOIST_TRY(make_pipe(what));
    if (input.size() > 65536) {
        ::fcntl(in.write.get(), F_SETPIPE_SZ, static_cast<int>(input.size()));
    }
    if (::fcntl(in.write.get(), F_SETFL, O_NONBLOCK) != 0) {
        return std::unexpected(os_error("pipe for " + what, errno));
    }
    HOIST_TRY(write_all(in.write.get(), input, "to " + what));
    in.write = Fd();
    Pipe out = HOIST_TRY(make_pipe(what));
    Pipe err = HOIST_TRY(make_pipe(what));

    SpawnActions actions;
    SpawnAttributes attributes;
    if (actions.status() != 0 || attributes.status() != 0) {
        return std::unexpected(
            os_error("run " + program, actions.status() != 0 ? actions.status() : attributes.status()));
    }
    // dup2 clears close-on-exec on the copies; every other descriptor of ours is close-on-exec.
    ::posix_spawn_file_actions_adddup2(&actions.value, in.read.get(), STDIN_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions.value, out.write.get(), STDOUT_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions.value, err.write.get(), STDERR_FILENO);
    sigset_t no_signals;
    sigemptyset(&no_signals);
    sigset_t default_signals;
    sigemptyset(&default_signals);
    sigaddset(&default_signals, SIGPIPE);
    ::posix_spawnattr_setsigmask(&attributes.value, &no_signals);
    ::posix_spawnattr_setsigdefault(&attributes.value, &default_signals);
    ::posix_spawnattr_setflags(&attributes.value, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::string action_argument(action);
    std::array<char*, 3> argv{program.data(), action_argument.data(), nullptr};
    pid_t pid = 0;
    int spawned = ::posix_spawn(&pid, executable->c_str(), &actions.value, &attributes.value, argv.data(), environ);
    if (spawned != 0) {
        return std::unexpected(os_error("run " + executable->string(), spawned));
    }
    Child child(pid);
    in.read = Fd();
    out.write = Fd();
    err.write = Fd();

    auto deadline = Clock::now() + timeout;
    auto timed_out = [&] {
        child.kill();
        return fail(Errc::io, fmt::format("{}: no answer after {}, killed", what, format_duration(timeout)));
    };
    HelperAnswer answer;
    bool finished = HOIST_TRY(read_outputs(out.read, err.read, answer, deadline, what));
    if (!finished) {
        return timed_out();
    }
    std::optional<int> status = HOIST_TRY(child.wait_until(deadline, what));
    if (!status) {
        return timed_out();
    }
    if (WIFSIGNALED(*status)) {
        const char* signal_name = ::sigabbrev_np(WTERMSIG(*status));
        return fail(Errc::io, fmt::format("{}: killed by SIG{}", what, signal_name != nullptr ? signal_name : "?"));
    }
    answer.exit_status = WEXITSTATUS(*status);
    return answer;
}

bool is_not_found(const HelperAnswer& answer) {
    return answer.exit_status != 0 && (answer.output.find(k_not_found_answer) != std::string::npos ||
                                       answer.errors.find(k_not_found_answer) != std::string::npos);
}

// "docker-credential-x get: exit status 1: <the helper's first line>", without the line when
// it contains `secret` or looks like a JSON answer, which may hold one.
Error helper_failure(const HelperAnswer& answer, std::string_view what, std::string_view secret = {}) {
    std::string message = fmt::format("{}: exit status {}", what, answer.exit_status);
    for (const std::string* text : {&answer.output, &answer.errors}) {
        std::string_view line = *text;
        line.remove_prefix(std::min(line.find_first_not_of(" \t\r\n"), line.size()));
        line = line.substr(0, line.find_first_of("\r\n"));
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
            line.remove_suffix(1);
        }
        if (line.empty()) {
            continue;
        }
        bool may_hold_secret = line.front() == '{' || (!secret.empty() && line.find(secret) != std::string_view::npos);
        if (!may_hold_secret) {
            message += ": " + std::string(line.substr(0, k_message_limit));
        }
        break;
    }
    return Error(Errc::io, std::move(message));
}

Result<std::optional<Credential>> helper_get(const std::string& name, std::string_view registry,
                                             const std::string& path, std::chrono::milliseconds timeout) {
    std::string what = "docker-credential-" + name + " get";
    HelperAnswer answer = HOIST_TRY(run_helper(name, "get", server_url(registry), path, timeout));
    if (is_not_found(answer)) {
        return std::nullopt;
    }
    if (answer.exit_status != 0) {
        return std::unexpected(helper_failure(answer, what));
    }
    // nlohmann's messages quote what they read, which may be the secret: none of them is used.
    nlohmann::json document = nlohmann::json::parse(answer.output, nullptr, false);
    if (!document.is_object() || !document.contains("Username") || !document["Username"].is_string() ||
        !document.contains("Secret") || !document["Secret"].is_string()) {
        return fail(Errc::invalid_argument,
                    what + ": the answer is not a JSON object with the strings \"Username\" and \"Secret\"");
    }
    std::string username = document["Username"].get<std::string>();
    std::string secret = document["Secret"].get<std::string>();
    if (secret.empty()) {
        return std::nullopt;
    }
    Credential credential;
    if (username == k_token_username) {
        credential.identity_token = std::move(secret);
    } else {
        credential.username = std::move(username);
        credential.password = std::move(secret);
    }
    return credential;
}

Result<void> helper_store(const std::string& name, std::string_view registry, const Credential& credential,
                          const std::string& path, std::chrono::milliseconds timeout) {
    std::string what = "docker-credential-" + name + " store";
    bool token = !credential.identity_token.empty();
    const std::string& secret = token ? credential.identity_token : credential.password;
    Json request = Json::object();
    request["ServerURL"] = server_url(registry);
    request["Username"] = token ? std::string(k_token_username) : credential.username;
    request["Secret"] = secret;
    std::string input;
    try {
        input = request.dump();
    } catch (const Json::exception&) {
        return fail(Errc::invalid_argument, what + ": the username or the secret is not valid UTF-8");
    }
    HelperAnswer answer = HOIST_TRY(run_helper(name, "store", input, path, timeout));
    if (answer.exit_status != 0) {
        return std::unexpected(helper_failure(answer, what, secret));
    }
    return {};
}

// False when the helper had nothing for `registry`.
Result<bool> helper_erase(const std::string& name, std::string_view registry, const std::string& path,
                          std::chrono::milliseconds timeout) {
    std::string what = "docker-credential-" + name + " erase";
    HelperAnswer answer = HOIST_TRY(run_helper(name, "erase", server_url(registry), path, timeout));
    if (is_not_found(answer)) {
        return false;
    }
    if (answer.exit_status != 0) {
        return std::unexpected(helper_failure(answer, what));
    }
    return true;
}

// ---- auth files ---------------------------------------------------------------------------

std::unexpected<Error> malformed(const fs::path& file, std::string_view why) {
    return fail(Errc::invalid_argument, fmt::format("{}: {}", file.string(), why));
}

// Checks the parts hoist reads; anything else in the file is someone else's business.
Result<void> check_auth_file(const Json& document, const fs::path& file) {
    if (!document.is_object()) {
        return malformed(file, "not a JSON object");
    }
    if (auto auths = document.find("auths"); auths != document.end() && !auths->is_null()) {
        if (!auths->is_object()) {
            return malformed(file, "\"auths\" must be an object");
        }
        for (const auto& [key, entry] : auths->items()) {
            if (!entry.is_object() && !entry.is_null()) {
                return malformed(file, fmt::format("auths[\"{}\"] must be an object", key));
            }
            for (std::string_view field : {"auth", "identitytoken"}) {
                if (entry.is_object() && entry.contains(field) && !entry[field].is_string() &&
                    !entry[field].is_null()) {
                    return malformed(file, fmt::format("auths[\"{}\"]: \"{}\" must be a string", key, field));
                }
            }
        }
    }
    if (auto helpers = document.find("credHelpers"); helpers != document.end() && !helpers->is_null()) {
        if (!helpers->is_object()) {
            return malformed(file, "\"credHelpers\" must be an object");
        }
        for (const auto& [key, helper] : helpers->items()) {
            if (!helper.is_string()) {
                return malformed(file, fmt::format("credHelpers[\"{}\"] must be a string", key));
            }
        }
    }
    if (auto store = document.find("credsStore"); store != document.end() && !store->is_null() && !store->is_string()) {
        return malformed(file, "\"credsStore\" must be a string");
    }
    return {};
}

// The file's document, nullopt when there is no such file.
Result<std::optional<Json>> read_auth_file(const fs::path& file) {
    std::error_code error;
    if (!fs::exists(file, error) && !error) {
        return std::nullopt;
    }
    std::string text = HOIST_TRY(read_file(file, k_auth_file_limit));
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
        // As docker reads it: an empty file is an empty configuration.
        return Json::object();
    }
    Json document;
    try {
        document = Json::parse(text);
    } catch (const Json::parse_error& e) {
        // nlohmann's message quotes the text it read last, which may be a secret.
        // e.byte counts from 1: the offset of the character that did not fit, or the length at the end.
        return malformed(file, fmt::format("invalid JSON at offset {}", e.byte > 0 ? e.byte - 1 : 0));
    } catch (const Json::exception&) {
        return malformed(file, "invalid JSON");
    }
    HOIST_TRY(check_auth_file(document, file));
    return document;
}

// Keys of `object` that stand for `registry`: the server URL first, then the others in file order.
std::vector<std::string> matching_keys(const Json& object, std::string_view registry) {
    std::vector<std::string> keys;
    if (!object.is_object()) {
        return keys;
    }
    std::string server = server_url(registry);
    if (object.contains(server)) {
        keys.push_back(server);
    }
    for (const auto& item : object.items()) {
        if (item.key() != server && key_registry(item.key()) == registry) {
            keys.push_back(item.key());
        }
    }
    return keys;
}

const Json& member(const Json& document, std::string_view key) {
    static const Json k_null;
    auto it = document.find(key);
    return it == document.end() ? k_null : *it;
}

// The non-empty string at `key` of `object`, if there is one (check_auth_file checked the types).
std::optional<std::string> string_member(const Json& object, std::string_view key) {
    const Json& value = member(object, key);
    if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
        return std::nullopt;
    }
    return value.get<std::string>();
}

std::optional<std::string> cred_helper(const Json& document, std::string_view registry) {
    const Json& helpers = member(document, "credHelpers");
    for (const std::string& key : matching_keys(helpers, registry)) {
        if (auto helper = string_member(helpers, key)) {
            return helper;
        }
    }
    return std::nullopt;
}

// nullopt for an entry that holds no secret.
Result<std::optional<Credential>> entry_credential(const Json& entry, const fs::path& file, std::string_view key) {
    Credential credential;
    if (auto auth = string_member(entry, "auth")) {
        std::optional<std::string> decoded = oci::decode_base64(*auth);
        if (!decoded) {
            return malformed(file, fmt::format("auths[\"{}\"]: \"auth\" is not valid base64", key));
        }
        auto colon = decoded->find(':');
        if (colon == std::string::npos || colon == 0) {
            return malformed(file, fmt::format("auths[\"{}\"]: \"auth\" is not the base64 of \"user:password\"", key));
        }
        credential.username = decoded->substr(0, colon);
        credential.password = decoded->substr(colon + 1);
    }
    if (auto token = string_member(entry, "identitytoken")) {
        credential.identity_token = *token;
    }
    if (credential.username.empty() && credential.identity_token.empty()) {
        return std::nullopt;
    }
    return credential;
}

Result<std::optional<Credential>> find_in_file(const fs::path& file, std::string_view registry,
                                               const CredentialSources& sources) {
    std::optional<Json> document = HOIST_TRY(read_auth_file(file));
    if (!document) {
        return std::nullopt;
    }
    if (auto helper = cred_helper(*document, registry)) {
        std::optional<Credential> found =
            HOIST_TRY(in_context(helper_get(*helper, registry, sources.path, sources.helper_timeout), file.string()));
        if (found) {
            return found;
        }
    }
    const Json& auths = member(*document, "auths");
    for (const std::string& key : matching_keys(auths, registry)) {
        std::optional<Credential> found = HOIST_TRY(entry_credential(member(auths, key), file, key));
        if (found) {
            return found;
        }
    }
    if (auto store = string_member(*document, "credsStore")) {
        return in_context(helper_get(*store, registry, sources.path, sources.helper_timeout), file.string());
    }
    return std::nullopt;
}

// Where to write `file`: the target of a symbolic link, which renaming over would replace.
fs::path write_target(const fs::path& file) {
    std::error_code error;
    if (fs::is_symlink(file, error)) {
        fs::path target = fs::canonical(file, error);
        if (!error) {
            return target;
        }
    }
    return file;
}

Result<void> make_private_directories(const fs::path& directory) {
    std::error_code error;
    if (directory.empty() || fs::is_directory(directory, error)) {
        return {};
    }
    if (directory.has_parent_path() && directory.parent_path() != directory) {
        HOIST_TRY(make_private_directories(directory.parent_path()));
    }
    if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
        return std::unexpected(os_error("create directory " + directory.string(), errno));
    }
    return {};
}

Result<void> write_auth_file(const fs::path& file, const Json& document) {
    std::string text;
    try {
        // Tabs, as docker writes the file.
        text = document.dump(1, '\t') + "\n";
    } catch (const Json::exception&) {
        return malformed(file, "a string to write is not valid UTF-8");
    }
    HOIST_TRY(make_private_directories(file.parent_path()));
    return write_file_atomic(file, text, 0600);
}

// Removes every `auths` entry for `registry` except, with `keep`, the one under `keep`.
void drop_entries(Json& auths, std::string_view registry, std::optional<std::string_view> keep) {
    for (const std::string& key : matching_keys(auths, registry)) {
        if (key != keep) {
            auths.erase(key);
        }
    }
}

// Sets `field` of `entry` in place (keeping the order of the file), or removes it for "".
void set_or_erase(Json& entry, const char* field, const std::string& value) {
    if (value.empty()) {
        entry.erase(field);
    } else {
        entry[field] = value;
    }
}

}  // namespace

Environment current_environment() {
    Environment env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        std::string_view text(*entry);
        auto equals = text.find('=');
        if (equals != std::string_view::npos) {
            env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
        }
    }
    return env;
}

Result<Credential> parse_creds(std::string_view text) {
    auto colon = text.find(':');
    Credential credential;
    credential.username = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
        credential.password = std::string(text.substr(colon + 1));
    }
    if (credential.username.empty()) {
        return fail(Errc::invalid_argument, "invalid --creds: the username is empty");
    }
    return credential;
}

CredentialSources CredentialSources::from_environment(const Environment& env,
                                                      const std::optional<std::filesystem::path>& authfile) {
    CredentialSources sources;
    if (auto path = env_value(env, "PATH")) {
        sources.path = std::string(*path);
    }
    if (authfile) {
        sources.files.push_back(*authfile);
        return sources;
    }
    std::vector<fs::path> files;
    if (auto file = env_value(env, "REGISTRY_AUTH_FILE")) {
        files.emplace_back(*file);
    }
    if (auto directory = env_value(env, "DOCKER_CONFIG")) {
        files.push_back(fs::path(*directory) / "config.json");
    }
    files.push_back(home_directory(env) / ".docker" / "config.json");
    if (auto directory = env_value(env, "XDG_RUNTIME_DIR")) {
        files.push_back(fs::path(*directory) / "containers" / "auth.json");
    }
    for (fs::path& file : files) {
        if (std::find(sources.files.begin(), sources.files.end(), file) == sources.files.end()) {
            sources.files.push_back(std::move(file));
        }
    }
    return sources;
}

std::string registry_key(std::string_view server) {
    std::string_view host = strip_scheme(server);
    host = host.substr(0, host.find('/'));
    std::string key = ascii_lower(host);
    if (key == "index.docker.io" || key == "registry-1.docker.io") {
        return std::string(k_docker_hub);
    }
    return key;
}

std::string server_url(std::string_view registry) {
    std::string key = registry_key(registry);
    return key == k_docker_hub ? std::string(k_docker_hub_server) : key;
}

Result<std::optional<Credential>> find_credential(const CredentialSources& sources, std::string_view registry) {
    if (sources.explicit_credential) {
        return sources.explicit_credential;
    }
    std::string key = registry_key(registry);
    for (const fs::path& file : sources.files) {
        std::optional<Credential> found = HOIST_TRY(find_in_file(file, key, sources));
        if (found) {
            return found;
        }
    }
    if (sources.fallback) {
        return sources.fallback(registry);
    }
    return std::nullopt;
}

std::filesystem::path login_file(const Environment& env, const std::optional<std::filesystem::path>& authfile) {
    if (authfile) {
        return *authfile;
    }
    if (auto file = env_value(env, "REGISTRY_AUTH_FILE")) {
        return fs::path(*file);
    }
    if (auto directory = env_value(env, "DOCKER_CONFIG")) {
        return fs::path(*directory) / "config.json";
    }
    return home_directory(env) / ".docker" / "config.json";
}

Result<void> store_credential(const std::filesystem::path& file, std::string_view registry,
                              const Credential& credential, const std::string& path) {
    if (credential.username.empty() && credential.identity_token.empty()) {
        return fail(Errc::invalid_argument, "a credential needs a username or an identity token");
    }
    std::string key = registry_key(registry);
    fs::path target = write_target(file);
    std::optional<Json> read = HOIST_TRY(read_auth_file(target));
    Json document = read ? std::move(*read) : Json::object();
    std::chrono::milliseconds timeout = CredentialSources().helper_timeout;

    if (auto helper = cred_helper(document, key)) {
        return in_context(helper_store(*helper, key, credential, path, timeout), target.string());
    }
    Json& auths = document["auths"];
    if (!auths.is_object()) {
        auths = Json::object();
    }
    std::string server = server_url(key);
    drop_entries(auths, key, server);
    Json& entry = auths[server];
    if (!entry.is_object()) {
        entry = Json::object();
    }
    // Fields older docker versions wrote, which would otherwise hold a stale secret.
    for (const char* field : {"username", "password", "registrytoken"}) {
        entry.erase(field);
    }
    std::string encoded;
    std::string token;
    if (auto store = string_member(document, "credsStore")) {
        HOIST_TRY(in_context(helper_store(*store, key, credential, path, timeout), target.string()));
    } else {
        encoded =
            credential.username.empty() ? "" : oci::encode_base64(credential.username + ":" + credential.password);
        token = credential.identity_token;
    }
    set_or_erase(entry, "auth", encoded);
    set_or_erase(entry, "identitytoken", token);
    return write_auth_file(target, document);
}

Result<void> erase_credential(const std::filesystem::path& file, std::string_view registry, const std::string& path) {
    std::string key = registry_key(registry);
    fs::path target = write_target(file);
    std::optional<Json> read = HOIST_TRY(read_auth_file(target));
    bool erased = false;
    if (read) {
        Json& document = *read;
        std::chrono::milliseconds timeout = CredentialSources().helper_timeout;
        std::optional<std::string> helper = cred_helper(document, key);
        if (!helper) {
            helper = string_member(document, "credsStore");
        }
        if (helper) {
            erased = HOIST_TRY(in_context(helper_erase(*helper, key, path, timeout), target.string()));
        }
        auto auths = document.find("auths");
        if (auths != document.end() && !matching_keys(*auths, key).empty()) {
            drop_entries(*auths, key, std::nullopt);
            HOIST_TRY(write_auth_file(target, document));
            erased = true;
        }
    }
    if (!erased) {
        return fail(Errc::not_found, fmt::format("no credentials for {} in {}", key, file.string()));
    }
    return {};
}

}  // namespace hoist::registry
