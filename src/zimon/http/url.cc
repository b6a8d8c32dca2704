#include "zimon/http/url.h"

#include <charconv>

#include "zimon/http/headers.h"

namespace zimon::http {

std::string Url::HostPort() const {
  std::string out =
      host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return out + ":" + std::to_string(port);
}

StatusOr<Url> ParseUrl(std::string_view url) {
  Url out;
  size_t colon = url.find("://");
  if (colon == std::string_view::npos) {
    return InvalidArgumentError("URL without scheme: " + std::string(url));
  }
  std::string_view scheme = url.substr(0, colon);
  if (EqualsIgnoreCase(scheme, "https")) {
    return UnimplementedError("https is not supported: " + std::string(url));
  }
  if (!EqualsIgnoreCase(scheme, "http")) {
    return UnimplementedError("unsupported URL scheme '" + std::string(scheme) +
                              "'");
  }
  out.scheme = "http";
  std::string_view rest = url.substr(colon + 3);
  rest = rest.substr(0, rest.find('#'));
  size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view target = path_start == std::string_view::npos
                                ? std::string_view()
                                : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgumentError("credentials in URLs are not supported");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgumentError("unterminated IPv6 literal in " +
                                  std::string(url));
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return InvalidArgumentError("bad authority in " + std::string(url));
      port = after.substr(1);
    }
  } else {
    size_t c = authority.rfind(':');
    if (c != std::string_view::npos) {
      host = authority.substr(0, c);
      port = authority.substr(c + 1);
    }
  }
  if (host.empty())
    return InvalidArgumentError("URL without host: " + std::string(url));
  for (char ch : host) {
    if (ch <= ' ' || ch == '/' || ch == '\\' || ch == '[' || ch == ']') {
      return InvalidArgumentError("bad host in URL: " + std::string(url));
    }
  }
  out.host = std::string(host);
  if (!port.empty()) {
    unsigned value = 0;
    auto [ptr, ec] =
        std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size() || value == 0 ||
        value > 65535) {
      return InvalidArgumentError("bad port in URL: " + std::string(url));
    }
    out.port = static_cast<uint16_t>(value);
  }
  for (char ch : target) {
    if (ch <= ' ' || ch == 0x7f) {
      return InvalidArgumentError("URL contains a space or control character");
    }
  }
  out.target = target.empty() ? "/" : std::string(target);
  if (out.target.front() == '?') out.target.insert(0, "/");
  return out;
}

}  // namespace zimon::http
