// libFuzzer target for the http module's head parser
// (src/zimon/http/head_parser.h), held to Beast's verdicts: every input is
// parsed by the server's and client's parsers (our head parser first, Beast's
// when it declines) and by Beast's alone, fed alike, and the two must agree
// on the error, on every message part (method, target, version, status, the
// fields in order, the body) and on keep-alive, end-of-file framing and
// Content-Length.
//
//   clang++ build: fuzz/http_head_fuzz -max_total_time=60 tests/data/http_heads
//
// Input: byte 0 picks request or response, the answer to a HEAD request
// (responses), and how many bytes arrive per read; byte 1 the header limit;
// byte 2 the body limit; the rest is the message.
#include <boost/optional/optional_io.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zimon/http/message_parser.h"

namespace {

namespace bhttp = boost::beast::http;
using boost::system::error_code;
using zimon::http::Headers;
using zimon::http::Request;
using zimon::http::internal::BeastRequestParser;
using zimon::http::internal::BeastResponseParser;
using zimon::http::internal::RequestParser;
using zimon::http::internal::ResponseParser;

struct Setup {
  size_t step = 0;
  uint32_t header_limit = 0;
  uint64_t body_limit = 0;
  bool head_answer = false;
};

struct Outcome {
  error_code ec;
  bool got_some = false;
  bool header_done = false;
  bool keep_alive = false;
  bool need_eof = false;
  boost::optional<uint64_t> content_length;
  bhttp::verb method = bhttp::verb::unknown;
};

// Reads a message as the client does: the head first (not eager), then the
// body once the head is done, `step` bytes per read, unused bytes kept.
template <class Parser>
Outcome Read(Parser& parser, std::string_view data, const Setup& setup) {
  parser.header_limit(setup.header_limit);
  parser.body_limit(setup.body_limit);
  if (setup.head_answer) parser.skip(true);
  parser.eager(false);
  std::string buffered;
  size_t at = 0;
  Outcome out;
  auto finish = [&](error_code ec) {
    out.ec = ec;
    out.got_some = parser.got_some();
    out.header_done = parser.is_header_done();
    if (out.header_done && !ec) {
      out.keep_alive = parser.keep_alive();
      out.need_eof = parser.need_eof();
      out.content_length = parser.content_length();
      out.method = parser.method();
    }
    return out;
  };
  bool head_seen = false;
  while (true) {
    if (!buffered.empty()) {
      error_code ec;
      const size_t used = parser.put(
          boost::asio::const_buffer(buffered.data(), buffered.size()), ec);
      if (used > buffered.size()) std::abort();
      buffered.erase(0, used);
      if (ec && ec != bhttp::error::need_more) return finish(ec);
      if (!ec) {
        if (!head_seen && parser.is_header_done()) {
          head_seen = true;
          parser.eager(true);
        }
        if (parser.is_done()) return finish({});
        if (used != 0 && !buffered.empty()) continue;
      }
    }
    if (at == data.size()) {
      if (!parser.got_some()) return finish(bhttp::error::end_of_stream);
      error_code ec;
      parser.put_eof(ec);
      return finish(ec);
    }
    const size_t n = std::min(setup.step, data.size() - at);
    buffered.append(data.substr(at, n));
    at += n;
  }
}

std::vector<std::pair<std::string, std::string>> FieldsOf(
    const Headers& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto [name, value] : headers) out.emplace_back(name, value);
  return out;
}

void Same(const Outcome& a, const Outcome& b) {
  if (a.ec != b.ec || a.got_some != b.got_some) std::abort();
  if (a.ec) return;
  if (a.header_done != b.header_done || a.keep_alive != b.keep_alive ||
      a.need_eof != b.need_eof || a.content_length != b.content_length ||
      a.method != b.method) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const uint8_t mode = data[0];
  Setup setup;
  static constexpr size_t kSteps[] = {1000000, 1000000, 1, 2, 7, 16, 64, 300};
  setup.step = kSteps[(mode >> 2) & 7];
  // 0 or the server's default of 64 KiB, else a small limit to cross.
  setup.header_limit = data[1] == 0 ? 65536 : data[1];
  setup.body_limit = data[2] == 0 ? 1 << 20 : data[2] - 1;
  const std::string_view message(reinterpret_cast<const char*>(data) + 3,
                                 size - 3);
  if ((mode & 1) == 0) {
    Request ours;
    RequestParser fast(ours);
    Request theirs;
    BeastRequestParser beast(theirs);
    const Outcome a = Read(fast, message, setup);
    const Outcome b = Read(beast, message, setup);
    Same(a, b);
    if (a.ec) return 0;
    if (ours.method != theirs.method || ours.target != theirs.target ||
        ours.version != theirs.version || ours.body != theirs.body ||
        FieldsOf(ours.headers) != FieldsOf(theirs.headers)) {
      std::abort();
    }
  } else {
    setup.head_answer = (mode & 2) != 0;
    ResponseParser fast;
    BeastResponseParser beast;
    const Outcome a = Read(fast, message, setup);
    const Outcome b = Read(beast, message, setup);
    Same(a, b);
    if (a.ec) return 0;
    if (fast.message().status != beast.message().status ||
        fast.message().body != beast.message().body ||
        FieldsOf(fast.message().headers) != FieldsOf(beast.message().headers)) {
      std::abort();
    }
  }
  return 0;
}
