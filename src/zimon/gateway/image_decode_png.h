// PNG decoding for image_decode.cc (internal). DecodePngFast handles 8-bit
// grey, grey+alpha, RGB and RGBA without interlacing: its own bounds-checked
// chunk reader (every chunk CRC verified), libdeflate for the zlib stream and
// image_decode_unfilter.h, one row at a time into an RgbRowSink. Everything
// else goes to libspng (DecodePngSpng). The policy is in docs/quality.md.
//
// Thread safety: pure functions; safe to call concurrently.
#ifndef ZIMON_GATEWAY_IMAGE_DECODE_PNG_H_
#define ZIMON_GATEWAY_IMAGE_DECODE_PNG_H_

#include <string_view>

#include "zimon/common/status.h"
#include "zimon/gateway/image_decode.h"

namespace zimon::gateway::internal {

// kUnimplemented, before calling the sink at all, when `bytes` is outside
// the fast path (other bit depths or colour types, interlacing, unknown
// critical chunks, a malformed header, more image data than the header
// implies): the caller falls back to DecodePngSpng. kInvalidArgument for
// corrupt, truncated or oversized data.
Status DecodePngFast(std::string_view bytes, const DecodeOptions& options,
                     RgbRowSink& sink);

// libspng, converting every PNG type to 8-bit RGB (16-bit samples keep their
// high byte; palette expanded; alpha and tRNS dropped).
StatusOr<RgbImage> DecodePngSpng(std::string_view bytes,
                                 const DecodeOptions& options);

// The fast path, falling back to libspng.
Status DecodePngRows(std::string_view bytes, const DecodeOptions& options,
                     RgbRowSink& sink);
StatusOr<RgbImage> DecodePng(std::string_view bytes,
                             const DecodeOptions& options);

// Hands an already decoded image to `sink` row by row.
Status FeedRows(const RgbImage& image, RgbRowSink& sink);

}  // namespace zimon::gateway::internal

#endif  // ZIMON_GATEWAY_IMAGE_DECODE_PNG_H_
