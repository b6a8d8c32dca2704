#include "zimon/gateway/image_decode.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "zimon/gateway/quality.h"
#include "zimon/gateway/quality_test_images.h"

namespace zimon::gateway {
namespace {

using testing::EncodePng;
using testing::NaturalImage;

std::string MustPng(const RgbImage& img) {
  StatusOr<std::string> png = EncodePng(img);
  EXPECT_TRUE(png.ok()) << png.status().ToString();
  return png.ok() ? *png : std::string();
}

TEST(DetectImageFormat, RecognisesMagicBytes) {
  EXPECT_EQ(DetectImageFormat(MustPng(NaturalImage(8, 8, 1))),
            ImageFormat::kPng);
  EXPECT_EQ(DetectImageFormat(std::string("\xFF\xD8\xFF\xE0", 4)),
            ImageFormat::kJpeg);
  EXPECT_EQ(DetectImageFormat(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)),
            ImageFormat::kWebp);
  EXPECT_EQ(DetectImageFormat("GIF89a"), ImageFormat::kUnknown);
  EXPECT_EQ(DetectImageFormat(""), ImageFormat::kUnknown);
  EXPECT_EQ(ImageFormatName(ImageFormat::kJpeg), "jpeg");
}

TEST(DecodeImage, PngRoundTripsPixels) {
  RgbImage src = NaturalImage(37, 21, 7);
  StatusOr<RgbImage> out = DecodeImage(MustPng(src));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->format, ImageFormat::kPng);
  EXPECT_EQ(out->width, 37);
  EXPECT_EQ(out->height, 21);
  EXPECT_EQ(out->source_width, 37);
  EXPECT_EQ(out->pixels, src.pixels);
}

// Collects the rows a decoder hands over, checking they come in order.
class CollectingSink : public RgbRowSink {
 public:
  Status Start(const ImageInfo& info) override {
    info_ = info;
    return OkStatus();
  }
  void Row(int y, const uint8_t* rgb) override {
    EXPECT_EQ(y, rows_++);
    pixels_.insert(pixels_.end(), rgb, rgb + info_.width * 3);
  }
  ImageInfo info_;
  int rows_ = 0;
  std::vector<uint8_t> pixels_;
};

// Rows handed to a sink are the image DecodeImage returns.
TEST(DecodeImageRows, DeliversTheDecodedRowsInOrder) {
  const RgbImage src = NaturalImage(45, 31, 2);
  CollectingSink sink;
  ASSERT_TRUE(DecodeImageRows(MustPng(src), DecodeOptions{}, sink).ok());
  EXPECT_EQ(sink.info_.format, ImageFormat::kPng);
  EXPECT_EQ(sink.info_.width, 45);
  EXPECT_EQ(sink.info_.height, 31);
  EXPECT_EQ(sink.rows_, 31);
  EXPECT_EQ(sink.pixels_, src.pixels);
  CollectingSink unknown;
  EXPECT_EQ(DecodeImageRows("nope", DecodeOptions{}, unknown).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.rows_, 0);
}

TEST(DecodeImage, TruncatedPngIsInvalidArgument) {
  std::string png = MustPng(NaturalImage(64, 64, 3));
  for (size_t keep : {size_t{7}, size_t{30}, png.size() / 2, png.size() - 40,
                      png.size() - 13}) {
    StatusOr<RgbImage> out = DecodeImage(png.substr(0, keep));
    ASSERT_FALSE(out.ok()) << "kept " << keep;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(DecodeImage, CorruptPngDataIsInvalidArgument) {
  const std::string png = MustPng(NaturalImage(64, 64, 3));
  // Inside the pixel data, and its last bytes just before the IDAT CRC.
  for (size_t at : {png.size() / 4, png.size() / 2, png.size() * 3 / 4,
                    png.size() - 12 - 4 - 1}) {
    std::string bad = png;
    bad[at] = static_cast<char>(bad[at] ^ 0x5A);
    StatusOr<RgbImage> out = DecodeImage(bad);
    ASSERT_FALSE(out.ok()) << "flipped byte " << at;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(DecodeImage, UnknownAndEmptyAreInvalidArgument) {
  EXPECT_EQ(DecodeImage("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeImage("not an image at all").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(DecodeImage, RefusesImagesOverMaxDimension) {
  DecodeOptions options;
  options.max_dimension = 32;
  StatusOr<RgbImage> out =
      DecodeImage(MustPng(NaturalImage(64, 16, 1)), options);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

#ifdef ZIMON_HAVE_JPEG
std::string EncodeJpeg(const RgbImage& img, int quality) {
  StatusOr<std::string> jpeg = testing::EncodeJpeg(img, quality);
  EXPECT_TRUE(jpeg.ok()) << jpeg.status().ToString();
  return jpeg.ok() ? *jpeg : std::string();
}

TEST(DecodeImage, JpegDecodesCloseToSource) {
  RgbImage src = NaturalImage(96, 64, 5);
  StatusOr<RgbImage> out = DecodeImage(EncodeJpeg(src, 95));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->format, ImageFormat::kJpeg);
  ASSERT_EQ(out->width, 96);
  ASSERT_EQ(out->height, 64);
  double err = 0;
  for (size_t i = 0; i < src.pixels.size(); ++i) {
    err += std::abs(static_cast<int>(src.pixels[i]) - out->pixels[i]);
  }
  EXPECT_LT(err / static_cast<double>(src.pixels.size()), 6.0);
}

TEST(DecodeImage, JpegScalesDownByDctWhenAllowed) {
  DecodeOptions options;
  options.jpeg_min_long_side = 100;
  StatusOr<RgbImage> out =
      DecodeImage(EncodeJpeg(NaturalImage(400, 200, 5), 90), options);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->source_width, 400);
  EXPECT_EQ(out->width, 100);  // 1/4: 1/8 would give 50 < 100
  EXPECT_EQ(out->height, 50);
}

TEST(DecodeImage, JpegOverThePixelLimitIsRefused) {
  DecodeOptions options;
  options.max_pixels = 400 * 200 - 1;
  options.jpeg_min_long_side = 50;  // even when it would decode at 1/8
  StatusOr<RgbImage> out =
      DecodeImage(EncodeJpeg(NaturalImage(400, 200, 5), 90), options);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("400x200 is more than the limit"),
            std::string::npos)
      << out.status().ToString();
  options.max_pixels = 400 * 200;
  EXPECT_TRUE(
      DecodeImage(EncodeJpeg(NaturalImage(400, 200, 5), 90), options).ok());
}

TEST(DecodeImage, TruncatedJpegIsInvalidArgument) {
  std::string jpeg = EncodeJpeg(NaturalImage(128, 128, 5), 90);
  for (size_t keep : {size_t{3}, size_t{40}, jpeg.size() / 2}) {
    StatusOr<RgbImage> out = DecodeImage(jpeg.substr(0, keep));
    ASSERT_FALSE(out.ok()) << "kept " << keep;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  }
}
#else
TEST(DecodeImage, JpegIsUnimplementedWithoutLibjpeg) {
  StatusOr<RgbImage> out = DecodeImage(std::string("\xFF\xD8\xFF\xE0", 4));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(out.status().message().find("JPEG decoding not built"),
            std::string::npos);
}
#endif

#ifdef ZIMON_HAVE_WEBP
std::string MustWebp(const RgbImage& img, int quality) {
  StatusOr<std::string> webp = testing::EncodeWebp(img, quality);
  EXPECT_TRUE(webp.ok()) << webp.status().ToString();
  return webp.ok() ? *webp : std::string();
}

double MeanAbsError(const RgbImage& a, const RgbImage& b) {
  EXPECT_EQ(a.pixels.size(), b.pixels.size());
  if (a.pixels.size() != b.pixels.size() || a.pixels.empty()) return 1e9;
  double err = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    err += std::abs(static_cast<int>(a.pixels[i]) - b.pixels[i]);
  }
  return err / static_cast<double>(a.pixels.size());
}

// A lossless WebP whose header claims `width` x `height` but holds no image
// data: the size limits must refuse it before decoding starts.
std::string Vp8lHeaderOnly(uint32_t width, uint32_t height) {
  const uint32_t bits = (width - 1) | ((height - 1) << 14);  // no alpha, v0
  std::string vp8l = "\x2F";
  for (int i = 0; i < 4; ++i)
    vp8l.push_back(static_cast<char>(bits >> (8 * i)));
  vp8l.append(16, '\0');
  return testing::RiffWebp(testing::RiffChunk("VP8L", vp8l));
}

TEST(DecodeImage, WebpLosslessRoundTripsPixels) {
  for (auto [w, h] : {std::pair{37, 21}, {1, 1}, {1, 17}, {255, 3}}) {
    const RgbImage src = NaturalImage(w, h, 7);
    StatusOr<RgbImage> out = DecodeImage(MustWebp(src, -1));
    ASSERT_TRUE(out.ok()) << w << "x" << h << ": " << out.status().ToString();
    EXPECT_EQ(out->format, ImageFormat::kWebp);
    EXPECT_EQ(out->width, w);
    EXPECT_EQ(out->height, h);
    EXPECT_EQ(out->source_width, w);
    EXPECT_EQ(out->source_height, h);
    EXPECT_EQ(out->pixels, src.pixels) << w << "x" << h;
  }
  EXPECT_TRUE(CanDecode(ImageFormat::kWebp));
}

TEST(DecodeImage, WebpLossyDecodesCloseToSource) {
  // Chroma is stored at half resolution, so a few pixels of busy colour
  // come back further off than a whole picture does.
  struct Case {
    int w, h;
    double max_error;
  };
  for (const Case& c :
       {Case{96, 64, 6}, Case{33, 47, 6}, Case{1, 1, 30}, Case{2, 3, 30}}) {
    const RgbImage src = NaturalImage(c.w, c.h, 5);
    StatusOr<RgbImage> out = DecodeImage(MustWebp(src, 95));
    ASSERT_TRUE(out.ok()) << c.w << "x" << c.h << ": "
                          << out.status().ToString();
    EXPECT_EQ(out->format, ImageFormat::kWebp);
    ASSERT_EQ(out->width, c.w);
    ASSERT_EQ(out->height, c.h);
    EXPECT_LT(MeanAbsError(src, *out), c.max_error) << c.w << "x" << c.h;
  }
  // A different picture decodes to something else: the comparison can fail.
  StatusOr<RgbImage> other = DecodeImage(MustWebp(NaturalImage(96, 64, 6), 95));
  ASSERT_TRUE(other.ok());
  EXPECT_GT(MeanAbsError(NaturalImage(96, 64, 5), *other), 6.0);
}

// Alpha is dropped, as for PNG: the stored colour channels are the image.
TEST(DecodeImage, WebpAlphaIsDroppedLikePng) {
  const RgbImage src = NaturalImage(41, 29, 3);
  std::vector<uint8_t> rgba;
  for (size_t p = 0; p < src.pixels.size(); p += 3) {
    // Never 0: the encoder may rewrite the colour of invisible pixels.
    const auto alpha = static_cast<uint8_t>(1 + (p / 3) % 255);
    rgba.insert(rgba.end(),
                {src.pixels[p], src.pixels[p + 1], src.pixels[p + 2], alpha});
  }
  StatusOr<std::string> lossless = testing::EncodeWebpRgba(41, 29, rgba, -1);
  ASSERT_TRUE(lossless.ok()) << lossless.status().ToString();
  StatusOr<RgbImage> out = DecodeImage(*lossless);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->pixels, src.pixels);
  testing::PngEncoding enc;
  enc.colour_type = 6;
  StatusOr<std::string> png = testing::EncodePngSamples(41, 29, rgba, enc);
  ASSERT_TRUE(png.ok());
  StatusOr<RgbImage> from_png = DecodeImage(*png);
  ASSERT_TRUE(from_png.ok());
  EXPECT_EQ(out->pixels, from_png->pixels);

  StatusOr<std::string> lossy = testing::EncodeWebpRgba(41, 29, rgba, 95);
  ASSERT_TRUE(lossy.ok()) << lossy.status().ToString();
  StatusOr<RgbImage> lossy_out = DecodeImage(*lossy);
  ASSERT_TRUE(lossy_out.ok()) << lossy_out.status().ToString();
  EXPECT_LT(MeanAbsError(src, *lossy_out), 6.0);
}

TEST(DecodeImageRows, DeliversWebpRows) {
  const RgbImage src = NaturalImage(45, 31, 2);
  CollectingSink sink;
  ASSERT_TRUE(DecodeImageRows(MustWebp(src, -1), DecodeOptions{}, sink).ok());
  EXPECT_EQ(sink.info_.format, ImageFormat::kWebp);
  EXPECT_EQ(sink.info_.width, 45);
  EXPECT_EQ(sink.info_.source_height, 31);
  EXPECT_EQ(sink.rows_, 31);
  EXPECT_EQ(sink.pixels_, src.pixels);
}

TEST(DecodeImage, WebpOverLimitsIsRefusedBeforeDecoding) {
  const std::string webp = MustWebp(NaturalImage(101, 100, 1), 80);
  DecodeOptions narrow;
  narrow.max_dimension = 100;
  StatusOr<RgbImage> out = DecodeImage(webp, narrow);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("101x100 out of range"),
            std::string::npos)
      << out.status().ToString();
  DecodeOptions few;
  few.max_pixels = 100 * 100;
  out = DecodeImage(webp, few);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("limit of 10000 pixels"),
            std::string::npos)
      << out.status().ToString();
  few.max_pixels = 101 * 100;
  EXPECT_TRUE(DecodeImage(webp, few).ok());

  // 16000 x 16000 claimed by a header with no image data behind it: refused
  // by the pixel limit (decoding would report truncation instead).
  out = DecodeImage(Vp8lHeaderOnly(16000, 16000));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("16000x16000 is more than the limit"),
            std::string::npos)
      << out.status().ToString();
  out = DecodeImage(Vp8lHeaderOnly(64, 64));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message().find("limit"), std::string::npos)
      << out.status().ToString();
}

TEST(DecodeImage, AnimatedWebpIsUnimplemented) {
  const std::string still = MustWebp(NaturalImage(16, 16, 1), -1);
  ASSERT_TRUE(DecodeImage(still).ok());
  StatusOr<RgbImage> out = DecodeImage(testing::AnimatedWebp(still, 16, 16, 2));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(out.status().message().find("animated WebP is not scored"),
            std::string::npos)
      << out.status().ToString();
}

TEST(DecodeImage, TruncatedWebpIsInvalidArgument) {
  const RgbImage src = NaturalImage(128, 96, 5);
  for (int quality : {90, -1}) {
    const std::string webp = MustWebp(src, quality);
    for (size_t keep : {size_t{12}, size_t{20}, size_t{30}, webp.size() / 2,
                        webp.size() - 1}) {
      StatusOr<RgbImage> out = DecodeImage(webp.substr(0, keep));
      ASSERT_FALSE(out.ok()) << "quality " << quality << " kept " << keep;
      EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(out.status().message().substr(0, 6), "webp: ")
          << out.status().ToString();
    }
  }
  const std::string webp = MustWebp(src, 90);
  StatusOr<RgbImage> out = DecodeImage(webp.substr(0, webp.size() / 2));
  EXPECT_NE(out.status().message().find("truncated"), std::string::npos)
      << out.status().ToString();
}

// WebP has no checksum: damage inside the compressed data of a lossy image
// decodes to other pixels (as with JPEG). Damaged headers are errors.
TEST(DecodeImage, CorruptWebpHeaderIsInvalidArgument) {
  const RgbImage src = NaturalImage(64, 64, 3);
  const std::string lossy = MustWebp(src, 90);
  ASSERT_EQ(lossy.substr(12, 4), "VP8 ");
  std::string bad = lossy;
  bad[23] = '\x00';  // the VP8 start code 9d 01 2a
  StatusOr<RgbImage> out = DecodeImage(bad);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("VP8_STATUS_BITSTREAM_ERROR"),
            std::string::npos)
      << out.status().ToString();

  const std::string lossless = MustWebp(src, -1);
  ASSERT_EQ(lossless.substr(12, 4), "VP8L");
  bad = lossless;
  bad[20] = '\x00';  // the VP8L signature byte 0x2f
  out = DecodeImage(bad);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  // Unknown chunk in place of the image.
  bad = lossless;
  bad.replace(12, 4, "XXXX");
  EXPECT_EQ(DecodeImage(bad).status().code(), StatusCode::kInvalidArgument);
}

TEST(DecodeImage, NotWebpIsAFormatError) {
  // RIFF but not WebP (a WAVE file): unrecognised.
  StatusOr<RgbImage> out =
      DecodeImage(std::string("RIFF\x24\0\0\0WAVEfmt \x10\0\0\0", 20));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("unrecognised format"),
            std::string::npos);
  // WebP magic and nothing usable after it.
  out = DecodeImage(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message().substr(0, 6), "webp: ");
}
#else
TEST(DecodeImage, WebpIsUnimplementedWithoutLibwebp) {
  StatusOr<RgbImage> out =
      DecodeImage(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(out.status().message().find("WebP decoding not built"),
            std::string::npos);
  EXPECT_FALSE(CanDecode(ImageFormat::kWebp));
}
#endif

// Notes whether the upper halves of the vector registers were in use when
// the rows began and when each arrived: the scoring that runs on them is
// SSE code, which their being in use slows.
class UpperHalvesSink : public RgbRowSink {
 public:
  Status Start(const ImageInfo&) override {
    Note();
    return OkStatus();
  }
  void Row(int, const uint8_t*) override { Note(); }
  int in_use = 0;

 private:
  void Note() { in_use = std::max(in_use, testing::UpperVectorHalvesInUse()); }
};

TEST(DecodeImageRows, NoDecoderLeavesTheUpperVectorHalvesInUse) {
  if (testing::UpperVectorHalvesInUse() < 0) {
    GTEST_SKIP() << "the CPU cannot tell (XGETBV with ECX = 1)";
  }
  const RgbImage src = NaturalImage(512, 384, 3);
  std::vector<std::pair<std::string, std::string>> images = {
      {"PNG like Pillow's", *testing::EncodePngLikePil(src)},
      {"PNG level 1", MustPng(src)}};
#ifdef ZIMON_HAVE_JPEG
  images.emplace_back("JPEG", EncodeJpeg(src, 90));
#endif
#ifdef ZIMON_HAVE_WEBP
  images.emplace_back("WebP lossy", MustWebp(src, 90));
  images.emplace_back("WebP lossless", MustWebp(src, -1));
#endif
  for (const auto& [name, bytes] : images) {
    UpperHalvesSink sink;
    ASSERT_TRUE(DecodeImageRows(bytes, DecodeOptions{}, sink).ok()) << name;
    EXPECT_EQ(sink.in_use, 0) << name;
  }
}

// Damaged files: every decoder answers with a status, or with a picture
// within the limits, and never crashes or reads out of bounds (the ASan
// build shows the latter). The mutations are deterministic: flipped bytes,
// truncations, runs of 0x00 or 0xFF, a slice copied over another place. For
// PNG each one is also tried with its chunk CRCs recomputed, so that the
// damage reaches the inflater and the unfilter instead of stopping at a CRC.
std::vector<std::string> Mutations(const std::string& file, uint64_t seed,
                                   int count) {
  std::mt19937_64 rng(seed);
  auto below = [&](size_t n) {
    return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n);
  };
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    std::string m = file;
    switch (i % 4) {
      case 0:
        for (size_t k = 1 + below(4); k > 0; --k)
          m[below(m.size())] ^= static_cast<char>(1 + below(255));
        break;
      case 1:
        m.resize(below(m.size()));
        break;
      case 2: {
        size_t at = below(m.size());
        size_t run = std::min(m.size() - at, 1 + below(16));
        m.replace(at, run, run, i % 8 == 2 ? '\0' : '\xff');
        break;
      }
      default: {
        size_t from = below(m.size());
        size_t to = below(m.size());
        size_t run = std::min({m.size() - from, m.size() - to, 1 + below(64)});
        m.replace(to, run, file, from, run);
        break;
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

// Recomputes the CRC of every whole chunk of a (damaged) PNG.
std::string WithPngCrcsFixed(std::string png) {
  for (const testing::PngChunk& c : testing::PngChunks(png)) {
    const auto* p = reinterpret_cast<const unsigned char*>(png.data() + c.at);
    const uLong crc = crc32(0, p + 4, static_cast<uInt>(c.length + 4));
    for (int k = 0; k < 4; ++k) {
      png[c.at + 8 + c.length + static_cast<size_t>(k)] =
          static_cast<char>((crc >> (24 - 8 * k)) & 0xff);
    }
  }
  return png;
}

void ExpectDecodersSurvive(const std::vector<std::string>& files) {
  DecodeOptions options;
  options.max_dimension = 2048;
  options.max_pixels = 1 << 20;
  QualityOptions quality;
  quality.max_dimension = options.max_dimension;
  quality.max_pixels = options.max_pixels;
  int decoded = 0;
  for (const std::string& file : files) {
    StatusOr<RgbImage> out = DecodeImage(file, options);
    if (out.ok()) {
      ++decoded;
      EXPECT_GT(out->width, 0);
      EXPECT_GT(out->height, 0);
      EXPECT_LE(int64_t{out->width} * out->height, options.max_pixels);
      EXPECT_EQ(out->pixels.size(),
                static_cast<size_t>(out->width) * out->height * 3);
    } else {
      EXPECT_FALSE(out.status().message().empty());
    }
    StatusOr<QualityReport> report = ScoreImage(file, quality);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_GE(report->score, 0.0);
    EXPECT_LE(report->score, 1.0);
    EXPECT_EQ(report->HasDefect(DefectKind::kUndecodable),
              !report->decode_error.empty());
  }
  // Some damage (a flipped pixel byte) still decodes; a test that never
  // decoded anything would be testing only the first checks.
  EXPECT_GT(decoded, 0);
}

TEST(DecodeImage, DamagedPngsGetAStatus) {
  for (const std::string& png :
       {MustPng(NaturalImage(48, 40, 9)),
        *testing::EncodePngLikePil(NaturalImage(33, 29, 4))}) {
    std::vector<std::string> files = Mutations(png, 7, 400);
    const size_t plain = files.size();
    for (size_t i = 0; i < plain; ++i)
      files.push_back(WithPngCrcsFixed(files[i]));
    ExpectDecodersSurvive(files);
  }
}

#ifdef ZIMON_HAVE_JPEG
TEST(DecodeImage, DamagedJpegsGetAStatus) {
  ExpectDecodersSurvive(
      Mutations(EncodeJpeg(NaturalImage(48, 40, 9), 85), 11, 400));
}
#endif

#ifdef ZIMON_HAVE_WEBP
TEST(DecodeImage, DamagedWebpsGetAStatus) {
  ExpectDecodersSurvive(
      Mutations(MustWebp(NaturalImage(48, 40, 9), 80), 13, 400));
  ExpectDecodersSurvive(
      Mutations(MustWebp(NaturalImage(48, 40, 9), -1), 17, 400));
}
#endif

}  // namespace
}  // namespace zimon::gateway
