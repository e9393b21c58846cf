// libFuzzer target: any bytes through the Dockerfile parser, the typed model and the variable
// scopes. Errors are fine; crashes, hangs and sanitizer reports are not.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "src/dockerfile/instructions.hpp"
#include "src/dockerfile/parser.hpp"

namespace {

using namespace hoist::dockerfile;

// Runs a stage's instructions through a scope the way a build would.
void walk_stage(const Dockerfile& file, const Stage& stage, const Variables& globals) {
    (void)expand_from(stage.from, globals, file);
    StageScope scope(globals, {{"HTTP_PROXY", "http://proxy:3128"}, {"VERSION", "1"}}, {"PATH=/usr/bin:/bin"},
                     file.escape);
    for (const Instruction& instruction : stage.instructions) {
        if (const auto* arg = std::get_if<ArgInstruction>(&instruction)) {
            (void)scope.declare(*arg);
        } else if (const auto* env = std::get_if<EnvInstruction>(&instruction)) {
            (void)scope.set(*env);
        } else {
            (void)expand(instruction, scope, file);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto ast = parse(text, "Dockerfile");
    if (!ast) {
        return 0;
    }
    std::string dump = ast->dump();
    for (const Node& node : ast->nodes) {
        (void)node.dump();
        (void)parse_instruction(node, *ast);
    }
    auto file = Dockerfile::from_ast(*ast);
    if (!file) {
        return 0;
    }
    BuildContext context;
    context.build_platform = {"linux", "amd64", "", "", {}};
    context.target_platform = {"linux", "arm64", "v8", "", {}};
    auto globals = global_scope(*file, context);
    if (!globals) {
        return 0;
    }
    for (const Stage& stage : file->stages) {
        walk_stage(*file, stage, *globals);
    }
    (void)file->find_stage("build");
    return 0;
}
