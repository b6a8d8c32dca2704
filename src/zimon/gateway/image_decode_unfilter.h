// PNG scanline unfiltering (PNG spec section 9) for the fast PNG path of
// image_decode_png.cc (internal). SSE2 (the x86-64 baseline) for 3- and
// 4-byte pixels, the layouts of 8-bit RGB and RGBA; portable code elsewhere.
//
// Thread safety: pure functions; safe to call concurrently.
#ifndef ZIMON_GATEWAY_IMAGE_DECODE_UNFILTER_H_
#define ZIMON_GATEWAY_IMAGE_DECODE_UNFILTER_H_

#include <cstddef>
#include <cstdint>

namespace zimon::gateway::internal {

// Bytes of readable padding UnfilterRow needs after `row` and `prev`.
inline constexpr size_t kUnfilterPadding = 16;

// Reverses filter `type` (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth) on the
// `len` bytes of `row`, in place. `prev` is the previous row, already
// unfiltered (all zeros for the first row). `bpp` is bytes per complete pixel,
// 1 to 8. Both buffers must stay readable for kUnfilterPadding bytes past
// `len`; bytes past `len` are read but never changed. False for a type > 4.
bool UnfilterRow(int type, uint8_t* row, const uint8_t* prev, size_t len,
                 int bpp);

}  // namespace zimon::gateway::internal

#endif  // ZIMON_GATEWAY_IMAGE_DECODE_UNFILTER_H_
