#include "zimon/http/server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "zimon/common/thread_name.h"
#include "zimon/http/async.h"
#include "zimon/http/client.h"
#include "zimon/http/test_util.h"

namespace zimon::http {
namespace {

using namespace std::chrono_literals;
using testing::RawConnection;

std::unique_ptr<Server> Start(Router router, ServerOptions options = {}) {
  options.io_threads = options.io_threads == 0 ? 2 : options.io_threads;
  auto server = Server::Create(std::move(options), std::move(router));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

Router EchoRouter() {
  Router r;
  EXPECT_TRUE(r.HandleSync("GET", "/hello", [](Request&) {
                 return Response::Text(200, "hello");
               }).ok());
  EXPECT_TRUE(r.HandleSync("POST", "/echo", [](Request& q) {
                 Response resp = Response::Text(200, q.body);
                 resp.headers.Set("X-Seen-Header",
                                  q.headers.GetOr("x-custom", "-"));
                 resp.headers.Set("X-Query", q.query.Get("q").value_or("-"));
                 resp.headers.Set("X-Path", q.path);
                 resp.headers.Set("X-Remote", q.remote_address);
                 return resp;
               }).ok());
  EXPECT_TRUE(r.HandleSync("GET", "/images/{id}", [](Request& q) {
                 return Response::Json(
                     200,
                     "{\"id\":\"" + std::string(q.PathParam("id")) + "\"}");
               }).ok());
  EXPECT_TRUE(r.HandleSync("GET", "/throw", [](Request&) -> Response {
                 throw std::runtime_error("boom");
               }).ok());
  return r;
}

int StatusOf(const std::string& raw) {
  // "HTTP/1.1 404 Not Found\r\n..."
  if (raw.size() < 12 || raw.compare(0, 5, "HTTP/") != 0) return -1;
  return std::stoi(raw.substr(9, 3));
}

TEST(Server, RoutesPathParams404And405) {
  auto server = Start(EchoRouter());
  auto ok = Fetch(server->base_url() + "/images/77");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, R"({"id":"77"})");
  EXPECT_EQ(ok->headers.Get("content-type"), "application/json");

  auto missing = Fetch(server->base_url() + "/nothing");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);

  ClientRequest put("PUT", server->base_url() + "/hello");
  auto wrong = Fetch(put);
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->headers.Get("allow"), "GET, HEAD");
}

TEST(Server, NamesItsIoThreads) {
  ServerOptions options;
  options.io_threads = 2;
  auto server = Start(EchoRouter(), options);
  std::vector<std::string> names = ProcessThreadNames();
  for (const char* name : {"zimon-io-0", "zimon-io-1"}) {
    EXPECT_EQ(std::count(names.begin(), names.end(), name), 1) << name;
  }
}

TEST(Server, ThreadNamesCanBeChosen) {
  ServerOptions options;
  options.io_threads = 1;
  options.thread_name = "test-io";
  auto server = Start(EchoRouter(), options);
  std::vector<std::string> names = ProcessThreadNames();
  EXPECT_EQ(std::count(names.begin(), names.end(), "test-io-0"), 1);
}

TEST(Server, PassesBodyHeadersQueryAndRemoteAddress) {
  auto server = Start(EchoRouter());
  ClientRequest req("POST", server->base_url() + "/echo?q=a%20b", "payload");
  req.headers.Set("X-Custom", "v1");
  auto resp = Fetch(req);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->body, "payload");
  EXPECT_EQ(resp->headers.Get("x-seen-header"), "v1");
  EXPECT_EQ(resp->headers.Get("x-query"), "a b");
  EXPECT_EQ(resp->headers.Get("x-path"), "/echo");
  EXPECT_TRUE(resp->headers.GetOr("x-remote", "").starts_with("127.0.0.1:"));
}

TEST(Server, HeadGetsLengthWithoutBody) {
  auto server = Start(EchoRouter());
  RawConnection c(server->port());
  ASSERT_TRUE(c.Send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string raw = c.Read(5s, "\r\n\r\n");
  EXPECT_EQ(StatusOf(raw), 200);
  EXPECT_NE(raw.find("Content-Length: 5"), std::string::npos) << raw;
  EXPECT_TRUE(raw.ends_with("\r\n\r\n")) << raw;
  // The connection stays usable: the next answer starts right after.
  ASSERT_TRUE(c.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string next = c.Read(5s, "hello");
  EXPECT_EQ(StatusOf(next), 200) << next;
}

TEST(Server, BodyPartsAreSentInOrderWithTheirTotalLength) {
  auto big = std::make_shared<const std::string>(
      std::string(300000, 'x') + "middle" + std::string(300000, 'y'));
  Router r;
  ASSERT_TRUE(r.HandleSync("GET", "/parts", [big](Request&) {
                 Response resp;
                 resp.body = "ignored when there are parts";
                 resp.body_parts.emplace_back("head:");
                 // A slice of a shared buffer, and an empty part.
                 resp.body_parts.emplace_back(
                     big, std::string_view(*big).substr(1, big->size() - 2));
                 resp.body_parts.emplace_back("");
                 resp.body_parts.emplace_back(":tail");
                 return resp;
               }).ok());
  auto server = Start(std::move(r));
  auto got = Fetch(server->base_url() + "/parts");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const std::string want = "head:" + big->substr(1, big->size() - 2) + ":tail";
  EXPECT_EQ(got->body.size(), want.size());
  EXPECT_TRUE(got->body == want);
  EXPECT_EQ(got->headers.Get("content-length"), std::to_string(want.size()));

  RawConnection c(server->port());
  ASSERT_TRUE(c.Send("HEAD /parts HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string raw = c.Read(5s, "\r\n\r\n");
  EXPECT_NE(raw.find("Content-Length: " + std::to_string(want.size())),
            std::string::npos)
      << raw;
  EXPECT_TRUE(raw.ends_with("\r\n\r\n")) << raw;
}

TEST(Response, BodySizeCountsPartsOrBody) {
  Response r;
  r.body = "abc";
  EXPECT_EQ(r.BodySize(), 3u);
  r.body_parts = {SharedText("hello"), SharedText(""), SharedText("!")};
  EXPECT_EQ(r.BodySize(), 6u);
}

TEST(Server, HandlerExceptionBecomes500) {
  auto server = Start(EchoRouter());
  auto resp = Fetch(server->base_url() + "/throw");
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 500);
  EXPECT_EQ(server->stats().handler_exceptions, 1u);
}

TEST(Server, KeepAliveServesManyRequestsOnOneConnection) {
  auto server = Start(EchoRouter());
  boost::asio::io_context ioc;
  Client client(ioc.get_executor());
  for (int i = 0; i < 3; ++i) {
    auto resp =
        testing::RunOn(ioc, client.Send({server->base_url() + "/hello"}));
    ASSERT_TRUE(resp.ok()) << resp.status().ToString();
    EXPECT_EQ(resp->body, "hello");
  }
  EXPECT_EQ(server->stats().connections_accepted, 1u);
  EXPECT_EQ(server->stats().requests_total, 3u);
  EXPECT_EQ(client.stats().connections_opened, 1u);
  EXPECT_EQ(client.stats().connections_reused, 2u);
}

TEST(Server, AnswersPipelinedRequestsInOrder) {
  auto server = Start(EchoRouter());
  RawConnection c(server->port());
  ASSERT_TRUE(
      c.Send("GET /images/1 HTTP/1.1\r\nHost: x\r\n\r\n"
             "GET /images/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string raw = c.Read(5s);
  size_t first = raw.find(R"({"id":"1"})");
  size_t second = raw.find(R"({"id":"2"})");
  ASSERT_NE(first, std::string::npos) << raw;
  ASSERT_NE(second, std::string::npos) << raw;
  EXPECT_LT(first, second);
  EXPECT_TRUE(c.closed());
}

// Requests read in pieces: a header split mid-line, a body in parts and a
// chunked body, each piece a separate TCP send with a pause between.
TEST(Server, ParsesRequestsThatArriveInPieces) {
  auto server = Start(EchoRouter());
  RawConnection c(server->port());
  auto send_in_pieces = [&](std::string_view data, size_t piece) {
    for (size_t i = 0; i < data.size(); i += piece) {
      ASSERT_TRUE(c.Send(data.substr(i, piece)));
      std::this_thread::sleep_for(2ms);
    }
  };
  send_in_pieces(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n"
      "hello world",
      5);
  std::string first = c.Read(5s, "hello world");
  EXPECT_EQ(StatusOf(first), 200) << first;
  EXPECT_NE(first.find("\r\n\r\nhello world"), std::string::npos) << first;

  send_in_pieces(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nchun\r\n6\r\nked ok\r\n0\r\n\r\n",
      3);
  std::string second = c.Read(5s, "chunked ok");
  EXPECT_EQ(StatusOf(second), 200) << second;
  EXPECT_NE(second.find("Content-Length: 10\r\n"), std::string::npos) << second;
  EXPECT_NE(second.find("\r\n\r\nchunked ok"), std::string::npos) << second;
  EXPECT_FALSE(c.closed());
}

// HTTP/1.0 answers: version kept, keep-alive only when asked for.
TEST(Server, AnswersHttp10InKindAndClosesUnlessAskedToKeepAlive) {
  auto server = Start(EchoRouter());
  RawConnection kept(server->port());
  ASSERT_TRUE(
      kept.Send("GET /images/7 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  std::string raw = kept.Read(5s, R"({"id":"7"})");
  EXPECT_EQ(raw.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << raw;
  EXPECT_NE(raw.find("Connection: keep-alive\r\n"), std::string::npos) << raw;
  EXPECT_FALSE(kept.closed());

  RawConnection closed(server->port());
  ASSERT_TRUE(closed.Send("GET /images/8 HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(closed.WaitClosed(5s));
}

TEST(Server, RejectsOversizedBodyWith413) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  auto server = Start(EchoRouter(), options);
  RawConnection c(server->port());
  ASSERT_TRUE(c.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"));
  std::string raw = c.Read(5s);
  EXPECT_EQ(StatusOf(raw), 413) << raw;
  EXPECT_TRUE(c.closed());

  // A chunked body is checked against the bytes as they arrive.
  RawConnection chunked(server->port());
  std::string chunk(2000, 'x');
  ASSERT_TRUE(chunked.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "7d0\r\n" +
      chunk + "\r\n0\r\n\r\n"));
  EXPECT_EQ(StatusOf(chunked.Read(5s)), 413);
  EXPECT_EQ(server->stats().bad_requests, 2u);
}

TEST(Server, ErrorResponseHookShapesTheServersOwnErrors) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  options.error_response = [](int http_status, const Status& status) {
    return Response::Json(200, "{\"mine\":" + std::to_string(http_status) +
                                   ",\"why\":" + JsonQuote(status.message()) +
                                   "}");
  };
  auto server = Start(EchoRouter(), options);
  RawConnection c(server->port());
  ASSERT_TRUE(c.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"));
  std::string raw = c.Read(5s);
  EXPECT_EQ(StatusOf(raw), 413) << raw;  // the status is the server's
  EXPECT_NE(raw.find(R"({"mine":413,"why":"request body too large"})"),
            std::string::npos)
      << raw;
}

TEST(Server, AcceptsBodyAtTheLimitAndAnswers100Continue) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  auto server = Start(EchoRouter(), options);
  RawConnection c(server->port());
  ASSERT_TRUE(
      c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n"
             "Expect: 100-continue\r\n\r\n"));
  std::string interim = c.Read(5s, "\r\n\r\n");
  EXPECT_EQ(StatusOf(interim), 100) << interim;
  ASSERT_TRUE(c.Send(std::string(1024, 'b')));
  std::string raw = c.Read(5s, std::string(1024, 'b'));
  EXPECT_EQ(StatusOf(raw), 200) << raw.substr(0, 200);
}

// The request line, fields and a chunked body reach the handler as sent,
// including a method Beast has no name for and repeated fields in order.
TEST(Server, HandsTheHandlerTheRequestAsSent) {
  Router r;
  ASSERT_TRUE(r.HandleSync("PURGE", "/cache", [](Request& q) {
                 std::string seen = q.method + " " + q.target + " " +
                                    std::to_string(q.version) + " [" + q.body +
                                    "]";
                 for (std::string_view v : q.headers.GetAll("x-twice")) {
                   seen += " " + std::string(v);
                 }
                 return Response::Text(200, seen);
               }).ok());
  auto server = Start(std::move(r));
  RawConnection c(server->port());
  ASSERT_TRUE(
      c.Send("PURGE /cache?all=1 HTTP/1.1\r\nHost: x\r\nX-Twice: a\r\n"
             "Transfer-Encoding: chunked\r\nX-Twice: b\r\n\r\n"
             "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  const std::string want = "PURGE /cache?all=1 11 [abcde] a b";
  std::string raw = c.Read(5s, want);
  EXPECT_EQ(StatusOf(raw), 200) << raw;
  EXPECT_NE(raw.find(want), std::string::npos) << raw;
}

TEST(Server, RejectsOversizedHeaderWith431) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  auto server = Start(EchoRouter(), options);
  RawConnection c(server->port());
  ASSERT_TRUE(c.Send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " +
                     std::string(4096, 'a') + "\r\n\r\n"));
  EXPECT_EQ(StatusOf(c.Read(5s)), 431);
  EXPECT_TRUE(c.closed());
}

TEST(Server, RejectsMalformedRequestWith400AndCloses) {
  auto server = Start(EchoRouter());
  for (std::string bad : {"GARBAGE\r\n\r\n", "GET /hello HTTP/9.9\r\n\r\n",
                          "GET no-slash HTTP/1.1\r\nHost: x\r\n\r\n",
                          "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n",
                          "GET /hello HTTP/1.1\r\nBad Header\r\n\r\n"}) {
    RawConnection c(server->port());
    ASSERT_TRUE(c.Send(bad));
    std::string raw = c.Read(5s);
    EXPECT_EQ(StatusOf(raw), 400) << bad << " -> " << raw;
    EXPECT_TRUE(c.closed()) << bad;
  }
}

TEST(Server, CutsOffClientThatTricklesHeaders) {
  ServerOptions options;
  options.header_timeout = 200ms;
  auto server = Start(EchoRouter(), options);
  RawConnection c(server->port());
  std::string header =
      "GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 's');
  auto start = std::chrono::steady_clock::now();
  bool cut = false;
  // One byte every 20 ms would take over 4 s; the server must stop it near 200
  // ms.
  for (char ch : header) {
    if (!c.Send(std::string(1, ch)) || c.WaitClosed(20ms)) {
      cut = true;
      break;
    }
  }
  EXPECT_TRUE(cut);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(
      testing::WaitUntil([&] { return server->stats().header_timeouts == 1; }));
}

TEST(Server, ClosesConnectionThatSendsNothing) {
  ServerOptions options;
  options.header_timeout = 200ms;
  auto server = Start(EchoRouter(), options);
  RawConnection c(server->port());
  EXPECT_TRUE(c.WaitClosed(5s));
  EXPECT_TRUE(
      testing::WaitUntil([&] { return server->stats().header_timeouts == 1; }));
}

TEST(Server, ClosesIdleKeepAliveConnection) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  auto server = Start(EchoRouter(), options);
  RawConnection c(server->port());
  ASSERT_TRUE(c.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(StatusOf(c.Read(5s, "hello")), 200);
  EXPECT_TRUE(c.WaitClosed(5s));
  EXPECT_TRUE(
      testing::WaitUntil([&] { return server->stats().idle_timeouts == 1; }));
}

// A handler that announces it started and waits for `release` or stop.
struct Gate {
  std::promise<void> entered;
  AsyncNotification release;
  std::promise<StatusCode> outcome;
};

Router GatedRouter(std::shared_ptr<Gate> gate,
                   std::chrono::seconds wait = 30s) {
  Router r = EchoRouter();
  EXPECT_TRUE(
      r.Handle("GET", "/wait",
               [gate, wait](Request& q) -> boost::asio::awaitable<Response> {
                 gate->entered.set_value();
                 Status s = co_await gate->release.Wait(q.stop, wait);
                 gate->outcome.set_value(s.code());
                 co_return Response::Text(200, "released");
               })
          .ok());
  return r;
}

TEST(Server, ClientDisconnectRequestsStopOnRunningHandler) {
  auto gate = std::make_shared<Gate>();
  auto server = Start(GatedRouter(gate));
  RawConnection c(server->port());
  ASSERT_TRUE(c.Send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n"));
  gate->entered.get_future().wait();
  c.Close();
  auto outcome = gate->outcome.get_future();
  ASSERT_EQ(outcome.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(outcome.get(), StatusCode::kCancelled);
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return server->stats().client_disconnects == 1; }));
}

TEST(Server, HandlerDeadlineAnswers504AndStopsHandler) {
  auto gate = std::make_shared<Gate>();
  ServerOptions options;
  options.handler_deadline = 100ms;
  auto server = Start(GatedRouter(gate), options);
  auto resp = Fetch(server->base_url() + "/wait");
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 504);
  auto outcome = gate->outcome.get_future();
  ASSERT_EQ(outcome.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(outcome.get(), StatusCode::kCancelled);
  EXPECT_EQ(server->stats().handler_deadlines, 1u);
}

TEST(Server, GracefulShutdownDrainsInFlightAndRefusesNew) {
  auto gate = std::make_shared<Gate>();
  auto server = Start(GatedRouter(gate));
  uint16_t port = server->port();
  // An idle keep-alive connection, closed at once by the shutdown.
  RawConnection idle(port);
  ASSERT_TRUE(idle.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(StatusOf(idle.Read(5s, "hello")), 200);

  auto in_flight = std::async(std::launch::async, [&] {
    return Fetch("http://127.0.0.1:" + std::to_string(port) + "/wait");
  });
  gate->entered.get_future().wait();
  server->BeginShutdown();
  EXPECT_TRUE(idle.WaitClosed(5s));
  RawConnection late(port);
  EXPECT_FALSE(late.connected());
  EXPECT_EQ(late.connect_errno(), ECONNREFUSED);

  gate->release.Notify();
  server->Shutdown(10s);
  auto resp = in_flight.get();
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "released");
  EXPECT_EQ(resp->headers.Get("connection"), "close");
  EXPECT_EQ(gate->outcome.get_future().get(), StatusCode::kOk);
}

TEST(Server, ShutdownCutsRequestThatOutlivesGrace) {
  auto gate = std::make_shared<Gate>();
  auto server = Start(GatedRouter(gate));
  auto in_flight = std::async(std::launch::async, [url = server->base_url()] {
    return Fetch(url + "/wait");
  });
  gate->entered.get_future().wait();
  auto start = std::chrono::steady_clock::now();
  server->Shutdown(100ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  auto resp = in_flight.get();
  EXPECT_EQ(resp.status().code(), StatusCode::kAborted)
      << resp.status().ToString();
  auto outcome = gate->outcome.get_future();
  ASSERT_EQ(outcome.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(outcome.get(), StatusCode::kCancelled);
}

TEST(Server, ReportsBindErrors) {
  auto first = Start(EchoRouter());
  ServerOptions same;
  same.port = first->port();
  same.io_threads = 1;
  auto second = Server::Create(same, EchoRouter());
  EXPECT_EQ(second.status().code(), StatusCode::kAlreadyExists)
      << second.status().ToString();

  ServerOptions bad;
  bad.host = "not an address";
  EXPECT_EQ(Server::Create(bad, EchoRouter()).status().code(),
            StatusCode::kInvalidArgument);
  ServerOptions foreign;
  foreign.host = "192.0.2.1";  // TEST-NET-1: never a local address
  EXPECT_EQ(Server::Create(foreign, EchoRouter()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Server, ShutdownIsIdempotentAndDestructorIsSafe) {
  auto server = Start(EchoRouter());
  server->Shutdown(1s);
  server->Shutdown(1s);
  server.reset();
  auto another = Start(EchoRouter());
  RawConnection c(another->port());
  ASSERT_TRUE(c.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  another.reset();  // with an open connection
  SUCCEED();
}

}  // namespace
}  // namespace zimon::http
