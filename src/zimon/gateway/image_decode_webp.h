// WebP decoding for image_decode.cc (internal). Built against libwebp when
// ZIMON_HAVE_WEBP is defined; otherwise DecodeWebp returns kUnimplemented
// "WebP decoding not built".
//
// Thread safety: pure functions; safe to call concurrently.
#ifndef ZIMON_GATEWAY_IMAGE_DECODE_WEBP_H_
#define ZIMON_GATEWAY_IMAGE_DECODE_WEBP_H_

#include <string_view>

#include "zimon/common/status.h"
#include "zimon/gateway/image_decode.h"

namespace zimon::gateway::internal {

bool WebpSupported();

// `bytes` must start with a RIFF....WEBP header. Lossy (VP8) and lossless
// (VP8L) still images, with or without alpha; alpha is dropped as for PNG.
// Size limits are checked from the header before anything is decoded.
// Errors: kInvalidArgument for corrupt, truncated or oversized data;
// kUnimplemented for an animated WebP (which frame would be "the" image is
// not defined) and when the build lacks libwebp.
StatusOr<RgbImage> DecodeWebp(std::string_view bytes,
                              const DecodeOptions& options);

}  // namespace zimon::gateway::internal

#endif  // ZIMON_GATEWAY_IMAGE_DECODE_WEBP_H_
