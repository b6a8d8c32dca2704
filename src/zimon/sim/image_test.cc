#include "zimon/sim/image.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <set>

#include "zimon/sim/image_pool.h"

namespace zimon::sim {
namespace {

struct Stats {
  double luma_stddev = 0;
  double smooth_fraction = 0;  // neighbour steps <= 4 (smooth regions)
  double edge_fraction = 0;    // neighbour steps >= 40 (hard edges)
  size_t colours = 0;          // distinct colours quantised to 4 bits
  bool all_zero = true;
};

Stats Measure(const DecodedImage& img) {
  Stats s;
  const int w = img.size.width, h = img.size.height;
  auto luma = [&](int x, int y) {
    const uint8_t* p = &img.rgb[(static_cast<size_t>(y) * w + x) * 3];
    return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
  };
  double sum = 0, sum2 = 0;
  size_t smooth = 0, edges = 0, pairs = 0;
  std::set<int> colours;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double l = luma(x, y);
      sum += l;
      sum2 += l * l;
      const uint8_t* p = &img.rgb[(static_cast<size_t>(y) * w + x) * 3];
      if (p[0] | p[1] | p[2]) s.all_zero = false;
      colours.insert((p[0] >> 4) << 8 | (p[1] >> 4) << 4 | (p[2] >> 4));
      if (x + 1 < w) {
        double d = std::abs(l - luma(x + 1, y));
        ++pairs;
        if (d <= 4) ++smooth;
        if (d >= 40) ++edges;
      }
    }
  }
  double n = static_cast<double>(w) * h;
  s.luma_stddev = std::sqrt(std::max(0.0, sum2 / n - (sum / n) * (sum / n)));
  s.smooth_fraction = static_cast<double>(smooth) / pairs;
  s.edge_fraction = static_cast<double>(edges) / pairs;
  s.colours = colours.size();
  return s;
}

TEST(RenderPng, DecodesToTheRequestedSize) {
  for (ImageSize size :
       {ImageSize{512, 512}, ImageSize{1024, 768}, ImageSize{256, 1024}}) {
    auto png = RenderPng("a lighthouse at dusk", 7, size);
    ASSERT_TRUE(png.ok()) << png.status().ToString();
    EXPECT_EQ(png->substr(1, 3), "PNG");
    auto img = DecodePng(*png);
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    EXPECT_EQ(img->size, size);
    EXPECT_EQ(img->rgb.size(),
              static_cast<size_t>(size.width) * size.height * 3);
  }
}

TEST(RenderPng, IsDeterministicForPromptAndSeed) {
  auto a = RenderPng("a red fox", 42, {256, 256});
  auto b = RenderPng("a red fox", 42, {256, 256});
  auto c = RenderPng("a red fox", 43, {256, 256});
  auto d = RenderPng("a blue fox", 42, {256, 256});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_NE(*a, *d);
}

TEST(RenderPng, LooksLikeANaturalImage) {
  // Over many prompts: smooth regions dominate, some hard edges, many
  // colours, clear contrast.
  for (int i = 0; i < 8; ++i) {
    auto png = RenderPng("prompt " + std::to_string(i), i, {512, 512});
    ASSERT_TRUE(png.ok());
    auto img = DecodePng(*png);
    ASSERT_TRUE(img.ok());
    Stats s = Measure(*img);
    EXPECT_FALSE(s.all_zero);
    EXPECT_GT(s.luma_stddev, 15) << i;
    EXPECT_GT(s.smooth_fraction, 0.6) << i;
    EXPECT_GT(s.edge_fraction, 0.0005) << i;
    EXPECT_LT(s.edge_fraction, 0.1) << i;
    EXPECT_GT(s.colours, 50u) << i;
  }
}

TEST(RenderPng, BlackFaultGivesAllZeroPixels) {
  auto png = RenderPng("a red fox", 42, {512, 512}, /*black=*/true);
  ASSERT_TRUE(png.ok());
  auto img = DecodePng(*png);
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->size, (ImageSize{512, 512}));
  Stats s = Measure(*img);
  EXPECT_TRUE(s.all_zero);
  EXPECT_EQ(s.luma_stddev, 0);
}

TEST(RenderPng, RejectsInvalidSizes) {
  EXPECT_EQ(RenderPng("x", 1, {1000, 1000}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderPng("x", 1, {0, 16}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(EncodePng, RejectsMismatchedBuffer) {
  std::vector<uint8_t> rgb(10);
  EXPECT_EQ(EncodePng(rgb, {16, 16}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(DecodePng, RejectsGarbage) {
  EXPECT_FALSE(DecodePng("not a png at all").ok());
  EXPECT_FALSE(DecodePng("").ok());
}

}  // namespace
}  // namespace zimon::sim

namespace zimon::sim {
namespace {

TEST(ImagePool, BuildsValidPngsOfTheRequestedSize) {
  ImagePool pool(4, 64, 4);
  for (ImageSize size : {ImageSize{512, 512}, ImageSize{1024, 720},
                         ImageSize{16, 16}, ImageSize{1280, 48}}) {
    auto png = pool.Png("a fox", 3, size);
    ASSERT_TRUE(png.ok()) << png.status().ToString();
    auto img = DecodePng(*png);  // libspng checks CRCs and the zlib adler32
    ASSERT_TRUE(img.ok()) << size.ToString() << " " << img.status().ToString();
    EXPECT_EQ(img->size, size);
  }
}

TEST(ImagePool, IsDeterministicAndVariesWithPromptAndSeed) {
  ImagePool a(8, 64, 4), b(8, 64, 4);
  EXPECT_EQ(*a.Png("a fox", 1, {512, 512}), *b.Png("a fox", 1, {512, 512}));
  std::set<std::string> distinct;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    distinct.insert(*a.Png("a fox", seed, {512, 512}));
  }
  EXPECT_GE(distinct.size(), 35u);
  EXPECT_NE(*a.Png("a fox", 1, {512, 512}), *a.Png("a cat", 1, {512, 512}));
}

TEST(ImagePool, PicturesLookNatural) {
  ImagePool pool(8, 64, 4);
  for (uint64_t seed = 0; seed < 6; ++seed) {
    auto img = DecodePng(*pool.Png("harbour", seed, {512, 512}));
    ASSERT_TRUE(img.ok());
    Stats s = Measure(*img);
    EXPECT_GT(s.luma_stddev, 15);
    EXPECT_GT(s.smooth_fraction, 0.6);
    EXPECT_GT(s.edge_fraction, 0.0005);
    EXPECT_LT(s.edge_fraction, 0.1);
    EXPECT_GT(s.colours, 50u);
  }
}

TEST(ImagePool, BlackPicturesAreAllZero) {
  ImagePool pool;
  auto img = DecodePng(*pool.Png("harbour", 1, {256, 320}, true));
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->size, (ImageSize{256, 320}));
  EXPECT_TRUE(Measure(*img).all_zero);
}

TEST(ImagePool, DropsTheLeastRecentlyUsedSize) {
  ImagePool pool(2, 64, 1);
  std::string first = *pool.Png("x", 1, {64, 64});
  ASSERT_TRUE(pool.Png("x", 1, {128, 128}).ok());
  EXPECT_EQ(*pool.Png("x", 1, {64, 64}), first);  // rebuilt identically
  EXPECT_FALSE(pool.Png("x", 1, {100, 100}).ok());
}

}  // namespace
}  // namespace zimon::sim
