#include "src/build/run_step.hpp"

#include <set>

#include "src/dockerfile/parser.hpp"

namespace hoist::build {

namespace df = hoist::dockerfile;

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

}  // namespace hoist::build
