#include "zimon/http/client.h"

#include <gtest/gtest.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <functional>
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

TEST(Client, ChecksAConnectionIdleForASecondBeforeReusingIt) {
  // A POST is not retried on a dead pooled connection, so it succeeds only
  // if the pool noticed the close: connections idle for a second or more are
  // checked before reuse.
  ServerOptions options;
  options.idle_timeout = 1100ms;
  Fixture f(options);
  boost::asio::io_context ioc;
  Client client(ioc.get_executor());
  ASSERT_TRUE(
      testing::RunOn(ioc, client.Send({"POST", f.Url("/echo"), "one"})).ok());
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return f.server->stats().idle_timeouts == 1; }, 5s));
  auto resp = testing::RunOn(ioc, client.Send({"POST", f.Url("/echo"), "two"}));
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->body, "two");
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

// The client remembers parsed URLs (a few hundred at most): each URL must
// still reach its own target, past the point where the memory is emptied,
// and a bad URL must fail every time, not only the first.
TEST(Client, EachOfManyUrlsReachesItsOwnTarget) {
  Fixture f;
  boost::asio::io_context ioc;
  Client client(ioc.get_executor());
  for (int i = 0; i < 300; ++i) {
    ClientRequest req("POST", f.Url("/echo?i=" + std::to_string(i)),
                      std::to_string(i));
    auto resp = testing::RunOn(ioc, client.Send(req));
    ASSERT_TRUE(resp.ok()) << i << ": " << resp.status().ToString();
    EXPECT_EQ(resp->body, std::to_string(i));
  }
  auto again = testing::RunOn(ioc, client.Send({f.Url("/hello")}));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->body, "hello");
  EXPECT_EQ(client.stats().connections_opened, 1u);
  for (int i = 0; i < 2; ++i) {
    auto bad = testing::RunOn(ioc, client.Send({"http://[::1/x"}));
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << i;
  }
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

namespace zimon::http {
namespace {

// A TCP peer on 127.0.0.1 that accepts one connection and runs `script` on
// it on its own thread, for answers no real server writes: split into many
// small writes, close-delimited, chunked, stalled.
class ScriptedPeer {
 public:
  explicit ScriptedPeer(std::function<void(int fd)> script) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(
        ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listener_, 4), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, script = std::move(script)] {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 10000) != 1) return;  // the client never came
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      int one = 1;  // each send its own segment
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      script(fd);
      ::close(fd);
    });
  }
  ~ScriptedPeer() {
    thread_.join();
    ::close(listener_);
  }
  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Sends `data` in pieces of `piece` bytes, pausing between them so that
// they arrive as separate reads.
bool SendInPieces(int fd, std::string_view data, size_t piece) {
  while (!data.empty()) {
    size_t n = std::min(piece, data.size());
    if (!SendAll(fd, data.substr(0, n))) return false;
    data.remove_prefix(n);
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Reads one request (its head, and a Content-Length body); empty at EOF.
std::string ReadRequest(int fd) {
  std::string got;
  char buf[4096];
  size_t want = std::string::npos;
  while (got.size() < want) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return {};
    got.append(buf, static_cast<size_t>(n));
    size_t end = got.find("\r\n\r\n");
    if (want == std::string::npos && end != std::string::npos) {
      size_t length = 0;
      size_t at = got.find("Content-Length: ");
      if (at != std::string::npos && at < end)
        length = std::stoul(got.substr(at + 16));
      want = end + 4 + length;
    }
  }
  return got;
}

// Blocks until the client closes the connection.
void WaitForClose(int fd) {
  char buf[4096];
  while (::recv(fd, buf, sizeof(buf), 0) > 0) {
  }
}

TEST(Client, WritesTheRequestHeadByHand) {
  std::string received;
  ScriptedPeer peer([&](int fd) {
    received = ReadRequest(fd);
    SendAll(fd, "HTTP/1.1 204 No Content\r\n\r\n");
    WaitForClose(fd);
  });
  ClientRequest req("POST", peer.Url("/v1/x?y=1"), "{}");
  req.headers.Add("X-A", "1");
  req.headers.Add("content-length", "999");  // ours replaces it
  req.headers.Add("Transfer-Encoding", "chunked");
  auto resp = Fetch(req);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 204);
  std::string host = "127.0.0.1:" + std::to_string(peer.port());
  EXPECT_EQ(received, "POST /v1/x?y=1 HTTP/1.1\r\nX-A: 1\r\nHost: " + host +
                          "\r\nUser-Agent: zimon\r\nContent-Length: "
                          "2\r\n\r\n{}");
}

TEST(Client, CallerHostAndUserAgentAreKeptAndGetHasNoLength) {
  std::string received;
  ScriptedPeer peer([&](int fd) {
    received = ReadRequest(fd);
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    WaitForClose(fd);
  });
  ClientRequest req(peer.Url("/"));
  req.headers.Add("host", "example.com");
  req.headers.Add("User-Agent", "tester");
  req.headers.Add("Connection", "close");
  auto resp = Fetch(req);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->body, "ok");
  EXPECT_EQ(received,
            "GET / HTTP/1.1\r\nhost: example.com\r\nUser-Agent: "
            "tester\r\nConnection: close\r\n\r\n");
}

// The header split mid-line, the body in small pieces: all put together, and
// the connection pooled for the next request, answered the same way.
TEST(Client, ParsesAnAnswerSplitAcrossManyReads) {
  std::string body;
  for (int i = 0; i < 200; ++i) body += "piece " + std::to_string(i) + ";";
  const std::string answer =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
      "X-Long-Header: " +
      std::string(300, 'h') +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  ScriptedPeer peer([&](int fd) {
    for (int i = 0; i < 2; ++i) {
      if (ReadRequest(fd).empty()) return;
      SendInPieces(fd, answer.substr(0, 50), 1);  // byte by byte
      SendInPieces(fd, answer.substr(50), 97);
    }
    WaitForClose(fd);
  });
  boost::asio::io_context ioc;
  Client client(ioc.get_executor());
  for (int i = 0; i < 2; ++i) {
    auto resp = testing::RunOn(ioc, client.Send({peer.Url("/split")}));
    ASSERT_TRUE(resp.ok()) << resp.status().ToString();
    EXPECT_EQ(resp->status, 200);
    EXPECT_EQ(resp->body, body);
    EXPECT_EQ(resp->headers.Get("x-long-header"), std::string(300, 'h'));
  }
  EXPECT_EQ(client.stats().connections_opened, 1u);
  EXPECT_EQ(client.stats().connections_reused, 1u);
}

// No Content-Length: the body ends where the server closes.
TEST(Client, ReadsACloseDelimitedAnswerToTheEnd) {
  const std::string body(200000, 'z');
  ScriptedPeer peer([&](int fd) {
    ReadRequest(fd);
    SendAll(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    SendInPieces(fd, body, 65536);
  });
  boost::asio::io_context ioc;
  Client client(ioc.get_executor());
  auto resp = testing::RunOn(ioc, client.Send({peer.Url("/")}));
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->body, body);
  EXPECT_EQ(client.stats().idle_connections, 0u);
}

TEST(Client, ReadsAChunkedAnswerAndPoolsTheConnection) {
  ScriptedPeer peer([&](int fd) {
    ReadRequest(fd);
    SendInPieces(fd,
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n",
                 7);
    WaitForClose(fd);
  });
  boost::asio::io_context ioc;
  Client client(ioc.get_executor());
  auto resp = testing::RunOn(ioc, client.Send({peer.Url("/")}));
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->body, "hello, world");
  EXPECT_EQ(client.stats().idle_connections, 1u);
}

// Larger than the read buffer many times over, in one Content-Length answer.
TEST(Client, ReadsALargeAnswer) {
  std::string body(3 << 20, 'b');
  for (size_t i = 0; i < body.size(); i += 1000) body[i] = char('a' + i % 26);
  ScriptedPeer peer([&](int fd) {
    ReadRequest(fd);
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body);
    WaitForClose(fd);
  });
  boost::asio::io_context ioc;
  Client client(ioc.get_executor());
  auto resp = testing::RunOn(ioc, client.Send({peer.Url("/")}));
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_TRUE(resp->body == body) << resp->body.size();
  EXPECT_EQ(client.stats().idle_connections, 1u);
}

// The body in pieces, the first with the head: what follows the head's read
// goes straight into the body, a piece at a time, and the connection, read
// to the body's last byte and no further, serves the next request.
TEST(Client, ReadsABodyThatComesInPiecesAndReusesTheConnection) {
  std::string body(200000, 'b');
  for (size_t i = 0; i < body.size(); i += 7) body[i] = char('a' + i % 26);
  ScriptedPeer peer([&](int fd) {
    ReadRequest(fd);
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" +
                    body.substr(0, 10));
    std::this_thread::sleep_for(20ms);
    SendAll(fd, body.substr(10, 70000));
    std::this_thread::sleep_for(20ms);
    SendAll(fd, body.substr(70010));
    ReadRequest(fd);
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
    WaitForClose(fd);
  });
  boost::asio::io_context ioc;
  Client client(ioc.get_executor());
  auto first = testing::RunOn(ioc, client.Send({peer.Url("/")}));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->body == body) << first->body.size();
  EXPECT_EQ(client.stats().idle_connections, 1u);
  auto second = testing::RunOn(ioc, client.Send({peer.Url("/")}));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->body, "second");
}

// A wait for the rest of a long body raises the socket's read mark
// (socket_io.h); it must come down again, or the next, short answer on the
// pooled connection would wait for bytes that never come. The long answers
// come in pieces, so that the client waits for their rest, and several of
// them, so that the connection's receive buffer grows enough for a mark.
TEST(Client, AShortAnswerAfterLongOnesOnTheSameConnectionIsNotHeldBack) {
  std::string body(2 << 20, 'b');
  for (size_t i = 0; i < body.size(); i += 1000) body[i] = char('a' + i % 26);
  constexpr int kLong = 4;
  ScriptedPeer peer([&](int fd) {
    for (int i = 0; i < kLong; ++i) {
      ReadRequest(fd);
      SendInPieces(fd,
                   "HTTP/1.1 200 OK\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body,
                   256 * 1024);
    }
    ReadRequest(fd);
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nshort");
    WaitForClose(fd);
  });
  boost::asio::io_context ioc;
  ClientOptions options;
  options.request_timeout = 5s;
  Client client(ioc.get_executor(), options);
  for (int i = 0; i < kLong; ++i) {
    auto resp = testing::RunOn(ioc, client.Send({peer.Url("/")}));
    ASSERT_TRUE(resp.ok()) << resp.status().ToString();
    ASSERT_TRUE(resp->body == body) << resp->body.size();
  }
  auto resp = testing::RunOn(ioc, client.Send({peer.Url("/")}));
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->body, "short");
  EXPECT_EQ(client.stats().connections_opened, 1u);
}

// The same cut while the read mark is raised: the close wakes the read
// though the mark's bytes never come. Two long answers first, so that the
// connection's receive buffer has grown enough for a mark.
TEST(Client, LongBodyCutShortUnderARaisedMarkFailsAtOnce) {
  std::string body(2 << 20, 'b');
  ScriptedPeer peer([&](int fd) {
    const std::string head =
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n";
    for (int i = 0; i < 2; ++i) {
      ReadRequest(fd);
      SendInPieces(fd, head + body, 256 * 1024);
    }
    ReadRequest(fd);
    SendInPieces(fd, head + body.substr(0, 300000), 100000);
  });
  boost::asio::io_context ioc;
  ClientOptions options;
  options.request_timeout = 20s;
  Client client(ioc.get_executor(), options);
  for (int i = 0; i < 2; ++i) {
    auto resp = testing::RunOn(ioc, client.Send({peer.Url("/")}));
    ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  }
  auto resp = testing::RunOn(ioc, client.Send({peer.Url("/")}));
  EXPECT_EQ(resp.status().code(), StatusCode::kAborted)
      << resp.status().ToString();
}

// A long body cut short by the server's close: the client hears the close
// while waiting for the body's rest and reports the answer as cut, without
// waiting for the deadline.
TEST(Client, LongBodyCutShortByACloseFailsAtOnce) {
  ScriptedPeer peer([&](int fd) {
    ReadRequest(fd);
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" +
                    std::string(300000, 'b'));
  });
  ClientRequest req(peer.Url("/"));
  req.timeout = 20s;
  auto resp = Fetch(req);
  EXPECT_EQ(resp.status().code(), StatusCode::kAborted)
      << resp.status().ToString();
}

// Bytes after the answer: the connection is not trusted again.
TEST(Client, DoesNotPoolAConnectionWithBytesAfterTheAnswer) {
  ScriptedPeer peer([&](int fd) {
    ReadRequest(fd);
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokjunk");
    WaitForClose(fd);
  });
  boost::asio::io_context ioc;
  Client client(ioc.get_executor());
  auto resp = testing::RunOn(ioc, client.Send({peer.Url("/")}));
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->body, "ok");
  EXPECT_EQ(client.stats().idle_connections, 0u);
}

TEST(Client, MalformedAnswerIsDataLoss) {
  ScriptedPeer peer([&](int fd) {
    ReadRequest(fd);
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n");
    WaitForClose(fd);
  });
  auto resp = Fetch(peer.Url("/"));
  EXPECT_EQ(resp.status().code(), StatusCode::kDataLoss)
      << resp.status().ToString();
}

TEST(Client, HeaderOverTheLimitIsResourceExhausted) {
  ScriptedPeer peer([&](int fd) {
    ReadRequest(fd);
    SendAll(fd, "HTTP/1.1 200 OK\r\nX-Big: " + std::string(5000, 'x') +
                    "\r\nContent-Length: 0\r\n\r\n");
    WaitForClose(fd);
  });
  ClientOptions options;
  options.max_response_header_bytes = 1024;
  auto resp = Fetch(peer.Url("/"), options);
  EXPECT_EQ(resp.status().code(), StatusCode::kResourceExhausted)
      << resp.status().ToString();
}

// The server stalls halfway through the body: the request's deadline closes
// the socket and the call reports it.
TEST(Client, DeadlineMidBodyIsDeadlineExceeded) {
  ScriptedPeer peer([&](int fd) {
    ReadRequest(fd);
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
    WaitForClose(fd);  // the client gives up
  });
  ClientRequest req(peer.Url("/"));
  req.timeout = 200ms;
  auto resp = Fetch(req);
  EXPECT_EQ(resp.status().code(), StatusCode::kDeadlineExceeded)
      << resp.status().ToString();
}

// The deadline belongs to one exchange: a pooled connection idle for longer
// than the request timeout is not closed by it, and the next request on it
// gets a fresh deadline.
// With `long_lived_executor` the wait stays pending while the connection is
// pooled, and must find no deadline when it fires.
TEST(Client, DeadlineDoesNotOutliveItsExchange) {
  for (bool long_lived : {false, true}) {
    SCOPED_TRACE(long_lived ? "long-lived executor" : "run until idle");
    Fixture f;
    boost::asio::io_context ioc;
    ClientOptions options;
    options.request_timeout = 100ms;
    options.long_lived_executor = long_lived;
    Client client(ioc.get_executor(), options);
    ASSERT_TRUE(testing::RunOn(ioc, client.Send({f.Url("/hello")})).ok());
    std::this_thread::sleep_for(300ms);
    ioc.restart();
    ioc.run_for(200ms);  // a timer left over would fire now
    auto resp = testing::RunOn(ioc, client.Send({f.Url("/hello")}));
    ASSERT_TRUE(resp.ok()) << resp.status().ToString();
    EXPECT_EQ(client.stats().connections_opened, 1u);
    EXPECT_EQ(client.stats().connections_reused, 1u);
  }
}

// A pooled connection leaves no timer pending: an io_context run until it
// runs out of work returns once the answer is in, not at the timeout.
TEST(Client, PooledConnectionHoldsNoWork) {
  Fixture f;
  boost::asio::io_context ioc;
  ClientOptions options;
  options.connect_timeout = 1h;
  options.request_timeout = 1h;
  Client client(ioc.get_executor(), options);
  bool ok = false;
  boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<void> {
        auto resp = co_await client.Send({f.Url("/hello")});
        ok = resp.ok();
      },
      boost::asio::detached);
  ioc.run_for(10s);
  EXPECT_TRUE(ok);
  EXPECT_TRUE(ioc.stopped());  // ran out of work before the 10 s
  EXPECT_EQ(client.stats().idle_connections, 1u);
}

}  // namespace
}  // namespace zimon::http
