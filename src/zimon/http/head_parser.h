// Internal to the http module (message_parser.h): a parser for the common
// shape of an HTTP/1.x message head, tried before Beast's. Not a public
// header.
//
//   ParsedHead head;
//   switch (ParseRequestHead(buffered_bytes, head)) {
//     case HeadResult::kParsed:     // head.size bytes were the head
//     case HeadResult::kIncomplete: // a prefix of an accepted head: read more
//     case HeadResult::kDeclined:   // not that shape: Beast parses it
//   }
//
// It accepts only heads that Beast accepts and reads the same way, and
// declines everything else, so that Beast's verdict stands on every unusual
// message: obs-fold, bytes outside printable ASCII, a bare LF, any
// Transfer-Encoding, Upgrade or Proxy-Connection field, a Connection field
// other than one "close" or "keep-alive", a Content-Length other than one
// run of up to 18 digits, versions other than 1.0 and 1.1, responses without
// a Content-Length or of a status with no body (1xx, 204, 304), and heads
// of more than kMaxFields fields. fuzz/http_head_fuzz checks the agreement.
//
// What it saves over Beast's parser is per field: Beast looks each name up in
// its table of known fields, checks Connection and Content-Length as token
// lists and hands fields over through virtual calls; here one pass does it.
//
// Thread safety: pure functions.
#ifndef ZIMON_HTTP_HEAD_PARSER_H_
#define ZIMON_HTTP_HEAD_PARSER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace zimon::http::internal {

// Where a field lies in the parsed bytes. Left uninitialised in a fresh
// ParsedHead: only the first field_count are ever set.
struct HeadField {
  uint32_t name_at;
  uint32_t name_size;
  uint32_t value_at;
  uint32_t value_size;  // without surrounding spaces and tabs

  std::string_view name(std::string_view data) const {
    return data.substr(name_at, name_size);
  }
  std::string_view value(std::string_view data) const {
    return data.substr(value_at, value_size);
  }
};

// A parsed head. The views point into the parsed bytes.
struct ParsedHead {
  static constexpr size_t kMaxFields = 32;

  std::string_view method;  // requests
  std::string_view target;  // requests
  int status = 0;           // responses
  int version = 11;         // 10 or 11
  std::optional<uint64_t> content_length;
  // Whether the connection stays open after this message, as Beast's
  // keep_alive() says (HTTP/1.1 unless "close", HTTP/1.0 only with
  // "keep-alive").
  bool keep_alive = false;
  size_t size = 0;  // bytes of the head, the blank line included
  size_t field_count = 0;
  std::array<HeadField, kMaxFields> fields;
};

enum class HeadResult { kParsed, kIncomplete, kDeclined };

// Parses a request head at the start of `data`. `out` is meaningful only
// after kParsed.
HeadResult ParseRequestHead(std::string_view data, ParsedHead& out);
// The same for a response head.
HeadResult ParseResponseHead(std::string_view data, ParsedHead& out);

}  // namespace zimon::http::internal

#endif  // ZIMON_HTTP_HEAD_PARSER_H_
