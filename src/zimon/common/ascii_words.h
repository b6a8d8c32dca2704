// ASCII checks eight bytes at a time, for text on every request's path
// (header fields, JSON strings, ids), with the usual bit tricks:
//
//   uint64_t x = LoadWord(p);
//   if (HasZeroByte(x ^ (kEveryByte * '\n'))) ...  // a '\n' among the eight
//
//   while (end - p >= 8 && PlainJsonAscii8(p)) p += 8;  // skip a plain run
//
// HasZeroByte and HasByteBelow flag the lowest matching byte exactly; bytes
// above it may be flagged falsely (a borrow), so use them for "any", or for
// the first match.
// Thread safety: pure functions.
#ifndef ZIMON_COMMON_ASCII_WORDS_H_
#define ZIMON_COMMON_ASCII_WORDS_H_

#include <cstdint>
#include <cstring>
#include <string_view>

namespace zimon {

// 0x01 in every byte, and the high bit of every byte.
inline constexpr uint64_t kEveryByte = 0x0101010101010101ull;
inline constexpr uint64_t kHighBits = 0x8080808080808080ull;

// The eight bytes at p, unaligned.
inline uint64_t LoadWord(const char* p) {
  uint64_t x;
  std::memcpy(&x, p, sizeof x);
  return x;
}

// Nonzero when a byte of x is zero.
constexpr uint64_t HasZeroByte(uint64_t x) {
  return (x - kEveryByte) & ~x & kHighBits;
}

// Nonzero when a byte of x is below n (n <= 0x80).
constexpr uint64_t HasByteBelow(uint64_t x, uint8_t n) {
  return (x - kEveryByte * n) & ~x & kHighBits;
}

// True when none of the 8 bytes at p ends a plain ASCII run in a JSON
// string: a control character, a quote, a backslash or a byte of a UTF-8
// sequence.
inline bool PlainJsonAscii8(const char* p) {
  const uint64_t x = LoadWord(p);
  return (HasByteBelow(x, 0x20) | HasZeroByte(x ^ (kEveryByte * '"')) |
          HasZeroByte(x ^ (kEveryByte * '\\')) | (x & kHighBits)) == 0;
}

// True when byte c is copied as is into a JSON string (printable ASCII
// other than '"' and '\\').
inline bool PlainJsonAscii(char c) {
  const auto b = static_cast<unsigned char>(c);
  return b >= 0x20 && b < 0x80 && b != '"' && b != '\\';
}

// True when every byte of s is printable ASCII (0x20..0x7e).
inline bool PrintableAscii(std::string_view s) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    const uint64_t x = LoadWord(s.data() + i);
    // Above 0x7e: adding 1 carries into the high bit, or it was set.
    const uint64_t above = ((x + kEveryByte) | x) & kHighBits;
    if ((HasByteBelow(x, 0x20) | above) != 0) return false;
  }
  for (; i < s.size(); ++i) {
    if (s[i] < 0x20 || s[i] >= 0x7f) return false;
  }
  return true;
}

}  // namespace zimon

#endif  // ZIMON_COMMON_ASCII_WORDS_H_
