// Internal to the http module (connection.cc and client.cc): Beast's HTTP/1.1
// parser writing straight into our Request or Response. Not a public header.
//
//   ResponseParser parser;           // or RequestParser parser(request);
//   parser.put(buffer, ec);          // Beast's basic_parser interface
//   Response& r = parser.message();  // status, headers and body as parsed
//
// Beast tokenises; each field is added to the message's Headers and the body
// is appended to its string. Beast's own message parser would store every
// field in an allocation of its own, to be copied over afterwards, and its
// string_body reader zero-fills the whole body before overwriting it (a
// wasted pass over a megabyte of base64).
//
// Thread safety: a parser is used by one coroutine at a time.
#ifndef ZIMON_HTTP_MESSAGE_PARSER_H_
#define ZIMON_HTTP_MESSAGE_PARSER_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <string_view>
#include <type_traits>

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

using RequestParser = MessageParser<true>;
using ResponseParser = MessageParser<false>;

}  // namespace zimon::http::internal

#endif  // ZIMON_HTTP_MESSAGE_PARSER_H_
