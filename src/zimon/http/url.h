// Url: the parts of an absolute http:// URL the client needs.
//
// Thread safety: a value type.
#ifndef ZIMON_HTTP_URL_H_
#define ZIMON_HTTP_URL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "zimon/common/status.h"

namespace zimon::http {

struct Url {
  std::string scheme;  // "http"
  std::string host;    // "example.com", "127.0.0.1" or "::1" (no brackets)
  uint16_t port = 80;
  std::string target;  // path and query, never empty: "/", "/v1/x?y=1"

  // "host:port", with brackets around IPv6 literals; the pool key and Host
  // header.
  std::string HostPort() const;
};

// Parses "http://host[:port][/path][?query]" (a "#fragment" is dropped).
// kUnimplemented for https and other schemes; kInvalidArgument when malformed.
StatusOr<Url> ParseUrl(std::string_view url);

}  // namespace zimon::http

#endif  // ZIMON_HTTP_URL_H_
