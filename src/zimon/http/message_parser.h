// Internal to the http module (connection.cc and client.cc): the parsers of
// requests and responses, writing straight into our Request or Response. Not
// a public header.
//
//   ResponseParser parser;           // or RequestParser parser(request);
//   parser.put(buffer, ec);          // as Beast's basic_parser
//   Response& r = parser.message();  // status, headers and body as parsed
//
// A message whose head has the common shape (head_parser.h) is read by our
// own head parser and its body counted off by Content-Length; any other goes
// to Beast's parser whole. Beast's parser here (MessageParser) adds each field
// to the message's Headers and appends the body to its string: Beast's own
// message parser would store every field in an allocation of its own, to be
// copied over afterwards, and its string_body reader zero-fills the whole
// body before overwriting it (a wasted pass over a megabyte of base64).
//
// Thread safety: a parser is used by one coroutine at a time.
#ifndef ZIMON_HTTP_MESSAGE_PARSER_H_
#define ZIMON_HTTP_MESSAGE_PARSER_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/optional.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "zimon/http/head_parser.h"
#include "zimon/http/message.h"

namespace zimon::http::internal {

template <bool kIsRequest>
class MessageParser final
    : public boost::beast::http::basic_parser<kIsRequest> {
 public:
  using Message = std::conditional_t<kIsRequest, Request, Response>;
  using error_code = boost::system::error_code;
  using string_view = boost::beast::string_view;

  // A response parser owns its Response.
  MessageParser() requires(!kIsRequest) = default;
  // A request parser fills `request`, which must outlive it.
  explicit MessageParser(Request& request) requires(kIsRequest)
      : storage_(&request) {}
  MessageParser(const MessageParser&) = delete;
  MessageParser& operator=(const MessageParser&) = delete;

  Message& message() {
    if constexpr (kIsRequest) {
      return *storage_;
    } else {
      return storage_;
    }
  }
  // The request's method as Beast knows it; unknown for other methods.
  boost::beast::http::verb method() const { return method_; }

 private:
  static std::string_view Std(string_view s) { return {s.data(), s.size()}; }

  void on_request_impl(boost::beast::http::verb method,
                       string_view method_string, string_view target,
                       int version, error_code& ec) override {
    if constexpr (kIsRequest) {
      method_ = method;
      message().method = Std(method_string);
      message().target = Std(target);
      message().version = version;
      ec = {};
    } else {
      ec = boost::beast::http::error::bad_version;  // never called
    }
  }
  void on_response_impl(int code, string_view, int, error_code& ec) override {
    if constexpr (kIsRequest) {
      ec = boost::beast::http::error::bad_version;  // never called
    } else {
      message().status = code;
      ec = {};
    }
  }
  void on_field_impl(boost::beast::http::field, string_view name,
                     string_view value, error_code& ec) override {
    message().headers.Add(Std(name), Std(value));
    ec = {};
  }
  void on_header_impl(error_code& ec) override { ec = {}; }
  void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                         error_code& ec) override {
    ec = {};
    if (!length) return;
    // The callers refuse a length over their body limit before the body is
    // read; this is the last guard before the reservation.
    if (*length > message().body.max_size()) {
      ec = boost::beast::http::error::buffer_overflow;
      return;
    }
    message().body.reserve(static_cast<size_t>(*length));
  }
  size_t on_body_impl(string_view body, error_code& ec) override {
    message().body.append(body.data(), body.size());
    ec = {};
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view,
                            error_code& ec) override {
    ec = {};
  }
  size_t on_chunk_body_impl(std::uint64_t, string_view body,
                            error_code& ec) override {
    return on_body_impl(body, ec);
  }
  void on_finish_impl(error_code& ec) override { ec = {}; }

  // The request filled, or the response owned.
  std::conditional_t<kIsRequest, Request*, Response> storage_{};
  boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
};

// The subset of Beast's basic_parser interface that the server and client
// use, over the head parser first and Beast's parser when it declines. The
// choice is made once per message, on the first bytes put: our parser when
// they hold a whole head of the common shape within the header limit, else
// Beast's, which then sees the message from its first byte.
template <bool kIsRequest>
class HeadFirstParser {
 public:
  using Message = typename MessageParser<kIsRequest>::Message;
  using error_code = boost::system::error_code;

  HeadFirstParser() requires(!kIsRequest) = default;
  explicit HeadFirstParser(Request& request) requires(kIsRequest)
      : beast_(request) {}
  HeadFirstParser(const HeadFirstParser&) = delete;
  HeadFirstParser& operator=(const HeadFirstParser&) = delete;

  void header_limit(uint32_t bytes) {
    header_limit_ = bytes;
    beast_.header_limit(bytes);
  }
  void body_limit(uint64_t bytes) {
    body_limit_ = bytes;
    beast_.body_limit(bytes);
  }
  void eager(bool on) {
    eager_ = on;
    beast_.eager(on);
  }
  // For the answer to a HEAD request, whose length is not its body's: Beast
  // reads it.
  void skip(bool on) {
    if (on && mode_ == Mode::kUndecided) mode_ = Mode::kBeast;
    beast_.skip(on);
  }

  size_t put(boost::asio::const_buffer buffer, error_code& ec) {
    if (mode_ == Mode::kBeast) return beast_.put(buffer, ec);
    const char* data = static_cast<const char*>(buffer.data());
    const size_t size = buffer.size();
    if (mode_ == Mode::kFast) return TakeBody(data, size, ec);
    if (size == 0) {
      ec = boost::beast::http::error::need_more;
      return 0;
    }
    // Decided on the first bytes: Beast's limits depend on how the head
    // arrives, so a head that comes in pieces is all Beast's. (Within its
    // limit, a whole head in one buffer passes Beast's checks.)
    ParsedHead head;
    const std::string_view bytes(data, size);
    HeadResult result = kIsRequest ? ParseRequestHead(bytes, head)
                                   : ParseResponseHead(bytes, head);
    if (result != HeadResult::kParsed || head.size > header_limit_) {
      mode_ = Mode::kBeast;
      return beast_.put(buffer, ec);
    }
    mode_ = Mode::kFast;
    Message& m = message();
    if constexpr (kIsRequest) {
      m.method = head.method;
      m.target = head.target;
      m.version = head.version;
      method_ = boost::beast::http::string_to_verb(
          {head.method.data(), head.method.size()});
    } else {
      m.status = head.status;
    }
    m.headers.Reserve(head.field_count, head.size);
    for (size_t i = 0; i < head.field_count; ++i) {
      m.headers.Add(head.fields[i].name(bytes), head.fields[i].value(bytes));
    }
    keep_alive_ = head.keep_alive;
    content_length_ = head.content_length;
    left_ = head.content_length.value_or(0);
    if (left_ > body_limit_) {
      ec = boost::beast::http::error::body_limit;
      return head.size;
    }
    if (left_ > 0) m.body.reserve(static_cast<size_t>(left_));
    ec = {};
    if (!eager_ || left_ == 0) return head.size;
    error_code body_ec;
    return head.size + TakeBody(data + head.size, size - head.size, body_ec);
  }

  void put_eof(error_code& ec) {
    switch (mode_) {
      case Mode::kBeast:
        beast_.put_eof(ec);
        return;
      case Mode::kFast:
        ec = left_ == 0
                 ? error_code()
                 : error_code(boost::beast::http::error::partial_message);
        return;
      case Mode::kUndecided:  // nothing put yet
        ec = boost::beast::http::error::partial_message;
        return;
    }
  }

  bool got_some() const {
    return mode_ == Mode::kBeast ? beast_.got_some() : mode_ == Mode::kFast;
  }
  bool is_header_done() const {
    return mode_ == Mode::kBeast ? beast_.is_header_done()
                                 : mode_ == Mode::kFast;
  }
  bool is_done() const {
    return mode_ == Mode::kBeast ? beast_.is_done()
                                 : mode_ == Mode::kFast && left_ == 0;
  }
  // The next four: only once is_header_done().
  bool keep_alive() const {
    return mode_ == Mode::kBeast ? beast_.keep_alive() : keep_alive_;
  }
  bool need_eof() const { return mode_ == Mode::kBeast && beast_.need_eof(); }
  boost::optional<uint64_t> content_length() const {
    if (mode_ == Mode::kBeast) return beast_.content_length();
    if (!content_length_) return boost::none;
    return *content_length_;
  }
  boost::beast::http::verb method() const {
    return mode_ == Mode::kBeast ? beast_.method() : method_;
  }

  Message& message() { return beast_.message(); }

  // Body bytes still to come of a message our head parser read (Content-
  // Length), which the caller may read straight into the message's body
  // instead of putting them: BodySpace, then CommitBody. 0 for any other.
  uint64_t body_left() const { return mode_ == Mode::kFast ? left_ : 0; }
  // Room for the next `n` of them (n <= body_left()) at the end of the body.
  // The body grows by zero bytes to make the room; room a read left unfilled
  // stays for the next BodySpace, so no byte is zero-filled twice. Until the
  // body is complete, message().body ends in that room.
  boost::asio::mutable_buffer BodySpace(size_t n) {
    std::string& body = message().body;
    const size_t size = body.size() - room_;
    if (room_ < n) {
      body.resize(size + n);
      room_ = n;
    }
    return {body.data() + size, n};
  }
  // `written` bytes of the last BodySpace arrived. Once the body is
  // complete, it is exactly the bytes received.
  void CommitBody(size_t written) {
    room_ -= written;
    left_ -= written;
    if (left_ == 0) DropRoom();
  }

  // Whether our head parser read this message (for tests).
  bool read_by_head_parser() const { return mode_ == Mode::kFast; }

 private:
  enum class Mode { kUndecided, kFast, kBeast };

  // Cuts the unfilled room off the body's end.
  void DropRoom() {
    if (room_ == 0) return;
    std::string& body = message().body;
    body.resize(body.size() - room_);
    room_ = 0;
  }

  size_t TakeBody(const char* data, size_t size, error_code& ec) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left_, size));
    if (n == 0) {
      ec = left_ == 0 ? error_code() : boost::beast::http::error::need_more;
      return 0;
    }
    DropRoom();  // bytes put after a BodySpace take its place
    message().body.append(data, n);
    left_ -= n;
    ec = {};
    return n;
  }

  MessageParser<kIsRequest> beast_;
  Mode mode_ = Mode::kUndecided;
  bool eager_ = false;
  bool keep_alive_ = false;
  uint32_t header_limit_ = 8192;  // Beast's defaults
  uint64_t body_limit_ = kIsRequest ? 1024 * 1024 : 8 * 1024 * 1024;
  std::optional<uint64_t> content_length_;
  uint64_t left_ = 0;  // body bytes still to come
  size_t room_ = 0;    // unfilled bytes at the body's end (BodySpace)
  boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
};

using RequestParser = HeadFirstParser<true>;
using ResponseParser = HeadFirstParser<false>;
// Beast's alone, for the fuzzer that holds the two to the same verdicts.
using BeastRequestParser = MessageParser<true>;
using BeastResponseParser = MessageParser<false>;

}  // namespace zimon::http::internal

#endif  // ZIMON_HTTP_MESSAGE_PARSER_H_
