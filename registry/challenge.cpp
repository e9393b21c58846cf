#include "registry/challenge.hpp"

#include <optional>

#include <fmt/core.h>

#include "oci/text.hpp"

namespace hoist::registry {
namespace {

// RFC 9110 section 5.6.2.
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 7235 section 2.1.
bool is_token68_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view("-._~+/").find(c) != std::string_view::npos;
}

bool is_whitespace(char c) {
    return c == ' ' || c == '\t';
}

class Parser {
public:
    explicit Parser(std::string_view text) : m_text(text) {}

    Result<std::vector<Challenge>> challenges() {
        std::vector<Challenge> result;
        for (;;) {
            skip_list_separators();
            if (at_end()) {
                break;
            }
            Challenge challenge = HOIST_TRY(this->challenge());
            result.push_back(std::move(challenge));
            // challenge() stops only at the end or at a ','.
        }
        if (result.empty()) {
            return error("no challenge");
        }
        return result;
    }

private:
    Result<Challenge> challenge() {
        std::string_view scheme = token();
        if (scheme.empty()) {
            return error("expected an auth scheme");
        }
        Challenge challenge{ascii_lower(scheme), {}, {}};
        std::size_t spaces = skip_whitespace();
        if (at_end() || peek() == ',') {
            return challenge;
        }
        if (spaces == 0) {
            return error(fmt::format("expected ' ' or ',' after the auth scheme \"{}\"", scheme));
        }
        if (auto value = token68()) {
            challenge.token68 = std::string(*value);
            return challenge;
        }
        HOIST_TRY(params(challenge));
        return challenge;
    }

    // A token68 is only one when the challenge ends right after it: "realm=x" is a parameter.
    std::optional<std::string_view> token68() {
        std::size_t start = m_pos;
        std::size_t end = start;
        while (end < m_text.size() && is_token68_char(m_text[end])) {
            ++end;
        }
        if (end == start) {
            return std::nullopt;
        }
        while (end < m_text.size() && m_text[end] == '=') {
            ++end;
        }
        std::size_t after = end;
        while (after < m_text.size() && is_whitespace(m_text[after])) {
            ++after;
        }
        if (after < m_text.size() && m_text[after] != ',') {
            return std::nullopt;
        }
        m_pos = after;
        return m_text.substr(start, end - start);
    }

    // A ',' after a parameter starts either the next parameter or the next challenge; a token
    // followed by '=' is a parameter, anything else a scheme.
    Result<void> params(Challenge& challenge) {
        for (;;) {
            std::string_view name = token();
            if (name.empty()) {
                return error("expected a parameter name");
            }
            skip_whitespace();
            if (at_end() || peek() != '=') {
                return error(fmt::format("expected '=' after the parameter \"{}\"", name));
            }
            ++m_pos;
            skip_whitespace();
            std::size_t value_start = m_pos;
            std::string value;
            if (!at_end() && peek() == '"') {
                value = HOIST_TRY(quoted_string());
            } else {
                std::string_view bare = token();
                if (bare.empty()) {
                    return error(fmt::format("expected a token or a quoted string after \"{}=\"", name));
                }
                value = std::string(bare);
            }
            if (!challenge.params.emplace(ascii_lower(name), std::move(value)).second) {
                m_pos = value_start;
                return error(fmt::format("the parameter \"{}\" is given twice", ascii_lower(name)));
            }
            skip_whitespace();
            if (at_end()) {
                return {};
            }
            if (peek() != ',') {
                return error(fmt::format("expected ',' after the value of \"{}\"", name));
            }
            std::size_t comma = m_pos;
            skip_list_separators();
            if (at_end()) {
                return {};
            }
            std::size_t next = m_pos;
            token();
            skip_whitespace();
            bool is_param = !at_end() && peek() == '=' && m_pos > next;
            m_pos = is_param ? next : comma;
            if (!is_param) {
                return {};
            }
        }
    }

    Result<std::string> quoted_string() {
        std::size_t open = m_pos;
        ++m_pos;
        std::string value;
        while (!at_end()) {
            char c = m_text[m_pos];
            if (c == '"') {
                ++m_pos;
                return value;
            }
            if (c == '\\') {
                ++m_pos;
                if (at_end()) {
                    break;
                }
                c = m_text[m_pos];
            }
            // qdtext and quoted-pair allow HTAB, SP, visible characters and obs-text, no controls.
            auto byte = static_cast<unsigned char>(c);
            if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
                return error("control character in a quoted string");
            }
            value.push_back(c);
            ++m_pos;
        }
        m_pos = open;
        return error("unterminated quoted string");
    }

    std::string_view token() {
        std::size_t start = m_pos;
        while (!at_end() && is_tchar(peek())) {
            ++m_pos;
        }
        return m_text.substr(start, m_pos - start);
    }

    std::size_t skip_whitespace() {
        std::size_t start = m_pos;
        while (!at_end() && is_whitespace(peek())) {
            ++m_pos;
        }
        return m_pos - start;
    }

    // RFC 9110 section 5.6.1: recipients accept empty list elements, ", ,".
    void skip_list_separators() {
        while (!at_end() && (is_whitespace(peek()) || peek() == ',')) {
            ++m_pos;
        }
    }

    bool at_end() const { return m_pos >= m_text.size(); }
    char peek() const { return m_text[m_pos]; }

    std::unexpected<Error> error(std::string_view why) const {
        return fail(Errc::invalid_argument, fmt::format("invalid WWW-Authenticate value at offset {}: {}", m_pos, why));
    }

    std::string_view m_text;
    std::size_t m_pos = 0;
};

}  // namespace

Result<std::vector<Challenge>> parse_challenges(std::string_view header) {
    return Parser(header).challenges();
}

}  // namespace hoist::registry
