#include "zimon/gateway/image_decode_webp.h"

#include <cstdint>
#include <string>

#ifdef ZIMON_HAVE_WEBP
#include <webp/decode.h>
#endif

namespace zimon::gateway::internal {

#ifdef ZIMON_HAVE_WEBP
namespace {

// libwebp's status codes in words; the code name follows in brackets so a
// report can be matched to libwebp's documentation.
std::string StatusText(VP8StatusCode status) {
  switch (status) {
    case VP8_STATUS_OK:
      return "ok";
    case VP8_STATUS_OUT_OF_MEMORY:
      return "out of memory (VP8_STATUS_OUT_OF_MEMORY)";
    case VP8_STATUS_INVALID_PARAM:
      return "invalid parameter (VP8_STATUS_INVALID_PARAM)";
    case VP8_STATUS_BITSTREAM_ERROR:
      return "corrupt bitstream (VP8_STATUS_BITSTREAM_ERROR)";
    case VP8_STATUS_UNSUPPORTED_FEATURE:
      return "unsupported feature (VP8_STATUS_UNSUPPORTED_FEATURE)";
    case VP8_STATUS_SUSPENDED:
      return "truncated (VP8_STATUS_SUSPENDED)";
    case VP8_STATUS_USER_ABORT:
      return "aborted (VP8_STATUS_USER_ABORT)";
    case VP8_STATUS_NOT_ENOUGH_DATA:
      return "truncated (VP8_STATUS_NOT_ENOUGH_DATA)";
  }
  return "status " + std::to_string(static_cast<int>(status));
}

Status WebpError(std::string_view stage, VP8StatusCode status) {
  std::string message =
      "webp: " + std::string(stage) + ": " + StatusText(status);
  if (status == VP8_STATUS_OUT_OF_MEMORY) return InternalError(message);
  return InvalidArgumentError(std::move(message));
}

}  // namespace

bool WebpSupported() { return true; }

StatusOr<RgbImage> DecodeWebp(std::string_view bytes,
                              const DecodeOptions& options) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  // The header alone (WebPGetFeatures does not decode pixels), so that the
  // limits are applied before libwebp allocates anything for the image.
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) {
    return InternalError("webp: libwebp version mismatch");
  }
  if (VP8StatusCode s = WebPGetFeatures(data, bytes.size(), &config.input);
      s != VP8_STATUS_OK) {
    return WebpError("header", s);
  }
  const WebPBitstreamFeatures& features = config.input;
  if (features.has_animation) {
    return UnimplementedError("webp: animated WebP is not scored (" +
                              std::to_string(features.width) + "x" +
                              std::to_string(features.height) + " canvas)");
  }
  const int64_t w = features.width;
  const int64_t h = features.height;
  if (w <= 0 || h <= 0 || w > options.max_dimension ||
      h > options.max_dimension) {
    return InvalidArgumentError("webp: dimensions " + std::to_string(w) + "x" +
                                std::to_string(h) + " out of range");
  }
  if (options.max_pixels <= 0 || w * h > options.max_pixels) {
    return InvalidArgumentError("webp: " + std::to_string(w) + "x" +
                                std::to_string(h) +
                                " is more than the limit of " +
                                std::to_string(options.max_pixels) + " pixels");
  }

  RgbImage out;
  out.format = ImageFormat::kWebp;
  out.source_width = out.width = static_cast<int>(w);
  out.source_height = out.height = static_cast<int>(h);
  out.pixels.resize(static_cast<size_t>(w * h * 3));
  // Straight into our buffer. MODE_RGB drops alpha, as the PNG decoders do:
  // the colour channels are what a client sees on an opaque background.
  config.output.colorspace = MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = out.pixels.data();
  config.output.u.RGBA.stride = static_cast<int>(w * 3);
  config.output.u.RGBA.size = out.pixels.size();
  const VP8StatusCode s = WebPDecode(data, bytes.size(), &config);
  WebPFreeDecBuffer(&config.output);  // nothing to free with external memory
  if (s != VP8_STATUS_OK) return WebpError("image data", s);
  return out;
}

#else  // !ZIMON_HAVE_WEBP

bool WebpSupported() { return false; }

StatusOr<RgbImage> DecodeWebp(std::string_view /*bytes*/,
                              const DecodeOptions& /*options*/) {
  return UnimplementedError(
      "WebP decoding not built (libwebp was not found at configure time)");
}

#endif  // ZIMON_HAVE_WEBP

}  // namespace zimon::gateway::internal
