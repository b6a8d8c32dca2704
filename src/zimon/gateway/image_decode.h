// Decoding of images returned by backends into 8-bit RGB, for the quality
// scorer. PNG is decoded with libspng; JPEG with libjpeg(-turbo) when the
// build found it (ZIMON_HAVE_JPEG), using DCT scaling to skip resolution the
// scorer does not need; WebP is recognised by its magic bytes but not decoded
// (libwebp is not a build dependency) and yields kUnimplemented.
//
// Thread safety: pure functions; safe to call concurrently.
#ifndef ZIMON_GATEWAY_IMAGE_DECODE_H_
#define ZIMON_GATEWAY_IMAGE_DECODE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "zimon/common/status.h"

namespace zimon::gateway {

enum class ImageFormat { kUnknown, kPng, kJpeg, kWebp };

// Recognises the format from the leading magic bytes; kUnknown otherwise.
ImageFormat DetectImageFormat(std::string_view bytes);

// "png", "jpeg", "webp" or "unknown".
std::string_view ImageFormatName(ImageFormat format);

// True when this build can decode `format`.
bool CanDecode(ImageFormat format);

// 8-bit RGB pixels, row-major, width * height * 3 bytes.
struct RgbImage {
  ImageFormat format = ImageFormat::kUnknown;
  int source_width = 0;  // dimensions stored in the file
  int source_height = 0;
  int width = 0;  // dimensions decoded (smaller when JPEG DCT scaling applied)
  int height = 0;
  std::vector<uint8_t> pixels;
};

struct DecodeOptions {
  // Images wider or taller than this are refused (kInvalidArgument).
  int max_dimension = 16384;
  // JPEG only: decode at 1/2, 1/4 or 1/8 scale as long as the long side stays
  // at least this many pixels. 0 decodes at full size.
  int jpeg_min_long_side = 0;
};

// Decodes `bytes`. Errors: kInvalidArgument for unrecognised, corrupt,
// truncated or oversized data; kUnimplemented for a recognised format this
// build cannot decode ("WebP decoding not built").
StatusOr<RgbImage> DecodeImage(std::string_view bytes,
                               const DecodeOptions& options = {});

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_IMAGE_DECODE_H_
