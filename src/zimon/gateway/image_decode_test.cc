#include "zimon/gateway/image_decode.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "zimon/gateway/quality_test_images.h"

#ifdef ZIMON_HAVE_JPEG
#include <jpeglib.h>

#include <cstddef>
#include <cstdio>
#endif

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

// Rows handed to a sink are the image DecodeImage returns.
TEST(DecodeImageRows, DeliversTheDecodedRowsInOrder) {
  class Sink : public RgbRowSink {
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
  const RgbImage src = NaturalImage(45, 31, 2);
  Sink sink;
  ASSERT_TRUE(DecodeImageRows(MustPng(src), DecodeOptions{}, sink).ok());
  EXPECT_EQ(sink.info_.format, ImageFormat::kPng);
  EXPECT_EQ(sink.info_.width, 45);
  EXPECT_EQ(sink.info_.height, 31);
  EXPECT_EQ(sink.rows_, 31);
  EXPECT_EQ(sink.pixels_, src.pixels);
  Sink unknown;
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

TEST(DecodeImage, WebpIsUnimplemented) {
  StatusOr<RgbImage> out =
      DecodeImage(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(out.status().message().find("WebP decoding not built"),
            std::string::npos);
  EXPECT_FALSE(CanDecode(ImageFormat::kWebp));
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
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* buf = nullptr;
  unsigned long len = 0;  // NOLINT: libjpeg's type
  jpeg_mem_dest(&cinfo, &buf, &len);
  cinfo.image_width = static_cast<JDIMENSION>(img.width);
  cinfo.image_height = static_cast<JDIMENSION>(img.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(img.pixels.data()) +
                   static_cast<size_t>(cinfo.next_scanline) * img.width * 3;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string out(reinterpret_cast<char*>(buf), len);
  free(buf);  // NOLINT: allocated by libjpeg
  return out;
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

}  // namespace
}  // namespace zimon::gateway
