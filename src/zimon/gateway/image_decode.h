// Decoding of images returned by backends into 8-bit RGB, for the quality
// scorer. PNG: 8-bit grey, grey+alpha, RGB and RGBA without interlacing (what
// image servers write) are decoded by zimon's own chunk reader with libdeflate
// or ISA-L and SSE2 unfiltering, row by row; every other PNG with libspng (see
// docs/quality.md, "Decoder"). JPEG with libjpeg(-turbo) when the
// build found it (ZIMON_HAVE_JPEG), using DCT scaling to skip resolution the
// scorer does not need. WebP (lossy and lossless stills; animations are
// kUnimplemented) with libwebp when the build found it (ZIMON_HAVE_WEBP),
// always at full size: libwebp scales only after a full-size decode. A
// format the build lacks a decoder for yields kUnimplemented.
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
  // Images of more pixels than this are refused (kInvalidArgument): a bound
  // on what a small, highly compressed file can make the decoder allocate.
  int64_t max_pixels = int64_t{8192} * 8192;
  // JPEG only: decode at 1/2, 1/4 or 1/8 scale as long as the long side stays
  // at least this many pixels. 0 decodes at full size.
  int jpeg_min_long_side = 0;
};

// Decodes `bytes`. Errors: kInvalidArgument for unrecognised, corrupt,
// truncated or oversized data; kUnimplemented for a recognised format this
// build cannot decode ("WebP decoding not built") and for animated WebP.
StatusOr<RgbImage> DecodeImage(std::string_view bytes,
                               const DecodeOptions& options = {});

// What DecodeImageRows is about to deliver.
struct ImageInfo {
  ImageFormat format = ImageFormat::kUnknown;
  int source_width = 0;  // as in RgbImage
  int source_height = 0;
  int width = 0;
  int height = 0;
};

// Receives a decoded image row by row, so that a caller which only needs a
// reduced or summarised picture (the quality scorer) never holds the whole
// RGB image. Called on the decoding thread only.
class RgbRowSink {
 public:
  virtual ~RgbRowSink() = default;
  // Once, before the first row. A non-OK status stops decoding and is what
  // DecodeImageRows returns.
  virtual Status Start(const ImageInfo& info) = 0;
  // Rows 0, 1, ... info.height - 1 in order: info.width * 3 bytes of RGB,
  // valid only during the call.
  virtual void Row(int y, const uint8_t* rgb) = 0;
};

// As DecodeImage, delivering rows to `sink`. On an error some rows may
// already have been delivered; the caller must discard them.
Status DecodeImageRows(std::string_view bytes, const DecodeOptions& options,
                       RgbRowSink& sink);

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_IMAGE_DECODE_H_
