// The no-reference measures behind the image quality score (docs/quality.md):
// a box-filtered thumbnail, luminance statistics, Laplacian variance,
// a robust Immerkær noise estimate, clipped-pixel fractions and
// Hasler–Süsstrunk colourfulness. All values are on the 0–255 scale.
//
// Thread safety: pure functions; safe to call concurrently.
#ifndef ZIMON_GATEWAY_QUALITY_MEASURES_H_
#define ZIMON_GATEWAY_QUALITY_MEASURES_H_

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "zimon/gateway/image_decode.h"

namespace zimon::gateway {

// A downscaled image as float planes: Rec. 601 luma and the two opponent
// colour channels used by the colourfulness measure.
struct Thumbnail {
  int width = 0;
  int height = 0;
  int factor = 1;           // source pixels per thumbnail pixel, per axis
  std::vector<float> luma;  // 0.299 R + 0.587 G + 0.114 B
  std::vector<float> rg;    // R - G
  std::vector<float> yb;    // (R + G) / 2 - B
};

// Box-filters `image` by the smallest integer factor that brings its long
// side to at most `max_side` (>= 1). Edge cells average the pixels they hold.
Thumbnail BoxDownscale(const RgbImage& image, int max_side);

// BoxDownscale fed row by row (from a streaming decoder), holding one row of
// column sums instead of the image. Gives exactly BoxDownscale's result.
// Not thread-safe; one image per builder.
class ThumbnailBuilder {
 public:
  // width, height >= 1.
  ThumbnailBuilder(int width, int height, int max_side);
  // Row `y` (0, 1, ... in order), width * 3 bytes of RGB.
  void AddRow(int y, const uint8_t* rgb);
  // The thumbnail, complete once all rows were added; call once.
  Thumbnail Take() { return std::move(thumb_); }

 private:
  template <typename Column>
  void FinishCellRow(const Column* column, int oy, int rows);

  int width_;
  int height_;
  Thumbnail thumb_;
  // Per byte of a row, the sum over the cell's rows so far, and one spare
  // element for vector loads: 16 bits while factor * 255 fits, else 32.
  std::vector<uint16_t> column16_;
  std::vector<uint32_t> column32_;
};

struct LumaStats {
  double mean = 0;
  double stddev = 0;
  double clipped_low = 0;   // share of pixels with luma <= low_level
  double clipped_high = 0;  // share of pixels with luma >= high_level
};
LumaStats ComputeLumaStats(const Thumbnail& thumb, int low_level,
                           int high_level);

// Variance of the 4-neighbour Laplacian of the luma plane (interior pixels).
// 0 for thumbnails smaller than 3x3.
double LaplacianVariance(const Thumbnail& thumb);

// Hasler & Süsstrunk (2003): sqrt(var_rg + var_yb) + 0.3 sqrt(mean_rg^2 +
// mean_yb^2).
double Colourfulness(const Thumbnail& thumb);

// Standard deviation of the opponent channels, sqrt(var_rg + var_yb): how much
// the colour varies across the picture.
double ChromaSpread(const Thumbnail& thumb);

// The four functions above in one pass over the thumbnail, each result
// identical to the last bit to what its own function returns.
struct ThumbnailStats {
  LumaStats luma;
  double laplacian_variance = 0;
  double colourfulness = 0;
  double chroma_spread = 0;
};
ThumbnailStats MeasureThumbnail(const Thumbnail& thumb, int low_level,
                                int high_level);

// Noise sigma of the full-resolution luma with Immerkær's 3x3 operator
// (1 -2 1 / -2 4 -2 / 1 -2 1), made robust to edges by taking the median of
// |response| instead of its mean: sigma = median / (0.6745 * 6). At most
// `max_rows` rows, evenly spaced, are sampled. 0 for images under 3x3.
double NoiseSigma(const RgbImage& image, int max_rows);

// NoiseSigma fed row by row, holding three rows of luma. Only the rows for
// which NeedsRow is true have to be added, in order. Gives exactly NoiseSigma's
// result. Not thread-safe; one image per estimator.
class NoiseEstimator {
 public:
  NoiseEstimator(int width, int height, int max_rows);
  bool NeedsRow(int y) const;
  void AddRow(int y, const uint8_t* rgb);
  double Sigma() const;

 private:
  bool IsCentre(int y) const;

  int width_;
  int height_;
  int step_ = 1;
  std::vector<uint32_t> histogram_;
  std::array<std::vector<int16_t>, 3> rows_;  // luma of rows y % 3
  std::vector<uint16_t> response_;            // |response| of a row
  uint64_t count_ = 0;
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_QUALITY_MEASURES_H_
