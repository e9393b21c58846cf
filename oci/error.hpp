// The one error type of hoist's libraries, and the Result<T> every fallible function returns.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace hoist {

// A small closed set: callers branch on the code, people read the message.
enum class Errc {
    invalid_argument,  // malformed input: a reference, a digest, a JSON document, a flag value
    not_found,         // a name, blob or manifest that does not exist
    already_exists,    // a name that is taken
    digest_mismatch,   // content whose hash is not the one it was announced with
    unsupported,       // well-formed but not something hoist handles (a media type, an algorithm)
    unsafe,            // refused for safety: a path that escapes, a link out of the root
    io,                // the operating system said no
    busy,              // another process holds what this one needs
    unauthorized,      // a registry refused the credentials, or has none it accepts (401, 403)
    network,           // a connection failed or a server kept failing (after retries)
    protocol,          // a server answered with an error or something the protocol does not allow
};

// An error message plus the chain of what was being done, outermost first:
// "save app:1: layer sha256:ab..: open: No such file or directory".
class Error {
public:
    Error(Errc code, std::string message) : m_code(code), m_text(std::move(message)) {}

    Errc code() const { return m_code; }
    // The whole chain, outermost context first.
    const std::string& what() const { return m_text; }

    // Returns this error with `context` in front of its message.
    Error wrap(std::string_view context) && {
        m_text = std::string(context) + ": " + m_text;
        return std::move(*this);
    }

private:
    Errc m_code;
    std::string m_text;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(Errc code, std::string message) {
    return std::unexpected(Error(code, std::move(message)));
}

// Puts `what` in front of the message of a failed result: `in_context(read(path), "index.json")`.
// (g++ 12's std::expected has no transform_error yet.)
template <class T>
Result<T> in_context(Result<T> result, std::string_view what) {
    if (!result) {
        return std::unexpected(std::move(result).error().wrap(what));
    }
    return result;
}

// Builds an Errc::io error from errno: "open /x/y: No such file or directory".
Error os_error(std::string_view what, int errnum);

namespace detail {
template <class T>
T unwrap(Result<T>&& r) {
    return std::move(*r);
}
inline void unwrap(Result<void>&&) {}
}  // namespace detail

}  // namespace hoist

// Evaluates a Result; on error returns it from the enclosing function, else yields its value.
// (A GNU statement expression; the counter keeps nested uses from shadowing each other.)
// Not inside a braced initializer: g++ 12 does not destroy the members already built when it
// returns from there, and leaks them. Evaluate into a local first.
#define HOIST_TRY(...) HOIST_TRY_IMPL(HOIST_TRY_CONCAT(hoist_try_, __COUNTER__), __VA_ARGS__)
#define HOIST_TRY_CONCAT(a, b) HOIST_TRY_CONCAT2(a, b)
#define HOIST_TRY_CONCAT2(a, b) a##b
#define HOIST_TRY_IMPL(var, ...)                            \
    ({                                                      \
        auto var = (__VA_ARGS__);                           \
        if (!var) {                                         \
            return std::unexpected(std::move(var).error()); \
        }                                                   \
        ::hoist::detail::unwrap(std::move(var));            \
    })
