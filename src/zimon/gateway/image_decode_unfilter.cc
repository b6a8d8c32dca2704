#include "zimon/gateway/image_decode_unfilter.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ZIMON_UNFILTER_X86 1
#endif

namespace zimon::gateway::internal {
namespace {

// Portable code, used for pixel sizes without a vector version (and for all of
// them where SSE2 is missing).

void SubPortable(const uint8_t* src, uint8_t* dst, size_t len, size_t bpp) {
  for (size_t i = 0; i < bpp && i < len; ++i) dst[i] = src[i];
  for (size_t i = bpp; i < len; ++i) {
    dst[i] = static_cast<uint8_t>(src[i] + dst[i - bpp]);
  }
}

void UpPortable(const uint8_t* src, const uint8_t* prev, uint8_t* dst,
                size_t len) {
  for (size_t i = 0; i < len; ++i) {
    dst[i] = static_cast<uint8_t>(src[i] + prev[i]);
  }
}

void AveragePortable(const uint8_t* src, const uint8_t* prev, uint8_t* dst,
                     size_t len, size_t bpp) {
  for (size_t i = 0; i < bpp && i < len; ++i) {
    dst[i] = static_cast<uint8_t>(src[i] + (prev[i] >> 1));
  }
  for (size_t i = bpp; i < len; ++i) {
    dst[i] = static_cast<uint8_t>(src[i] + ((dst[i - bpp] + prev[i]) >> 1));
  }
}

inline int PaethPredictor(int a, int b, int c) {
  const int pa = std::abs(b - c);
  const int pb = std::abs(a - c);
  const int pc = std::abs(a + b - 2 * c);
  const int bc = pb <= pc ? b : c;
  return pa <= pb && pa <= pc ? a : bc;
}

void PaethPortable(const uint8_t* src, const uint8_t* prev, uint8_t* dst,
                   size_t len, size_t bpp) {
  for (size_t i = 0; i < bpp && i < len; ++i) {
    dst[i] = static_cast<uint8_t>(src[i] + prev[i]);
  }
  for (size_t i = bpp; i < len; ++i) {
    dst[i] = static_cast<uint8_t>(
        src[i] + PaethPredictor(dst[i - bpp], prev[i], prev[i - bpp]));
  }
}

bool UnfilterPortable(int type, const uint8_t* src, const uint8_t* prev,
                      size_t len, size_t bpp, uint8_t* dst) {
  switch (type) {
    case 0:
      std::memcpy(dst, src, len);
      return true;
    case 1:
      SubPortable(src, dst, len, bpp);
      return true;
    case 2:
      UpPortable(src, prev, dst, len);
      return true;
    case 3:
      AveragePortable(src, prev, dst, len, bpp);
      return true;
    case 4:
      PaethPortable(src, prev, dst, len, bpp);
      return true;
    default:
      return false;
  }
}

#if defined(__SSE2__)

// The vector code below reads and writes whole 16-byte vectors, up to
// kUnfilterPadding bytes past `len`; the bytes it writes there are garbage
// (or overwritten by the next step), which the contract allows.

inline __m128i Load(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
inline void Store(uint8_t* p, __m128i v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
}

// Sub: a prefix sum per channel. Within a vector the sum is two shift-adds;
// across vectors the running pixel is carried, and the carry is updated from
// the input's own prefix (broadcasting commutes with the byte-wise add), so
// the loop-carried dependency is a single add per vector.
void Sub4(const uint8_t* src, uint8_t* dst, size_t len) {
  __m128i carry = _mm_setzero_si128();  // previous pixel, in all four slots
  for (size_t i = 0; i < len; i += 16) {
    __m128i x = Load(src + i);
    x = _mm_add_epi8(x, _mm_slli_si128(x, 4));
    x = _mm_add_epi8(x, _mm_slli_si128(x, 8));
    Store(dst + i, _mm_add_epi8(x, carry));
    carry = _mm_add_epi8(carry, _mm_shuffle_epi32(x, 0xFF));
  }
}

// As Sub4 with four 3-byte pixels (12 of the 16 bytes) per step; the last
// pixel of the step is broadcast with shifts.
void Sub3(const uint8_t* src, uint8_t* dst, size_t len) {
  const __m128i low_pixel = _mm_setr_epi32(0xFFFFFF, 0, 0, 0);
  __m128i carry = _mm_setzero_si128();  // previous pixel, in bytes 0..11
  for (size_t i = 0; i < len; i += 12) {
    __m128i x = Load(src + i);
    x = _mm_add_epi8(x, _mm_slli_si128(x, 3));
    x = _mm_add_epi8(x, _mm_slli_si128(x, 6));
    Store(dst + i, _mm_add_epi8(x, carry));
    __m128i last = _mm_and_si128(_mm_srli_si128(x, 9), low_pixel);
    last = _mm_or_si128(last, _mm_slli_si128(last, 3));
    last = _mm_or_si128(last, _mm_slli_si128(last, 6));
    carry = _mm_add_epi8(carry, last);
  }
}

void Up(const uint8_t* src, const uint8_t* prev, uint8_t* dst, size_t len) {
  for (size_t i = 0; i < len; i += 16) {
    Store(dst + i, _mm_add_epi8(Load(src + i), Load(prev + i)));
  }
}

// Average and Paeth depend on the pixel just decoded, so they go one pixel
// at a time, its channels side by side in 16-bit lanes (lanes past the pixel
// hold the next pixel's values and are ignored). Everything that does not
// depend on the left neighbour a is computed beforehand for a block of
// pixels, eight 16-bit lanes at a time, into small arrays; the per-pixel loop
// loads from those and keeps only the few operations that depend on a.
// Results collect in 16-bit lanes and are packed to bytes a block later.
//
// The per-pixel loads straddle the 16-byte stores that filled the arrays, and
// the packing loads straddle the per-pixel stores: a load that needs two
// stores still in flight cannot be forwarded from them and waits until they
// reach the cache. So blocks are pipelined: block k + 1 is prepared before
// block k is run, and block k - 1 packed after it.

constexpr size_t kBlockPixels = 32;
constexpr size_t kBlockLanes = kBlockPixels * 4 + 16;

inline __m128i Load8(const uint8_t* p) {
  return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
}
inline __m128i Load16(const int16_t* p) {
  return _mm_load_si128(reinterpret_cast<const __m128i*>(p));
}
inline __m128i LoadU16(const int16_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
inline void Store16(int16_t* p, __m128i v) {
  _mm_store_si128(reinterpret_cast<__m128i*>(p), v);
}
inline void StoreU16(int16_t* p, __m128i v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
}

// Bytes i .. i + 7 of the previous row one pixel to the left (c): zeros
// before the row's first pixel.
template <int kBpp>
inline __m128i UpperLeft(const uint8_t* prev, size_t i, __m128i b) {
  return i == 0 ? _mm_slli_si128(b, kBpp) : Load8(prev + i - kBpp);
}

// Runs a row through `filter`, which provides
//   Block                                  the precomputed arrays, and out;
//   Prepare(src, prev, i, block, j)        bytes i .. i + 7 to lanes j ..;
//   Step(block, o, a) -> a                 one pixel at lane o;
//   Pack(block, j) -> 16 bytes             lanes j .. j + 15 to bytes.
template <int kBpp, typename Filter>
void PixelByPixel(const uint8_t* src, const uint8_t* prev, uint8_t* dst,
                  size_t len, const Filter& filter) {
  constexpr size_t kBlock = kBlockPixels * kBpp;  // a multiple of 16
  if (len == 0) return;
  typename Filter::Block blocks[2];
  const auto prepare = [&](size_t i0, typename Filter::Block& blk) {
    // Lanes up to 7 past the block's last byte: a pixel's load reads them.
    const size_t end = std::min(kBlock, len - i0);
    for (size_t j = 0; j < end + 8; j += 8) {
      filter.Prepare(src, prev, i0 + j, blk, j);
    }
  };
  const auto pack = [&](size_t i0, const typename Filter::Block& blk) {
    const size_t end = std::min(kBlock, len - i0);
    for (size_t j = 0; j < end; j += 16)
      Store(dst + i0 + j, filter.Pack(blk, j));
  };
  __m128i a = _mm_setzero_si128();
  prepare(0, blocks[0]);
  size_t k = 0;
  for (size_t i0 = 0; i0 < len; i0 += kBlock, ++k) {
    typename Filter::Block& blk = blocks[k % 2];
    if (i0 + kBlock < len) prepare(i0 + kBlock, blocks[(k + 1) % 2]);
    const size_t end = std::min(kBlock, len - i0);
    size_t o = 0;
    for (; o + 4 * kBpp <= end; o += 4 * kBpp) {
      a = filter.Step(blk, o, a);
      StoreU16(blk.out + o, a);
      a = filter.Step(blk, o + kBpp, a);
      StoreU16(blk.out + o + kBpp, a);
      a = filter.Step(blk, o + 2 * kBpp, a);
      StoreU16(blk.out + o + 2 * kBpp, a);
      a = filter.Step(blk, o + 3 * kBpp, a);
      StoreU16(blk.out + o + 3 * kBpp, a);
    }
    for (; o < end; o += kBpp) {
      a = filter.Step(blk, o, a);
      StoreU16(blk.out + o, a);
    }
    if (k > 0) pack(i0 - kBlock, blocks[(k + 1) % 2]);
  }
  pack((k - 1) * kBlock, blocks[(k + 1) % 2]);
}

// Average, x + floor((a + b) / 2) mod 256, with a loop-carried path of two
// operations. Lanes carry values scaled so that the sum lands in the high
// byte: a' = 128 a + g (g < 128, left over from the previous step) and
// k = 256 x + 128 b, precomputed. a' + k = 256 (x + floor((a + b) / 2)) +
// (low byte < 256), so the high byte is the result (mod 256 by the 16-bit
// wrap), and (a' + k) >> 1 is the next a' in the same form.
template <int kBpp>
struct AverageFilter {
  struct Block {
    alignas(16) int16_t k[kBlockLanes] = {};
    alignas(16) int16_t out[kBlockLanes] = {};
  };
  static void Prepare(const uint8_t* src, const uint8_t* prev, size_t i,
                      Block& blk, size_t j) {
    const __m128i zero = _mm_setzero_si128();
    const __m128i b = _mm_unpacklo_epi8(Load8(prev + i), zero);
    Store16(blk.k + j, _mm_add_epi16(_mm_unpacklo_epi8(zero, Load8(src + i)),
                                     _mm_slli_epi16(b, 7)));
  }
  static __m128i Step(const Block& blk, size_t o, __m128i a) {
    return _mm_add_epi16(_mm_srli_epi16(a, 1), LoadU16(blk.k + o));
  }
  static __m128i Pack(const Block& blk, size_t j) {
    return _mm_packus_epi16(_mm_srli_epi16(Load16(blk.out + j), 8),
                            _mm_srli_epi16(Load16(blk.out + j + 8), 8));
  }
};

// Paeth without computing |p - a|, |p - b|, |p - c| on the critical path.
// With u = b - c, the choice depends on a through three thresholds that come
// from the previous row alone:
//   a   when a >= c + max(u, -2u) or a <= c + min(u, -2u),
//   otherwise b when a > c - floor(u / 2) - 1 (u >= 0),
//             resp. a <= c + floor(-u / 2) (u < 0), and c else.
// (Expand pa <= pb, pa <= pc and pb <= pc for t = a - c; ties go a, b, c as
// the spec requires.) Checked against the textbook predictor for every
// (a, b, c).
struct PaethBlock {
  alignas(16) int16_t x[kBlockLanes] = {};
  alignas(16) int16_t above[kBlockLanes] = {};  // take a when a > above
  alignas(16) int16_t below[kBlockLanes] = {};  // take a when a < below
  alignas(16) int16_t mid[kBlockLanes] = {};    // else b or c: a > mid?
  alignas(16) int16_t at_or_below_mid[kBlockLanes] = {};  // x + (b or c)
  alignas(16) int16_t b_xor_c[kBlockLanes] = {};          // (x + b) ^ (x + c)
  alignas(16) int16_t out[kBlockLanes] = {};
};

template <int kBpp>
inline void PaethPrepare(const uint8_t* src, const uint8_t* prev, size_t i,
                         PaethBlock& blk, size_t j) {
  const __m128i zero = _mm_setzero_si128();
  const __m128i all = _mm_set1_epi16(-1);
  const __m128i one = _mm_set1_epi16(1);
  const __m128i b8 = Load8(prev + i);
  const __m128i x = _mm_unpacklo_epi8(Load8(src + i), zero);
  const __m128i b = _mm_unpacklo_epi8(b8, zero);
  const __m128i c = _mm_unpacklo_epi8(UpperLeft<kBpp>(prev, i, b8), zero);
  const __m128i u = _mm_sub_epi16(b, c);
  const __m128i neg = _mm_srai_epi16(u, 15);  // all ones where u < 0
  const __m128i minus_2u = _mm_sub_epi16(zero, _mm_add_epi16(u, u));
  Store16(blk.above + j,
          _mm_sub_epi16(_mm_add_epi16(c, _mm_max_epi16(u, minus_2u)), one));
  Store16(blk.below + j,
          _mm_add_epi16(_mm_add_epi16(c, _mm_min_epi16(u, minus_2u)), one));
  const __m128i abs_u = _mm_sub_epi16(_mm_xor_si128(u, neg), neg);
  const __m128i half = _mm_srai_epi16(abs_u, 1);
  Store16(blk.mid + j,
          _mm_add_epi16(c, _mm_xor_si128(half, _mm_xor_si128(neg, all))));
  const __m128i xb = _mm_add_epi8(x, b);
  const __m128i xc = _mm_add_epi8(x, c);
  const __m128i b_xor_c = _mm_xor_si128(xb, xc);
  Store16(blk.b_xor_c + j, b_xor_c);
  Store16(blk.at_or_below_mid + j,  // u < 0 ? x + b : x + c
          _mm_xor_si128(xc, _mm_and_si128(b_xor_c, neg)));
  Store16(blk.x + j, x);
}

inline __m128i PaethPack(const PaethBlock& blk, size_t j) {
  return _mm_packus_epi16(Load16(blk.out + j), Load16(blk.out + j + 8));
}

// The loop-carried path: compare, and, xor, andnot, or.
template <int kBpp>
struct PaethFilterSse2 {
  using Block = PaethBlock;
  static void Prepare(const uint8_t* src, const uint8_t* prev, size_t i,
                      Block& blk, size_t j) {
    PaethPrepare<kBpp>(src, prev, i, blk, j);
  }
  static __m128i Step(const Block& blk, size_t o, __m128i a) {
    const __m128i above_mid = _mm_cmpgt_epi16(a, LoadU16(blk.mid + o));
    const __m128i b_or_c =
        _mm_xor_si128(LoadU16(blk.at_or_below_mid + o),
                      _mm_and_si128(LoadU16(blk.b_xor_c + o), above_mid));
    const __m128i take_a =
        _mm_or_si128(_mm_cmpgt_epi16(a, LoadU16(blk.above + o)),
                     _mm_cmpgt_epi16(LoadU16(blk.below + o), a));
    const __m128i xa = _mm_add_epi8(LoadU16(blk.x + o), a);
    return _mm_or_si128(_mm_and_si128(take_a, xa),
                        _mm_andnot_si128(take_a, b_or_c));
  }
  static __m128i Pack(const Block& blk, size_t j) { return PaethPack(blk, j); }
};

bool UnfilterSse2(int type, const uint8_t* src, const uint8_t* prev, size_t len,
                  size_t bpp, uint8_t* dst) {
  if (bpp == 3 || bpp == 4) {
    switch (type) {
      case 1:
        bpp == 3 ? Sub3(src, dst, len) : Sub4(src, dst, len);
        return true;
      case 2:
        Up(src, prev, dst, len);
        return true;
      case 3:
        bpp == 3 ? PixelByPixel<3>(src, prev, dst, len, AverageFilter<3>())
                 : PixelByPixel<4>(src, prev, dst, len, AverageFilter<4>());
        return true;
      case 4:
        bpp == 3 ? PixelByPixel<3>(src, prev, dst, len, PaethFilterSse2<3>())
                 : PixelByPixel<4>(src, prev, dst, len, PaethFilterSse2<4>());
        return true;
      default:
        break;
    }
  } else if (type == 2) {
    Up(src, prev, dst, len);
    return true;
  }
  return UnfilterPortable(type, src, prev, len, bpp, dst);
}

#endif  // __SSE2__

#if defined(ZIMON_UNFILTER_X86)

// SSSE3: Sub for 3-byte pixels broadcasts the step's last pixel with one
// shuffle instead of six operations.
__attribute__((target("ssse3"))) void Sub3Ssse3(const uint8_t* src,
                                                uint8_t* dst, size_t len) {
  const __m128i last_pixel =
      _mm_setr_epi8(9, 10, 11, 9, 10, 11, 9, 10, 11, 9, 10, 11, 9, 10, 11, 9);
  __m128i carry = _mm_setzero_si128();
  for (size_t i = 0; i < len; i += 12) {
    __m128i x = Load(src + i);
    x = _mm_add_epi8(x, _mm_slli_si128(x, 3));
    x = _mm_add_epi8(x, _mm_slli_si128(x, 6));
    Store(dst + i, _mm_add_epi8(x, carry));
    carry = _mm_add_epi8(carry, _mm_shuffle_epi8(x, last_pixel));
  }
}

__attribute__((target("ssse3"))) bool UnfilterSsse3(int type,
                                                    const uint8_t* src,
                                                    const uint8_t* prev,
                                                    size_t len, size_t bpp,
                                                    uint8_t* dst) {
  if (type == 1 && bpp == 3) {
    Sub3Ssse3(src, dst, len);
    return true;
  }
  return UnfilterSse2(type, src, prev, len, bpp, dst);
}

bool HasSsse3() {
  static const bool has = __builtin_cpu_supports("ssse3");
  return has;
}

#endif  // ZIMON_UNFILTER_X86

}  // namespace

std::vector<UnfilterPath> SupportedUnfilterPaths() {
  std::vector<UnfilterPath> paths = {UnfilterPath::kPortable};
#if defined(__SSE2__)
  paths.push_back(UnfilterPath::kSse2);
#endif
#if defined(ZIMON_UNFILTER_X86)
  if (HasSsse3()) paths.push_back(UnfilterPath::kSsse3);
#endif
  return paths;
}

bool UnfilterRowOn(UnfilterPath path, int type, const uint8_t* src,
                   const uint8_t* prev, size_t len, int bpp, uint8_t* dst) {
  const auto n = static_cast<size_t>(bpp);
  switch (path) {
    case UnfilterPath::kPortable:
      break;
    case UnfilterPath::kSse2:
#if defined(__SSE2__)
      return UnfilterSse2(type, src, prev, len, n, dst);
#else
      break;
#endif
    case UnfilterPath::kSsse3:
#if defined(ZIMON_UNFILTER_X86)
      return UnfilterSsse3(type, src, prev, len, n, dst);
#else
      break;
#endif
  }
  return UnfilterPortable(type, src, prev, len, n, dst);
}

bool UnfilterRow(int type, const uint8_t* src, const uint8_t* prev, size_t len,
                 int bpp, uint8_t* dst) {
#if defined(ZIMON_UNFILTER_X86)
  if (HasSsse3()) {
    return UnfilterSsse3(type, src, prev, len, static_cast<size_t>(bpp), dst);
  }
#endif
#if defined(__SSE2__)
  return UnfilterSse2(type, src, prev, len, static_cast<size_t>(bpp), dst);
#else
  return UnfilterPortable(type, src, prev, len, static_cast<size_t>(bpp), dst);
#endif
}

}  // namespace zimon::gateway::internal
