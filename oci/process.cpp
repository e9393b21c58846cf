#include "oci/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <thread>

namespace hoist {

namespace fs = std::filesystem;

void Child::kill() {
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        int status = 0;
        while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
        }
        m_pid = -1;
    }
}

Result<int> Child::wait(std::string_view what) {
    int status = 0;
    for (;;) {
        pid_t reaped = ::waitpid(m_pid, &status, 0);
        if (reaped == m_pid) {
            m_pid = -1;
            return status;
        }
        if (errno != EINTR) {
            int error = errno;
            m_pid = -1;
            return std::unexpected(os_error("wait for " + std::string(what), error));
        }
    }
}

Result<std::optional<int>> Child::wait_until(std::chrono::steady_clock::time_point deadline, std::string_view what) {
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        int status = 0;
        pid_t reaped = ::waitpid(m_pid, &status, WNOHANG);
        if (reaped == m_pid) {
            m_pid = -1;
            return status;
        }
        if (reaped < 0 && errno != EINTR) {
            int error = errno;
            m_pid = -1;
            return std::unexpected(os_error("wait for " + std::string(what), error));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        // Callers wait once the child has closed its output, so it is about to exit: short
        // naps suffice.
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(20));
    }
}

Result<Pipe> make_pipe(std::string_view what) {
    std::array<int, 2> ends{};
    if (::pipe2(ends.data(), O_CLOEXEC) != 0) {
        return std::unexpected(os_error("pipe for " + std::string(what), errno));
    }
    return Pipe{Fd(ends[0]), Fd(ends[1])};
}

std::optional<fs::path> find_executable(std::string_view program, std::string_view path) {
    while (!path.empty()) {
        auto colon = path.find(':');
        std::string_view directory = path.substr(0, colon);
        path = colon == std::string_view::npos ? std::string_view() : path.substr(colon + 1);
        // An empty element would mean the current directory: not a place to run secrets through.
        if (directory.empty()) {
            continue;
        }
        fs::path candidate = fs::path(directory) / program;
        struct stat info {};
        if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    return std::nullopt;
}

int exit_status(int wait_status) {
    if (WIFSIGNALED(wait_status)) {
        return 128 + WTERMSIG(wait_status);
    }
    return WEXITSTATUS(wait_status);
}

}  // namespace hoist
