#include "src/build/run_step.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include <fmt/core.h>

#include "oci/digest.hpp"
#include "src/build/paths.hpp"
#include "src/dockerfile/parser.hpp"

namespace hoist::build {

namespace df = hoist::dockerfile;
namespace fs = std::filesystem;

namespace {

Result<void> chown_path(const fs::path& path, std::uint32_t uid, std::uint32_t gid) {
    if (::lchown(path.c_str(), uid, gid) == 0) {
        return {};
    }
    if (errno == EINVAL) {
        return fail(Errc::unsupported, fmt::format("cannot give a mount to {}:{}: only id 0 is mapped (no "
                                                   "subordinate ID range for this user in /etc/subuid and /etc/subgid)",
                                                   uid, gid));
    }
    return std::unexpected(os_error("chown " + path.string(), errno));
}

// A cache mount's directory, kept under the store between builds, keyed by its id (by default
// its target); made with the mount's mode and owner the first time.
Result<fs::path> cache_directory(const df::MountSpec& mount, const std::string& target, const RunMountInputs& inputs,
                                 std::vector<HeldLock>& locks) {
    std::string id = mount.id.empty() ? target : mount.id;
    auto dir = inputs.store_root / "cache-mounts" / oci::Digest::of(id).hex().substr(0, 32);
    HOIST_TRY(make_directories(dir.parent_path()));
    if (mount.sharing == df::CacheSharing::locked) {
        auto fd = HOIST_TRY(open_file(dir.string() + ".lock", O_RDWR | O_CREAT, 0600));
        auto lock = HOIST_TRY(FileLock::acquire(fd.get(), FileLock::Mode::exclusive));
        locks.push_back({std::move(fd), std::move(lock)});
    }
    if (!fs::exists(dir)) {
        auto fresh = HOIST_TRY(TempDir::create(dir.parent_path(), "new-"));
        auto made = fresh.path() / "dir";
        HOIST_TRY(make_directories(made));
        ::chmod(made.c_str(), mount.mode.value_or(0755));
        HOIST_TRY(chown_path(made, mount.uid.value_or(0), mount.gid.value_or(0)));
        // Another build may have made it meanwhile: then its directory stays.
        ::rename(made.c_str(), dir.c_str());
    }
    return dir;
}

// A bind mount from the context or from a stage or image (read-only unless `rw`, whose writes
// are thrown away: the mount is then of a copy).
Result<run::MountPoint> bind_mount(const df::MountSpec& mount, const std::string& target, const RunMountInputs& inputs,
                                   const fs::path& place) {
    std::string source = clean_path(mount.source);
    run::MountPoint point{.target = target, .read_only = mount.read_only};
    fs::path root;
    if (mount.from.empty()) {
        root = inputs.context_dir;
    } else {
        auto image = HOIST_TRY(inputs.image_of(mount.from));
        auto& sandbox = inputs.sandbox;
        if (sandbox.overlay()) {
            auto lowers = HOIST_TRY(sandbox.lowers(inputs.layout, image.layers, image.diff_ids));
            if (lowers.size() > 1) {
                HOIST_TRY(make_directories(place));
                point.kind = run::MountPoint::Kind::overlay;
                point.source = place;
                point.lowers = std::move(lowers);
                point.subpath = source;
                point.read_only = true;
                return point;
            }
            root = lowers.empty() ? place : lowers.front();
            HOIST_TRY(make_directories(root));
        } else {
            root = place;
            HOIST_TRY(make_directories(root));
            HOIST_TRY(sandbox.apply(inputs.layout, image.layers, root));
        }
    }
    // The source must stay inside its tree, whatever symlinks it passes through.
    std::error_code error;
    auto resolved = fs::weakly_canonical(root / source, error);
    auto base = fs::weakly_canonical(root, error);
    auto relative = resolved.lexically_relative(base);
    if (error || relative.empty() || *relative.begin() == "..") {
        return fail(Errc::unsafe, fmt::format("RUN --mount source {} leads out of its tree", mount.source));
    }
    if (!fs::exists(resolved)) {
        return fail(Errc::not_found, fmt::format("RUN --mount source {}: not found", mount.source));
    }
    point.source = resolved;
    if (!mount.read_only) {
        auto copy = place.string() + "-rw";
        fs::copy(resolved, copy, fs::copy_options::recursive | fs::copy_options::copy_symlinks, error);
        if (error) {
            return fail(Errc::io, fmt::format("copy {} for a writable mount: {}", mount.source, error.message()));
        }
        point.source = copy;
    }
    return point;
}

}  // namespace

RunCommand run_command(const df::CommandLine& command, const std::vector<std::string>& shell) {
    RunCommand run{.args = command.args};
    if (!command.files.empty() && command.args.size() == 1) {
        const auto& first = command.files.front();
        auto heredoc = df::parse_heredoc_word(command.args[0]);
        if (heredoc && !heredoc->name.empty()) {
            std::string data = first.chomp ? df::chomp_heredoc(first.data) : first.data;
            if (data.starts_with("#!")) {
                run.script.emplace(first.name, std::move(data));
                run.args = {"/dev/pipes/" + first.name};
            } else {
                run.args = {std::move(data)};
            }
        } else {
            std::string full = command.args[0];
            for (const auto& file : command.files) {
                full += "\n" + file.data + file.name;
            }
            run.args = {std::move(full)};
        }
    }
    if (command.shell_form) {
        auto words = shell;
        words.insert(words.end(), run.args.begin(), run.args.end());
        run.args = std::move(words);
    }
    return run;
}

std::vector<std::string> run_environment(const df::StageScope& scope) {
    const auto& variables = scope.variables();
    std::vector<std::string> env;
    std::set<std::string, std::less<>> seen;
    for (const auto& item : scope.image_env()) {
        auto key = item.substr(0, item.find('='));
        auto value = variables.find(key);
        env.push_back(value == variables.end() ? item : key + "=" + value->second);
        seen.insert(key);
    }
    for (const auto& arg : scope.declared_args()) {
        auto value = variables.find(arg.key);
        if (value != variables.end() && seen.insert(arg.key).second) {
            env.push_back(arg.key + "=" + value->second);
        }
    }
    return env;
}

std::string run_history(const std::vector<std::string>& args, const df::StageScope& scope) {
    std::vector<std::string> build_env;
    std::vector<std::string> keys;
    for (const auto& arg : scope.declared_args()) {
        auto value = scope.variables().find(arg.key);
        std::string item = arg.key + "=" + (value != scope.variables().end() ? value->second : arg.value.value_or(""));
        auto known = std::find(keys.begin(), keys.end(), arg.key);
        if (known != keys.end()) {
            build_env[static_cast<std::size_t>(known - keys.begin())] = item;
        } else {
            keys.push_back(arg.key);
            build_env.push_back(item);
        }
    }
    std::string text = "RUN";
    if (!build_env.empty()) {
        text += " |" + std::to_string(build_env.size());
        for (const auto& item : build_env) {
            text += " " + item;
        }
    }
    for (const auto& arg : args) {
        text += " " + arg;
    }
    return text + " # buildkit";
}

Result<void> add_run_mounts(const std::vector<df::MountSpec>& mounts, const RunMountInputs& inputs,
                            const fs::path& scratch, run::RunSpec& spec, std::vector<HeldLock>& locks) {
    std::size_t count = 0;
    for (const auto& mount : mounts) {
        auto place = scratch / ("mount-" + std::to_string(count++));
        std::string target = mount.target.empty() ? "" : absolute_path(mount.target, inputs.working_dir);
        switch (mount.type) {
            case df::MountType::tmpfs:
                spec.mounts.push_back({.kind = run::MountPoint::Kind::tmpfs,
                                       .target = target,
                                       .size = static_cast<std::uint64_t>(mount.size_limit)});
                break;
            case df::MountType::cache: {
                auto dir = HOIST_TRY(cache_directory(mount, target, inputs, locks));
                spec.mounts.push_back({.source = dir, .target = target, .read_only = mount.read_only});
                break;
            }
            case df::MountType::secret: {
                std::string id = mount.id.empty() ? std::string(base_of(target)) : mount.id;
                auto secret = inputs.secrets.find(id);
                if (secret == inputs.secrets.end()) {
                    if (mount.required) {
                        return fail(Errc::not_found,
                                    fmt::format("secret {} not found: give it with --secret id={},src=FILE", id, id));
                    }
                    break;
                }
                if (mount.env) {
                    spec.env.push_back(*mount.env + "=" + secret->second);
                }
                if (target.empty() && mount.env) {
                    break;
                }
                HOIST_TRY(write_file_atomic(place, secret->second, mount.mode.value_or(0400)));
                HOIST_TRY(chown_path(place, mount.uid.value_or(0), mount.gid.value_or(0)));
                spec.mounts.push_back(
                    {.source = place, .target = target.empty() ? "/run/secrets/" + id : target, .read_only = true});
                break;
            }
            case df::MountType::bind:
                spec.mounts.push_back(HOIST_TRY(bind_mount(mount, target, inputs, place)));
                break;
            case df::MountType::ssh:
                return fail(Errc::unsupported, "RUN --mount=type=ssh is not supported");
        }
    }
    return {};
}

}  // namespace hoist::build
