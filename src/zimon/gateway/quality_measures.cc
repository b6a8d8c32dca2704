#include "zimon/gateway/quality_measures.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>

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
void AddRow(const uint8_t* __restrict row, uint32_t* __restrict col, size_t n) {
  for (size_t i = 0; i < n; ++i) col[i] += row[i];
}

}  // namespace

Thumbnail BoxDownscale(const RgbImage& image, int max_side) {
  Thumbnail t;
  const int w = image.width;
  const int h = image.height;
  if (w <= 0 || h <= 0 ||
      image.pixels.size() <
          static_cast<size_t>(w) * static_cast<size_t>(h) * 3) {
    return t;
  }
  max_side = std::max(1, max_side);
  const int long_side = std::max(w, h);
  const int f = (long_side + max_side - 1) / max_side;
  t.factor = f;
  t.width = (w + f - 1) / f;
  t.height = (h + f - 1) / f;
  const size_t n = static_cast<size_t>(t.width) * static_cast<size_t>(t.height);
  t.luma.resize(n);
  t.rg.resize(n);
  t.yb.resize(n);
  // Column sums over the f rows of a cell row (a plain vectorisable add per
  // byte), then horizontal sums per cell.
  const size_t row_bytes = static_cast<size_t>(w) * 3;
  std::vector<uint32_t> column(row_bytes);
  std::vector<uint32_t> sums(static_cast<size_t>(t.width) * 3);
  for (int oy = 0; oy < t.height; ++oy) {
    std::fill(column.begin(), column.end(), 0u);
    const int y0 = oy * f;
    const int y1 = std::min(h, y0 + f);
    for (int y = y0; y < y1; ++y) {
      AddRow(image.pixels.data() + static_cast<size_t>(y) * row_bytes,
             column.data(), row_bytes);
    }
    for (int ox = 0; ox < t.width; ++ox) {
      const int x0 = ox * f;
      const int x1 = std::min(w, x0 + f);
      uint32_t r = 0, g = 0, b = 0;
      for (int x = x0; x < x1; ++x) {
        r += column[x * 3];
        g += column[x * 3 + 1];
        b += column[x * 3 + 2];
      }
      sums[ox * 3] = r;
      sums[ox * 3 + 1] = g;
      sums[ox * 3 + 2] = b;
    }
    for (int ox = 0; ox < t.width; ++ox) {
      const int cols = std::min(w, ox * f + f) - ox * f;
      const float inv = 1.0f / static_cast<float>(cols * (y1 - y0));
      const float r = static_cast<float>(sums[ox * 3]) * inv;
      const float g = static_cast<float>(sums[ox * 3 + 1]) * inv;
      const float b = static_cast<float>(sums[ox * 3 + 2]) * inv;
      const size_t i = static_cast<size_t>(oy) * t.width + ox;
      t.luma[i] = 0.299f * r + 0.587f * g + 0.114f * b;
      t.rg[i] = r - g;
      t.yb[i] = 0.5f * (r + g) - b;
    }
  }
  return t;
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

double NoiseSigma(const RgbImage& image, int max_rows) {
  const int w = image.width;
  const int h = image.height;
  if (w < 3 || h < 3 ||
      image.pixels.size() <
          static_cast<size_t>(w) * static_cast<size_t>(h) * 3) {
    return 0;
  }
  const int interior = h - 2;
  const int step = std::max(
      1, (interior + std::max(1, max_rows) - 1) / std::max(1, max_rows));
  // |response| <= 16 * 255; a histogram gives the exact median cheaply.
  constexpr int kMaxResponse = 16 * 255;
  std::vector<uint32_t> histogram(kMaxResponse + 1);
  std::array<std::vector<int16_t>, 3> rows;
  for (auto& r : rows) r.resize(w);
  uint64_t count = 0;
  for (int y = 1; y < h - 1; y += step) {
    for (int k = 0; k < 3; ++k) {
      const uint8_t* src =
          image.pixels.data() + static_cast<size_t>(y - 1 + k) * w * 3;
      int16_t* dst = rows[k].data();
      for (int x = 0; x < w; ++x)
        dst[x] = static_cast<int16_t>(Luma8(src + x * 3));
    }
    const int16_t* a = rows[0].data();
    const int16_t* b = rows[1].data();
    const int16_t* c = rows[2].data();
    for (int x = 1; x < w - 1; ++x) {
      const int v = (a[x - 1] + a[x + 1] + c[x - 1] + c[x + 1]) -
                    2 * (a[x] + c[x] + b[x - 1] + b[x + 1]) + 4 * b[x];
      ++histogram[std::abs(v)];
    }
    count += static_cast<uint64_t>(w - 2);
  }
  if (count == 0) return 0;
  // Median with linear interpolation inside the bin, so small sigmas are not
  // quantised to whole response units.
  const double half = static_cast<double>(count) / 2.0;
  double seen = 0;
  double median = 0;
  for (int v = 0; v <= kMaxResponse; ++v) {
    const double in_bin = histogram[v];
    if (seen + in_bin >= half) {
      median = (v - 0.5) + (half - seen) / std::max(1.0, in_bin);
      break;
    }
    seen += in_bin;
  }
  return std::max(0.0, median) / (0.6745 * 6.0);
}

}  // namespace zimon::gateway
