#include "zimon/gateway/image_decode_unfilter.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace zimon::gateway::internal {
namespace {

// Portable code, used for pixel sizes without a vector version (and for all of
// them where SSE2 is missing).

void SubScalar(uint8_t* row, size_t len, size_t bpp) {
  for (size_t i = bpp; i < len; ++i) {
    row[i] = static_cast<uint8_t>(row[i] + row[i - bpp]);
  }
}

void UpScalar(uint8_t* row, const uint8_t* prev, size_t from, size_t len) {
  for (size_t i = from; i < len; ++i) {
    row[i] = static_cast<uint8_t>(row[i] + prev[i]);
  }
}

void AverageScalar(uint8_t* row, const uint8_t* prev, size_t len, size_t bpp) {
  for (size_t i = 0; i < bpp && i < len; ++i) {
    row[i] = static_cast<uint8_t>(row[i] + (prev[i] >> 1));
  }
  for (size_t i = bpp; i < len; ++i) {
    row[i] = static_cast<uint8_t>(row[i] + ((row[i - bpp] + prev[i]) >> 1));
  }
}

inline int PaethPredictor(int a, int b, int c) {
  const int pa = std::abs(b - c);
  const int pb = std::abs(a - c);
  const int pc = std::abs(a + b - 2 * c);
  const int bc = pb <= pc ? b : c;
  return pa <= pb && pa <= pc ? a : bc;
}

void PaethScalar(uint8_t* row, const uint8_t* prev, size_t len, size_t bpp) {
  for (size_t i = 0; i < bpp && i < len; ++i) {
    row[i] = static_cast<uint8_t>(row[i] + prev[i]);
  }
  for (size_t i = bpp; i < len; ++i) {
    row[i] = static_cast<uint8_t>(
        row[i] + PaethPredictor(row[i - bpp], prev[i], prev[i - bpp]));
  }
}

#if defined(__SSE2__)

inline void Store32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }

// Sub: a prefix sum per channel. Within a vector the sum is two shift-adds;
// across vectors the running pixel is carried, and the carry is updated from
// the input's own prefix (broadcasting commutes with the byte-wise add), so
// the loop-carried dependency is a single add per vector.
void Sub4(uint8_t* row, size_t len) {
  __m128i carry = _mm_setzero_si128();  // previous pixel, in all four slots
  size_t i = 0;
  for (; i + 16 <= len; i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + i));
    x = _mm_add_epi8(x, _mm_slli_si128(x, 4));
    x = _mm_add_epi8(x, _mm_slli_si128(x, 8));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(row + i),
                     _mm_add_epi8(x, carry));
    carry = _mm_add_epi8(carry, _mm_shuffle_epi32(x, 0xFF));
  }
  for (i = i < 4 ? 4 : i; i < len; ++i) {
    row[i] = static_cast<uint8_t>(row[i] + row[i - 4]);
  }
}

// As Sub4 with four 3-byte pixels (12 of the 16 bytes) per step.
void Sub3(uint8_t* row, size_t len) {
  const __m128i low_pixel = _mm_setr_epi32(0xFFFFFF, 0, 0, 0);
  __m128i carry = _mm_setzero_si128();  // previous pixel, in bytes 0..11
  size_t i = 0;
  for (; i + 16 <= len; i += 12) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + i));
    x = _mm_add_epi8(x, _mm_slli_si128(x, 3));
    x = _mm_add_epi8(x, _mm_slli_si128(x, 6));
    const __m128i r = _mm_add_epi8(x, carry);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(row + i), r);
    Store32(row + i + 8,
            static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(r, 8))));
    __m128i last = _mm_and_si128(_mm_srli_si128(x, 9), low_pixel);
    last = _mm_or_si128(last, _mm_slli_si128(last, 3));
    last = _mm_or_si128(last, _mm_slli_si128(last, 6));
    carry = _mm_add_epi8(carry, last);
  }
  for (i = i < 3 ? 3 : i; i < len; ++i) {
    row[i] = static_cast<uint8_t>(row[i] + row[i - 3]);
  }
}

void Up(uint8_t* row, const uint8_t* prev, size_t len) {
  size_t i = 0;
  for (; i + 16 <= len; i += 16) {
    const __m128i x =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + i));
    const __m128i b =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(prev + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(row + i), _mm_add_epi8(x, b));
  }
  UpScalar(row, prev, i, len);
}

// Average and Paeth depend on the pixel just decoded, so they go one pixel
// at a time, its channels side by side in 16-bit lanes (_mm_add_epi8 on those
// lanes is the modulo-256 add and keeps each high byte 0). Pixels are loaded
// and stored four at a time: a store of one pixel followed by a load that
// overlaps it would defeat store forwarding and cost more than the filter.

// Pixel kIndex of a group, widened; lanes past kBpp hold later bytes, unused.
template <int kBpp, int kIndex>
inline __m128i Widen(__m128i bytes) {
  return _mm_unpacklo_epi8(_mm_srli_si128(bytes, kIndex * kBpp),
                           _mm_setzero_si128());
}

// The first kBpp lanes of each of four pixels, packed back to 4 * kBpp bytes.
template <int kBpp>
inline __m128i Narrow(__m128i d0, __m128i d1, __m128i d2, __m128i d3) {
  if constexpr (kBpp == 4) {
    return _mm_packus_epi16(_mm_unpacklo_epi64(d0, d1),
                            _mm_unpacklo_epi64(d2, d3));
  } else {
    const __m128i pixel = _mm_setr_epi32(0xFFFFFF, 0, 0, 0);
    const __m128i p0 = _mm_and_si128(_mm_packus_epi16(d0, d0), pixel);
    const __m128i p1 = _mm_and_si128(_mm_packus_epi16(d1, d1), pixel);
    const __m128i p2 = _mm_and_si128(_mm_packus_epi16(d2, d2), pixel);
    const __m128i p3 = _mm_and_si128(_mm_packus_epi16(d3, d3), pixel);
    return _mm_or_si128(
        _mm_or_si128(p0, _mm_slli_si128(p1, 3)),
        _mm_or_si128(_mm_slli_si128(p2, 6), _mm_slli_si128(p3, 9)));
  }
}

// Runs `filter(x, a, b, c)` -> decoded pixel over a row of 3- or 4-byte
// pixels. Reads up to 16 bytes past `len` (kUnfilterPadding); writes none.
template <int kBpp, typename Filter>
inline void PixelByPixel(uint8_t* row, const uint8_t* prev, size_t len,
                         Filter filter) {
  constexpr size_t kGroup = 4 * kBpp;
  __m128i a = _mm_setzero_si128();
  __m128i c = _mm_setzero_si128();
  for (size_t i = 0; i < len; i += kGroup) {
    const __m128i x =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + i));
    const __m128i b =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(prev + i));
    const __m128i b0 = Widen<kBpp, 0>(b);
    const __m128i d0 = a = filter(Widen<kBpp, 0>(x), a, b0, c);
    const __m128i b1 = Widen<kBpp, 1>(b);
    const __m128i d1 = a = filter(Widen<kBpp, 1>(x), a, b1, b0);
    const __m128i b2 = Widen<kBpp, 2>(b);
    const __m128i d2 = a = filter(Widen<kBpp, 2>(x), a, b2, b1);
    const __m128i b3 = Widen<kBpp, 3>(b);
    const __m128i d3 = a = filter(Widen<kBpp, 3>(x), a, b3, b2);
    c = b3;
    const __m128i out = Narrow<kBpp>(d0, d1, d2, d3);
    if (len - i >= kGroup) {
      if constexpr (kBpp == 4) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(row + i), out);
      } else {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(row + i), out);
        Store32(row + i + 8, static_cast<uint32_t>(
                                 _mm_cvtsi128_si32(_mm_srli_si128(out, 8))));
      }
    } else {
      alignas(16) uint8_t tmp[16];
      _mm_store_si128(reinterpret_cast<__m128i*>(tmp), out);
      std::memcpy(row + i, tmp, len - i);
    }
  }
}

inline __m128i AverageFilter(__m128i x, __m128i a, __m128i b, __m128i) {
  return _mm_add_epi8(x, _mm_srli_epi16(_mm_add_epi16(a, b), 1));
}

// Paeth without computing |p - a|, |p - b|, |p - c| on the critical path.
// With u = b - c, the choice depends on a through three thresholds that come
// from the previous row alone:
//   a   when a >= c + max(u, -2u) or a <= c + min(u, -2u),
//   otherwise b when a > c - floor(u / 2) - 1 (u >= 0),
//             resp. a <= c + floor(-u / 2) (u < 0), and c else.
// (Expand pa <= pb, pa <= pc and pb <= pc for t = a - c; ties go a, b, c as
// the spec requires.) The loop-carried path is then compare, and, xor,
// andnot, or: five simple operations per pixel instead of about a dozen.
// Checked against the textbook predictor for every (a, b, c).
inline __m128i PaethFilter(__m128i x, __m128i a, __m128i b, __m128i c) {
  const __m128i zero = _mm_setzero_si128();
  const __m128i all = _mm_set1_epi16(-1);
  const __m128i one = _mm_set1_epi16(1);
  // Off the loop-carried path.
  const __m128i u = _mm_sub_epi16(b, c);
  const __m128i neg = _mm_srai_epi16(u, 15);  // all ones where u < 0
  const __m128i minus_2u = _mm_sub_epi16(zero, _mm_add_epi16(u, u));
  const __m128i take_a_above =
      _mm_sub_epi16(_mm_add_epi16(c, _mm_max_epi16(u, minus_2u)), one);
  const __m128i take_a_below =
      _mm_add_epi16(_mm_add_epi16(c, _mm_min_epi16(u, minus_2u)), one);
  const __m128i abs_u = _mm_sub_epi16(_mm_xor_si128(u, neg), neg);
  const __m128i half = _mm_srai_epi16(abs_u, 1);
  const __m128i mid =
      _mm_add_epi16(c, _mm_xor_si128(half, _mm_xor_si128(neg, all)));
  const __m128i xb = _mm_add_epi8(x, b);
  const __m128i xc = _mm_add_epi8(x, c);
  const __m128i b_xor_c = _mm_xor_si128(xb, xc);
  const __m128i at_or_below_mid =  // u < 0 ? x + b : x + c
      _mm_xor_si128(xc, _mm_and_si128(b_xor_c, neg));
  // On it.
  const __m128i above_mid = _mm_cmpgt_epi16(a, mid);
  const __m128i b_or_c =
      _mm_xor_si128(at_or_below_mid, _mm_and_si128(b_xor_c, above_mid));
  const __m128i take_a = _mm_or_si128(_mm_cmpgt_epi16(a, take_a_above),
                                      _mm_cmpgt_epi16(take_a_below, a));
  const __m128i xa = _mm_add_epi8(x, a);
  return _mm_or_si128(_mm_and_si128(take_a, xa),
                      _mm_andnot_si128(take_a, b_or_c));
}

#endif  // __SSE2__

}  // namespace

bool UnfilterRow(int type, uint8_t* row, const uint8_t* prev, size_t len,
                 int bpp) {
  if (type < 0 || type > 4) return false;
  const auto n = static_cast<size_t>(bpp);
#if defined(__SSE2__)
  // 8-bit RGB and RGBA.
  if (bpp == 3 || bpp == 4) {
    switch (type) {
      case 1:
        bpp == 3 ? Sub3(row, len) : Sub4(row, len);
        return true;
      case 2:
        Up(row, prev, len);
        return true;
      case 3:
        bpp == 3 ? PixelByPixel<3>(row, prev, len, AverageFilter)
                 : PixelByPixel<4>(row, prev, len, AverageFilter);
        return true;
      case 4:
        bpp == 3 ? PixelByPixel<3>(row, prev, len, PaethFilter)
                 : PixelByPixel<4>(row, prev, len, PaethFilter);
        return true;
      default:
        return true;
    }
  }
  if (type == 2) {
    Up(row, prev, len);
    return true;
  }
#endif
  switch (type) {
    case 1:
      SubScalar(row, len, n);
      break;
    case 2:
      UpScalar(row, prev, 0, len);
      break;
    case 3:
      AverageScalar(row, prev, len, n);
      break;
    case 4:
      PaethScalar(row, prev, len, n);
      break;
    default:
      break;
  }
  return true;
}

}  // namespace zimon::gateway::internal
