// Client: an HTTP/1.1 client with a per-host keep-alive pool, for coroutines.
//
//   Client client(server->executor());            // share the server's I/O
//   threads StatusOr<Response> r = co_await client.Send(
//       {"POST", "http://10.0.0.5:8000/v1/images", json},
//       request.stop);                            // dropped when our client
//       leaves
//
// Errors (a Response with any HTTP status, 500 included, is a success):
//   kInvalidArgument   malformed URL or request
//   kUnimplemented     https:// and other schemes
//   kUnavailable       name not resolved, connection refused, connect
//                      timed out (connect_timeout), or the connection failed
//                      before the request was sent: the server cannot have
//                      acted on it
//   kAborted           the connection was closed or reset after the request
//                      was sent, before the whole answer came: the server may
//                      have acted on it
//   kDeadlineExceeded  the whole-request timeout (also when it passes while
//                      connecting)
//   kCancelled         `stop` was requested; the socket is closed at once, so
//                      the server sees the disconnect
//   kResourceExhausted the response header or body is over the limit
//   kDataLoss          the response is malformed
//
// Pooling: after a complete keep-alive response the connection goes back to a
// per-host ("host:port") idle list, at most `max_idle_per_host` deep, and the
// next request to that host reuses it (most recently used first). A pooled
// connection the peer has closed, or that idled longer than `idle_timeout`, is
// dropped instead (whether the peer closed it is checked only for connections
// idle for a second or more: servers close idle ones after seconds). If a
// reused connection turns out to be dead before any byte of the answer
// arrives, an idempotent request (GET, HEAD, PUT, DELETE, OPTIONS) is retried
// once on a new connection.
//
// Each connection runs its I/O on its own strand of `executor`, so Send() may
// be awaited from any coroutine on any executor, concurrently. With
// ClientOptions::single_threaded (one thread runs `executor`) connections
// have no strand, and a Send() awaited on `executor` itself runs its exchange
// in the caller's coroutine; from other executors it still hops over. There is
// no limit on open connections; callers bound concurrency (the gateway does per
// backend). Host names other than IP literals and "localhost" are resolved with
// Asio's resolver, which uses one internal thread.
//
// Ownership and thread safety: the Client must outlive every Send() it started,
// and must be destroyed before the io_context behind `executor` (for a Client
// on Server::executor(): before the Server).
// All methods are thread-safe.
#ifndef ZIMON_HTTP_CLIENT_H_
#define ZIMON_HTTP_CLIENT_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>

#include "zimon/common/status.h"
#include "zimon/http/headers.h"
#include "zimon/http/message.h"

namespace zimon::http {

struct ClientOptions {
  using Duration = std::chrono::steady_clock::duration;

  Duration connect_timeout = std::chrono::seconds(5);
  Duration request_timeout =
      std::chrono::seconds(60);  // connect + send + receive
  size_t max_idle_per_host = 16;
  Duration idle_timeout = std::chrono::seconds(30);  // pooled longer: dropped
  size_t max_response_header_bytes = 64 * 1024;
  size_t max_response_body_bytes = 64 * 1024 * 1024;
  std::string user_agent = "zimon";
  // The executor's context runs on one thread (a Server with one I/O thread):
  // connections need no strand, and a Send() made from that executor runs its
  // exchange in the caller's coroutine instead of spawning one.
  bool single_threaded = false;
  // The executor's context runs until it is stopped (a Server's), never "until
  // it runs out of work": a pooled connection may keep its timer's wait
  // pending, which saves cancelling it after every exchange and arming it
  // again for the next. Off, pooled connections hold no work, so a context
  // run until idle (Fetch, tests) returns once the calls are done.
  bool long_lived_executor = false;
};

// Not an aggregate on purpose: GCC 12 miscompiles a brace-initialized
// aggregate temporary inside a co_await expression (it is destroyed twice), and
// `co_await client.Send({...})` is exactly that. The constructors keep the call
// site short and safe:  co_await client.Send({"POST", url, body}).
struct ClientRequest {
  ClientRequest() = default;
  ClientRequest(std::string get_url)
      : url(std::move(get_url)) {}                      // NOLINT: GET
  ClientRequest(const char* get_url) : url(get_url) {}  // NOLINT: GET
  ClientRequest(std::string request_method, std::string request_url,
                std::string request_body = {})
      : method(std::move(request_method)),
        url(std::move(request_url)),
        body(std::move(request_body)) {}

  std::string method = "GET";
  std::string url;  // "http://host:port/path?query"
  Headers headers;  // Host, User-Agent and Content-Length are added when absent
  std::string body;
  // Whole-request timeout for this call; zero: ClientOptions::request_timeout.
  std::chrono::steady_clock::duration timeout =
      std::chrono::steady_clock::duration::zero();
};

// Counters since construction.
struct ClientStats {
  uint64_t requests = 0;            // Send() calls that reached the network
  uint64_t connections_opened = 0;  // new TCP connections
  uint64_t connections_reused = 0;  // requests sent on a pooled connection
  uint64_t idle_connections = 0;    // pooled right now, all hosts
};

class Client {
 public:
  explicit Client(boost::asio::any_io_executor executor,
                  ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `request` and reads the whole response. See the error table above.
  boost::asio::awaitable<StatusOr<Response>> Send(ClientRequest request,
                                                  std::stop_token stop = {});

  ClientStats stats() const;
  // Closes every pooled idle connection.
  void CloseIdle();

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// Blocking convenience for tools and tests: runs its own io_context on the
// calling thread (never call it from an I/O thread). A fresh pool per call.
// Fetch("http://127.0.0.1:9400/metrics") is a plain GET.
StatusOr<Response> Fetch(ClientRequest request, ClientOptions options = {},
                         std::stop_token stop = {});

}  // namespace zimon::http

#endif  // ZIMON_HTTP_CLIENT_H_
