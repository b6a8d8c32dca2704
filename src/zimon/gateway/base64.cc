#include "zimon/gateway/base64.h"

#include <array>
#include <cstdint>

namespace zimon::gateway {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr uint8_t kInvalid = 0xff;
constexpr uint8_t kSkip = 0xfe;  // whitespace

constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = i;
  for (char c : {' ', '\t', '\r', '\n'}) t[static_cast<uint8_t>(c)] = kSkip;
  return t;
}

constexpr std::array<uint8_t, 256> kDecode = MakeDecodeTable();

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.resize((bytes.size() + 2) / 3 * 4);
  const auto* in = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t n = bytes.size(), i = 0, o = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v =
        (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    out[o++] = kAlphabet[v >> 18];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = kAlphabet[(v >> 6) & 63];
    out[o++] = kAlphabet[v & 63];
  }
  if (i < n) {
    uint32_t v = uint32_t{in[i]} << 16;
    if (i + 1 < n) v |= uint32_t{in[i + 1]} << 8;
    out[o++] = kAlphabet[v >> 18];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=';
    out[o++] = '=';
  }
  return out;
}

StatusOr<std::string> Base64Decode(std::string_view text) {
  // Padding only at the end.
  size_t end = text.size();
  while (end > 0 && kDecode[static_cast<uint8_t>(text[end - 1])] == kSkip) {
    --end;
  }
  int padding = 0;
  while (end > 0 && text[end - 1] == '=' && padding < 2) {
    --end;
    ++padding;
  }
  std::string out;
  out.resize(end / 4 * 3 + 3);
  const auto* in = reinterpret_cast<const uint8_t*>(text.data());
  size_t o = 0, i = 0;
  // Fast path: four alphabet characters at a time.
  while (i + 4 <= end) {
    uint32_t a = kDecode[in[i]], b = kDecode[in[i + 1]], c = kDecode[in[i + 2]],
             d = kDecode[in[i + 3]];
    if ((a | b | c | d) & 0xc0) break;  // whitespace or invalid: slow path
    uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = static_cast<char>(v >> 16);
    out[o++] = static_cast<char>((v >> 8) & 0xff);
    out[o++] = static_cast<char>(v & 0xff);
    i += 4;
  }
  // Slow path: skips whitespace, rejects anything else.
  uint32_t acc = 0;
  int bits = 0;
  for (; i < end; ++i) {
    uint8_t v = kDecode[in[i]];
    if (v == kSkip) continue;
    if (v == kInvalid) {
      return InvalidArgumentError("invalid base64 character at offset " +
                                  std::to_string(i));
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // 6 leftover bits cannot be base64; 2 or 4 must be zero padding bits.
  if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0) {
    return InvalidArgumentError("truncated base64 data");
  }
  out.resize(o);
  return out;
}

}  // namespace zimon::gateway
