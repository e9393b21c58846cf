// How a copy shows its progress: per-blob bars on a terminal, one line per event otherwise
// (`--progress plain`), JSON lines for scripts (`--progress json`), or nothing (`-q`).
#pragma once

#include <cstdio>
#include <memory>
#include <string_view>

#include "oci/copy.hpp"
#include "oci/error.hpp"

namespace hoist {

enum class ProgressMode { tty, plain, json, quiet };

// "auto" (tty when `stream` is a terminal, else plain), "tty", "plain", "json";
// Errc::invalid_argument for anything else. `quiet` wins.
Result<ProgressMode> progress_mode(std::string_view flag, bool quiet, std::FILE* stream);

// An observer that writes to `stream` in `mode`.
std::unique_ptr<oci::CopyObserver> make_progress(ProgressMode mode, std::FILE* stream);

}  // namespace hoist
