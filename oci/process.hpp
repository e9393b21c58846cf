// Child processes: spawning with posix_spawn (safe from a process with many threads), pipes,
// and an owner that kills and reaps a child that is still running when it goes away.
#pragma once

#include <spawn.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string_view>

#include "oci/error.hpp"
#include "oci/file.hpp"

namespace hoist {

// A spawned process; killed (SIGKILL) and reaped if it is still running when this goes away.
class Child {
public:
    Child() = default;
    explicit Child(pid_t pid) : m_pid(pid) {}
    Child(Child&& other) noexcept : m_pid(std::exchange(other.m_pid, -1)) {}
    Child& operator=(Child&&) = delete;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() { kill(); }

    pid_t pid() const { return m_pid; }
    void kill();

    // Blocks until the child exits; its wait status.
    Result<int> wait(std::string_view what);

    // The wait status once the child has exited, nullopt if it is still running at `deadline`.
    Result<std::optional<int>> wait_until(std::chrono::steady_clock::time_point deadline, std::string_view what);

private:
    pid_t m_pid = -1;
};

// posix_spawn's file actions and attributes, destroyed with their owner.
struct SpawnActions {
    SpawnActions() { m_status = ::posix_spawn_file_actions_init(&value); }
    SpawnActions(const SpawnActions&) = delete;
    SpawnActions& operator=(const SpawnActions&) = delete;
    ~SpawnActions() {
        if (m_status == 0) {
            ::posix_spawn_file_actions_destroy(&value);
        }
    }
    int status() const { return m_status; }
    posix_spawn_file_actions_t value;

private:
    int m_status;
};

struct SpawnAttributes {
    SpawnAttributes() { m_status = ::posix_spawnattr_init(&value); }
    SpawnAttributes(const SpawnAttributes&) = delete;
    SpawnAttributes& operator=(const SpawnAttributes&) = delete;
    ~SpawnAttributes() {
        if (m_status == 0) {
            ::posix_spawnattr_destroy(&value);
        }
    }
    int status() const { return m_status; }
    posix_spawnattr_t value;

private:
    int m_status;
};

struct Pipe {
    Fd read;
    Fd write;
};

// A pipe whose ends are close-on-exec.
Result<Pipe> make_pipe(std::string_view what);

// The first regular, executable `program` in the directories of `path` (a $PATH value; empty
// elements are skipped, not taken as the current directory).
std::optional<std::filesystem::path> find_executable(std::string_view program, std::string_view path);

// A wait status as a shell's exit status: the exit code, or 128 + the signal.
int exit_status(int wait_status);

}  // namespace hoist
