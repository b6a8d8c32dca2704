#include "zimon/http/message.h"

#include "zimon/common/logging.h"

namespace zimon::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

}  // namespace

std::optional<std::string_view> QueryParams::Get(std::string_view key) const {
  for (const auto& [k, v] : params_) {
    if (k == key) return std::string_view(v);
  }
  return std::nullopt;
}

std::vector<std::string_view> QueryParams::GetAll(std::string_view key) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : params_) {
    if (k == key) out.emplace_back(v);
  }
  return out;
}

StatusOr<std::string> PercentDecode(std::string_view in, bool plus_as_space) {
  // Most paths and query parts have nothing to decode: copy them whole.
  if (in.find('%') == std::string_view::npos &&
      (!plus_as_space || in.find('+') == std::string_view::npos)) {
    return std::string(in);
  }
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return InvalidArgumentError("truncated percent escape");
      }
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return InvalidArgumentError("bad percent escape '" +
                                    std::string(in.substr(i, 3)) + "'");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string PercentEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (IsUnreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

StatusOr<QueryParams> ParseQueryString(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view()
                                          : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    ZIMON_ASSIGN_OR_RETURN(std::string key, PercentDecode(raw_key, true));
    ZIMON_ASSIGN_OR_RETURN(std::string value, PercentDecode(raw_value, true));
    params.Add(std::move(key), std::move(value));
  }
  return params;
}

std::string_view Request::PathParam(std::string_view name) const {
  for (const auto& [k, v] : path_params) {
    if (k == name) return v;
  }
  return {};
}

size_t Response::BodySize() const {
  if (body_parts.empty()) return body.size();
  size_t n = 0;
  for (const SharedText& part : body_parts) n += part.size();
  return n;
}

Response Response::Text(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

Response Response::Json(int status, std::string json) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "application/json");
  r.body = std::move(json);
  return r;
}

Response Response::FromStatus(const Status& status) {
  if (status.ok()) return Json(200, "{}");
  std::string body = "{\"error\":{\"code\":";
  body += JsonQuote(StatusCodeName(status.code()));
  body += ",\"message\":";
  body += JsonQuote(status.message());
  body += "}}";
  return Json(HttpStatusFor(status.code()), std::move(body));
}

Response ErrorAnswer(const ErrorFormat& format, int http_status,
                     const Status& status) {
  Response response =
      format ? format(http_status, status) : Response::FromStatus(status);
  response.status = http_status;
  return response;
}

std::string JsonQuote(std::string_view s) {
  std::string out;
  log::AppendJsonString(out, s);
  return out;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 499:
      return "Client Closed Request";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

}  // namespace zimon::http
