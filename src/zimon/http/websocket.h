// WebSocket (RFC 6455) connections, server and client side.
//
// Server side: register a route with Router::HandleWebSocket. The server
// answers the upgrade (101), hands the connection's stream over to a
// WebSocket and runs the handler with it; when the handler returns, the
// socket is closed (1000) if it is still open.
//
//   router.HandleWebSocket("/ws", [](Request& req, WebSocket& ws)
//       -> boost::asio::awaitable<void> {
//     while (true) {
//       StatusOr<std::string> msg = co_await ws.Receive();
//       if (!msg.ok()) co_return;                    // peer closed or gone
//       co_await ws.SendText(*msg);                  // echo
//     }
//   });
//
// A GET to a WebSocket route that is not a valid upgrade gets 426 with
// "Upgrade: websocket" (or 400 for a malformed handshake). Server shutdown
// sends close 1001 ("going away") to every open WebSocket; when the grace
// period passes, the sockets are closed.
//
// Client side:
//
//   StatusOr<WebSocket> ws = co_await WebSocket::Connect(
//       executor, "ws://127.0.0.1:8188/ws?clientId=abc");
//
// Reading. Keep one Receive() pending while the connection should stay open:
// reading is what answers pings and notices the peer's close frame. At most
// one Receive() at a time.
//
// Errors: Receive() and the sends return kCancelled once the connection is
// closed by either side (the message names the close code), kUnavailable when
// the transport failed, kResourceExhausted for a message over the size limit
// (the connection is then closed with 1009). Connect() returns kInvalidArgument
// for a malformed URL, kUnimplemented for wss://, kUnavailable when the peer
// cannot be reached or refuses the upgrade, kDeadlineExceeded on timeout.
//
// Ownership and thread safety: WebSocket is a handle; copies refer to the
// same connection, which lives while any copy or pending operation does. Every
// method is thread-safe and may be awaited from a coroutine on any executor;
// the I/O runs on the connection's own strand. Sends are written in the order
// they were made, whichever thread made them. Destroy every copy before the
// io_context that runs the connection.
#ifndef ZIMON_HTTP_WEBSOCKET_H_
#define ZIMON_HTTP_WEBSOCKET_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "zimon/common/status.h"
#include "zimon/http/headers.h"

namespace zimon::http {

struct WebSocketOptions {
  using Duration = std::chrono::steady_clock::duration;

  size_t max_message_bytes = 16 * 1024 * 1024;
  // Opening and closing handshakes. There is no idle timeout: an open
  // connection lasts until either side closes it or the transport fails.
  Duration handshake_timeout = std::chrono::seconds(10);
};

// Close codes (RFC 6455 §7.4.1) used here.
inline constexpr uint16_t kWsCloseNormal = 1000;
inline constexpr uint16_t kWsCloseGoingAway = 1001;

class WebSocket {
 public:
  // Opens a client connection to "ws://host:port/path?query". `headers` are
  // added to the handshake request.
  static boost::asio::awaitable<StatusOr<WebSocket>> Connect(
      boost::asio::any_io_executor executor, std::string url,
      WebSocketOptions options = {}, Headers headers = {});

  WebSocket(const WebSocket&) = default;
  WebSocket& operator=(const WebSocket&) = default;
  WebSocket(WebSocket&&) = default;
  WebSocket& operator=(WebSocket&&) = default;
  ~WebSocket();

  // Sends one text (UTF-8) or binary message; completes when it is written.
  boost::asio::awaitable<Status> SendText(std::string text);
  boost::asio::awaitable<Status> SendBinary(std::string data);
  // Queues a text message without waiting (from any thread, also from
  // non-coroutine code such as engine callbacks). Errors are dropped.
  void PostText(std::string text);

  // The next complete message (text or binary; see last_was_binary()).
  boost::asio::awaitable<StatusOr<std::string>> Receive();
  // Whether the last message Receive() returned was binary.
  bool last_was_binary() const;

  // Sends a close frame after the queued messages and waits for the close
  // handshake (with a pending Receive(), that Receive() sees it). OK when
  // already closed.
  boost::asio::awaitable<Status> Close(uint16_t code = kWsCloseNormal,
                                       std::string reason = {});
  // Close() without waiting.
  void PostClose(uint16_t code = kWsCloseNormal, std::string reason = {});
  // Drops the TCP connection at once, without a close frame.
  void Abort();

  // False once a close frame was sent or received or the transport failed.
  bool is_open() const;
  // The close code the peer sent (0 if none yet).
  uint16_t peer_close_code() const;

  class Impl;
  explicit WebSocket(std::shared_ptr<Impl> impl);
  Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace zimon::http

#endif  // ZIMON_HTTP_WEBSOCKET_H_
