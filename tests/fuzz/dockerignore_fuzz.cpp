// libFuzzer target: any .dockerignore text, then any paths matched against it as a walker and as
// single queries would. Input: the file's text, optionally a NUL and paths separated by '\n'.
// Errors are fine; crashes, hangs, sanitizer reports and inconsistent answers are not.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

#include "src/dockerfile/dockerignore.hpp"

using hoist::dockerfile::Dockerignore;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string_view text = input;
    std::string_view paths;
    if (auto nul = input.find('\0'); nul != std::string_view::npos) {
        text = input.substr(0, nul);
        paths = input.substr(nul + 1);
    }
    auto ignore = Dockerignore::parse(text);
    if (!ignore) {
        return 0;
    }
    while (!paths.empty()) {
        auto newline = paths.find('\n');
        std::string_view path = paths.substr(0, newline);
        paths.remove_prefix(newline == std::string_view::npos ? paths.size() : newline + 1);
        bool excluded = ignore->excluded(path);

        // A walker: each directory's Match passed to its entries, excluded directories that
        // cannot hold re-included files skipped. For a clean path it must agree with excluded().
        if (path.empty() || path.front() == '/' || path.back() == '/' || path.find("//") != std::string_view::npos ||
            path == "." || path.starts_with("./") || path.find("/./") != std::string_view::npos ||
            path.ends_with("/.") || path == ".." || path.starts_with("../") ||
            path.find("/../") != std::string_view::npos || path.ends_with("/..")) {
            continue;
        }
        std::optional<Dockerignore::Match> parent;
        bool walked = false;
        for (std::size_t end = path.find('/');; end = path.find('/', end + 1)) {
            std::string_view prefix = path.substr(0, end);
            Dockerignore::Match current = ignore->match(prefix, parent ? &*parent : nullptr);
            if (end == std::string_view::npos) {
                walked = current.excluded();
                break;
            }
            if (current.excluded() && !ignore->may_reinclude_under(prefix)) {
                walked = true;
                break;
            }
            parent = std::move(current);
        }
        if (walked != excluded) {
            std::abort();
        }
    }
    return 0;
}
