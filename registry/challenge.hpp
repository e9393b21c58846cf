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
    std::string token68;                        // the other form, "Negotiate YII+/A==": then params is empty
};

// The challenges of one WWW-Authenticate header value, in order (a header may carry several,
// separated by commas; empty list elements are skipped). Errc::invalid_argument, "invalid
// WWW-Authenticate value at offset N: <why>", for a value that is not a list of challenges (an
// unterminated quote, a parameter without '=', an empty scheme, a parameter given twice in one
// challenge, no challenge at all).
Result<std::vector<Challenge>> parse_challenges(std::string_view header);

}  // namespace hoist::registry
