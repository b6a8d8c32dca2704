// Server: an HTTP/1.1 server on a fixed pool of I/O threads.
//
// Design
// ------
// Threading. One boost::asio::io_context is run by `io_threads` threads
// (default: one per core); the server never starts another thread. Each
// accepted connection gets its own strand: reading, the handler coroutine, the
// disconnect watcher and writing all run serialized on that strand, so a
// handler never runs concurrently with its own connection's I/O but may run on
// any pool thread. With one I/O thread the connections run on the io_context
// directly: that thread serializes everything already. Handlers are coroutines:
// while one co_awaits (a timer, a Client call, a queue slot) it holds no
// thread, so thousands of waiting requests cost memory only. A handler must
// never block its thread.
//
// One request. The connection waits for the first byte (idle timeout; the
// header timeout for a new connection), reads the header within
// `header_timeout` (a client that trickles header bytes is cut off), rejects
// oversized headers (431) and bodies (413, checked against Content-Length
// before the body is read, and against the bytes read for chunked bodies),
// malformed requests (400, then close), answers "Expect: 100-continue", reads
// the body within `body_timeout`, and runs the handler within the
// connection's coroutine (with a `handler_deadline`, as a separate coroutine
// on the strand).
// While it runs the connection watches the socket: a client that disconnects
// (EOF or reset) requests stop on Request::stop, and its answer is dropped. If
// `handler_deadline` passes first, stop is requested too and the
// client gets 504 at once; the handler's late answer is dropped. Keep-alive
// follows HTTP/1.1 rules; pipelined requests are answered in order (while a
// pipelined request is waiting, a disconnect is not detected until its turn).
//
// Shutdown(grace). Stops accepting (new connects are refused), closes idle
// keep-alive connections at once, and lets requests in progress finish and be
// answered with "Connection: close" until `grace` passes. Then it requests stop
// on every running handler, closes the remaining sockets, waits up to 500 ms
// for handlers to unwind, stops the io_context and joins the threads. Handler
// coroutines that still have not finished are destroyed with the io_context.
// The destructor does Shutdown(0) if it was not called.
//
// WebSocket routes (Router::HandleWebSocket, websocket.h): after the 101
// answer the connection hands its stream to the WebSocket; Shutdown sends
// close code 1001 to open ones. Not yet: TLS, HTTP/2.
//
// Ownership and thread safety: Create() returns the owning pointer; the server
// owns the handler and the io_context. port(), executor(), stats() and the
// shutdown calls are thread-safe. Shutdown() and the destructor must not run on
// one of the server's own I/O threads (they join them); BeginShutdown() may.
#ifndef ZIMON_HTTP_SERVER_H_
#define ZIMON_HTTP_SERVER_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "zimon/common/status.h"
#include "zimon/http/message.h"
#include "zimon/http/router.h"

namespace zimon::http {

struct ServerOptions {
  using Duration = std::chrono::steady_clock::duration;

  std::string host =
      "127.0.0.1";     // IP literal, "localhost", or "" for all interfaces
  uint16_t port = 0;   // 0: the OS picks one; see Server::port()
  int io_threads = 0;  // 0: std::thread::hardware_concurrency()
  // I/O threads are named "<thread_name>-N" (common/thread_name.h; the
  // kernel keeps 15 bytes of the whole name).
  std::string thread_name = "zimon-io";

  size_t max_header_bytes = 16 * 1024;      // request line + fields; over: 431
  size_t max_body_bytes = 8 * 1024 * 1024;  // over: 413
  Duration header_timeout =
      std::chrono::seconds(10);  // first byte to end of header
  Duration body_timeout =
      std::chrono::seconds(60);  // end of header to end of body
  Duration idle_timeout =
      std::chrono::seconds(60);  // between keep-alive requests
  Duration write_timeout = std::chrono::seconds(60);  // writing one response
  Duration handler_deadline =
      Duration::zero();  // zero: none; else 504 after it
  // Builds the answers the server sends itself (400 malformed request, 413
  // body too large, 431 header too large, 504 handler deadline), so an API
  // can keep its own error format; the status code is kept whatever it
  // returns. Unset: Response::FromStatus(status). Called on an I/O thread;
  // must not block.
  ErrorFormat error_response;
};

// Counters since Create(). Read with Server::stats(); each field is read
// atomically, the set is not one snapshot.
struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_active = 0;
  uint64_t requests_total = 0;   // requests read completely and dispatched
  uint64_t requests_active = 0;  // handler coroutines still running
  uint64_t bad_requests = 0;     // answered 400, 413 or 431 by the server
  uint64_t header_timeouts =
      0;                       // cut off while sending the header (or nothing)
  uint64_t idle_timeouts = 0;  // keep-alive connections closed for idleness
  uint64_t io_timeouts = 0;    // body read or response write too slow
  uint64_t handler_deadlines = 0;   // answered 504 by handler_deadline
  uint64_t client_disconnects = 0;  // client gone while its handler ran
  uint64_t handler_exceptions = 0;  // handler threw; answered 500
  uint64_t accept_errors = 0;
  int io_threads = 0;
};

class Server {
 public:
  // Binds host:port and starts serving with `handler` (usually a Router).
  // kAlreadyExists when the address is in use, kInvalidArgument for a bad host
  // or options, kPermissionDenied for a privileged port, others as the OS says.
  static StatusOr<std::unique_ptr<Server>> Create(ServerOptions options,
                                                  Handler handler);

  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port (the OS-chosen one when options.port was 0).
  uint16_t port() const;
  // "http://host:port" with the bound address (for tests and logs).
  std::string base_url() const;
  // The executor of the server's io_context: build a Client or timers on it so
  // they share the I/O threads instead of adding some.
  boost::asio::any_io_executor executor() const;
  ServerStats stats() const;

  // Stops accepting and closes idle connections; returns once the listening
  // socket is closed (from an I/O thread: without waiting). Idempotent.
  void BeginShutdown();
  // BeginShutdown(), then drains as described above and joins the I/O threads.
  // Idempotent; later calls return at once.
  void Shutdown(std::chrono::steady_clock::duration grace);

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zimon::http

#endif  // ZIMON_HTTP_SERVER_H_
