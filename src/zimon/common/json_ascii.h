// Eight bytes at a time: whether a JSON string's text can be copied as is.
//
//   while (end - p >= 8 && PlainJsonAscii8(p)) p += 8;  // skip a plain run
//
// Used where JSON strings are read (gateway/json_members) and written
// (log::AppendJsonString), on every request's path.
// Thread safety: pure functions.
#ifndef ZIMON_COMMON_JSON_ASCII_H_
#define ZIMON_COMMON_JSON_ASCII_H_

#include <cstdint>
#include <cstring>

namespace zimon {

// True when none of the 8 bytes at p ends a plain ASCII run in a JSON
// string: a control character, a quote, a backslash or a byte of a UTF-8
// sequence (the usual bit tricks for "has a byte less than", "has a zero
// byte").
inline bool PlainJsonAscii8(const char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  uint64_t x;
  std::memcpy(&x, p, sizeof x);
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  const uint64_t control = (x - kOnes * 0x20) & ~x & kHighs;
  const uint64_t special =
      has_zero(x ^ (kOnes * '"')) | has_zero(x ^ (kOnes * '\\')) | (x & kHighs);
  return (control | special) == 0;
}

// True when byte c is copied as is into a JSON string (printable ASCII
// other than '"' and '\\').
inline bool PlainJsonAscii(char c) {
  const auto b = static_cast<unsigned char>(c);
  return b >= 0x20 && b < 0x80 && b != '"' && b != '\\';
}

}  // namespace zimon

#endif  // ZIMON_COMMON_JSON_ASCII_H_
