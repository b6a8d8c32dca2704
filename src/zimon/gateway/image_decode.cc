#include "zimon/gateway/image_decode.h"

#include <cstring>
#include <string>

#include "zimon/gateway/image_decode_jpeg.h"
#include "zimon/gateway/image_decode_png.h"
#include "zimon/gateway/image_decode_webp.h"

namespace zimon::gateway {
namespace {

Status UnrecognisedError(std::string_view bytes) {
  return InvalidArgumentError(
      bytes.empty()
          ? "image: empty body"
          : "image: unrecognised format (expected PNG, JPEG or WebP)");
}

}  // namespace

ImageFormat DetectImageFormat(std::string_view bytes) {
  static constexpr char kPngMagic[] = "\x89PNG\r\n\x1a\n";
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPngMagic, 8) == 0) {
    return ImageFormat::kPng;
  }
  if (bytes.size() >= 3 && static_cast<uint8_t>(bytes[0]) == 0xFF &&
      static_cast<uint8_t>(bytes[1]) == 0xD8 &&
      static_cast<uint8_t>(bytes[2]) == 0xFF) {
    return ImageFormat::kJpeg;
  }
  if (bytes.size() >= 12 && bytes.substr(0, 4) == "RIFF" &&
      bytes.substr(8, 4) == "WEBP") {
    return ImageFormat::kWebp;
  }
  return ImageFormat::kUnknown;
}

std::string_view ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kWebp:
      return "webp";
    case ImageFormat::kUnknown:
      break;
  }
  return "unknown";
}

bool CanDecode(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return true;
    case ImageFormat::kJpeg:
      return internal::JpegSupported();
    case ImageFormat::kWebp:
      return internal::WebpSupported();
    case ImageFormat::kUnknown:
      break;
  }
  return false;
}

StatusOr<RgbImage> DecodeImage(std::string_view bytes,
                               const DecodeOptions& options) {
  if (options.max_dimension <= 0) {
    return InvalidArgumentError("decode: max_dimension must be positive");
  }
  switch (DetectImageFormat(bytes)) {
    case ImageFormat::kPng:
      return internal::DecodePng(bytes, options);
    case ImageFormat::kJpeg:
      return internal::DecodeJpeg(bytes, options);
    case ImageFormat::kWebp:
      return internal::DecodeWebp(bytes, options);
    case ImageFormat::kUnknown:
      break;
  }
  return UnrecognisedError(bytes);
}

Status DecodeImageRows(std::string_view bytes, const DecodeOptions& options,
                       RgbRowSink& sink) {
  if (options.max_dimension <= 0) {
    return InvalidArgumentError("decode: max_dimension must be positive");
  }
  switch (DetectImageFormat(bytes)) {
    case ImageFormat::kPng:
      return internal::DecodePngRows(bytes, options, sink);
    case ImageFormat::kJpeg: {
      ZIMON_ASSIGN_OR_RETURN(RgbImage image,
                             internal::DecodeJpeg(bytes, options));
      return internal::FeedRows(image, sink);
    }
    case ImageFormat::kWebp: {
      ZIMON_ASSIGN_OR_RETURN(RgbImage image,
                             internal::DecodeWebp(bytes, options));
      return internal::FeedRows(image, sink);
    }
    case ImageFormat::kUnknown:
      break;
  }
  return UnrecognisedError(bytes);
}

}  // namespace zimon::gateway
