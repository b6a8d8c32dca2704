#include "zimon/http/websocket.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "zimon/http/async.h"
#include "zimon/http/client.h"
#include "zimon/http/server.h"
#include "zimon/http/test_util.h"

namespace zimon::http {
namespace {

using namespace std::chrono_literals;
using boost::asio::awaitable;

// Runs a test coroutine to completion on `ioc` on this thread.
void RunOn(boost::asio::io_context& ioc, awaitable<void> body) {
  auto wrap = [](awaitable<void> inner) -> awaitable<bool> {
    co_await std::move(inner);
    co_return true;
  };
  EXPECT_TRUE(testing::RunOn(ioc, wrap(std::move(body))));
}

std::unique_ptr<Server> Start(Router router) {
  ServerOptions options;
  options.io_threads = 2;
  auto server = Server::Create(std::move(options), std::move(router));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

std::string WsUrl(const Server& server, std::string_view path) {
  return "ws://127.0.0.1:" + std::to_string(server.port()) + std::string(path);
}

// Echoes every message back with the query's "tag" in front, until the peer
// closes.
Router EchoRouter(std::atomic<int>* sessions_done = nullptr) {
  Router r;
  EXPECT_TRUE(
      r.HandleWebSocket(
           "/echo",
           [sessions_done](Request& req, WebSocket& ws) -> awaitable<void> {
             std::string tag(req.query.Get("tag").value_or(""));
             while (true) {
               StatusOr<std::string> msg = co_await ws.Receive();
               if (!msg.ok()) break;
               // Not a ?: of two co_awaits (GCC 12 miscompiles
               // it).
               Status sent;
               if (ws.last_was_binary()) {
                 sent = co_await ws.SendBinary(tag + *msg);
               } else {
                 sent = co_await ws.SendText(tag + *msg);
               }
               if (!sent.ok()) break;
             }
             if (sessions_done) (*sessions_done)++;
           })
          .ok());
  return r;
}

TEST(WebSocket, EchoesTextAndBinaryMessages) {
  auto server = Start(EchoRouter());
  boost::asio::io_context ioc;
  auto test = [&]() -> awaitable<void> {
    StatusOr<WebSocket> ws = co_await WebSocket::Connect(
        ioc.get_executor(), WsUrl(*server, "/echo?tag=t:"));
    EXPECT_TRUE(ws.ok()) << ws.status().ToString();
    if (!ws.ok()) co_return;
    EXPECT_TRUE((co_await ws->SendText("hello")).ok());
    StatusOr<std::string> got = co_await ws->Receive();
    EXPECT_TRUE(got.ok());
    EXPECT_EQ(got.value_or(""), "t:hello");
    EXPECT_FALSE(ws->last_was_binary());

    std::string bytes("\x00\x01\xff", 3);
    EXPECT_TRUE((co_await ws->SendBinary(bytes)).ok());
    got = co_await ws->Receive();
    EXPECT_EQ(got.value_or(""), "t:" + bytes);
    EXPECT_TRUE(ws->last_was_binary());

    // Many queued sends arrive in order.
    for (int i = 0; i < 50; ++i) ws->PostText(std::to_string(i));
    for (int i = 0; i < 50; ++i) {
      got = co_await ws->Receive();
      EXPECT_EQ(got.value_or(""), "t:" + std::to_string(i));
    }
    EXPECT_TRUE((co_await ws->Close()).ok());
    EXPECT_FALSE(ws->is_open());
  };
  RunOn(ioc, test());
}

TEST(WebSocket, ServerSendsUnpromptedMessagesAndCloses) {
  Router r;
  ASSERT_TRUE(r.HandleWebSocket("/push",
                                [](Request&, WebSocket& ws) -> awaitable<void> {
                                  for (int i = 0; i < 3; ++i) {
                                    co_await SleepFor(1ms);
                                    co_await ws.SendText("tick " +
                                                         std::to_string(i));
                                  }
                                  co_await ws.Close(4000, "done");
                                })
                  .ok());
  auto server = Start(std::move(r));
  boost::asio::io_context ioc;
  auto test = [&]() -> awaitable<void> {
    StatusOr<WebSocket> ws = co_await WebSocket::Connect(
        ioc.get_executor(), WsUrl(*server, "/push"));
    EXPECT_TRUE(ws.ok()) << ws.status().ToString();
    if (!ws.ok()) co_return;
    for (int i = 0; i < 3; ++i) {
      StatusOr<std::string> got = co_await ws->Receive();
      EXPECT_EQ(got.value_or(""), "tick " + std::to_string(i));
    }
    StatusOr<std::string> end = co_await ws->Receive();
    EXPECT_EQ(end.status().code(), StatusCode::kCancelled);
    EXPECT_EQ(ws->peer_close_code(), 4000);
    EXPECT_FALSE(ws->is_open());
    Status after = co_await ws->SendText("late");
    EXPECT_EQ(after.code(), StatusCode::kCancelled);
  };
  RunOn(ioc, test());
}

TEST(WebSocket, ClientCloseEndsServerSession) {
  std::atomic<int> done{0};
  auto server = Start(EchoRouter(&done));
  boost::asio::io_context ioc;
  auto test = [&]() -> awaitable<void> {
    StatusOr<WebSocket> ws = co_await WebSocket::Connect(
        ioc.get_executor(), WsUrl(*server, "/echo"));
    EXPECT_TRUE(ws.ok());
    if (!ws.ok()) co_return;
    EXPECT_TRUE((co_await ws->Close(kWsCloseNormal, "bye")).ok());
  };
  RunOn(ioc, test());
  EXPECT_TRUE(testing::WaitUntil([&] { return done.load() == 1; }));
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return server->stats().connections_active == 0; }));
}

TEST(WebSocket, PlainGetGets426AndBadHandshake400) {
  auto server = Start(EchoRouter());
  auto plain = Fetch(server->base_url() + "/echo");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->status, 426);
  EXPECT_EQ(plain->headers.Get("upgrade"), "websocket");

  ClientRequest bad(server->base_url() + "/echo");
  bad.headers.Set("Upgrade", "websocket");
  bad.headers.Set("Connection", "Upgrade");
  bad.headers.Set("Sec-WebSocket-Version", "13");  // no key
  auto resp = Fetch(bad);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 400);

  // The connection still serves plain HTTP routes; unknown paths are 404.
  boost::asio::io_context ioc;
  auto test = [&]() -> awaitable<void> {
    StatusOr<WebSocket> ws = co_await WebSocket::Connect(
        ioc.get_executor(), WsUrl(*server, "/nowhere"));
    EXPECT_EQ(ws.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(ws.status().message().find("404"), std::string::npos)
        << ws.status().ToString();
  };
  RunOn(ioc, test());
}

TEST(WebSocket, ConnectReportsBadUrlsAndRefusedPorts) {
  boost::asio::io_context ioc;
  auto test = [&]() -> awaitable<void> {
    auto a = co_await WebSocket::Connect(ioc.get_executor(), "http://x/ws");
    EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument);
    auto b = co_await WebSocket::Connect(ioc.get_executor(), "wss://x/ws");
    EXPECT_EQ(b.status().code(), StatusCode::kUnimplemented);
    // A port nobody listens on: bind one, close it, connect.
    auto server = Start(Router());
    uint16_t port = server->port();
    server.reset();
    auto c = co_await WebSocket::Connect(
        ioc.get_executor(), "ws://127.0.0.1:" + std::to_string(port) + "/ws");
    EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
  };
  RunOn(ioc, test());
}

TEST(WebSocket, ShutdownClosesOpenWebSocketsWithGoingAway) {
  std::atomic<bool> stop_seen{false};
  std::atomic<int> done{0};
  Router r;
  ASSERT_TRUE(
      r.HandleWebSocket("/hold",
                        [&](Request& req, WebSocket& ws) -> awaitable<void> {
                          co_await ws.SendText("ready");
                          StatusOr<std::string> msg = co_await ws.Receive();
                          EXPECT_FALSE(msg.ok());
                          stop_seen = req.stop.stop_requested();
                          done++;
                        })
          .ok());
  auto server = Start(std::move(r));
  boost::asio::io_context ioc;
  std::thread shutdown;
  auto test = [&]() -> awaitable<void> {
    StatusOr<WebSocket> ws = co_await WebSocket::Connect(
        ioc.get_executor(), WsUrl(*server, "/hold"));
    EXPECT_TRUE(ws.ok());
    if (!ws.ok()) co_return;
    StatusOr<std::string> ready = co_await ws->Receive();
    EXPECT_EQ(ready.value_or(""), "ready");
    shutdown = std::thread([&] { server->Shutdown(5s); });
    StatusOr<std::string> end = co_await ws->Receive();
    EXPECT_EQ(end.status().code(), StatusCode::kCancelled);
    EXPECT_EQ(ws->peer_close_code(), kWsCloseGoingAway);
  };
  RunOn(ioc, test());
  shutdown.join();
  EXPECT_EQ(done.load(), 1);
  EXPECT_TRUE(stop_seen.load());
}

TEST(WebSocket, ShutdownAbortsSessionThatIgnoresTheClose) {
  Router r;
  ASSERT_TRUE(
      r.HandleWebSocket("/stuck",
                        [](Request& req, WebSocket& ws) -> awaitable<void> {
                          co_await ws.SendText("ready");
                          // Never reads; waits for stop, then a while longer.
                          AsyncNotification never;
                          co_await never.Wait(req.stop);
                          co_await SleepFor(50ms);
                        })
          .ok());
  auto server = Start(std::move(r));
  boost::asio::io_context ioc;
  auto test = [&]() -> awaitable<void> {
    StatusOr<WebSocket> ws = co_await WebSocket::Connect(
        ioc.get_executor(), WsUrl(*server, "/stuck"));
    EXPECT_TRUE(ws.ok());
    if (!ws.ok()) co_return;
    StatusOr<std::string> ready = co_await ws->Receive();
    EXPECT_EQ(ready.value_or(""), "ready");
  };
  RunOn(ioc, test());
  auto start = std::chrono::steady_clock::now();
  server->Shutdown(100ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(server->stats().connections_active, 0u);
}

}  // namespace
}  // namespace zimon::http
