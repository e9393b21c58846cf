// WWW-Authenticate challenges (RFC 7235 section 4.1), as registries send them on a 401:
//   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"
//   Basic realm="Registry Realm"
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "oci/error.hpp"

namespace hoist::registry {

struct Challenge {
    std::string scheme;                         // lower-cased: "bearer", "basic"
    std::map<std::string, std::string> params;  // names lower-cased; values unquoted and unescaped
};

// The challenges of one WWW-Authenticate header value, in order (a header may carry several,
// separated by commas). Errc::invalid_argument, naming the offset, for a value that is not a
// list of challenges (an unterminated quote, a parameter without '=', an empty scheme).
Result<std::vector<Challenge>> parse_challenges(std::string_view header);

}  // namespace hoist::registry
