#include "oci/error.hpp"

#include <cstring>

namespace hoist {

Error os_error(std::string_view what, int errnum) {
    return Error(Errc::io, std::string(what) + ": " + std::strerror(errnum));
}

}  // namespace hoist
