// Synthetic test images for the quality scorer tests and benchmark: RGB
// buffers of known character (flat, noise, photo-like) and a PNG encoder.
//
// Thread safety: pure functions.
#ifndef ZIMON_GATEWAY_QUALITY_TEST_IMAGES_H_
#define ZIMON_GATEWAY_QUALITY_TEST_IMAGES_H_

#include <cstdint>
#include <string>

#include "zimon/common/status.h"
#include "zimon/gateway/image_decode.h"

namespace zimon::gateway::testing {

// Every pixel (r, g, b).
RgbImage FlatImage(int width, int height, uint8_t r, uint8_t g, uint8_t b);

// Independent uniform random values per channel and pixel.
RgbImage NoiseImage(int width, int height, uint64_t seed);

// Photo-like: smooth colour gradients, a few hard-edged shapes in other
// colours, fine texture and a little sensor-like noise (sigma ~1).
RgbImage NaturalImage(int width, int height, uint64_t seed);

// Separable box blur of the given radius (edges clamped), applied twice.
RgbImage BoxBlur(const RgbImage& image, int radius);

// Adds Gaussian noise of standard deviation `sigma` (clamped to 0..255).
RgbImage AddNoise(const RgbImage& image, double sigma, uint64_t seed);

// Encodes as an 8-bit RGB PNG with libspng.
StatusOr<std::string> EncodePng(const RgbImage& image);

}  // namespace zimon::gateway::testing

#endif  // ZIMON_GATEWAY_QUALITY_TEST_IMAGES_H_
