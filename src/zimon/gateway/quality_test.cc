#include "zimon/gateway/quality.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "zimon/gateway/quality_test_images.h"

namespace zimon::gateway {
namespace {

using testing::BoxBlur;
using testing::EncodePng;
using testing::FlatImage;
using testing::NaturalImage;
using testing::NoiseImage;

QualityReport Score(const RgbImage& img, const QualityOptions& options = {}) {
  StatusOr<std::string> png = EncodePng(img);
  EXPECT_TRUE(png.ok()) << png.status().ToString();
  StatusOr<QualityReport> report = ScoreImage(png.ok() ? *png : "", options);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return report.ok() ? *report : QualityReport{};
}

TEST(ScoreImage, BlackImageIsBlackWithZeroScore) {
  QualityReport r = Score(FlatImage(512, 512, 0, 0, 0));
  EXPECT_TRUE(r.HasDefect(DefectKind::kBlack));
  EXPECT_FALSE(r.HasDefect(DefectKind::kBlank));
  EXPECT_TRUE(r.IsBad());
  EXPECT_EQ(r.score, 0.0);
  EXPECT_EQ(r.width, 512);
  EXPECT_EQ(r.format, ImageFormat::kPng);
}

TEST(ScoreImage, WhiteImageIsBlankAndOverexposed) {
  QualityReport r = Score(FlatImage(300, 200, 255, 255, 255));
  EXPECT_TRUE(r.HasDefect(DefectKind::kBlank));
  EXPECT_TRUE(r.HasDefect(DefectKind::kOverexposed));
  EXPECT_FALSE(r.HasDefect(DefectKind::kBlack));
  EXPECT_EQ(r.score, 0.0);
  EXPECT_DOUBLE_EQ(r.measures.clipped_high, 1.0);
}

TEST(ScoreImage, FlatGreyIsBlank) {
  QualityReport r = Score(FlatImage(256, 256, 128, 128, 128));
  EXPECT_EQ(r.defects, std::vector<DefectKind>{DefectKind::kBlank});
  EXPECT_EQ(r.score, 0.0);
  EXPECT_NEAR(r.measures.luma_mean, 128.0, 0.5);
}

TEST(ScoreImage, PureNoiseIsNoisyAndScoresLow) {
  QualityReport r = Score(NoiseImage(512, 512, 9));
  EXPECT_TRUE(r.HasDefect(DefectKind::kNoisy));
  EXPECT_FALSE(r.IsBad());
  EXPECT_GT(r.measures.noise_sigma, 30.0);
  EXPECT_LT(r.score, 0.1);
}

TEST(ScoreImage, NaturalImageScoresHighWithoutDefects) {
  QualityReport r = Score(NaturalImage(768, 512, 4));
  EXPECT_TRUE(r.defects.empty()) << DefectKindName(r.defects.front());
  EXPECT_GT(r.score, 0.7) << "sharpness " << r.sharpness << " contrast "
                          << r.contrast << " colour " << r.colour << " noise "
                          << r.noise_factor << " exposure "
                          << r.exposure_factor;
  EXPECT_LE(r.score, 1.0);
}

TEST(ScoreImage, BlurredImageScoresLowerThanSharp) {
  const RgbImage sharp = NaturalImage(512, 512, 6);
  QualityReport a = Score(sharp);
  QualityReport b = Score(BoxBlur(sharp, 4));
  EXPECT_LT(b.measures.laplacian_variance, a.measures.laplacian_variance / 4);
  EXPECT_LT(b.score, a.score - 0.1);
}

TEST(ScoreImage, NoisierImageScoresLower) {
  const RgbImage clean = NaturalImage(512, 512, 8);
  QualityReport a = Score(clean);
  QualityReport b = Score(testing::AddNoise(clean, 15, 3));
  EXPECT_GT(b.measures.noise_sigma, a.measures.noise_sigma + 5);
  EXPECT_LT(b.score, a.score);
}

TEST(ScoreImage, UndecodableBytesGiveReportNotError) {
  StatusOr<std::string> png = EncodePng(NaturalImage(128, 128, 1));
  ASSERT_TRUE(png.ok());
  for (const std::string& bytes : {png->substr(0, png->size() / 2),
                                   std::string("garbage"), std::string()}) {
    StatusOr<QualityReport> r = ScoreImage(bytes);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->defects, std::vector<DefectKind>{DefectKind::kUndecodable});
    EXPECT_TRUE(r->IsBad());
    EXPECT_EQ(r->score, 0.0);
    EXPECT_FALSE(r->decode_error.empty());
    EXPECT_FALSE(r->unsupported_format);
  }
}

#ifdef ZIMON_HAVE_WEBP
QualityReport ScoreWebp(const RgbImage& img, int quality) {
  StatusOr<std::string> webp = testing::EncodeWebp(img, quality);
  EXPECT_TRUE(webp.ok()) << webp.status().ToString();
  StatusOr<QualityReport> report = ScoreImage(webp.ok() ? *webp : "");
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return report.ok() ? *report : QualityReport{};
}

TEST(ScoreImage, BlackWebpIsBlackLikePng) {
  for (int quality : {90, -1}) {
    QualityReport r = ScoreWebp(FlatImage(512, 384, 0, 0, 0), quality);
    EXPECT_EQ(r.format, ImageFormat::kWebp);
    EXPECT_EQ(r.width, 512);
    EXPECT_EQ(r.height, 384);
    EXPECT_TRUE(r.HasDefect(DefectKind::kBlack)) << quality;
    EXPECT_TRUE(r.IsBad());
    EXPECT_EQ(r.score, 0.0);
  }
}

// Lossless WebP is the same pixels as the PNG, so the same report.
TEST(ScoreImage, LosslessWebpScoresExactlyAsPng) {
  const RgbImage img = NaturalImage(333, 217, 4);
  const QualityReport png = Score(img);
  const QualityReport webp = ScoreWebp(img, -1);
  EXPECT_EQ(webp.format, ImageFormat::kWebp);
  EXPECT_EQ(webp.width, 333);
  EXPECT_EQ(webp.height, 217);
  EXPECT_EQ(webp.measures.luma_mean, png.measures.luma_mean);
  EXPECT_EQ(webp.measures.luma_stddev, png.measures.luma_stddev);
  EXPECT_EQ(webp.measures.laplacian_variance, png.measures.laplacian_variance);
  EXPECT_EQ(webp.measures.noise_sigma, png.measures.noise_sigma);
  EXPECT_EQ(webp.measures.colourfulness, png.measures.colourfulness);
  EXPECT_EQ(webp.score, png.score);
  EXPECT_GT(webp.score, 0.3);
}

// Lossy WebP at quality 90 of a photo-like picture scores close to the PNG
// of the same pixels; a blurred picture stays clearly below both.
TEST(ScoreImage, LossyWebpScoresCloseToPng) {
  const RgbImage img = NaturalImage(768, 512, 4);
  const QualityReport png = Score(img);
  const QualityReport webp = ScoreWebp(img, 90);
  EXPECT_TRUE(webp.defects.empty()) << DefectKindName(webp.defects.front());
  EXPECT_NEAR(webp.score, png.score, 0.03);
  EXPECT_NEAR(webp.measures.luma_mean, png.measures.luma_mean, 1.0);
  const QualityReport blurred = ScoreWebp(BoxBlur(img, 4), 90);
  EXPECT_LT(blurred.score, webp.score - 0.1);
}

TEST(ScoreImage, BrokenOrAnimatedWebpIsUndecodable) {
  StatusOr<std::string> webp = testing::EncodeWebp(NaturalImage(64, 64, 1), -1);
  ASSERT_TRUE(webp.ok());
  StatusOr<QualityReport> r = ScoreImage(webp->substr(0, webp->size() / 2));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->defects, std::vector<DefectKind>{DefectKind::kUndecodable});
  EXPECT_EQ(r->format, ImageFormat::kWebp);
  EXPECT_FALSE(r->unsupported_format);
  EXPECT_TRUE(r->IsBad());  // broken bytes: no image at all
  EXPECT_NE(r->decode_error.find("webp: "), std::string::npos);
  // An animation is a format this scorer does not handle, not broken bytes:
  // not bad, the client gets it unscored.
  r = ScoreImage(testing::AnimatedWebp(*webp, 64, 64, 3));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->defects, std::vector<DefectKind>{DefectKind::kUndecodable});
  EXPECT_TRUE(r->unsupported_format);
  EXPECT_FALSE(r->IsBad());
  EXPECT_NE(r->decode_error.find("animated"), std::string::npos);
}
#else
TEST(ScoreImage, WebpIsUndecodableAndUnsupported) {
  StatusOr<QualityReport> r =
      ScoreImage(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->HasDefect(DefectKind::kUndecodable));
  EXPECT_TRUE(r->unsupported_format);
  EXPECT_FALSE(r->IsBad());
  EXPECT_EQ(r->format, ImageFormat::kWebp);
}
#endif

TEST(ScoreImage, ThresholdsAreConfigurable) {
  const RgbImage noise = NoiseImage(256, 256, 2);
  QualityOptions lenient;
  lenient.noisy_min_sigma = 1000;
  EXPECT_FALSE(Score(noise, lenient).HasDefect(DefectKind::kNoisy));

  const RgbImage dark = FlatImage(64, 64, 30, 30, 30);
  EXPECT_FALSE(Score(dark).HasDefect(DefectKind::kBlack));
  QualityOptions strict;
  strict.black_max_mean = 40;
  EXPECT_TRUE(Score(dark, strict).HasDefect(DefectKind::kBlack));

  QualityOptions small;
  small.max_side = 64;
  QualityReport r = Score(NaturalImage(512, 256, 1), small);
  EXPECT_TRUE(r.defects.empty());
}

TEST(ScoreImage, InvalidOptionsAreRejected) {
  QualityOptions bad;
  bad.noise_ok_sigma = 30;  // above noise_bad_sigma
  EXPECT_EQ(ScoreImage("x", bad).status().code(), StatusCode::kInvalidArgument);
  QualityOptions tiny;
  tiny.max_side = 0;
  EXPECT_EQ(ScoreImage("x", tiny).status().code(),
            StatusCode::kInvalidArgument);
  QualityOptions weights;
  weights.weight_sharpness = weights.weight_contrast = weights.weight_colour =
      0;
  EXPECT_EQ(ValidateQualityOptions(weights).code(),
            StatusCode::kInvalidArgument);
}

// ScoreImage measures PNG rows as they are decoded; the result must be
// exactly that of scoring the decoded image, whichever decoder ran.
TEST(ScoreImage, StreamingMatchesScoringDecodedPixels) {
  const RgbImage natural = NaturalImage(333, 217, 4);
  std::vector<std::string> pngs = {*testing::EncodePngLikePil(natural),
                                   *EncodePng(natural)};
  // Grey + alpha (fast path) and 16-bit RGB (libspng).
  std::vector<uint8_t> ga, rgb16;
  for (size_t p = 0; p < natural.pixels.size(); p += 3) {
    ga.insert(ga.end(), {natural.pixels[p + 1], 200});
    for (int k = 0; k < 3; ++k) {
      rgb16.insert(rgb16.end(), {0x5A, natural.pixels[p + k]});  // host order
    }
  }
  testing::PngEncoding enc;
  enc.colour_type = 4;
  pngs.push_back(*testing::EncodePngSamples(333, 217, ga, enc));
  enc.colour_type = 2;
  enc.bit_depth = 16;
  pngs.push_back(*testing::EncodePngSamples(333, 217, rgb16, enc));
  for (const std::string& png : pngs) {
    StatusOr<RgbImage> decoded = DecodeImage(png);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    StatusOr<QualityReport> streamed = ScoreImage(png);
    StatusOr<QualityReport> whole = ScoreRgb(*decoded);
    ASSERT_TRUE(streamed.ok() && whole.ok());
    EXPECT_EQ(streamed->width, 333);
    EXPECT_EQ(streamed->height, 217);
    EXPECT_EQ(streamed->measures.luma_mean, whole->measures.luma_mean);
    EXPECT_EQ(streamed->measures.laplacian_variance,
              whole->measures.laplacian_variance);
    EXPECT_EQ(streamed->measures.noise_sigma, whole->measures.noise_sigma);
    EXPECT_EQ(streamed->measures.colourfulness, whole->measures.colourfulness);
    EXPECT_EQ(streamed->score, whole->score);
    EXPECT_GT(streamed->score, 0.3);
  }
}

TEST(ScoreImage, OversizedImageIsUndecodable) {
  QualityOptions options;
  options.max_pixels = 100 * 100;
  StatusOr<std::string> png = EncodePng(NaturalImage(101, 100, 1));
  ASSERT_TRUE(png.ok());
  StatusOr<QualityReport> r = ScoreImage(*png, options);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->HasDefect(DefectKind::kUndecodable));
  EXPECT_NE(r->decode_error.find("limit of 10000 pixels"), std::string::npos)
      << r->decode_error;
  options.max_pixels = 0;
  EXPECT_FALSE(ScoreImage(*png, options).ok());
}

TEST(ScoreMeasures, AppliesDefectRulesAndFormula) {
  QualityOptions o;
  QualityMeasures m;
  m.luma_mean = 200;
  m.luma_stddev = 40;                       // contrast 1
  m.laplacian_variance = o.sharpness_half;  // sharpness 0.5
  m.colourfulness = 15;                     // colour 0.5
  m.chroma_spread = 15;
  m.clipped_high = 0.3;  // overexposed; exposure ramp (0.3-0.05)/(0.55)
  m.noise_sigma = 0;
  QualityReport r;
  ScoreMeasures(m, o, r);
  EXPECT_EQ(r.defects, std::vector<DefectKind>{DefectKind::kOverexposed});
  const double content = 0.45 * 0.5 + 0.35 * 1.0 + 0.20 * 0.5;
  const double exposure = (0.6 - 0.3) / (0.6 - 0.05);
  EXPECT_NEAR(r.score, content * exposure, 1e-9);
}

TEST(DefectKindName, MatchesMetricLabels) {
  std::vector<std::string> names;
  for (DefectKind k : AllDefectKinds()) names.emplace_back(DefectKindName(k));
  EXPECT_EQ(names, (std::vector<std::string>{"black", "blank", "noisy",
                                             "overexposed", "undecodable"}));
}

}  // namespace
}  // namespace zimon::gateway
