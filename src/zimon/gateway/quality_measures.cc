#include "zimon/gateway/quality_measures.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#if defined(__SSE2__)
#include <emmintrin.h>
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

// col[i] += row[i]. The restrict qualifiers tell the compiler the byte row
// does not alias the sums; GCC at -O2 only vectorises loops whose trip count
// is a multiple of the vector width, so this one function asks for -O3's
// cost model (3-4x faster on a 1024-wide row).
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O3")))
#endif
void AddRow8(const uint8_t* __restrict row, uint32_t* __restrict col,
             size_t n) {
  for (size_t i = 0; i < n; ++i) col[i] += row[i];
}

// col[i] = row[i]: the first row of a cell row, saving a clear of the sums.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O3")))
#endif
void SetRow8(const uint8_t* __restrict row, uint32_t* __restrict col,
             size_t n) {
  for (size_t i = 0; i < n; ++i) col[i] = row[i];
}

// Integer luma of a row (vectorised under -O3's cost model, as AddRow8).
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O3")))
#endif
void LumaRow(const uint8_t* __restrict rgb, int16_t* __restrict dst, int n) {
  for (int x = 0; x < n; ++x) {
    dst[x] = static_cast<int16_t>(Luma8(rgb + 3 * x));
  }
}

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
  column_.resize(static_cast<size_t>(width_) * 3 + 1);
  sums_.resize(static_cast<size_t>(thumb_.width) * 3);
}

// Column sums over the f rows of a cell row (a plain vectorisable add per
// byte), then horizontal sums per cell when its last row arrives.
void ThumbnailBuilder::AddRow(int y, const uint8_t* rgb) {
  const int f = thumb_.factor;
  const int oy = y / f;
  const int y0 = oy * f;
  const size_t n = static_cast<size_t>(width_) * 3;
  if (y == y0) {
    SetRow8(rgb, column_.data(), n);
  } else {
    AddRow8(rgb, column_.data(), n);
  }
  const int y1 = std::min(height_, y0 + f);
  if (y == y1 - 1) FinishCellRow(oy, y1 - y0);
}

void ThumbnailBuilder::FinishCellRow(int oy, int rows) {
  const int f = thumb_.factor;
  const int w = width_;
  for (int ox = 0; ox < thumb_.width; ++ox) {
    const int x0 = ox * f;
    const int x1 = std::min(w, x0 + f);
#if defined(__SSE2__)
    // One unaligned load per pixel: lanes r, g, b and the next pixel's r
    // (column_ has one spare element), which is ignored.
    __m128i acc = _mm_setzero_si128();
    for (int x = x0; x < x1; ++x) {
      acc = _mm_add_epi32(acc, _mm_loadu_si128(reinterpret_cast<const __m128i*>(
                                   column_.data() + x * 3)));
    }
    alignas(16) uint32_t rgbx[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(rgbx), acc);
    const uint32_t r = rgbx[0], g = rgbx[1], b = rgbx[2];
#else
    uint32_t r = 0, g = 0, b = 0;
    for (int x = x0; x < x1; ++x) {
      r += column_[x * 3];
      g += column_[x * 3 + 1];
      b += column_[x * 3 + 2];
    }
#endif
    sums_[ox * 3] = r;
    sums_[ox * 3 + 1] = g;
    sums_[ox * 3 + 2] = b;
  }
  // Every cell but possibly the last has f columns: one division per row.
  const float inv_full = 1.0f / static_cast<float>(f * rows);
  for (int ox = 0; ox < thumb_.width; ++ox) {
    const int cols = std::min(w, ox * f + f) - ox * f;
    const float inv =
        cols == f ? inv_full : 1.0f / static_cast<float>(cols * rows);
    const float r = static_cast<float>(sums_[ox * 3]) * inv;
    const float g = static_cast<float>(sums_[ox * 3 + 1]) * inv;
    const float b = static_cast<float>(sums_[ox * 3 + 2]) * inv;
    const size_t i = static_cast<size_t>(oy) * thumb_.width + ox;
    thumb_.luma[i] = 0.299f * r + 0.587f * g + 0.114f * b;
    thumb_.rg[i] = r - g;
    thumb_.yb[i] = 0.5f * (r + g) - b;
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
  const int16_t* c = dst;
  // Neighbouring pixels mostly land in the same few bins; counting them in
  // kSplit interleaved histograms keeps the increments from queueing on one
  // counter.
  for (int x = 1; x < width_ - 1; ++x) {
    const int v = (a[x - 1] + a[x + 1] + c[x - 1] + c[x + 1]) -
                  2 * (a[x] + c[x] + b[x - 1] + b[x + 1]) + 4 * b[x];
    ++histogram_[static_cast<size_t>(x % kSplit) * kBins + std::abs(v)];
  }
  count_ += static_cast<uint64_t>(width_ - 2);
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
