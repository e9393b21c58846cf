// Image references ("alpine", "127.0.0.1:5000/app:1", "name@sha256:..") in Docker's grammar,
// normalised as Docker normalises them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "oci/digest.hpp"
#include "oci/error.hpp"

namespace hoist::oci {

class Reference {
public:
    // Parses `text` as docker does:
    //   alpine             -> docker.io/library/alpine:latest
    //   user/app           -> docker.io/user/app:latest
    //   index.docker.io/x  -> docker.io/library/x:latest
    //   localhost:5000/app -> localhost:5000/app:latest
    // The first '/'-separated component is a domain when it contains '.' or ':', is "localhost",
    // or has upper-case letters; otherwise the domain is docker.io. Tag and digest are both kept
    // when both are given; the tag "latest" is added only when neither is.
    // Errors are Errc::invalid_argument, 'invalid reference "<text>": <why>', except that a
    // well-formed digest of an unsupported algorithm keeps Digest::parse's Errc::unsupported.
    static Result<Reference> parse(std::string_view text);
    // The same grammar for a repository name alone: a tag or digest is an error, and no tag is
    // added.
    static Result<Reference> parse_repository(std::string_view text);

    // "docker.io", "127.0.0.1:5000", "[::1]:5000".
    const std::string& domain() const { return m_domain; }
    // "library/alpine".
    const std::string& path() const { return m_path; }
    const std::optional<std::string>& tag() const { return m_tag; }
    const std::optional<Digest>& digest() const { return m_digest; }

    // domain + "/" + path.
    std::string repository() const;
    // The full normalised form, "docker.io/library/alpine:latest"; parse() reads it back to an
    // equal Reference.
    std::string to_string() const;
    // The short form docker prints, "alpine:latest", "user/app:1", "127.0.0.1:5000/app:1". It
    // keeps "docker.io/" where dropping it would make the text parse to another repository.
    std::string familiar() const;
    // familiar() without tag and digest: "alpine", "127.0.0.1:5000/app".
    std::string familiar_repository() const;

    // Precondition: valid_tag(tag). Replaces the tag and drops any digest.
    Reference with_tag(std::string tag) const;
    // Sets the digest and drops any tag.
    Reference with_digest(Digest digest) const;

    // [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
    static bool valid_tag(std::string_view tag);

    bool operator==(const Reference&) const = default;

private:
    static Result<Reference> parse_text(std::string_view text, bool repository_only);
    Reference(std::string domain, std::string path) : m_domain(std::move(domain)), m_path(std::move(path)) {}

    std::string m_domain;
    std::string m_path;
    std::optional<std::string> m_tag;
    std::optional<Digest> m_digest;
};

}  // namespace hoist::oci
