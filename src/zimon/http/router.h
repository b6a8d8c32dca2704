// Router: maps (method, path pattern) to coroutine handlers.
//
// Patterns are absolute paths whose segments are literals, "{name}" (one
// segment, bound to a path parameter) or, as the last segment only, "{name...}"
// (the rest of the path, slashes included, possibly empty):
//
//   router.Handle("GET", "/images/{id}", GetImage);
//   router.HandleSync("GET", "/healthz", [](Request&) { return
//   Response::Text(200, "ok"); });
//
// Matching compares percent-decoded segments; a literal segment beats a
// parameter, a parameter beats "{rest...}". A path no pattern matches is 404; a
// path some pattern matches but not for this method is 405 with an Allow
// header. HEAD falls back to the GET handler (the server drops the body).
//
// A Router is itself a Handler (operator()), so it is passed to Server::Create.
//
// Handlers are coroutines. A lambda handler's captures live in the Router
// (which the Server keeps for its lifetime), so capturing `this` or shared
// state is safe; do not capture references to locals of the function that
// builds the router.
//
// Thread safety: build the router on one thread, then it is immutable;
// operator() may run concurrently on every I/O thread.
#ifndef ZIMON_HTTP_ROUTER_H_
#define ZIMON_HTTP_ROUTER_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/status.h"
#include "zimon/http/message.h"
#include "zimon/http/websocket.h"

namespace zimon::http {

// A request handler. It runs on the connection's I/O strand and may co_await
// timers and Client calls; it must never block the thread. The Request stays
// valid until the returned awaitable completes.
using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

// A handler that computes its answer at once (no I/O, no waiting).
using SyncHandler = std::function<Response(Request&)>;

// A WebSocket session (websocket.h). It runs on the connection's strand after
// the upgrade; the Request (the upgrade request) and the WebSocket stay valid
// until the returned awaitable completes. Request::stop is requested when the
// server shuts down.
using WebSocketHandler =
    std::function<boost::asio::awaitable<void>(Request&, WebSocket&)>;

// Wraps a synchronous handler as a Handler.
Handler MakeHandler(SyncHandler handler);

class Router {
 public:
  Router() = default;

  // Registers `handler` for `method` and `pattern`. kInvalidArgument for a
  // malformed pattern; kAlreadyExists when the same method and pattern shape
  // (parameter names aside) is already registered.
  Status Handle(std::string_view method, std::string_view pattern,
                Handler handler);
  Status HandleSync(std::string_view method, std::string_view pattern,
                    SyncHandler handler);
  // Registers a WebSocket endpoint: GET `pattern` with a valid upgrade runs
  // `handler` on the upgraded connection; a GET without "Upgrade: websocket"
  // gets 426, a malformed handshake 400. Works when the Router (or a handler
  // that forwards the same Request to it) serves an http::Server; called any
  // other way, an upgrade gets 500.
  Status HandleWebSocket(std::string_view pattern, WebSocketHandler handler);

  // The result of matching a request line against the routes.
  struct Match {
    const Handler* handler = nullptr;  // null when status != 200
    PathParams params;
    int status = 404;   // 200 (found), 400 (bad escape), 404 or 405
    std::string allow;  // for 405: "GET, HEAD, POST"
  };
  // `raw_path` is the path part of the request-target, not yet decoded.
  Match Find(std::string_view method, std::string_view raw_path) const;

  // Routes `request`: sets request.path_params and runs the handler, or answers
  // 400/404/405 itself.
  boost::asio::awaitable<Response> operator()(Request& request) const;

  // Builds the answers the router gives itself (400, 404, 405), so that an
  // API can keep its own error format; the status code is kept whatever it
  // returns (and a 405 keeps its Allow header). Unset:
  // Response::FromStatus(status).
  void SetErrorResponse(ErrorFormat format) {
    error_response_ = std::move(format);
  }

 private:
  enum class SegmentKind { kLiteral = 0, kParam = 1, kRest = 2 };
  struct Segment {
    SegmentKind kind;
    std::string text;  // literal text or parameter name
  };
  struct Route {
    std::string method;
    std::string shape;  // pattern with parameter names erased, for duplicates
    std::vector<Segment> segments;
    Handler handler;
  };

  static bool Matches(const Route& route,
                      const std::vector<std::string>& segments,
                      PathParams* params);

  // Rebuilds literal_routes_ from routes_.
  void IndexLiteralRoutes();

  std::vector<Route> routes_;  // most specific first
  ErrorFormat error_response_;
  // The routes without parameters, by path (segments joined by '/', without
  // the leading one), as indexes into routes_: a path without '%' finds its
  // route in one lookup instead of a walk over every route.
  std::map<std::string, std::vector<size_t>, std::less<>> literal_routes_;
};

}  // namespace zimon::http

#endif  // ZIMON_HTTP_ROUTER_H_
