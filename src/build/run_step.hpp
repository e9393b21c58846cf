// RUN as BuildKit reads it: the command line it runs (shell form, exec form, heredoc scripts),
// the environment it gets, and the history text it leaves.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oci/file.hpp"
#include "oci/image_source.hpp"
#include "src/dockerfile/instructions.hpp"
#include "src/run/sandbox.hpp"

namespace hoist::build {

struct RunCommand {
    std::vector<std::string> args;
    // A heredoc with a "#!" line is run as a file: its name and content, for /dev/pipes/NAME.
    std::optional<std::pair<std::string, std::string>> script;
};

// The argv of a RUN under `shell` (the stage's SHELL, or /bin/sh -c): a single heredoc is the
// shell's script (or, with "#!", a file run by the shell); heredocs after other words are put
// back into the text for the shell to read.
RunCommand run_command(const dockerfile::CommandLine& command, const std::vector<std::string>& shell);

// The environment of a RUN: the image's Env, then the build args in scope that Env does not set.
std::vector<std::string> run_environment(const dockerfile::StageScope& scope);

// The history's created_by: "RUN |2 A=1 B=2 /bin/sh -c make # buildkit" (the declared build
// args, counted, with the values the RUN sees).
std::string run_history(const std::vector<std::string>& args, const dockerfile::StageScope& scope);

// What RUN's --mount flags are resolved against.
struct RunMountInputs {
    struct Layers {
        std::vector<oci::Descriptor> layers;
        std::vector<oci::Digest> diff_ids;
    };
    run::Sandbox& sandbox;
    oci::ImageSource& layout;                          // the store's blobs
    std::filesystem::path store_root;                  // cache mounts live under it
    std::filesystem::path context_dir;                 // what a bind mount without from= reads
    const std::map<std::string, std::string>& secrets;  // --secret contents by id
    std::string working_dir;                           // relative targets are under it
    // The layers of the stage or image a bind mount's from= names.
    std::function<Result<Layers>(const std::string& from)> image_of;
};

// A lock held for a `sharing=locked` cache while its step runs.
struct HeldLock {
    Fd fd;
    FileLock lock;
};

// Adds the executor's mounts for `mounts` to `spec` (and a secret's env= to its environment),
// with what they need made in `scratch`: cache directories under the store (made with the
// mount's mode and owner, `locked` ones held in `locks`), secrets as files (mode 0400 unless
// given, never in the layer), bind mounts of the context or of a stage's or image's files
// (read-only; `rw` ones are copies whose writes go nowhere), tmpfs. Errors: a required secret
// that was not given, a bind source that leads out of its tree or does not exist, an owner that
// does not exist without a subordinate id range, ssh (unsupported).
Result<void> add_run_mounts(const std::vector<dockerfile::MountSpec>& mounts, const RunMountInputs& inputs,
                            const std::filesystem::path& scratch, run::RunSpec& spec, std::vector<HeldLock>& locks);

}  // namespace hoist::build
