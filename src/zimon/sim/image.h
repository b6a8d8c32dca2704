// The simulator's output image: a real PNG of the requested size whose pixels
// look like a photograph to simple statistics (smooth regions, hard edges,
// colour variety), deterministic for (prompt, seed), or all black when the
// black-image fault fires.
//
// The picture is value noise at several octaves mapped through a seeded
// palette, shaded by a second noise field, with a few hard-edged shapes on
// top; everything is seeded by a hash of prompt and seed. PNG encoding uses
// libspng with zlib level 1 (fast; a 1024x1024 image is a few tens of ms on
// one core in an optimised build, see sim_benchmark).
//
// Thread safety: pure functions.
#ifndef ZIMON_SIM_IMAGE_H_
#define ZIMON_SIM_IMAGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/status.h"
#include "zimon/sim/model.h"

namespace zimon::sim {

// 64-bit seed for the picture: FNV-1a of the prompt mixed with `seed`.
uint64_t ImageSeed(std::string_view prompt, uint64_t seed);

// Raw 8-bit RGB pixels, row-major, width*height*3 bytes.
std::vector<uint8_t> RenderRgb(std::string_view prompt, uint64_t seed,
                               ImageSize size);

// Encodes 8-bit RGB as PNG. kInvalidArgument when rgb has the wrong size;
// kInternal when libspng fails.
StatusOr<std::string> EncodePng(const std::vector<uint8_t>& rgb, ImageSize size,
                                int compression_level = 1);

// RenderRgb (or zeros when `black`) encoded as PNG.
StatusOr<std::string> RenderPng(std::string_view prompt, uint64_t seed,
                                ImageSize size, bool black = false);

// Decodes a PNG to 8-bit RGB (for tests and quality checks).
struct DecodedImage {
  ImageSize size;
  std::vector<uint8_t> rgb;
};
StatusOr<DecodedImage> DecodePng(std::string_view png);

}  // namespace zimon::sim

#endif  // ZIMON_SIM_IMAGE_H_
