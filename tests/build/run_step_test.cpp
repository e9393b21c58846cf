#include "src/build/run_step.hpp"

#include <catch2/catch.hpp>

using namespace hoist;
using namespace hoist::build;
namespace df = hoist::dockerfile;

namespace {

const std::vector<std::string> k_sh = {"/bin/sh", "-c"};

df::CommandLine heredoc(std::string first_word, std::string data, bool chomp = false) {
    return {.args = {std::move(first_word)},
            .shell_form = true,
            .files = {{.name = "EOF", .data = std::move(data), .chomp = chomp}}};
}

// A stage scope after ENV and ARG instructions, as the builder keeps it.
df::StageScope scope_with(std::vector<std::string> base_env, std::map<std::string, std::string, std::less<>> build_args,
                          std::vector<df::ArgDefinition> args) {
    df::StageScope scope({}, df::Variables(build_args.begin(), build_args.end()), base_env);
    df::ArgInstruction arg;
    arg.args = std::move(args);
    REQUIRE(scope.declare(arg));
    return scope;
}

}  // namespace

TEST_CASE("run_command puts a shell-form command under the stage's shell", "[build]") {
    CHECK(run_command({.args = {"echo hi"}}, k_sh).args == std::vector<std::string>{"/bin/sh", "-c", "echo hi"});
    CHECK(run_command({.args = {"echo hi"}}, {"/bin/bash", "-eo", "pipefail", "-c"}).args ==
          std::vector<std::string>{"/bin/bash", "-eo", "pipefail", "-c", "echo hi"});
    CHECK(run_command({.args = {"ls", "-l"}, .shell_form = false}, k_sh).args == std::vector<std::string>{"ls", "-l"});
}

TEST_CASE("run_command gives a lone heredoc to the shell as its script", "[build]") {
    auto run = run_command(heredoc("<<EOF", "echo a\n\techo b\n"), k_sh);
    CHECK(run.args == std::vector<std::string>{"/bin/sh", "-c", "echo a\n\techo b\n"});
    CHECK_FALSE(run.script);
    CHECK(run_command(heredoc("<<-EOF", "echo a\n\techo b\n", true), k_sh).args ==
          std::vector<std::string>{"/bin/sh", "-c", "echo a\necho b\n"});
}

TEST_CASE("run_command runs a heredoc with a #! line as a file in /dev/pipes", "[build]") {
    auto run = run_command(heredoc("<<EOF", "#!/bin/busybox sh\necho a\n"), k_sh);
    CHECK(run.args == std::vector<std::string>{"/bin/sh", "-c", "/dev/pipes/EOF"});
    REQUIRE(run.script);
    CHECK(run.script->first == "EOF");
    CHECK(run.script->second == "#!/bin/busybox sh\necho a\n");
}

TEST_CASE("run_command puts heredocs after other words back into the shell's text", "[build]") {
    CHECK(run_command(heredoc("cat <<EOF > /x", "line\n"), k_sh).args ==
          std::vector<std::string>{"/bin/sh", "-c", "cat <<EOF > /x\nline\nEOF"});
}

TEST_CASE("run_environment is the image's Env, then the build args it does not set", "[build]") {
    auto scope = scope_with({"PATH=/bin", "A=from-env"}, {{"B", "given"}},
                            {{.key = "A", .value = "from-arg"}, {.key = "B"}, {.key = "C"}});
    CHECK(run_environment(scope) == std::vector<std::string>{"PATH=/bin", "A=from-arg", "B=given"});
}

TEST_CASE("run_history counts the declared build args as BuildKit writes them", "[build]") {
    auto scope = scope_with({"PATH=/bin"}, {{"B", "given"}}, {{.key = "A", .value = "1"}, {.key = "B"}});
    CHECK(run_history({"/bin/sh", "-c", "make"}, scope) == "RUN |2 A=1 B=given /bin/sh -c make # buildkit");
    auto none = scope_with({}, {}, {});
    CHECK(run_history({"ls"}, none) == "RUN ls # buildkit");
}
