// PNG decoding for image_decode.cc (internal). DecodePngFast handles 8-bit
// grey, grey+alpha, RGB and RGBA without interlacing: its own bounds-checked
// chunk reader (every chunk CRC verified), libdeflate or ISA-L for the zlib
// stream and image_decode_unfilter.h, one row at a time into an RgbRowSink.
// Everything else goes to libspng (DecodePngSpng). The policy is in
// docs/quality.md.
//
// Thread safety: pure functions; safe to call concurrently.
#ifndef ZIMON_GATEWAY_IMAGE_DECODE_PNG_H_
#define ZIMON_GATEWAY_IMAGE_DECODE_PNG_H_

#include <string_view>

#include "zimon/common/status.h"
#include "zimon/gateway/image_decode.h"

namespace zimon::gateway::internal {

// Which library inflates the image data of the fast path. Both verify the
// Adler-32 and give the same answer; they differ in speed, by the kind of
// stream (docs/quality.md, "PNG decoder"): ISA-L is faster on literal-heavy
// streams with dynamic Huffman codes from zlib's lazy-matching levels (what
// Pillow writes for generated images, at its default level 6 and at
// ComfyUI's 4), libdeflate on the rest.
enum class PngInflater {
  kAuto,        // ChoosePngInflater, per image
  kLibdeflate,  // always built
  kIsal,        // Intel ISA-L, when the build found it (ZIMON_HAVE_ISAL)
};

// True when this build has `inflater` (kAuto and kLibdeflate always).
bool HavePngInflater(PngInflater inflater);

// The choice kAuto makes, from the first bytes of the zlib stream (its
// header and the first deflate block's; fewer than 3: libdeflate), the image
// data's size and the size of the filtered rows: kIsal for a stream whose
// header names a level above 1 (FLEVEL 1-3), whose first block has dynamic
// Huffman codes and which kept at least a quarter of the rows' size;
// kLibdeflate otherwise or when ISA-L is not built.
PngInflater ChoosePngInflater(std::string_view stream_start, size_t compressed,
                              size_t rows);

// kUnimplemented, before calling the sink at all, when `bytes` is outside
// the fast path (other bit depths or colour types, interlacing, unknown
// critical chunks, a malformed header, more image data than the header
// implies): the caller falls back to DecodePngSpng. kInvalidArgument for
// corrupt, truncated or oversized data.
// `inflater` other than kAuto is for tests and benchmarks; one this build
// lacks (HavePngInflater) is replaced by libdeflate.
Status DecodePngFast(std::string_view bytes, const DecodeOptions& options,
                     RgbRowSink& sink,
                     PngInflater inflater = PngInflater::kAuto);

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
