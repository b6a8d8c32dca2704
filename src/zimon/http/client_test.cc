#include "zimon/http/client.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "zimon/http/async.h"
#include "zimon/http/server.h"
#include "zimon/http/test_util.h"

namespace zimon::http {
namespace {

using namespace std::chrono_literals;

// A server whose "/slow" handler sleeps until stopped and reports how it ended.
struct Fixture {
  Fixture(ServerOptions options = {}) {
    Router r;
    EXPECT_TRUE(r.HandleSync("GET", "/hello", [](Request&) {
                   return Response::Text(200, "hello");
                 }).ok());
    EXPECT_TRUE(r.HandleSync("GET", "/big", [](Request&) {
                   return Response::Text(200, std::string(10000, 'x'));
                 }).ok());
    EXPECT_TRUE(r.HandleSync("GET", "/close", [](Request&) {
                   Response resp = Response::Text(200, "bye");
                   resp.headers.Set("Connection",
                                    "close");  // asks the server to close
                   return resp;
                 }).ok());
    EXPECT_TRUE(r.HandleSync("POST", "/echo", [](Request& q) {
                   Response resp = Response::Text(201, q.body);
                   resp.headers.Set("X-Type",
                                    q.headers.GetOr("content-type", "-"));
                   return resp;
                 }).ok());
    EXPECT_TRUE(
        r.Handle("GET", "/slow",
                 [this](Request& q) -> boost::asio::awaitable<Response> {
                   entered.set_value();
                   Status s = co_await SleepFor(30s, q.stop);
                   outcome.set_value(s.code());
                   co_return Response::Text(200, "slept");
                 })
            .ok());
    options.io_threads = 2;
    auto created = Server::Create(options, std::move(r));
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    server = std::move(created).value();
  }
  std::string Url(std::string_view path) const {
    return server->base_url() + std::string(path);
  }

  std::promise<void> entered;
  std::promise<StatusCode> outcome;
  std::unique_ptr<Server> server;
};

TEST(Client, SendsBodyAndReadsResponse) {
  Fixture f;
  ClientRequest req("POST", f.Url("/echo"), R"({"a":1})");
  req.headers.Set("Content-Type", "application/json");
  auto resp = Fetch(req);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 201);
  EXPECT_EQ(resp->body, R"({"a":1})");
  EXPECT_EQ(resp->headers.Get("x-type"), "application/json");
}

TEST(Client, ReusesPooledConnection) {
  Fixture f;
  boost::asio::io_context ioc;
  Client client(ioc.get_executor());
  for (int i = 0; i < 4; ++i) {
    auto resp = testing::RunOn(ioc, client.Send({f.Url("/hello")}));
    ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  }
  ClientStats s = client.stats();
  EXPECT_EQ(s.requests, 4u);
  EXPECT_EQ(s.connections_opened, 1u);
  EXPECT_EQ(s.connections_reused, 3u);
  EXPECT_EQ(s.idle_connections, 1u);
  EXPECT_EQ(f.server->stats().connections_accepted, 1u);
}

TEST(Client, DoesNotPoolClosedConnection) {
  Fixture f;
  boost::asio::io_context ioc;
  Client client(ioc.get_executor());
  for (int i = 0; i < 2; ++i) {
    auto resp = testing::RunOn(ioc, client.Send({f.Url("/close")}));
    ASSERT_TRUE(resp.ok()) << resp.status().ToString();
    EXPECT_EQ(resp->body, "bye");
  }
  EXPECT_EQ(client.stats().connections_opened, 2u);
  EXPECT_EQ(client.stats().idle_connections, 0u);
}

TEST(Client, ReplacesPooledConnectionThePeerClosed) {
  ServerOptions options;
  options.idle_timeout = 100ms;
  Fixture f(options);
  boost::asio::io_context ioc;
  Client client(ioc.get_executor());
  ASSERT_TRUE(testing::RunOn(ioc, client.Send({f.Url("/hello")})).ok());
  // Wait until the server has closed the pooled connection for idleness.
  ASSERT_TRUE(
      testing::WaitUntil([&] { return f.server->stats().idle_timeouts == 1; }));
  auto resp = testing::RunOn(ioc, client.Send({f.Url("/hello")}));
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(client.stats().connections_opened, 2u);
}

TEST(Client, ConnectionRefusedIsUnavailable) {
  uint16_t port;
  {
    Fixture f;
    port = f.server->port();
  }
  auto resp = Fetch("http://127.0.0.1:" + std::to_string(port) + "/");
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable)
      << resp.status().ToString();
}

TEST(Client, PeerClosingAfterTheRequestIsAborted) {
  // A listener that reads one request and closes without answering, as a
  // server that crashes mid-request does.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
            0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread peer([listener] {
    int fd = ::accept(listener, nullptr, nullptr);
    std::string got;
    char buf[1024];
    while (got.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
  });
  auto resp = Fetch(
      {"POST",
       "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/generate",
       "{}"});
  peer.join();
  ::close(listener);
  EXPECT_EQ(resp.status().code(), StatusCode::kAborted)
      << resp.status().ToString();
}

TEST(Client, ConnectTimeoutIsUnavailable) {
  // A listener with a full accept queue drops further SYNs, so connect hangs.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
            0);
  ASSERT_EQ(::listen(listener, 0), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  uint16_t port = ntohs(addr.sin_port);
  std::vector<int> fillers;  // non-blocking: a blocking connect would hang here
  for (int i = 0; i < 4; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    fillers.push_back(fd);
  }
  ClientOptions options;
  options.connect_timeout = 200ms;
  auto start = std::chrono::steady_clock::now();
  auto resp =
      Fetch({"http://127.0.0.1:" + std::to_string(port) + "/"}, options);
  ::close(listener);
  for (int fd : fillers) ::close(fd);
  if (resp.status().message().find("timed out") == std::string_view::npos) {
    GTEST_SKIP() << "kernel did not drop SYNs for a full backlog: "
                 << resp.status().ToString();
  }
  // Nothing was sent: unreachable, so a caller may try another server.
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable)
      << resp.status().ToString();
  EXPECT_NE(resp.status().message().find("timed out after 200 ms"),
            std::string_view::npos)
      << resp.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(Client, RequestTimeoutIsDeadlineExceededAndServerSeesDisconnect) {
  Fixture f;
  ClientRequest req(f.Url("/slow"));
  req.timeout = 200ms;
  auto resp = Fetch(req);
  EXPECT_EQ(resp.status().code(), StatusCode::kDeadlineExceeded)
      << resp.status().ToString();
  auto outcome = f.outcome.get_future();
  ASSERT_EQ(outcome.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(outcome.get(), StatusCode::kCancelled);
}

TEST(Client, CancellationClosesSocketAndStopsServerHandler) {
  Fixture f;
  std::stop_source stop;
  auto call = std::async(std::launch::async, [&] {
    return Fetch({f.Url("/slow")}, {}, stop.get_token());
  });
  f.entered.get_future().wait();
  stop.request_stop();
  auto resp = call.get();
  EXPECT_EQ(resp.status().code(), StatusCode::kCancelled)
      << resp.status().ToString();
  auto outcome = f.outcome.get_future();
  ASSERT_EQ(outcome.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(outcome.get(), StatusCode::kCancelled);
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return f.server->stats().client_disconnects == 1; }));
}

TEST(Client, AlreadyCancelledDoesNotConnect) {
  Fixture f;
  std::stop_source stop;
  stop.request_stop();
  auto resp = Fetch({f.Url("/hello")}, {}, stop.get_token());
  EXPECT_EQ(resp.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(f.server->stats().connections_accepted, 0u);
}

TEST(Client, EnforcesResponseBodyLimit) {
  Fixture f;
  ClientOptions options;
  options.max_response_body_bytes = 1000;
  auto resp = Fetch({f.Url("/big")}, options);
  EXPECT_EQ(resp.status().code(), StatusCode::kResourceExhausted)
      << resp.status().ToString();
  auto ok = Fetch(f.Url("/big"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->body.size(), 10000u);
}

TEST(Client, RejectsBadUrlsAndHeaders) {
  EXPECT_EQ(Fetch("127.0.0.1:80/x").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Fetch("https://127.0.0.1/").status().code(),
            StatusCode::kUnimplemented);
  ClientRequest injected("http://127.0.0.1:1/");
  injected.headers.Set("X", "a\r\nB: c");
  EXPECT_EQ(Fetch(injected).status().code(), StatusCode::kInvalidArgument);
}

TEST(Client, ManyConcurrentSendsFromOneClient) {
  Fixture f;
  boost::asio::io_context ioc;
  Client client(ioc.get_executor());
  int ok = 0;
  for (int i = 0; i < 50; ++i) {
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
          auto resp = co_await client.Send({f.Url("/hello")});
          if (resp.ok() && resp->body == "hello") ++ok;
        },
        boost::asio::detached);
  }
  ioc.run();
  EXPECT_EQ(ok, 50);
  EXPECT_LE(client.stats().idle_connections, 16u);
}

// With one thread on the executor, exchanges run inline in the caller's
// coroutine and connections have no strand: many sends at once, pooled
// connections, a large body and a cancelled call all behave as with strands.
TEST(Client, SingleThreadedClientRunsExchangesInline) {
  Fixture f;
  boost::asio::io_context ioc(1);
  ClientOptions options;
  options.single_threaded = true;
  Client client(ioc.get_executor(), options);
  int ok = 0;
  for (int i = 0; i < 20; ++i) {
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
          for (int k = 0; k < 3; ++k) {
            auto resp =
                co_await client.Send({f.Url(k == 1 ? "/big" : "/hello")});
            if (resp.ok() && resp->body.size() == (k == 1 ? 10000u : 5u)) ++ok;
          }
        },
        boost::asio::detached);
  }
  std::stop_source stop;
  Status cancelled;
  boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<void> {
        auto resp = co_await client.Send({f.Url("/slow")}, stop.get_token());
        cancelled = resp.status();
      },
      boost::asio::detached);
  std::thread canceller([&] {
    f.entered.get_future().wait();
    stop.request_stop();  // from another thread, as a client disconnect is
  });
  ioc.run();
  canceller.join();
  EXPECT_EQ(ok, 60);
  EXPECT_EQ(cancelled.code(), StatusCode::kCancelled) << cancelled.ToString();
  EXPECT_GE(client.stats().connections_reused, 1u);
}

}  // namespace
}  // namespace zimon::http

namespace zimon::http {
namespace {

// The gateway's shape: a handler on server A calls server B with a Client on
// A's own executor, passing its Request::stop. A client leaving A must reach
// B's handler as a stop, through the upstream socket closing.
TEST(Client, ProxyHandlerPropagatesClientDisconnectUpstream) {
  Fixture upstream;
  std::unique_ptr<Client> client;
  std::promise<StatusCode> proxy_outcome;
  Router r;
  ASSERT_TRUE(r.Handle("GET", "/proxy",
                       [&](Request& q) -> boost::asio::awaitable<Response> {
                         auto resp = co_await client->Send(
                             {upstream.Url("/slow")}, q.stop);
                         proxy_outcome.set_value(resp.status().code());
                         co_return resp.ok()
                             ? *resp
                             : Response::FromStatus(resp.status());
                       })
                  .ok());
  ServerOptions options;
  options.io_threads = 2;
  auto front = Server::Create(options, std::move(r));
  ASSERT_TRUE(front.ok());
  client = std::make_unique<Client>((*front)->executor());

  testing::RawConnection c((*front)->port());
  ASSERT_TRUE(c.Send("GET /proxy HTTP/1.1\r\nHost: x\r\n\r\n"));
  upstream.entered.get_future().wait();
  c.Close();
  auto outcome = upstream.outcome.get_future();
  ASSERT_EQ(outcome.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(outcome.get(), StatusCode::kCancelled);
  auto proxied = proxy_outcome.get_future();
  ASSERT_EQ(proxied.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(proxied.get(), StatusCode::kCancelled);
  (*front)->Shutdown(1s);
}

}  // namespace
}  // namespace zimon::http
