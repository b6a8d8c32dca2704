// Base64 (RFC 4648, standard alphabet with '=' padding), for images that
// travel inside JSON (OpenAI's b64_json).
//
// Thread safety: pure functions.
#ifndef ZIMON_GATEWAY_BASE64_H_
#define ZIMON_GATEWAY_BASE64_H_

#include <string>
#include <string_view>

#include "zimon/common/status.h"

namespace zimon::gateway {

std::string Base64Encode(std::string_view bytes);

// Decodes `text`. Padding is optional; ASCII whitespace (the line breaks some
// encoders insert) is skipped. Any other character outside the alphabet, or a
// length that cannot be base64, is kInvalidArgument.
StatusOr<std::string> Base64Decode(std::string_view text);

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_BASE64_H_
