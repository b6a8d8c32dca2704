// The HTTP parsers (src/zimon/http/message_parser.h): one request as wrk
// posts it through the gateway, and one answer as nginx serves the 1 KB
// image of bench/gateway_vs_nginx.sh, each parsed whole from one buffer by a
// fresh parser, as the server and the client do for every message. `HeadFirst`
// is the parser they use (our head parser, Beast's when it declines);
// `Beast` is Beast's alone.
//
//   build/release/bench/http_bench
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "zimon/http/message_parser.h"

namespace zimon::http::internal {
namespace {

constexpr std::string_view kRequest =
    "POST /v1/images/generations HTTP/1.1\r\n"
    "Host: 127.0.0.1:18100\r\n"
    "Content-Length: 50\r\n"
    "Content-Type: application/json\r\n"
    "\r\n"
    R"({"prompt":"a lighthouse at dusk","size":"512x512"})";

std::string Response() {
  const std::string body(947, 'b');
  return "HTTP/1.1 200 OK\r\n"
         "Server: nginx/1.22.1\r\n"
         "Date: Sun, 29 Nov 2026 07:00:00 GMT\r\n"
         "Content-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) +
         "\r\n"
         "Last-Modified: Sat, 28 Nov 2026 17:00:49 GMT\r\n"
         "Connection: keep-alive\r\n"
         "ETag: \"6b0b08c1-3b3\"\r\n"
         "Accept-Ranges: bytes\r\n"
         "\r\n" +
         body;
}

// Parses `message` with the server's and client's calls: the head, then the
// body once the head is done.
template <class Parser>
bool ParseWhole(Parser& parser, std::string_view message) {
  boost::system::error_code ec;
  size_t used = parser.put(boost::asio::buffer(message), ec);
  if (ec || !parser.is_header_done()) return false;
  parser.eager(true);
  if (!parser.is_done()) {
    parser.put(boost::asio::buffer(message.substr(used)), ec);
  }
  return !ec && parser.is_done();
}

template <class Parser>
void BM_ParseRequest(benchmark::State& state) {
  for (auto _ : state) {
    Request request;
    Parser parser(request);
    if (!ParseWhole(parser, kRequest)) {
      state.SkipWithError("request not parsed");
      return;
    }
    benchmark::DoNotOptimize(request.body.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseRequest<RequestParser>)->Name("BM_ParseRequest/HeadFirst");
BENCHMARK(BM_ParseRequest<BeastRequestParser>)->Name("BM_ParseRequest/Beast");

template <class Parser>
void BM_ParseResponse(benchmark::State& state) {
  const std::string response = Response();
  for (auto _ : state) {
    Parser parser;
    if (!ParseWhole(parser, response)) {
      state.SkipWithError("response not parsed");
      return;
    }
    benchmark::DoNotOptimize(parser.message().body.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseResponse<ResponseParser>)->Name("BM_ParseResponse/HeadFirst");
BENCHMARK(BM_ParseResponse<BeastResponseParser>)
    ->Name("BM_ParseResponse/Beast");

}  // namespace
}  // namespace zimon::http::internal

BENCHMARK_MAIN();
