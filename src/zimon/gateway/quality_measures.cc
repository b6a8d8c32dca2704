#include "zimon/gateway/quality_measures.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ZIMON_MEASURES_X86 1
#endif

namespace zimon::gateway {
namespace {

double Variance(double sum, double sum_sq, double n) {
  if (n <= 0) return 0;
  const double mean = sum / n;
  return std::max(0.0, sum_sq / n - mean * mean);
}

// Integer Rec. 601 luma, 0..255.
inline int Luma8(const uint8_t* p) {
  return (77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8;
}

// The loops below are plain C++ for the compiler to vectorise. The restrict
// qualifiers tell it the byte row does not alias the sums; GCC at -O2 only
// vectorises loops whose trip count is a multiple of the vector width, so
// these functions ask for -O3's cost model (3-4x faster on a 1024-wide row).
#if defined(__GNUC__) && !defined(__clang__)
#define ZIMON_VECTORISE __attribute__((optimize("O3")))
#else
#define ZIMON_VECTORISE
#endif

// col[i] += row[i].
template <typename T>
ZIMON_VECTORISE void AddRow8(const uint8_t* __restrict row, T* __restrict col,
                             size_t n) {
  for (size_t i = 0; i < n; ++i) col[i] = static_cast<T>(col[i] + row[i]);
}

// col[i] = row[i]: the first row of a cell row, saving a clear of the sums.
template <typename T>
ZIMON_VECTORISE void SetRow8(const uint8_t* __restrict row, T* __restrict col,
                             size_t n) {
  for (size_t i = 0; i < n; ++i) col[i] = row[i];
}

// Integer luma of a row.
ZIMON_VECTORISE void LumaRowPlain(const uint8_t* __restrict rgb,
                                  int16_t* __restrict dst, int n) {
  for (int x = 0; x < n; ++x) {
    dst[x] = static_cast<int16_t>(Luma8(rgb + 3 * x));
  }
}

#if defined(ZIMON_MEASURES_X86)
// SSSE3: four pixels per shuffle, laid out as (R, G, G, B), then
// pmaddubsw with weights (77, 51, 99, 29) and pmaddwd with ones: 77 R +
// 150 G + 29 B in 32-bit lanes (each 16-bit partial sum is at most
// 128 * 255, so pmaddubsw never saturates). Exactly Luma8.
__attribute__((target("ssse3"), always_inline)) inline __m128i LumaOfFour(
    const uint8_t* p) {
  const __m128i spread =
      _mm_setr_epi8(0, 1, 1, 2, 3, 4, 4, 5, 6, 7, 7, 8, 9, 10, 10, 11);
  const __m128i weights = _mm_setr_epi8(77, 51, 99, 29, 77, 51, 99, 29, 77, 51,
                                        99, 29, 77, 51, 99, 29);
  const __m128i v = _mm_shuffle_epi8(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), spread);
  const __m128i sum =
      _mm_madd_epi16(_mm_maddubs_epi16(v, weights), _mm_set1_epi16(1));
  return _mm_srli_epi32(_mm_add_epi32(sum, _mm_set1_epi32(128)), 8);
}

__attribute__((target("ssse3"))) void LumaRowSsse3(const uint8_t* rgb,
                                                   int16_t* dst, int n) {
  int x = 0;
  // Each load reads 16 bytes for 12: stop while the 4 bytes past the last
  // pixel of the step are still in the row.
  for (; 3 * x + 28 <= 3 * n; x += 8) {
    const uint8_t* p = rgb + 3 * x;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + x),
                     _mm_packs_epi32(LumaOfFour(p), LumaOfFour(p + 12)));
  }
  for (; x < n; ++x) dst[x] = static_cast<int16_t>(Luma8(rgb + 3 * x));
}

bool HasSsse3() {
  static const bool has = __builtin_cpu_supports("ssse3");
  return has;
}
#endif

void LumaRow(const uint8_t* rgb, int16_t* dst, int n) {
#if defined(ZIMON_MEASURES_X86)
  if (HasSsse3()) {
    LumaRowSsse3(rgb, dst, n);
    return;
  }
#endif
  LumaRowPlain(rgb, dst, n);
}

// |Immerkaer response| at x = 1 .. n - 2 of the rows above (a), at (b) and
// below (c) into out[x - 1]. Every partial sum fits 16 bits (|v| <= 16 * 255),
// so the vector code works on eight 16-bit lanes.
void NoiseResponses(const int16_t* a, const int16_t* b, const int16_t* c,
                    uint16_t* out, int n) {
  int x = 1;
#if defined(__SSE2__)
  const auto load = [](const int16_t* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  };
  for (; x + 8 < n; x += 8) {
    const __m128i corners =
        _mm_add_epi16(_mm_add_epi16(load(a + x - 1), load(a + x + 1)),
                      _mm_add_epi16(load(c + x - 1), load(c + x + 1)));
    const __m128i edges =
        _mm_add_epi16(_mm_add_epi16(load(a + x), load(c + x)),
                      _mm_add_epi16(load(b + x - 1), load(b + x + 1)));
    const __m128i v =
        _mm_add_epi16(_mm_sub_epi16(corners, _mm_add_epi16(edges, edges)),
                      _mm_slli_epi16(load(b + x), 2));
    const __m128i abs = _mm_max_epi16(v, _mm_sub_epi16(_mm_setzero_si128(), v));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + x - 1), abs);
  }
#endif
  for (; x < n - 1; ++x) {
    const int v = (a[x - 1] + a[x + 1] + c[x - 1] + c[x + 1]) -
                  2 * (a[x] + c[x] + b[x - 1] + b[x + 1]) + 4 * b[x];
    out[x - 1] = static_cast<uint16_t>(v < 0 ? -v : v);
  }
}

// Spare column-sum elements past the last pixel, for vector loads.
constexpr size_t kColumnSpare = 8;

#if defined(__SSE2__)
// The sum over columns x0 .. x1 - 1 of a row of column sums, as (r, g, b, -)
// 32-bit lanes. Reads one element past the last pixel.
inline __m128i CellSum(const uint16_t* column, int x0, int x1) {
  const __m128i zero = _mm_setzero_si128();
  __m128i acc = _mm_setzero_si128();
  for (int x = x0; x < x1; ++x) {
    const __m128i v =
        _mm_loadl_epi64(reinterpret_cast<const __m128i*>(column + x * 3));
    acc = _mm_add_epi32(acc, _mm_unpacklo_epi16(v, zero));
  }
  return acc;
}
inline __m128i CellSum(const uint32_t* column, int x0, int x1) {
  __m128i acc = _mm_setzero_si128();
  for (int x = x0; x < x1; ++x) {
    acc = _mm_add_epi32(
        acc, _mm_loadu_si128(reinterpret_cast<const __m128i*>(column + x * 3)));
  }
  return acc;
}

// CellSum of kF (2, 3 or 4) 16-bit columns from x0 without a loop: pixels
// are added pairwise in 16-bit lanes (at most 4 * 4 * 255, no overflow), then
// widened. Reads up to 14 elements from column + 3 * x0.
template <int kF>
inline __m128i CellSumOf(const uint16_t* column, int x0) {
  const uint16_t* p = column + 3 * x0;
  const auto load = [](const uint16_t* q) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  };
  const __m128i two_pixels = _mm_setr_epi16(-1, -1, -1, -1, -1, -1, 0, 0);
  __m128i sum;
  if constexpr (kF == 2) {
    const __m128i v = load(p);  // pixels 0, 1 in lanes 0..5
    sum = _mm_add_epi16(v, _mm_srli_si128(v, 6));
  } else if constexpr (kF == 3) {
    const __m128i v = _mm_and_si128(load(p), two_pixels);
    sum =
        _mm_add_epi16(_mm_add_epi16(v, _mm_srli_si128(v, 6)),
                      _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 6)));
  } else {
    static_assert(kF == 4);
    const __m128i v = _mm_add_epi16(_mm_and_si128(load(p), two_pixels),
                                    load(p + 6));  // 0 + 2, 1 + 3
    sum = _mm_add_epi16(v, _mm_srli_si128(v, 6));
  }
  return _mm_unpacklo_epi16(sum, _mm_setzero_si128());
}

// Writes cells ox, ox + 1, ... of a cell row to the float planes four at a
// time while four full cells are left; `sum(x0)` gives a cell's (r, g, b, -).
// Returns the first cell not written.
template <typename Sum>
int FourCellsAtATime(Sum sum, int f, int full_cells, float inv_full,
                     float* luma, float* rg, float* yb) {
  const __m128 inv = _mm_set1_ps(inv_full);
  const __m128 kr = _mm_set1_ps(0.299f);
  const __m128 kg = _mm_set1_ps(0.587f);
  const __m128 kb = _mm_set1_ps(0.114f);
  const __m128 half = _mm_set1_ps(0.5f);
  int ox = 0;
  for (; ox + 4 <= full_cells; ox += 4) {
    const int x0 = ox * f;
    const __m128i c0 = sum(x0);
    const __m128i c1 = sum(x0 + f);
    const __m128i c2 = sum(x0 + 2 * f);
    const __m128i c3 = sum(x0 + 3 * f);
    // Transpose (r, g, b, -) per cell to r, g and b per four cells.
    const __m128i rg01 = _mm_unpacklo_epi32(c0, c1);
    const __m128i rg23 = _mm_unpacklo_epi32(c2, c3);
    const __m128i b01 = _mm_unpackhi_epi32(c0, c1);
    const __m128i b23 = _mm_unpackhi_epi32(c2, c3);
    const __m128 r =
        _mm_mul_ps(_mm_cvtepi32_ps(_mm_unpacklo_epi64(rg01, rg23)), inv);
    const __m128 g =
        _mm_mul_ps(_mm_cvtepi32_ps(_mm_unpackhi_epi64(rg01, rg23)), inv);
    const __m128 b =
        _mm_mul_ps(_mm_cvtepi32_ps(_mm_unpacklo_epi64(b01, b23)), inv);
    _mm_storeu_ps(luma + ox,
                  _mm_add_ps(_mm_add_ps(_mm_mul_ps(kr, r), _mm_mul_ps(kg, g)),
                             _mm_mul_ps(kb, b)));
    _mm_storeu_ps(rg + ox, _mm_sub_ps(r, g));
    _mm_storeu_ps(yb + ox, _mm_sub_ps(_mm_mul_ps(half, _mm_add_ps(r, g)), b));
  }
  return ox;
}
#endif

}  // namespace

ThumbnailBuilder::ThumbnailBuilder(int width, int height, int max_side)
    : width_(std::max(1, width)), height_(std::max(1, height)) {
  max_side = std::max(1, max_side);
  const int long_side = std::max(width_, height_);
  const int f = (long_side + max_side - 1) / max_side;
  thumb_.factor = f;
  thumb_.width = (width_ + f - 1) / f;
  thumb_.height = (height_ + f - 1) / f;
  const size_t n =
      static_cast<size_t>(thumb_.width) * static_cast<size_t>(thumb_.height);
  thumb_.luma.resize(n);
  thumb_.rg.resize(n);
  thumb_.yb.resize(n);
  const size_t columns = static_cast<size_t>(width_) * 3 + kColumnSpare;
  if (f <= 65535 / 255) {
    column16_.resize(columns);
  } else {
    column32_.resize(columns);
  }
}

// Column sums over the f rows of a cell row (a plain vectorisable add per
// byte), then horizontal sums per cell when its last row arrives.
void ThumbnailBuilder::AddRow(int y, const uint8_t* rgb) {
  const int f = thumb_.factor;
  const int oy = y / f;
  const int y0 = oy * f;
  const size_t n = static_cast<size_t>(width_) * 3;
  const int y1 = std::min(height_, y0 + f);
  if (!column16_.empty()) {
    y == y0 ? SetRow8(rgb, column16_.data(), n)
            : AddRow8(rgb, column16_.data(), n);
    if (y == y1 - 1) FinishCellRow(column16_.data(), oy, y1 - y0);
  } else {
    y == y0 ? SetRow8(rgb, column32_.data(), n)
            : AddRow8(rgb, column32_.data(), n);
    if (y == y1 - 1) FinishCellRow(column32_.data(), oy, y1 - y0);
  }
}

// Cell averages to the float planes. The float arithmetic is the same,
// operation for operation, in the vector and the scalar code, so every cell
// gets the same value whichever computes it.
template <typename Column>
void ThumbnailBuilder::FinishCellRow(const Column* column, int oy, int rows) {
  const int f = thumb_.factor;
  const int w = width_;
  const size_t row_start = static_cast<size_t>(oy) * thumb_.width;
  float* luma = thumb_.luma.data() + row_start;
  float* rg = thumb_.rg.data() + row_start;
  float* yb = thumb_.yb.data() + row_start;
  // Every cell but possibly the last has f columns: one division per row.
  const float inv_full = 1.0f / static_cast<float>(f * rows);
  int ox = 0;
#if defined(__SSE2__)
  // 16-bit columns mean f <= 257, so cell sums fit a signed 32-bit lane.
  if constexpr (std::is_same_v<Column, uint16_t>) {
    const int full = w / f;
    switch (f) {
      case 2:
        ox = FourCellsAtATime(
            [column](int x0) { return CellSumOf<2>(column, x0); }, f, full,
            inv_full, luma, rg, yb);
        break;
      case 3:
        ox = FourCellsAtATime(
            [column](int x0) { return CellSumOf<3>(column, x0); }, f, full,
            inv_full, luma, rg, yb);
        break;
      case 4:
        ox = FourCellsAtATime(
            [column](int x0) { return CellSumOf<4>(column, x0); }, f, full,
            inv_full, luma, rg, yb);
        break;
      default:
        ox = FourCellsAtATime(
            [column, f](int x0) { return CellSum(column, x0, x0 + f); }, f,
            full, inv_full, luma, rg, yb);
        break;
    }
  }
#endif
  for (; ox < thumb_.width; ++ox) {
    const int x0 = ox * f;
    const int x1 = std::min(w, x0 + f);
#if defined(__SSE2__)
    alignas(16) uint32_t rgbx[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(rgbx), CellSum(column, x0, x1));
    const uint32_t sr = rgbx[0], sg = rgbx[1], sb = rgbx[2];
#else
    uint32_t sr = 0, sg = 0, sb = 0;
    for (int x = x0; x < x1; ++x) {
      sr += column[x * 3];
      sg += column[x * 3 + 1];
      sb += column[x * 3 + 2];
    }
#endif
    const int cols = x1 - x0;
    const float inv =
        cols == f ? inv_full : 1.0f / static_cast<float>(cols * rows);
    const float r = static_cast<float>(sr) * inv;
    const float g = static_cast<float>(sg) * inv;
    const float b = static_cast<float>(sb) * inv;
    luma[ox] = 0.299f * r + 0.587f * g + 0.114f * b;
    rg[ox] = r - g;
    yb[ox] = 0.5f * (r + g) - b;
  }
}

Thumbnail BoxDownscale(const RgbImage& image, int max_side) {
  const int w = image.width;
  const int h = image.height;
  if (w <= 0 || h <= 0 ||
      image.pixels.size() <
          static_cast<size_t>(w) * static_cast<size_t>(h) * 3) {
    return Thumbnail{};
  }
  ThumbnailBuilder builder(w, h, max_side);
  const size_t row_bytes = static_cast<size_t>(w) * 3;
  for (int y = 0; y < h; ++y) {
    builder.AddRow(y, image.pixels.data() + static_cast<size_t>(y) * row_bytes);
  }
  return builder.Take();
}

LumaStats ComputeLumaStats(const Thumbnail& thumb, int low_level,
                           int high_level) {
  LumaStats s;
  const double n = static_cast<double>(thumb.luma.size());
  if (n == 0) return s;
  double sum = 0, sum_sq = 0;
  size_t low = 0, high = 0;
  const auto lo = static_cast<float>(low_level);
  const auto hi = static_cast<float>(high_level);
  for (float v : thumb.luma) {
    sum += v;
    sum_sq += static_cast<double>(v) * v;
    low += v <= lo ? 1 : 0;
    high += v >= hi ? 1 : 0;
  }
  s.mean = sum / n;
  s.stddev = std::sqrt(Variance(sum, sum_sq, n));
  s.clipped_low = static_cast<double>(low) / n;
  s.clipped_high = static_cast<double>(high) / n;
  return s;
}

double LaplacianVariance(const Thumbnail& thumb) {
  const int w = thumb.width;
  const int h = thumb.height;
  if (w < 3 || h < 3) return 0;
  double sum = 0, sum_sq = 0;
  const float* l = thumb.luma.data();
  for (int y = 1; y < h - 1; ++y) {
    const float* up = l + static_cast<size_t>(y - 1) * w;
    const float* mid = l + static_cast<size_t>(y) * w;
    const float* down = l + static_cast<size_t>(y + 1) * w;
    for (int x = 1; x < w - 1; ++x) {
      const double v =
          up[x] + down[x] + mid[x - 1] + mid[x + 1] - 4.0f * mid[x];
      sum += v;
      sum_sq += v * v;
    }
  }
  return Variance(sum, sum_sq, static_cast<double>(w - 2) * (h - 2));
}

double ChromaSpread(const Thumbnail& thumb) {
  const double n = static_cast<double>(thumb.rg.size());
  if (n == 0) return 0;
  double srg = 0, srg2 = 0, syb = 0, syb2 = 0;
  for (size_t i = 0; i < thumb.rg.size(); ++i) {
    srg += thumb.rg[i];
    srg2 += static_cast<double>(thumb.rg[i]) * thumb.rg[i];
    syb += thumb.yb[i];
    syb2 += static_cast<double>(thumb.yb[i]) * thumb.yb[i];
  }
  return std::sqrt(Variance(srg, srg2, n) + Variance(syb, syb2, n));
}

double Colourfulness(const Thumbnail& thumb) {
  const double n = static_cast<double>(thumb.rg.size());
  if (n == 0) return 0;
  double srg = 0, syb = 0;
  for (size_t i = 0; i < thumb.rg.size(); ++i) {
    srg += thumb.rg[i];
    syb += thumb.yb[i];
  }
  const double mrg = srg / n;
  const double myb = syb / n;
  return ChromaSpread(thumb) + 0.3 * std::sqrt(mrg * mrg + myb * myb);
}

namespace {

// The measures by their separate functions, one pass each.
ThumbnailStats MeasureThumbnailSeparately(const Thumbnail& thumb, int low_level,
                                          int high_level) {
  ThumbnailStats s;
  s.luma = ComputeLumaStats(thumb, low_level, high_level);
  s.laplacian_variance = LaplacianVariance(thumb);
  s.chroma_spread = ChromaSpread(thumb);
  s.colourfulness = Colourfulness(thumb);
  return s;
}

#if defined(__SSE2__)
// The sums of MeasureThumbnail for blocks of four cells: the first register
// of each pair holds the block's first two cells, the second its last two,
// so each sum is four partial sums, added together at the end.
struct ThumbnailSums {
  __m128d sum[2] = {}, sum_sq[2] = {};
  __m128d srg[2] = {}, srg2[2] = {}, syb[2] = {}, syb2[2] = {};
  __m128d lap[2] = {}, lap_sq[2] = {};
  __m128i low = _mm_setzero_si128(), high = _mm_setzero_si128();
  // Cells left over past the last block of four in a row.
  double tail_sum = 0, tail_sum_sq = 0, tail_srg = 0, tail_srg2 = 0;
  double tail_syb = 0, tail_syb2 = 0, tail_lap = 0, tail_lap_sq = 0;
  size_t tail_low = 0, tail_high = 0;
};

inline void AddPair(__m128d (&sum)[2], __m128d (&sum_sq)[2], __m128 v) {
  const __m128d lo = _mm_cvtps_pd(v);
  const __m128d hi = _mm_cvtps_pd(_mm_movehl_ps(v, v));
  sum[0] = _mm_add_pd(sum[0], lo);
  sum[1] = _mm_add_pd(sum[1], hi);
  sum_sq[0] = _mm_add_pd(sum_sq[0], _mm_mul_pd(lo, lo));
  sum_sq[1] = _mm_add_pd(sum_sq[1], _mm_mul_pd(hi, hi));
}

inline double Total(const __m128d (&v)[2], double tail) {
  alignas(16) double lanes[4];
  _mm_store_pd(lanes, v[0]);
  _mm_store_pd(lanes + 2, v[1]);
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + tail;
}

inline uint64_t Total(__m128i counts, size_t tail) {
  alignas(16) uint32_t lanes[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), counts);
  return uint64_t{lanes[0]} + lanes[1] + lanes[2] + lanes[3] + tail;
}
#endif

}  // namespace

// Sums over the cells in four interleaved partial sums (SSE2), so the chains
// of additions run side by side; a sum can differ from its separate
// function's, which adds in row-major order, in the last bits only.
ThumbnailStats MeasureThumbnail(const Thumbnail& thumb, int low_level,
                                int high_level) {
#if defined(__SSE2__)
  const size_t count = thumb.luma.size();
  if (count == 0 || thumb.rg.size() != count || thumb.yb.size() != count) {
    return MeasureThumbnailSeparately(thumb, low_level, high_level);
  }
  const double n = static_cast<double>(count);
  ThumbnailStats s;
  const int w = thumb.width;
  const int h = thumb.height;
  const auto lo = static_cast<float>(low_level);
  const auto hi = static_cast<float>(high_level);
  const __m128 lo4 = _mm_set1_ps(lo);
  const __m128 hi4 = _mm_set1_ps(hi);
  ThumbnailSums t;
  // Counts in 32-bit lanes: at most count / 4 each, and a thumbnail has
  // far fewer than 2^32 cells.
  for (int y = 0; y < h; ++y) {
    const size_t row = static_cast<size_t>(y) * w;
    const float* l = thumb.luma.data() + row;
    const float* rg = thumb.rg.data() + row;
    const float* yb = thumb.yb.data() + row;
    int x = 0;
    for (; x + 4 <= w; x += 4) {
      const __m128 v = _mm_loadu_ps(l + x);
      AddPair(t.sum, t.sum_sq, v);
      AddPair(t.srg, t.srg2, _mm_loadu_ps(rg + x));
      AddPair(t.syb, t.syb2, _mm_loadu_ps(yb + x));
      t.low = _mm_sub_epi32(t.low, _mm_castps_si128(_mm_cmple_ps(v, lo4)));
      t.high = _mm_sub_epi32(t.high, _mm_castps_si128(_mm_cmpge_ps(v, hi4)));
    }
    for (; x < w; ++x) {
      const float v = l[x];
      t.tail_sum += v;
      t.tail_sum_sq += static_cast<double>(v) * v;
      t.tail_low += v <= lo ? 1 : 0;
      t.tail_high += v >= hi ? 1 : 0;
      t.tail_srg += rg[x];
      t.tail_srg2 += static_cast<double>(rg[x]) * rg[x];
      t.tail_syb += yb[x];
      t.tail_syb2 += static_cast<double>(yb[x]) * yb[x];
    }
  }
  const bool laplacian = w >= 3 && h >= 3;
  if (laplacian) {
    // The response in float, operation for operation as LaplacianVariance
    // computes it, so each cell's value is the same.
    const __m128 four = _mm_set1_ps(4.0f);
    for (int y = 1; y < h - 1; ++y) {
      const float* mid = thumb.luma.data() + static_cast<size_t>(y) * w;
      const float* up = mid - w;
      const float* down = mid + w;
      int x = 1;
      for (; x + 4 <= w - 1; x += 4) {
        const __m128 d =
            _mm_sub_ps(_mm_add_ps(_mm_add_ps(_mm_add_ps(_mm_loadu_ps(up + x),
                                                        _mm_loadu_ps(down + x)),
                                             _mm_loadu_ps(mid + x - 1)),
                                  _mm_loadu_ps(mid + x + 1)),
                       _mm_mul_ps(four, _mm_loadu_ps(mid + x)));
        AddPair(t.lap, t.lap_sq, d);
      }
      for (; x < w - 1; ++x) {
        const double d =
            up[x] + down[x] + mid[x - 1] + mid[x + 1] - 4.0f * mid[x];
        t.tail_lap += d;
        t.tail_lap_sq += d * d;
      }
    }
  }
  const double sum = Total(t.sum, t.tail_sum);
  const double sum_sq = Total(t.sum_sq, t.tail_sum_sq);
  const double srg = Total(t.srg, t.tail_srg);
  const double srg2 = Total(t.srg2, t.tail_srg2);
  const double syb = Total(t.syb, t.tail_syb);
  const double syb2 = Total(t.syb2, t.tail_syb2);
  s.luma.mean = sum / n;
  s.luma.stddev = std::sqrt(Variance(sum, sum_sq, n));
  s.luma.clipped_low = static_cast<double>(Total(t.low, t.tail_low)) / n;
  s.luma.clipped_high = static_cast<double>(Total(t.high, t.tail_high)) / n;
  if (laplacian) {
    s.laplacian_variance =
        Variance(Total(t.lap, t.tail_lap), Total(t.lap_sq, t.tail_lap_sq),
                 static_cast<double>(w - 2) * (h - 2));
  }
  s.chroma_spread = std::sqrt(Variance(srg, srg2, n) + Variance(syb, syb2, n));
  const double mrg = srg / n;
  const double myb = syb / n;
  s.colourfulness = s.chroma_spread + 0.3 * std::sqrt(mrg * mrg + myb * myb);
  return s;
#else
  return MeasureThumbnailSeparately(thumb, low_level, high_level);
#endif
}

// |response| <= 16 * 255; a histogram gives the exact median cheaply.
constexpr int kMaxResponse = 16 * 255;
constexpr size_t kBins = kMaxResponse + 1;
constexpr size_t kSplit = 4;

NoiseEstimator::NoiseEstimator(int width, int height, int max_rows)
    : width_(width), height_(height), histogram_(kSplit * kBins) {
  if (width_ < 3 || height_ < 3) return;
  const int interior = height_ - 2;
  max_rows = std::max(1, max_rows);
  step_ = std::max(1, (interior + max_rows - 1) / max_rows);
  for (auto& r : rows_) r.resize(static_cast<size_t>(width_));
  response_.resize(static_cast<size_t>(width_));
}

// Sampled rows are 1, 1 + step, ... up to height - 2; each needs its
// neighbours above and below.
bool NoiseEstimator::IsCentre(int y) const {
  return y >= 1 && y <= height_ - 2 && (y - 1) % step_ == 0;
}

bool NoiseEstimator::NeedsRow(int y) const {
  if (width_ < 3 || height_ < 3) return false;
  return IsCentre(y - 1) || IsCentre(y) || IsCentre(y + 1);
}

void NoiseEstimator::AddRow(int y, const uint8_t* rgb) {
  if (!NeedsRow(y)) return;
  int16_t* dst = rows_[static_cast<size_t>(y % 3)].data();
  LumaRow(rgb, dst, width_);
  if (!IsCentre(y - 1)) return;
  const int16_t* a = rows_[static_cast<size_t>((y - 2) % 3)].data();
  const int16_t* b = rows_[static_cast<size_t>((y - 1) % 3)].data();
  NoiseResponses(a, b, dst, response_.data(), width_);
  // Neighbouring pixels mostly land in the same few bins; counting them in
  // kSplit interleaved histograms keeps the increments from queueing on one
  // counter.
  const int n = width_ - 2;
  const uint16_t* r = response_.data();
  uint32_t* h = histogram_.data();
  int x = 0;
  for (; x + 4 <= n; x += 4) {
    ++h[r[x]];
    ++h[kBins + r[x + 1]];
    ++h[2 * kBins + r[x + 2]];
    ++h[3 * kBins + r[x + 3]];
  }
  for (; x < n; ++x) ++h[r[x]];
  count_ += static_cast<uint64_t>(n);
}

double NoiseEstimator::Sigma() const {
  if (count_ == 0) return 0;
  // Median with linear interpolation inside the bin, so small sigmas are not
  // quantised to whole response units.
  const double half = static_cast<double>(count_) / 2.0;
  double seen = 0;
  double median = 0;
  for (int v = 0; v <= kMaxResponse; ++v) {
    double in_bin = 0;
    for (size_t k = 0; k < kSplit; ++k) in_bin += histogram_[k * kBins + v];
    if (seen + in_bin >= half) {
      median = (v - 0.5) + (half - seen) / std::max(1.0, in_bin);
      break;
    }
    seen += in_bin;
  }
  return std::max(0.0, median) / (0.6745 * 6.0);
}

double NoiseSigma(const RgbImage& image, int max_rows) {
  const int w = image.width;
  const int h = image.height;
  if (w < 3 || h < 3 ||
      image.pixels.size() <
          static_cast<size_t>(w) * static_cast<size_t>(h) * 3) {
    return 0;
  }
  NoiseEstimator noise(w, h, max_rows);
  const size_t row_bytes = static_cast<size_t>(w) * 3;
  for (int y = 0; y < h; ++y) {
    if (noise.NeedsRow(y)) {
      noise.AddRow(y, image.pixels.data() + static_cast<size_t>(y) * row_bytes);
    }
  }
  return noise.Sigma();
}

}  // namespace zimon::gateway
