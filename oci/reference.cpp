#include "oci/reference.hpp"

#include <algorithm>
#include <cassert>
#include <cstddef>

namespace hoist::oci {
namespace {

constexpr std::string_view k_default_domain = "docker.io";
// Docker Hub's old name; docker treats it as an alias and so do we.
constexpr std::string_view k_legacy_domain = "index.docker.io";
constexpr std::string_view k_official_prefix = "library/";
constexpr std::size_t k_max_name_length = 255;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || is_digit(c);
}

bool is_upper(char c) {
    return c >= 'A' && c <= 'Z';
}

bool is_alnum(char c) {
    return is_lower_alnum(c) || is_upper(c);
}

bool has_upper(std::string_view text) {
    return std::ranges::any_of(text, is_upper);
}

// Docker refuses a bare image ID as a name, so that "docker pull <id>" cannot mean a repository.
bool is_image_id(std::string_view text) {
    return text.size() == 64 && std::ranges::all_of(text, [](char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); });
}

std::string quoted(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

// One path component: [a-z0-9]+ runs joined by exactly one separator, '.', '_', '__' or '-'+.
bool valid_path_component(std::string_view component) {
    std::size_t i = 0;
    while (true) {
        std::size_t run = i;
        while (i < component.size() && is_lower_alnum(component[i])) {
            ++i;
        }
        if (i == run) {
            return false;
        }
        if (i == component.size()) {
            return true;
        }
        std::size_t separator = i;
        char c = component[i];
        while (i < component.size() && component[i] == c) {
            ++i;
        }
        std::size_t length = i - separator;
        bool ok = (c == '.' && length == 1) || (c == '_' && length <= 2) || c == '-';
        if (!ok) {
            return false;
        }
    }
}

// Why `path` (already known to be lower case) is not a valid repository path, or nothing.
std::optional<std::string> path_error(std::string_view path) {
    // A character the grammar never allows in a path means the text as a whole was misread
    // (a stray ':' or '@'), so that gets the general message rather than a component's.
    if (!std::ranges::all_of(
            path, [](char c) { return is_lower_alnum(c) || c == '/' || c == '.' || c == '_' || c == '-'; })) {
        return "invalid reference format";
    }
    std::size_t start = 0;
    while (true) {
        std::size_t end = std::min(path.find('/', start), path.size());
        std::string_view component = path.substr(start, end - start);
        if (component.empty()) {
            return "empty path component";
        }
        if (!valid_path_component(component)) {
            return "invalid path component " + quoted(component) +
                   ": want lower-case letters and digits joined by '.', '_', '__' or '-'";
        }
        if (end == path.size()) {
            return std::nullopt;
        }
        start = end + 1;
    }
}

// A DNS label: [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?
bool valid_domain_label(std::string_view label) {
    return !label.empty() && is_alnum(label.front()) && is_alnum(label.back()) &&
           std::ranges::all_of(label, [](char c) { return is_alnum(c) || c == '-'; });
}

// Why `domain` is not host[:port], host being labels joined by '.' or a bracketed IPv6 address.
std::optional<std::string> domain_error(std::string_view domain) {
    std::string_view port;
    if (domain.starts_with('[')) {
        std::size_t close = domain.find(']');
        std::string_view address = domain.substr(1, close == std::string_view::npos ? 0 : close - 1);
        bool ok = close != std::string_view::npos && !address.empty() && std::ranges::all_of(address, [](char c) {
                      return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':';
                  });
        if (!ok) {
            return "invalid domain " + quoted(domain) + ": want [ipv6-address]";
        }
        port = domain.substr(close + 1);
    } else {
        std::size_t colon = std::min(domain.find(':'), domain.size());
        std::string_view host = domain.substr(0, colon);
        std::size_t start = 0;
        while (true) {
            std::size_t end = std::min(host.find('.', start), host.size());
            if (!valid_domain_label(host.substr(start, end - start))) {
                return "invalid domain " + quoted(domain);
            }
            if (end == host.size()) {
                break;
            }
            start = end + 1;
        }
        port = domain.substr(colon);
    }
    if (!port.empty() && (port.size() == 1 || port[0] != ':' || !std::ranges::all_of(port.substr(1), is_digit))) {
        return "invalid domain " + quoted(domain) + ": the port must be decimal digits";
    }
    return std::nullopt;
}

// name[:tag][@digest]
std::string with_tag_and_digest(std::string name, const std::optional<std::string>& tag,
                                const std::optional<Digest>& digest) {
    if (tag) {
        name += ":" + *tag;
    }
    if (digest) {
        name += "@" + digest->to_string();
    }
    return name;
}

}  // namespace

Result<Reference> Reference::parse(std::string_view text) {
    return parse_text(text, false);
}

Result<Reference> Reference::parse_repository(std::string_view text) {
    return parse_text(text, true);
}

std::string Reference::repository() const {
    return m_domain + "/" + m_path;
}

std::string Reference::to_string() const {
    return with_tag_and_digest(repository(), m_tag, m_digest);
}

std::string Reference::familiar() const {
    return with_tag_and_digest(familiar_repository(), m_tag, m_digest);
}

std::string Reference::familiar_repository() const {
    std::string text;
    std::string_view path = m_path;
    std::string_view first = path.substr(0, path.find('/'));
    if (m_domain != k_default_domain) {
        text = repository();
    } else if (path.starts_with(k_official_prefix) &&
               path.find('/', k_official_prefix.size()) == std::string_view::npos) {
        text = path.substr(k_official_prefix.size());
    } else if (first.find('.') != std::string_view::npos || first == "localhost") {
        // "docker.io/foo.bar/x" shortened would read back as domain "foo.bar".
        text = repository();
    } else {
        text = m_path;
    }
    return text;
}

Reference Reference::with_tag(std::string tag) const {
    assert(valid_tag(tag));
    Reference copy(m_domain, m_path);
    copy.m_tag = std::move(tag);
    return copy;
}

Reference Reference::with_digest(Digest digest) const {
    Reference copy(m_domain, m_path);
    copy.m_digest = std::move(digest);
    return copy;
}

bool Reference::valid_tag(std::string_view tag) {
    auto word = [](char c) { return is_alnum(c) || c == '_'; };
    return !tag.empty() && tag.size() <= 128 && word(tag.front()) &&
           std::ranges::all_of(tag, [&](char c) { return word(c) || c == '.' || c == '-'; });
}

Result<Reference> Reference::parse_text(std::string_view text, bool repository_only) {
    auto bad = [&](std::string_view why) {
        return fail(Errc::invalid_argument, "invalid reference " + quoted(text) + ": " + std::string(why));
    };
    if (text.empty()) {
        return bad("empty");
    }
    if (is_image_id(text)) {
        return bad("a 64-character hex string is an image ID, not a repository name");
    }

    // name[:tag][@digest]: a digest never contains '@' or '/', a tag never ':' or '/', so the
    // first '@' ends the name and a ':' after the last '/' starts the tag (a ':' before it is a
    // port).
    std::string_view name = text;
    std::optional<std::string_view> digest_text;
    if (std::size_t at = name.find('@'); at != std::string_view::npos) {
        digest_text = name.substr(at + 1);
        name = name.substr(0, at);
    }
    std::optional<std::string_view> tag;
    std::size_t colon = name.rfind(':');
    std::size_t last_slash = name.rfind('/');
    if (colon != std::string_view::npos && (last_slash == std::string_view::npos || last_slash < colon)) {
        tag = name.substr(colon + 1);
        name = name.substr(0, colon);
    }
    if (repository_only && (tag || digest_text)) {
        return bad("a repository name may not have a tag or digest");
    }
    if (name.empty()) {
        return bad("missing repository name");
    }

    // Docker's rule for telling "host/app" from "user/app": only a first component that cannot be
    // a Docker Hub user name is a domain.
    std::string domain(k_default_domain);
    std::string path(name);
    std::size_t slash = name.find('/');
    if (slash != std::string_view::npos) {
        std::string_view first = name.substr(0, slash);
        if (first.find_first_of(".:") != std::string_view::npos || first == "localhost" || has_upper(first)) {
            domain = first;
            path = name.substr(slash + 1);
        }
    }
    if (domain == k_legacy_domain) {
        domain = k_default_domain;
    }
    if (domain == k_default_domain && path.find('/') == std::string::npos) {
        path.insert(0, k_official_prefix);
    }

    if (has_upper(path)) {
        return bad("repository name must be lowercase");
    }
    if (auto why = domain_error(domain)) {
        return bad(*why);
    }
    if (auto why = path_error(path)) {
        return bad(*why);
    }
    if (domain.size() + 1 + path.size() > k_max_name_length) {
        return bad("repository name must not be more than 255 characters");
    }
    if (tag && !valid_tag(*tag)) {
        return bad("invalid tag " + quoted(*tag));
    }
    Reference reference(std::move(domain), std::move(path));
    if (digest_text) {
        auto digest = Digest::parse(*digest_text);
        if (!digest) {
            return std::unexpected(std::move(digest.error()).wrap("invalid reference " + quoted(text)));
        }
        reference.m_digest = std::move(*digest);
    }
    if (tag) {
        reference.m_tag = std::string(*tag);
    } else if (!digest_text && !repository_only) {
        reference.m_tag = "latest";
    }
    return reference;
}

}  // namespace hoist::oci
