#include "zimon/http/head_parser.h"

#include <gtest/gtest.h>

#include <boost/optional/optional_io.hpp>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/http/message_parser.h"

namespace zimon::http::internal {
namespace {

namespace bhttp = boost::beast::http;

constexpr std::string_view kRequest =
    "POST /v1/images/generations?x=1 HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "Content-Type:application/json\r\n"
    "X-Empty:\r\n"
    "X-Spaced: \t a  b \t\r\n"
    "Content-Length: 5\r\n"
    "\r\n";

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.22.1\r\n"
    "Content-Length: 3\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

TEST(ParseRequestHead, ReadsTheCommonShape) {
  ParsedHead head;
  std::string data = std::string(kRequest) + "hello";
  ASSERT_EQ(ParseRequestHead(data, head), HeadResult::kParsed);
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.target, "/v1/images/generations?x=1");
  EXPECT_EQ(head.version, 11);
  EXPECT_EQ(head.size, kRequest.size());
  ASSERT_EQ(head.field_count, 5u);
  EXPECT_EQ(head.fields[0].name(data), "Host");
  EXPECT_EQ(head.fields[0].value(data), "127.0.0.1:8080");
  EXPECT_EQ(head.fields[1].value(data), "application/json");
  EXPECT_EQ(head.fields[2].name(data), "X-Empty");
  EXPECT_EQ(head.fields[2].value(data), "");
  EXPECT_EQ(head.fields[3].value(data), "a  b");
  EXPECT_EQ(head.content_length, 5u);
  EXPECT_TRUE(head.keep_alive);
}

TEST(ParseRequestHead, EveryPrefixIsIncomplete) {
  for (size_t n = 0; n < kRequest.size(); ++n) {
    ParsedHead head;
    EXPECT_EQ(ParseRequestHead(kRequest.substr(0, n), head),
              HeadResult::kIncomplete)
        << n;
  }
  for (size_t n = 0; n < kResponse.size(); ++n) {
    ParsedHead head;
    EXPECT_EQ(ParseResponseHead(kResponse.substr(0, n), head),
              HeadResult::kIncomplete)
        << n;
  }
}

TEST(ParseRequestHead, KeepAliveFollowsVersionAndConnection) {
  struct Case {
    std::string head;
    bool keep_alive;
  };
  const std::vector<Case> cases = {
      {"GET / HTTP/1.1\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nconnection: CLOSE\r\n\r\n", false},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
  };
  for (const Case& c : cases) {
    ParsedHead head;
    ASSERT_EQ(ParseRequestHead(c.head, head), HeadResult::kParsed) << c.head;
    EXPECT_EQ(head.keep_alive, c.keep_alive) << c.head;
    EXPECT_FALSE(head.content_length) << c.head;
  }
}

TEST(ParseRequestHead, DeclinesWhatBeastShouldRead) {
  const std::vector<std::string> heads = {
      "\r\nGET / HTTP/1.1\r\n\r\n",                            // blank first
      "GET  / HTTP/1.1\r\n\r\n",                               // two spaces
      "GET / HTTP/1.2\r\n\r\n",                                // version
      "GET / HTTP/2.0\r\n\r\n",                                // version
      "GET / HTTP/1.1\n\r\n",                                  // bare LF
      "GET / HTTP/1.1\r\nA: b\n\r\n",                          // bare LF
      "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",                  // obs-fold
      "GET / HTTP/1.1\r\nA : b\r\n\r\n",                       // space before :
      "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",                    // control
      "GET / HTTP/1.1\r\nA: caf\xc3\xa9\r\n\r\n",              // not ASCII
      "GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n",                     // not ASCII
      "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",  // chunked
      "GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
      "GET / HTTP/1.1\r\nProxy-Connection: close\r\n\r\n",
      "GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n\r\n",
      "GET / HTTP/1.1\r\nConnection: close\r\nConnection: close\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: +1\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length:\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: 1234567890123456789\r\n\r\n",
  };
  for (const std::string& h : heads) {
    ParsedHead head;
    EXPECT_EQ(ParseRequestHead(h, head), HeadResult::kDeclined) << h;
  }
  std::string many = "GET / HTTP/1.1\r\n";
  for (size_t i = 0; i <= ParsedHead::kMaxFields; ++i) many += "A: b\r\n";
  many += "\r\n";
  ParsedHead head;
  EXPECT_EQ(ParseRequestHead(many, head), HeadResult::kDeclined);
}

// Values and targets are scanned sixteen bytes at a time, then byte by byte:
// a byte outside printable ASCII is found at every position.
TEST(ParseRequestHead, FindsABadByteAnywhereInALongValueOrTarget) {
  const std::string value(40, 'v');
  ParsedHead head;
  std::string good = "GET /" + value + " HTTP/1.1\r\nA: " + value + "\r\n\r\n";
  ASSERT_EQ(ParseRequestHead(good, head), HeadResult::kParsed);
  EXPECT_EQ(head.fields[0].value(good), value);
  EXPECT_EQ(head.target, "/" + value);
  for (char bad : {'\0', '\x01', '\n', '\x7f', '\x80', '\xff'}) {
    for (size_t at = 0; at < value.size(); ++at) {
      std::string v = value;
      v[at] = bad;
      const std::string in_value = "GET / HTTP/1.1\r\nA: " + v + "\r\n\r\n";
      EXPECT_EQ(ParseRequestHead(in_value, head), HeadResult::kDeclined)
          << at << " " << int{bad};
      const std::string in_target = "GET /" + v + " HTTP/1.1\r\n\r\n";
      EXPECT_EQ(ParseRequestHead(in_target, head), HeadResult::kDeclined)
          << at << " " << int{bad};
    }
  }
  // A tab inside a value is kept; spaces and tabs around it are not.
  std::string tabbed =
      "GET / HTTP/1.1\r\nA: \t" + value + "\t" + value + " \t\r\n\r\n";
  ASSERT_EQ(ParseRequestHead(tabbed, head), HeadResult::kParsed);
  EXPECT_EQ(head.fields[0].value(tabbed), value + "\t" + value);
}

TEST(ParseResponseHead, ReadsOnlyResponsesWithALengthAndABody) {
  ParsedHead head;
  ASSERT_EQ(ParseResponseHead(kResponse, head), HeadResult::kParsed);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.content_length, 3u);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_EQ(head.size, kResponse.size());
  ASSERT_EQ(
      ParseResponseHead("HTTP/1.0 503 \r\nContent-Length: 0\r\n\r\n", head),
      HeadResult::kParsed);
  EXPECT_EQ(head.status, 503);
  EXPECT_FALSE(head.keep_alive);
  for (std::string_view h : {
           "HTTP/1.1 200 OK\r\n\r\n",  // body to the end of the connection
           "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
           "HTTP/1.1 100 Continue\r\n\r\n",
           "HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
       }) {
    EXPECT_EQ(ParseResponseHead(h, head), HeadResult::kDeclined) << h;
  }
}

// Feeds `data` to `parser` in pieces of `step` bytes, as the server and
// client do: bytes not used stay buffered for the next put.
template <class Parser>
boost::system::error_code Feed(Parser& parser, std::string_view data,
                               size_t step) {
  std::string buffered;
  size_t at = 0;
  boost::system::error_code ec;
  parser.eager(true);
  while (!parser.is_done()) {
    if (at == data.size() && buffered.empty()) {
      parser.put_eof(ec);
      return ec;
    }
    const size_t n = std::min(step, data.size() - at);
    buffered.append(data.substr(at, n));
    at += n;
    size_t used = parser.put(
        boost::asio::const_buffer(buffered.data(), buffered.size()), ec);
    buffered.erase(0, used);
    if (ec == bhttp::error::need_more) {
      if (at == data.size()) {
        parser.put_eof(ec);
        return ec;
      }
      continue;
    }
    if (ec) return ec;
  }
  return ec;
}

std::vector<std::pair<std::string, std::string>> FieldsOf(
    const Headers& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto [name, value] : headers) out.emplace_back(name, value);
  return out;
}

TEST(HeadFirstParser, ReadsRequestsAsBeastDoes) {
  const std::vector<std::string> messages = {
      std::string(kRequest) + "hello",
      "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n",
      "GET / HTTP/1.1\r\nA: b\r\n  c\r\n\r\n",
  };
  for (const std::string& m : messages) {
    for (size_t step : {size_t{1}, size_t{7}, m.size()}) {
      Request ours;
      RequestParser fast(ours);
      Request theirs;
      BeastRequestParser beast(theirs);
      auto ec = Feed(fast, m, step);
      auto beast_ec = Feed(beast, m, step);
      ASSERT_EQ(ec, beast_ec) << m;
      ASSERT_FALSE(ec) << m << ": " << ec.message();
      EXPECT_EQ(ours.method, theirs.method);
      EXPECT_EQ(ours.target, theirs.target);
      EXPECT_EQ(ours.version, theirs.version);
      EXPECT_EQ(FieldsOf(ours.headers), FieldsOf(theirs.headers)) << m;
      EXPECT_EQ(ours.body, theirs.body);
      EXPECT_EQ(fast.keep_alive(), beast.keep_alive());
      EXPECT_EQ(fast.method(), beast.method());
      EXPECT_EQ(fast.content_length(), beast.content_length());
    }
  }
  Request request;
  RequestParser parser(request);
  ASSERT_FALSE(Feed(parser, messages[0], 1000));
  EXPECT_TRUE(parser.read_by_head_parser());
  Request chunked;
  RequestParser chunked_parser(chunked);
  ASSERT_FALSE(Feed(chunked_parser, messages[2], 1000));
  EXPECT_FALSE(chunked_parser.read_by_head_parser());
  EXPECT_EQ(chunked.body, "abc");
}

TEST(HeadFirstParser, StopsAfterTheHeadUnlessEager) {
  Request request;
  RequestParser parser(request);
  std::string data = std::string(kRequest) + "hello";
  boost::system::error_code ec;
  size_t used = parser.put(boost::asio::buffer(data), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(used, kRequest.size());
  EXPECT_TRUE(parser.is_header_done());
  EXPECT_FALSE(parser.is_done());
  EXPECT_EQ(parser.content_length(), boost::optional<uint64_t>(5));
  parser.eager(true);
  used = parser.put(boost::asio::buffer(data.data() + used, 3), ec);
  EXPECT_EQ(used, 3u);
  EXPECT_FALSE(parser.is_done());
  parser.put_eof(ec);
  EXPECT_EQ(ec, bhttp::error::partial_message);
}

TEST(HeadFirstParser, KeepsBeastsLimits) {
  {
    Request request;
    RequestParser parser(request);
    parser.body_limit(4);
    EXPECT_EQ(Feed(parser, std::string(kRequest) + "hello", 1000),
              bhttp::error::body_limit);
  }
  // Beast's header limit applies to the request line and to the fields
  // separately, so it passes some heads longer than the limit: those are
  // left to it.
  const std::string message = std::string(kRequest) + "hello";
  for (uint32_t limit = 1; limit <= kRequest.size() + 1; ++limit) {
    for (size_t step : {size_t{1}, size_t{16}, message.size()}) {
      Request ours;
      RequestParser fast(ours);
      fast.header_limit(limit);
      Request theirs;
      BeastRequestParser beast(theirs);
      beast.header_limit(limit);
      EXPECT_EQ(Feed(fast, message, step), Feed(beast, message, step))
          << limit << " " << step;
      EXPECT_EQ(fast.read_by_head_parser(),
                limit >= kRequest.size() && step == message.size());
    }
  }
  {
    Request request;
    RequestParser parser(request);
    EXPECT_EQ(Feed(parser, kRequest.substr(0, 20), 1000),
              bhttp::error::partial_message);
  }
}

TEST(HeadFirstParser, ReadsResponsesAsBeastDoes) {
  const std::vector<std::string> messages = {
      std::string(kResponse) + "abc",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n",
      "HTTP/1.1 204 No Content\r\n\r\n",
      "HTTP/1.0 200 OK\r\n\r\nto the end",
  };
  for (const std::string& m : messages) {
    for (size_t step : {size_t{1}, size_t{7}, m.size()}) {
      ResponseParser fast;
      BeastResponseParser beast;
      auto ec = Feed(fast, m, step);
      auto beast_ec = Feed(beast, m, step);
      ASSERT_EQ(ec, beast_ec) << m;
      ASSERT_FALSE(ec) << m << ": " << ec.message();
      EXPECT_EQ(fast.message().status, beast.message().status);
      EXPECT_EQ(FieldsOf(fast.message().headers),
                FieldsOf(beast.message().headers));
      EXPECT_EQ(fast.message().body, beast.message().body) << m;
      EXPECT_EQ(fast.keep_alive(), beast.keep_alive());
      EXPECT_EQ(fast.need_eof(), beast.need_eof());
    }
  }
  ResponseParser parser;
  ASSERT_FALSE(Feed(parser, messages[0], 1000));
  EXPECT_TRUE(parser.read_by_head_parser());
  ResponseParser head_answer;
  head_answer.skip(true);
  ASSERT_FALSE(Feed(head_answer, kResponse, 1000));
  EXPECT_FALSE(head_answer.read_by_head_parser());
  EXPECT_EQ(head_answer.message().body, "");
}

TEST(HeadFirstParser, TakesTheRestOfABodyReadStraightIntoIt) {
  ResponseParser parser;
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
  const std::string data = head + "01";
  boost::system::error_code ec;
  parser.eager(true);
  EXPECT_EQ(parser.put(boost::asio::buffer(data), ec), data.size());
  ASSERT_FALSE(ec);
  EXPECT_EQ(parser.body_left(), 8u);
  // Room for 6; a read brings 4 of them.
  boost::asio::mutable_buffer room = parser.BodySpace(6);
  ASSERT_EQ(room.size(), 6u);
  std::memcpy(room.data(), "2345", 4);
  parser.CommitBody(4);
  EXPECT_EQ(parser.message().body.substr(0, 6), "012345");
  EXPECT_EQ(parser.body_left(), 4u);
  EXPECT_FALSE(parser.is_done());
  // A read that brings nothing (an error) leaves the bytes as they were;
  // the room follows them.
  boost::asio::mutable_buffer next = parser.BodySpace(4);
  EXPECT_EQ(static_cast<const char*>(next.data()),
            parser.message().body.data() + 6);
  parser.CommitBody(0);
  EXPECT_EQ(parser.message().body.substr(0, 6), "012345");
  std::memcpy(parser.BodySpace(4).data(), "6789", 4);
  parser.CommitBody(4);
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(parser.body_left(), 0u);
  EXPECT_EQ(parser.message().body, "0123456789");
  // Room a read left unfilled serves the next, smaller one.
  ResponseParser reused;
  const std::string head12 = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n";
  reused.eager(true);
  reused.put(boost::asio::buffer(head12), ec);
  ASSERT_EQ(reused.body_left(), 12u);
  std::memcpy(reused.BodySpace(8).data(), "abc", 3);
  reused.CommitBody(3);
  boost::asio::mutable_buffer rest = reused.BodySpace(5);
  EXPECT_EQ(reused.message().body.size(), 8u);  // no growth: the room fits
  std::memcpy(rest.data(), "defgh", 5);
  reused.CommitBody(5);
  std::memcpy(reused.BodySpace(4).data(), "ijkl", 4);
  reused.CommitBody(4);
  EXPECT_TRUE(reused.is_done());
  EXPECT_EQ(reused.message().body, "abcdefghijkl");
  // Bytes put() after a BodySpace take the room's place.
  ResponseParser mixed;
  mixed.eager(true);
  mixed.put(boost::asio::buffer(head12), ec);
  std::memcpy(mixed.BodySpace(10).data(), "ABCD", 4);
  mixed.CommitBody(4);
  const std::string tail = "EFGHIJKL";
  EXPECT_EQ(mixed.put(boost::asio::buffer(tail), ec), tail.size());
  EXPECT_FALSE(ec);
  EXPECT_TRUE(mixed.is_done());
  EXPECT_EQ(mixed.message().body, "ABCDEFGHIJKL");
  // A message Beast reads offers no room: it goes through put().
  ResponseParser chunked;
  const std::string chunked_head =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  chunked.put(boost::asio::buffer(chunked_head), ec);
  ASSERT_TRUE(chunked.is_header_done());
  EXPECT_EQ(chunked.body_left(), 0u);
}

}  // namespace
}  // namespace zimon::http::internal
