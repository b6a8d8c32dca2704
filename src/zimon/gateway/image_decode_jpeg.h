// JPEG decoding for image_decode.cc (internal). Built against libjpeg when
// ZIMON_HAVE_JPEG is defined; otherwise DecodeJpeg returns kUnimplemented
// "JPEG decoding not built".
//
// Thread safety: pure functions; safe to call concurrently.
#ifndef ZIMON_GATEWAY_IMAGE_DECODE_JPEG_H_
#define ZIMON_GATEWAY_IMAGE_DECODE_JPEG_H_

#include <string_view>

#include "zimon/common/status.h"
#include "zimon/gateway/image_decode.h"

namespace zimon::gateway::internal {

bool JpegSupported();

// `bytes` must start with the JPEG SOI marker. A truncated stream (libjpeg's
// "Premature end of JPEG file") is an error, not a grey-padded image.
StatusOr<RgbImage> DecodeJpeg(std::string_view bytes,
                              const DecodeOptions& options);

}  // namespace zimon::gateway::internal

#endif  // ZIMON_GATEWAY_IMAGE_DECODE_JPEG_H_
