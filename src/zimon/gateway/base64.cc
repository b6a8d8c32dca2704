#include "zimon/gateway/base64.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

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

bool InAlphabet(unsigned char c) { return kDecode[c] < 64; }

#if defined(__x86_64__) && defined(__GNUC__)
// The alphabet test on 16 bytes with SSE2 (always there on x86-64; the AVX2
// test below covers 32 at a time): a byte's bit in the mask is set when the
// byte is an alphabet character. A range test is one add and one signed
// compare: x in [lo, lo + n) <=> int8(x + (-128 - lo)) < -128 + n. Letters are
// tested as c | 0x20 (A-Z folded onto a-z), '+' and '/' as c | 4 == '/'.
constexpr char Bias(int lo) { return static_cast<char>(-128 - lo); }
constexpr char Limit(int n) { return static_cast<char>(-128 + n); }

inline __attribute__((always_inline)) int AlphabetMask16(const char* p) {
  const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i folded = _mm_or_si128(c, _mm_set1_epi8(0x20));
  const __m128i letters = _mm_cmplt_epi8(
      _mm_add_epi8(folded, _mm_set1_epi8(Bias('a'))), _mm_set1_epi8(Limit(26)));
  const __m128i digits = _mm_cmplt_epi8(
      _mm_add_epi8(c, _mm_set1_epi8(Bias('0'))), _mm_set1_epi8(Limit(10)));
  const __m128i symbols =
      _mm_cmpeq_epi8(_mm_or_si128(c, _mm_set1_epi8(4)), _mm_set1_epi8('/'));
  return _mm_movemask_epi8(
      _mm_or_si128(_mm_or_si128(letters, digits), symbols));
}

// The alphabet test on 32 bytes with AVX2, by nibble tables: a byte is in
// the alphabet when the class bits of its high nibble and of its low nibble
// share one. The classes: '+' and '/' (high 2, low B or F), digits (high 3,
// low 0-9), A-O and a-o (high 4 or 6, low 1-F), P-Z and p-z (high 5 or 7,
// low 0-A). High nibbles 8-F (non-ASCII) have no class. Non-zero bytes of
// the result are alphabet characters.
constexpr char kSymbols = 1, kDigits = 2, kFirstHalf = 4, kSecondHalf = 8;

// Both tables twice over: the shuffle looks up within each 16-byte lane.
struct alignas(32) NibbleTable {
  std::array<char, 32> classes;
};

constexpr NibbleTable MakeHighTable() {
  NibbleTable t{};
  for (int lane : {0, 16}) {
    t.classes[lane + 2] = kSymbols;
    t.classes[lane + 3] = kDigits;
    t.classes[lane + 4] = t.classes[lane + 6] = kFirstHalf;
    t.classes[lane + 5] = t.classes[lane + 7] = kSecondHalf;
  }
  return t;
}

constexpr NibbleTable MakeLowTable() {
  NibbleTable t{};
  for (int low = 0; low < 16; ++low) {
    char c = static_cast<char>(
        (low == 0xb || low == 0xf ? kSymbols : 0) | (low <= 9 ? kDigits : 0) |
        (low >= 1 ? kFirstHalf : 0) | (low <= 0xa ? kSecondHalf : 0));
    t.classes[low] = t.classes[16 + low] = c;
  }
  return t;
}

constexpr NibbleTable kByHigh = MakeHighTable();
constexpr NibbleTable kByLow = MakeLowTable();

__attribute__((target("avx2"), always_inline)) inline __m256i AlphabetClasses32(
    const char* p) {
  const __m256i by_high = _mm256_load_si256(
      reinterpret_cast<const __m256i*>(kByHigh.classes.data()));
  const __m256i by_low = _mm256_load_si256(
      reinterpret_cast<const __m256i*>(kByLow.classes.data()));
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i high = _mm256_and_si256(_mm256_srli_epi16(c, 4), nibble);
  // The shuffle reads the low nibble of each index byte and gives zero when
  // its top bit is set: c itself indexes the low table.
  return _mm256_and_si256(_mm256_shuffle_epi8(by_high, high),
                          _mm256_shuffle_epi8(by_low, c));
}

// True when a byte of `classes` is zero (a byte outside the alphabet).
__attribute__((target("avx2"), always_inline)) inline bool AnyOutside(
    __m256i classes) {
  return _mm256_movemask_epi8(
             _mm256_cmpeq_epi8(classes, _mm256_setzero_si256())) != 0;
}

// The alphabet prefix of p[0, n) with AVX2, up to a multiple of 32 bytes
// that are all alphabet; the caller finishes.
__attribute__((target("avx2"))) size_t AlphabetRunAvx2(const char* p,
                                                       size_t n) {
  size_t i = 0;
  // Four blocks folded by their smallest byte: zero when any byte is out.
  for (; i + 128 <= n; i += 128) {
    const __m256i folded =
        _mm256_min_epu8(_mm256_min_epu8(AlphabetClasses32(p + i),
                                        AlphabetClasses32(p + i + 32)),
                        _mm256_min_epu8(AlphabetClasses32(p + i + 64),
                                        AlphabetClasses32(p + i + 96)));
    if (AnyOutside(folded)) break;
  }
  for (; i + 32 <= n; i += 32) {
    if (AnyOutside(AlphabetClasses32(p + i))) break;
  }
  return i;
}

bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
#endif

}  // namespace

namespace {

// The two output characters of every 12-bit input group, so that three input
// bytes cost two table loads.
struct PairTable {
  std::array<char, 2 * 4096> chars;
  constexpr PairTable() : chars() {
    for (int i = 0; i < 4096; ++i) {
      chars[2 * i] = kAlphabet[i >> 6];
      chars[2 * i + 1] = kAlphabet[i & 63];
    }
  }
};
constexpr PairTable kPairs;

}  // namespace

void Base64EncodeTo(std::string_view bytes, char* out) {
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) |
                       uint32_t{in[i + 2]};
    std::memcpy(out, &kPairs.chars[2 * (v >> 12)], 2);
    std::memcpy(out + 2, &kPairs.chars[2 * (v & 0xfff)], 2);
    out += 4;
  }
  const size_t rest = n - i;
  if (rest == 0) return;
  uint32_t v = uint32_t{in[i]} << 16;
  if (rest == 2) v |= uint32_t{in[i + 1]} << 8;
  out[0] = kAlphabet[(v >> 18) & 63];
  out[1] = kAlphabet[(v >> 12) & 63];
  out[2] = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
  out[3] = '=';
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(Base64EncodedSize(bytes.size()), '\0');
  Base64EncodeTo(bytes, out.data());
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

size_t Base64AlphabetPrefix(std::string_view text) {
  // The best path this build and CPU can run.
  static const internal::AlphabetPath best =
      internal::SupportedAlphabetPaths().back();
  return internal::Base64AlphabetPrefixOn(best, text);
}

namespace internal {

std::vector<AlphabetPath> SupportedAlphabetPaths() {
  std::vector<AlphabetPath> paths = {AlphabetPath::kPortable};
#if defined(__x86_64__) && defined(__GNUC__)
  paths.push_back(AlphabetPath::kSse2);
  if (HasAvx2()) paths.push_back(AlphabetPath::kAvx2);
#endif
  return paths;
}

size_t Base64AlphabetPrefixOn(AlphabetPath path, std::string_view text) {
  const char* p = text.data();
  const size_t n = text.size();
  size_t i = 0;
#if defined(__x86_64__) && defined(__GNUC__)
  // The wide path stops at the block that holds the first byte outside (or
  // short of a whole block); the narrower loops find it.
  if (path == AlphabetPath::kAvx2) i = AlphabetRunAvx2(p, n);
  if (path != AlphabetPath::kPortable) {
    for (; i + 16 <= n; i += 16) {
      int mask = AlphabetMask16(p + i);
      if (mask != 0xffff) {
        return i + static_cast<size_t>(__builtin_ctz(~mask & 0xffff));
      }
    }
  }
#else
  (void)path;
#endif
  while (i < n && InAlphabet(static_cast<unsigned char>(p[i]))) ++i;
  return i;
}

}  // namespace internal

bool IsCanonicalBase64(std::string_view text) {
  size_t run = Base64AlphabetPrefix(text);
  size_t padding = text.size() - run;
  if (text.size() % 4 != 0 || padding > 2) return false;
  for (size_t k = run; k < text.size(); ++k) {
    if (text[k] != '=') return false;
  }
  // Zero padding bits: "xx==" uses 4 bits of the second character, "xxx="
  // 2 bits of the third.
  if (padding == 2 && (kDecode[static_cast<uint8_t>(text[run - 1])] & 0x0f)) {
    return false;
  }
  if (padding == 1 && (kDecode[static_cast<uint8_t>(text[run - 1])] & 0x03)) {
    return false;
  }
  return true;
}

}  // namespace zimon::gateway
