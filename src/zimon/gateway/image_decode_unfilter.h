// PNG scanline unfiltering (PNG spec section 9) for the fast PNG path of
// image_decode_png.cc (internal). SSE2 (the x86-64 baseline) for 3- and
// 4-byte pixels, the layouts of 8-bit RGB and RGBA, with an SSSE3 version of
// Sub for 3-byte pixels chosen at run time; portable code elsewhere.
//
// Thread safety: pure functions; safe to call concurrently.
#ifndef ZIMON_GATEWAY_IMAGE_DECODE_UNFILTER_H_
#define ZIMON_GATEWAY_IMAGE_DECODE_UNFILTER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace zimon::gateway::internal {

// Bytes of padding UnfilterRow needs after `src`, `prev` and `dst`.
inline constexpr size_t kUnfilterPadding = 16;

// Reverses filter `type` (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth) on the
// `len` bytes of `src`, writing the result to `dst`, which must not overlap
// `src` or `prev`. `prev` is the previous row, already unfiltered (all zeros
// for the first row). `bpp` is bytes per complete pixel, 1 to 8. `src` and
// `prev` must stay readable for kUnfilterPadding bytes past `len` (those bytes
// are read but do not affect the result); `dst` must stay writable for as
// many, and what is left there is unspecified. False for a type > 4.
bool UnfilterRow(int type, const uint8_t* src, const uint8_t* prev, size_t len,
                 int bpp, uint8_t* dst);

// The implementations UnfilterRow chooses from, best last; exposed so that
// tests can check each against the portable one on any machine that runs it.
enum class UnfilterPath { kPortable, kSse2, kSsse3 };

// The paths this build and CPU can run, kPortable first.
std::vector<UnfilterPath> SupportedUnfilterPaths();

// UnfilterRow on a given path (one of SupportedUnfilterPaths()).
bool UnfilterRowOn(UnfilterPath path, int type, const uint8_t* src,
                   const uint8_t* prev, size_t len, int bpp, uint8_t* dst);

}  // namespace zimon::gateway::internal

#endif  // ZIMON_GATEWAY_IMAGE_DECODE_UNFILTER_H_
