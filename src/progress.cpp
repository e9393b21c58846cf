#include "src/progress.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

namespace hoist {
namespace {

using Clock = std::chrono::steady_clock;
using Outcome = oci::CopyObserver::Outcome;

std::string_view outcome_name(Outcome outcome) {
    switch (outcome) {
        case Outcome::present:
            return "present";
        case Outcome::mounted:
            return "mounted";
        case Outcome::copied:
            return "copied";
    }
    return "";
}

std::string human_bytes(double bytes) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    int unit = 0;
    while (bytes >= 1000 && unit < 4) {
        bytes /= 1000;
        ++unit;
    }
    return unit == 0 ? fmt::format("{:.0f} {}", bytes, units[unit]) : fmt::format("{:.1f} {}", bytes, units[unit]);
}

std::string short_digest(const oci::Descriptor& blob) {
    return blob.digest.to_string().substr(0, 19);
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string finished_line(const oci::Descriptor& blob, Outcome outcome, double seconds) {
    if (outcome == Outcome::copied) {
        return fmt::format("blob {}: copied {} in {:.2f} s", short_digest(blob),
                           human_bytes(static_cast<double>(blob.size)), seconds);
    }
    return fmt::format("blob {}: {}", short_digest(blob), outcome == Outcome::present ? "already present" : "mounted");
}

// Shared by the three printers: when each blob started, under a lock.
class Printer : public oci::CopyObserver {
public:
    explicit Printer(std::FILE* stream) : m_stream(stream) {}

    void blob_started(const oci::Descriptor& blob) override {
        std::lock_guard lock(m_mutex);
        m_active.insert_or_assign(blob.digest.to_string(), Active{blob, Clock::now(), 0});
        started(blob);
    }
    void blob_progress(const oci::Descriptor& blob, std::uint64_t bytes) override {
        std::lock_guard lock(m_mutex);
        auto it = m_active.find(blob.digest.to_string());
        if (it != m_active.end()) {
            it->second.bytes = bytes;
            progressed();
        }
    }
    void blob_finished(const oci::Descriptor& blob, Outcome outcome) override {
        std::lock_guard lock(m_mutex);
        auto it = m_active.find(blob.digest.to_string());
        double seconds = it == m_active.end() ? 0 : seconds_since(it->second.start);
        if (it != m_active.end()) {
            m_active.erase(it);
        }
        finished(blob, outcome, seconds);
    }
    void manifest_written(const oci::Descriptor& manifest) override {
        std::lock_guard lock(m_mutex);
        written(manifest);
    }

protected:
    struct Active {
        oci::Descriptor blob;
        Clock::time_point start;
        std::uint64_t bytes;
    };
    virtual void started(const oci::Descriptor&) {}
    virtual void progressed() {}
    virtual void finished(const oci::Descriptor& blob, Outcome outcome, double seconds) = 0;
    virtual void written(const oci::Descriptor& manifest) = 0;

    std::FILE* m_stream;
    std::map<std::string, Active> m_active;

private:
    std::mutex m_mutex;
};

class PlainPrinter final : public Printer {
public:
    using Printer::Printer;

private:
    void started(const oci::Descriptor& blob) override {
        fmt::print(m_stream, "blob {}: copying {}\n", short_digest(blob), human_bytes(static_cast<double>(blob.size)));
    }
    void finished(const oci::Descriptor& blob, Outcome outcome, double seconds) override {
        fmt::print(m_stream, "{}\n", finished_line(blob, outcome, seconds));
        std::fflush(m_stream);
    }
    void written(const oci::Descriptor& manifest) override {
        fmt::print(m_stream, "manifest {}: written\n", manifest.digest.to_string());
        std::fflush(m_stream);
    }
};

class JsonPrinter final : public Printer {
public:
    using Printer::Printer;

private:
    void finished(const oci::Descriptor& blob, Outcome outcome, double seconds) override {
        nlohmann::json event = {{"event", "blob"},
                                {"digest", blob.digest.to_string()},
                                {"size", blob.size},
                                {"outcome", outcome_name(outcome)},
                                {"bytes", outcome == Outcome::copied ? blob.size : 0},
                                {"seconds", seconds}};
        fmt::print(m_stream, "{}\n", event.dump());
        std::fflush(m_stream);
    }
    void written(const oci::Descriptor& manifest) override {
        nlohmann::json event = {{"event", "manifest"},
                                {"digest", manifest.digest.to_string()},
                                {"mediaType", manifest.media_type},
                                {"size", manifest.size}};
        fmt::print(m_stream, "{}\n", event.dump());
        std::fflush(m_stream);
    }
};

// One bar per blob in flight, redrawn in place at most ten times a second; finished blobs
// scroll up above them as plain lines.
class TtyPrinter final : public Printer {
public:
    using Printer::Printer;
    ~TtyPrinter() override { clear(); }

private:
    void progressed() override {
        if (Clock::now() - m_drawn < std::chrono::milliseconds(100)) {
            return;
        }
        clear();
        for (const auto& [digest, active] : m_active) {
            auto total = static_cast<double>(std::max<std::int64_t>(active.blob.size, 1));
            auto fraction = std::min(static_cast<double>(active.bytes) / total, 1.0);
            auto filled = static_cast<int>(fraction * 30);
            auto rate = static_cast<double>(active.bytes) / std::max(seconds_since(active.start), 1e-3);
            fmt::print(m_stream, "{} [{}{}] {} / {}  {}/s\n", short_digest(active.blob), std::string(filled, '='),
                       std::string(30 - filled, ' '), human_bytes(static_cast<double>(active.bytes)),
                       human_bytes(total), human_bytes(rate));
        }
        m_lines = m_active.size();
        m_drawn = Clock::now();
        std::fflush(m_stream);
    }
    void finished(const oci::Descriptor& blob, Outcome outcome, double seconds) override {
        clear();
        fmt::print(m_stream, "{}\n", finished_line(blob, outcome, seconds));
        m_drawn = {};
        progressed();
    }
    void written(const oci::Descriptor& manifest) override {
        clear();
        fmt::print(m_stream, "manifest {}: written\n", manifest.digest.to_string());
        std::fflush(m_stream);
    }
    void clear() {
        for (; m_lines > 0; --m_lines) {
            fmt::print(m_stream, "\x1b[1A\x1b[2K");
        }
    }

    std::size_t m_lines = 0;
    Clock::time_point m_drawn;
};

}  // namespace

Result<ProgressMode> progress_mode(std::string_view flag, bool quiet, std::FILE* stream) {
    if (quiet) {
        return ProgressMode::quiet;
    }
    if (flag == "auto") {
        return isatty(fileno(stream)) ? ProgressMode::tty : ProgressMode::plain;
    }
    if (flag == "tty") {
        return ProgressMode::tty;
    }
    if (flag == "plain") {
        return ProgressMode::plain;
    }
    if (flag == "json") {
        return ProgressMode::json;
    }
    return fail(Errc::invalid_argument, fmt::format("--progress {}: use auto, tty, plain or json", flag));
}

std::unique_ptr<oci::CopyObserver> make_progress(ProgressMode mode, std::FILE* stream) {
    switch (mode) {
        case ProgressMode::tty:
            return std::make_unique<TtyPrinter>(stream);
        case ProgressMode::plain:
            return std::make_unique<PlainPrinter>(stream);
        case ProgressMode::json:
            return std::make_unique<JsonPrinter>(stream);
        case ProgressMode::quiet:
            break;
    }
    return std::make_unique<oci::CopyObserver>();
}

}  // namespace hoist
