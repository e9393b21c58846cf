// hoist run: a command in an image of the store, on the executor RUN uses, its output on this
// process's stdout and stderr and its exit status returned. What the command changes is thrown
// away with the container's upper directory.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "oci/platform.hpp"
#include "src/run/sandbox.hpp"
#include "src/transport.hpp"

namespace hoist::build {

struct RunImageOptions {
    std::string image;                        // a name (or digest) in the store
    std::vector<std::string> command;         // after the entrypoint; empty: the image's Cmd
    std::optional<std::string> entrypoint;    // --entrypoint: replaces the image's ("" drops it)
    std::vector<std::string> env;             // -e K=V, over the image's Env
    std::optional<std::string> user;          // -u: else the image's User
    std::optional<std::string> working_dir;   // -w: else the image's WorkingDir, else /
    bool network = true;                      // --network host (true) or none
    std::optional<oci::Platform> platform;    // of an index: this machine's when unset
    run::SandboxOptions sandbox;
};

// The command's exit status (128 + N when killed by signal N). Errors for what kept it from
// starting: no such image, no command, no such user or executable.
Result<int> run_image(const RunImageOptions& options, Session& session);

}  // namespace hoist::build
