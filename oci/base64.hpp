// Base64 (RFC 4648, standard alphabet, padded) through OpenSSL's EVP encoder.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hoist::oci {

std::string encode_base64(std::string_view bytes);
// nullopt for anything that is not padded standard base64 without whitespace.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace hoist::oci
