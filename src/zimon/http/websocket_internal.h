// Internal to the http module: how a server connection turns into a
// WebSocket. Includes Boost.Beast; only websocket.cc and connection.cc include
// it.
#ifndef ZIMON_HTTP_WEBSOCKET_INTERNAL_H_
#define ZIMON_HTTP_WEBSOCKET_INTERNAL_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "zimon/common/status.h"
#include "zimon/http/websocket.h"

namespace zimon::http::internal {

// True when `request` asks for a WebSocket upgrade (GET with "Upgrade:
// websocket" and "Connection: upgrade").
bool IsWebSocketUpgrade(
    const boost::beast::http::request<boost::beast::http::string_body>&
        request);

// Takes over `stream` (its timeouts are switched off), answers the upgrade
// `request` with 101 and returns the open WebSocket. Runs on the stream's
// executor. kInvalidArgument when the handshake is malformed (the 400 is
// written), kUnavailable when the transport failed.
boost::asio::awaitable<StatusOr<WebSocket>> AcceptWebSocket(
    boost::beast::tcp_stream stream,
    const boost::beast::http::request<boost::beast::http::string_body>& request,
    WebSocketOptions options);

}  // namespace zimon::http::internal

#endif  // ZIMON_HTTP_WEBSOCKET_INTERNAL_H_
