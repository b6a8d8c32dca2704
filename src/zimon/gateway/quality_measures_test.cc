#include "zimon/gateway/quality_measures.h"

#include <gtest/gtest.h>

#include <cmath>

#include "zimon/gateway/quality_test_images.h"

namespace zimon::gateway {
namespace {

using testing::AddNoise;
using testing::FlatImage;
using testing::NaturalImage;

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

}  // namespace
}  // namespace zimon::gateway
