// Request and Response: the HTTP messages handlers see and return.
//
// These are our own plain structs, so modules that serve or call HTTP never
// include Boost.Beast. The server fills a Request from the wire; the router
// adds path parameters; a handler returns a Response.
//
// Thread safety: value types. A Request is handed to one handler at a time; its
// `stop` token may be observed from any thread.
#ifndef ZIMON_HTTP_MESSAGE_H_
#define ZIMON_HTTP_MESSAGE_H_

#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zimon/common/status.h"
#include "zimon/http/headers.h"

namespace zimon::http {

// Decoded key/value pairs of a query string or form body, in order. Keys may
// repeat (Prometheus' `match[]=a&match[]=b`).
class QueryParams {
 public:
  using Param = std::pair<std::string, std::string>;

  QueryParams() = default;
  QueryParams(std::initializer_list<Param> params) : params_(params) {}

  // First value of `key`, or nullopt.
  std::optional<std::string_view> Get(std::string_view key) const;
  std::vector<std::string_view> GetAll(std::string_view key) const;
  bool Has(std::string_view key) const { return Get(key).has_value(); }
  void Add(std::string key, std::string value) {
    params_.emplace_back(std::move(key), std::move(value));
  }

  size_t size() const { return params_.size(); }
  bool empty() const { return params_.empty(); }
  std::vector<Param>::const_iterator begin() const { return params_.begin(); }
  std::vector<Param>::const_iterator end() const { return params_.end(); }

 private:
  std::vector<Param> params_;
};

// Decodes %XX escapes. With `plus_as_space` (query strings and form bodies)
// '+' becomes ' '. A malformed escape is kInvalidArgument.
StatusOr<std::string> PercentDecode(std::string_view in, bool plus_as_space);

// Encodes everything but unreserved characters (RFC 3986) as %XX.
std::string PercentEncode(std::string_view in);

// Parses "a=1&b=x%20y&flag" (also an application/x-www-form-urlencoded body).
// A key without '=' has an empty value. Malformed escapes are kInvalidArgument.
StatusOr<QueryParams> ParseQueryString(std::string_view query);

// Path parameters bound by the router, e.g. {"id", "42"} for "/images/{id}".
using PathParams = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // as received, e.g. "GET"
  std::string target;  // raw request-target, e.g. "/api/v1/query?query=up"
  std::string
      path;  // percent-decoded path without the query, e.g. "/api/v1/query"
  QueryParams query;  // decoded query parameters
  Headers headers;
  std::string body;
  std::string remote_address;  // peer "ip:port"; empty when unknown
  int version = 11;            // 10 for HTTP/1.0, 11 for HTTP/1.1
  PathParams path_params;      // filled by Router for "{name}" segments

  // Stop is requested when the client disconnects while the handler runs, when
  // the server's handler deadline passes, or when Shutdown's grace runs out.
  // The server requests it from the connection's I/O thread, so
  // std::stop_callback callbacks run there; keep them short and thread-safe
  // (e.g. post a cancel). Default-constructed (the server always sets it): stop
  // is never requested.
  std::stop_token stop;

  // The value bound to path parameter `name`, or "" when absent.
  std::string_view PathParam(std::string_view name) const;
  // True once the client is gone or the request was cut off (see `stop`).
  bool cancelled() const { return stop.stop_requested(); }
};

// Text that may be a slice of a larger shared buffer (the base64 of an image
// inside a backend's answer), so that it can be passed on without a copy.
// Immutable; copies share the buffer.
class SharedText {
 public:
  SharedText() = default;
  SharedText(std::string text)  // NOLINT: owns a copy of plain text
      : owner_(std::make_shared<const std::string>(std::move(text))),
        view_(*owner_) {}
  SharedText(const char* text) : SharedText(std::string(text)) {}  // NOLINT
  // `view` must lie inside *owner.
  SharedText(std::shared_ptr<const std::string> owner, std::string_view view)
      : owner_(std::move(owner)), view_(view) {}

  std::string_view view() const { return view_; }
  operator std::string_view() const { return view_; }  // NOLINT
  bool empty() const { return view_.empty(); }
  size_t size() const { return view_.size(); }

  friend bool operator==(const SharedText& a, std::string_view b) {
    return a.view_ == b;
  }

 private:
  std::shared_ptr<const std::string> owner_;
  std::string_view view_;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // When not empty, the body is these parts in order and `body` is unused:
  // large answers are written from the buffers they were built from
  // (scatter-gather), not copied into one string.
  std::vector<SharedText> body_parts;

  // The body's length in bytes, whichever way it is held.
  size_t BodySize() const;

  // text/plain; charset=utf-8
  static Response Text(int status, std::string body);
  // application/json; `json` must already be serialized JSON.
  static Response Json(int status, std::string json);
  // HttpStatusFor(status.code()) with a JSON body
  // {"error":{"code":"NOT_FOUND","message":"..."}}. An OK status gives 200
  // "{}".
  static Response FromStatus(const Status& status);
};

// How a server or router builds the error answers it gives itself, so that
// an API keeps its own error format.
using ErrorFormat =
    std::function<Response(int http_status, const Status& status)>;
// `format`'s answer (FromStatus when unset), with status `http_status`
// whatever it returned.
Response ErrorAnswer(const ErrorFormat& format, int http_status,
                     const Status& status);

// Reason phrase for a status code ("Not Found"), "" when unknown.
std::string_view ReasonPhrase(int status);

// `s` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view s);

}  // namespace zimon::http

#endif  // ZIMON_HTTP_MESSAGE_H_
