#include "zimon/gateway/quality_measures.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "zimon/gateway/quality_test_images.h"

namespace zimon::gateway {
namespace {

using testing::AddNoise;
using testing::FlatImage;
using testing::NaturalImage;
using testing::NoiseImage;

TEST(BoxDownscale, PicksSmallestFactorAndKeepsEdgeCells) {
  Thumbnail t = BoxDownscale(FlatImage(1024, 512, 10, 20, 30), 256);
  EXPECT_EQ(t.factor, 4);
  EXPECT_EQ(t.width, 256);
  EXPECT_EQ(t.height, 128);
  Thumbnail odd = BoxDownscale(FlatImage(1000, 10, 0, 0, 0), 256);
  EXPECT_EQ(odd.factor, 4);
  EXPECT_EQ(odd.width, 250);
  EXPECT_EQ(odd.height, 3);  // 10 rows: 4 + 4 + 2
  Thumbnail small = BoxDownscale(FlatImage(100, 50, 0, 0, 0), 256);
  EXPECT_EQ(small.factor, 1);
  EXPECT_EQ(small.width, 100);
}

TEST(BoxDownscale, AveragesPixels) {
  RgbImage img = FlatImage(2, 2, 0, 0, 0);
  img.pixels[0] = 200;  // one red pixel of four
  Thumbnail t = BoxDownscale(img, 1);
  ASSERT_EQ(t.luma.size(), 1u);
  EXPECT_NEAR(t.rg[0], 50.0, 1e-4);
  EXPECT_NEAR(t.luma[0], 0.299 * 50, 1e-3);
  Thumbnail grey = BoxDownscale(FlatImage(10, 10, 90, 90, 90), 3);
  for (float v : grey.luma) EXPECT_NEAR(v, 90.0, 1e-3);
}

TEST(ComputeLumaStats, MeanSpreadAndClipping) {
  RgbImage img = FlatImage(4, 1, 0, 0, 0);
  for (int c = 0; c < 3; ++c) img.pixels[3 + c] = 255;  // one white pixel
  LumaStats s = ComputeLumaStats(BoxDownscale(img, 256), 2, 253);
  EXPECT_NEAR(s.mean, 255.0 / 4, 1e-3);
  EXPECT_NEAR(s.stddev, 110.418, 1e-2);  // sqrt(255^2 * 3/16)
  EXPECT_DOUBLE_EQ(s.clipped_low, 0.75);
  EXPECT_DOUBLE_EQ(s.clipped_high, 0.25);
}

TEST(LaplacianVariance, ZeroWhenFlatLargeOnEdges) {
  EXPECT_EQ(LaplacianVariance(BoxDownscale(FlatImage(64, 64, 80, 80, 80), 256)),
            0.0);
  RgbImage checker = FlatImage(64, 64, 0, 0, 0);
  for (int y = 0; y < 64; ++y) {
    for (int x = (y % 2); x < 64; x += 2) {
      for (int c = 0; c < 3; ++c) checker.pixels[(y * 64 + x) * 3 + c] = 255;
    }
  }
  EXPECT_GT(LaplacianVariance(BoxDownscale(checker, 256)), 1e5);
}

TEST(NoiseSigma, RecoversAddedGaussianNoise) {
  const RgbImage grey = FlatImage(512, 512, 128, 128, 128);
  EXPECT_EQ(NoiseSigma(grey, 256), 0.0);
  for (double sigma : {4.0, 10.0}) {
    RgbImage noisy = AddNoise(grey, sigma, 11);
    // Luma averages three independent channels: sigma_y ~ sigma * 0.67.
    const double expected =
        sigma * std::sqrt(0.299 * 0.299 + 0.587 * 0.587 + 0.114 * 0.114);
    EXPECT_NEAR(NoiseSigma(noisy, 256), expected, 0.15 * expected) << sigma;
  }
}

TEST(NoiseSigma, IgnoresEdgesOfCleanImages) {
  EXPECT_LT(NoiseSigma(NaturalImage(512, 512, 3), 256), 2.0);
}

TEST(Colourfulness, ZeroForGreyHighForSaturated) {
  Thumbnail grey = BoxDownscale(FlatImage(16, 16, 70, 70, 70), 256);
  EXPECT_NEAR(Colourfulness(grey), 0.0, 1e-6);
  EXPECT_NEAR(ChromaSpread(grey), 0.0, 1e-6);
  RgbImage halves = FlatImage(16, 16, 255, 0, 0);
  for (size_t i = halves.pixels.size() / 2; i < halves.pixels.size(); i += 3) {
    halves.pixels[i] = 0;
    halves.pixels[i + 2] = 255;  // blue lower half
  }
  Thumbnail t = BoxDownscale(halves, 256);
  EXPECT_GT(Colourfulness(t), 100.0);
  EXPECT_GT(ChromaSpread(t), 100.0);
}

// BoxDownscale as the definition reads: per cell the plain sum of its
// pixels, divided by their count, then the same float formulas.
Thumbnail ReferenceDownscale(const RgbImage& img, int max_side) {
  const int f = (std::max(img.width, img.height) + max_side - 1) / max_side;
  Thumbnail t;
  t.factor = f;
  t.width = (img.width + f - 1) / f;
  t.height = (img.height + f - 1) / f;
  for (int oy = 0; oy < t.height; ++oy) {
    for (int ox = 0; ox < t.width; ++ox) {
      uint32_t sum[3] = {0, 0, 0};
      const int x1 = std::min(img.width, ox * f + f);
      const int y1 = std::min(img.height, oy * f + f);
      for (int y = oy * f; y < y1; ++y) {
        for (int x = ox * f; x < x1; ++x) {
          for (int k = 0; k < 3; ++k) {
            sum[k] += img.pixels[(static_cast<size_t>(y) * img.width + x) * 3 +
                                 static_cast<size_t>(k)];
          }
        }
      }
      const float inv =
          1.0f / static_cast<float>((x1 - ox * f) * (y1 - oy * f));
      const float r = static_cast<float>(sum[0]) * inv;
      const float g = static_cast<float>(sum[1]) * inv;
      const float b = static_cast<float>(sum[2]) * inv;
      t.luma.push_back(0.299f * r + 0.587f * g + 0.114f * b);
      t.rg.push_back(r - g);
      t.yb.push_back(0.5f * (r + g) - b);
    }
  }
  return t;
}

// The vector code has its own cell sums for factors 2, 3 and 4, a general one
// for the others, 32-bit column sums past factor 257, four cells at a time
// and a scalar tail: each must give the definition's values exactly.
TEST(BoxDownscale, MatchesDefinitionExactlyForEveryFactor) {
  struct Case {
    int width, height, max_side;
  };
  for (const Case& c : std::vector<Case>{{1, 1, 8},
                                         {7, 5, 256},
                                         {512, 300, 256},
                                         {511, 97, 256},
                                         {770, 33, 256},
                                         {1024, 1024, 256},
                                         {1023, 61, 256},
                                         {1282, 19, 256},
                                         {130, 2100, 8},  // factor 263
                                         {2105, 3, 8},
                                         {600, 9, 70}}) {
    const RgbImage img = NaturalImage(c.width, c.height, 9);
    const Thumbnail got = BoxDownscale(img, c.max_side);
    const Thumbnail want = ReferenceDownscale(img, c.max_side);
    ASSERT_EQ(got.factor, want.factor);
    ASSERT_EQ(got.width, want.width);
    ASSERT_EQ(got.height, want.height);
    EXPECT_EQ(got.luma, want.luma) << c.width << "x" << c.height;
    EXPECT_EQ(got.rg, want.rg) << c.width << "x" << c.height;
    EXPECT_EQ(got.yb, want.yb) << c.width << "x" << c.height;
  }
}

// MeasureThumbnail adds in four interleaved partial sums, the separate
// functions in row-major order: the same values but for the last bits.
TEST(MeasureThumbnail, EqualsTheSeparateMeasures) {
  const auto tolerance = [](double want) {
    return 1e-12 * std::max(1.0, std::abs(want));
  };
  for (const RgbImage& img :
       {NaturalImage(1024, 768, 2), NaturalImage(333, 217, 4),
        AddNoise(NaturalImage(64, 64, 1), 30, 2), FlatImage(5, 5, 9, 9, 9),
        NaturalImage(2, 9, 1), NaturalImage(1, 1, 1)}) {
    const Thumbnail t = BoxDownscale(img, 256);
    const ThumbnailStats s = MeasureThumbnail(t, 2, 253);
    const LumaStats luma = ComputeLumaStats(t, 2, 253);
    EXPECT_NEAR(s.luma.mean, luma.mean, tolerance(luma.mean));
    EXPECT_NEAR(s.luma.stddev, luma.stddev, tolerance(luma.stddev));
    EXPECT_EQ(s.luma.clipped_low, luma.clipped_low);
    EXPECT_EQ(s.luma.clipped_high, luma.clipped_high);
    EXPECT_NEAR(s.laplacian_variance, LaplacianVariance(t),
                tolerance(LaplacianVariance(t)));
    EXPECT_NEAR(s.colourfulness, Colourfulness(t), tolerance(Colourfulness(t)));
    EXPECT_NEAR(s.chroma_spread, ChromaSpread(t), tolerance(ChromaSpread(t)));
  }
}

// NoiseSigma as the definition reads: integer luma, the Immerkaer response
// at every interior pixel of the sampled rows, the median of |response| with
// interpolation inside its unit bin.
double ReferenceNoiseSigma(const RgbImage& img, int max_rows) {
  const int w = img.width, h = img.height;
  const auto luma = [&](int x, int y) {
    const uint8_t* p = &img.pixels[(static_cast<size_t>(y) * w + x) * 3];
    return (77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8;
  };
  const int step = std::max(1, (h - 2 + max_rows - 1) / max_rows);
  std::vector<int> responses;
  for (int y = 1; y <= h - 2; y += step) {
    for (int x = 1; x < w - 1; ++x) {
      const int v = luma(x - 1, y - 1) + luma(x + 1, y - 1) +
                    luma(x - 1, y + 1) + luma(x + 1, y + 1) -
                    2 * (luma(x, y - 1) + luma(x, y + 1) + luma(x - 1, y) +
                         luma(x + 1, y)) +
                    4 * luma(x, y);
      responses.push_back(std::abs(v));
    }
  }
  std::vector<double> bins(16 * 255 + 1);
  for (int v : responses) bins[static_cast<size_t>(v)] += 1;
  const double half = static_cast<double>(responses.size()) / 2.0;
  double seen = 0, median = 0;
  for (size_t v = 0; v < bins.size(); ++v) {
    if (seen + bins[v] >= half) {
      median = (static_cast<double>(v) - 0.5) +
               (half - seen) / std::max(1.0, bins[v]);
      break;
    }
    seen += bins[v];
  }
  return std::max(0.0, median) / (0.6745 * 6.0);
}

// Covers the vector luma and response code and their scalar tails.
TEST(NoiseSigma, MatchesDefinitionExactly) {
  for (const RgbImage& img :
       {AddNoise(NaturalImage(1024, 300, 3), 6, 1), NaturalImage(333, 217, 4),
        AddNoise(FlatImage(17, 40, 90, 100, 110), 20, 5), NoiseImage(9, 9, 3),
        NaturalImage(3, 3, 1)}) {
    for (int max_rows : {1, 7, 128, 1000}) {
      EXPECT_EQ(NoiseSigma(img, max_rows), ReferenceNoiseSigma(img, max_rows))
          << img.width << "x" << img.height << " rows " << max_rows;
    }
  }
}

}  // namespace
}  // namespace zimon::gateway
