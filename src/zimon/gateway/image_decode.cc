#include "zimon/gateway/image_decode.h"

#include <spng.h>

#include <cstring>
#include <memory>
#include <string>

#include "zimon/gateway/image_decode_jpeg.h"

namespace zimon::gateway {
namespace {

struct SpngDeleter {
  void operator()(spng_ctx* ctx) const { spng_ctx_free(ctx); }
};
using SpngCtx = std::unique_ptr<spng_ctx, SpngDeleter>;

Status PngError(std::string_view what, int err) {
  return InvalidArgumentError("png: " + std::string(what) + ": " +
                              spng_strerror(err));
}

StatusOr<RgbImage> DecodePng(std::string_view bytes,
                             const DecodeOptions& options) {
  // Corruption is caught by the chunk CRCs (spng_decode_chunks below reads
  // the rest of the stream, so the last IDAT's CRC is checked too) rather than
  // the zlib Adler-32, which would cost a pass over every decoded byte.
  SpngCtx ctx(spng_ctx_new(SPNG_CTX_IGNORE_ADLER32));
  if (ctx == nullptr) return InternalError("png: out of memory");
  // CRC errors are real corruption; do not let libspng ignore them.
  spng_set_crc_action(ctx.get(), SPNG_CRC_ERROR, SPNG_CRC_ERROR);
  spng_set_image_limits(ctx.get(), static_cast<uint32_t>(options.max_dimension),
                        static_cast<uint32_t>(options.max_dimension));
  spng_set_chunk_limits(ctx.get(), 1u << 20, 64u << 20);
  if (int err = spng_set_png_buffer(ctx.get(), bytes.data(), bytes.size())) {
    return PngError("buffer", err);
  }
  spng_ihdr ihdr{};
  if (int err = spng_get_ihdr(ctx.get(), &ihdr)) return PngError("header", err);
  if (ihdr.width == 0 || ihdr.height == 0 ||
      ihdr.width > static_cast<uint32_t>(options.max_dimension) ||
      ihdr.height > static_cast<uint32_t>(options.max_dimension)) {
    return InvalidArgumentError("png: dimensions " +
                                std::to_string(ihdr.width) + "x" +
                                std::to_string(ihdr.height) + " out of range");
  }
  // 8-bit truecolour is already RGB8: ask for the native layout, which skips
  // libspng's per-pixel conversion.
  const int fmt =
      ihdr.color_type == SPNG_COLOR_TYPE_TRUECOLOR && ihdr.bit_depth == 8
          ? SPNG_FMT_PNG
          : SPNG_FMT_RGB8;
  size_t len = 0;
  if (int err = spng_decoded_image_size(ctx.get(), fmt, &len)) {
    return PngError("size", err);
  }
  RgbImage out;
  out.format = ImageFormat::kPng;
  out.source_width = out.width = static_cast<int>(ihdr.width);
  out.source_height = out.height = static_cast<int>(ihdr.height);
  out.pixels.resize(len);
  // SPNG_DECODE_TRNS is not requested: transparency is dropped, the colour
  // channels are what a client sees on an opaque background anyway.
  if (int err = spng_decode_image(ctx.get(), out.pixels.data(), len, fmt, 0)) {
    return PngError("decode", err);
  }
  if (int err = spng_decode_chunks(ctx.get())) {
    return PngError("trailing chunks", err);
  }
  return out;
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
      return DecodePng(bytes, options);
    case ImageFormat::kJpeg:
      return internal::DecodeJpeg(bytes, options);
    case ImageFormat::kWebp:
      return UnimplementedError(
          "WebP decoding not built (libwebp is not a build dependency)");
    case ImageFormat::kUnknown:
      break;
  }
  return InvalidArgumentError(
      bytes.empty()
          ? "image: empty body"
          : "image: unrecognised format (expected PNG, JPEG or WebP)");
}

}  // namespace zimon::gateway
