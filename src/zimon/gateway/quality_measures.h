// The no-reference measures behind the image quality score (docs/quality.md):
// a box-filtered thumbnail, luminance statistics, Laplacian variance,
// a robust Immerkær noise estimate, clipped-pixel fractions and
// Hasler–Süsstrunk colourfulness. All values are on the 0–255 scale.
//
// Thread safety: pure functions; safe to call concurrently.
#ifndef ZIMON_GATEWAY_QUALITY_MEASURES_H_
#define ZIMON_GATEWAY_QUALITY_MEASURES_H_

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

// Noise sigma of the full-resolution luma with Immerkær's 3x3 operator
// (1 -2 1 / -2 4 -2 / 1 -2 1), made robust to edges by taking the median of
// |response| instead of its mean: sigma = median / (0.6745 * 6). At most
// `max_rows` rows, evenly spaced, are sampled. 0 for images under 3x3.
double NoiseSigma(const RgbImage& image, int max_rows);

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_QUALITY_MEASURES_H_
