// Synthetic test images for the quality scorer tests and benchmark: RGB
// buffers of known character (flat, noise, photo-like), a PNG encoder and,
// where the build has libwebp (ZIMON_HAVE_WEBP), a WebP encoder.
//
// Thread safety: pure functions.
#ifndef ZIMON_GATEWAY_QUALITY_TEST_IMAGES_H_
#define ZIMON_GATEWAY_QUALITY_TEST_IMAGES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// Whether the upper halves of the CPU's vector registers are in use (1) or
// not (0), as XGETBV with ECX = 1 reports; -1 where the CPU cannot tell
// (not x86-64, or no XGETBV with ECX = 1). Code that leaves them in use
// slows every SSE instruction after it.
int UpperVectorHalvesInUse();

// Encodes as an 8-bit RGB PNG with libspng.
StatusOr<std::string> EncodePng(const RgbImage& image);

// Encodes as Pillow's PngImagePlugin does (what real image servers write):
// per row the filter of None, Up, Sub, Paeth with the least sum of |signed
// byte| (Average only under optimize=True), zlib at `level` (Pillow's
// default 6; ComfyUI's SaveImage asks for 4) with Z_FILTERED, window 15 and
// memLevel 9, IDAT chunks of 65536 bytes.
StatusOr<std::string> EncodePngLikePil(const RgbImage& image, int level = 6);

struct PngEncoding {
  int colour_type = 2;  // 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA
  int bit_depth = 8;
  bool interlaced = false;  // Adam7
  int filter = -1;          // 0..4: every row uses it; -1: libspng chooses
};

// Encodes `samples`, laid out as the colour type and bit depth say (16-bit
// samples in host byte order, as libspng's SPNG_FMT_PNG takes them; rows
// padded to whole bytes), with libspng. Palette images take `palette` as RGB
// triples.
StatusOr<std::string> EncodePngSamples(
    int width, int height, const std::vector<uint8_t>& samples,
    const PngEncoding& encoding, const std::vector<uint8_t>& palette = {});

// Encodes with libjpeg at `quality` (0–100) with its defaults otherwise
// (4:2:0 chroma, as Pillow's default). kUnimplemented when built without
// libjpeg.
StatusOr<std::string> EncodeJpeg(const RgbImage& image, int quality);

// Encodes with libwebp's simple API: lossy at `quality` (0–100), lossless
// when `quality` is negative. kUnimplemented when built without libwebp.
StatusOr<std::string> EncodeWebp(const RgbImage& image, int quality);

// As EncodeWebp, from RGBA samples (width * height * 4 bytes).
StatusOr<std::string> EncodeWebpRgba(int width, int height,
                                     const std::vector<uint8_t>& rgba,
                                     int quality);

// A RIFF container chunk: fourcc, little-endian size, payload, a pad byte
// when the size is odd.
std::string RiffChunk(std::string_view fourcc, std::string_view payload);

// "RIFF", size, "WEBP", then `chunks`.
std::string RiffWebp(std::string_view chunks);

// An animated WebP (VP8X, ANIM, one ANMF per frame) of `frames` copies of
// the image in `still`, a simple-format WebP (its one VP8 or VP8L chunk is
// used as the frame data) of `width` x `height`.
std::string AnimatedWebp(std::string_view still, int width, int height,
                         int frames);

// Appends a chunk (length, type, data, CRC) to `png`.
void AppendPngChunk(std::string& png, std::string_view type,
                    std::string_view data);

// A chunk of a PNG: the offset of its length field, its type and the length
// of its data (which starts at at + 8; the CRC follows it).
struct PngChunk {
  size_t at;
  std::string type;
  uint32_t length;
};

// The chunks of `png` after the signature, in order, up to the first one that
// runs past the end.
std::vector<PngChunk> PngChunks(std::string_view png);

// The zlib stream of a PNG: its IDAT chunks' data, concatenated.
std::string IdatStream(std::string_view png);

// `png` with its image data re-split into IDAT chunks of at most `chunk_size`
// bytes; other chunks are kept. Empty if `png` is not a well-formed PNG.
std::string SplitIdat(std::string_view png, size_t chunk_size);

}  // namespace zimon::gateway::testing

#endif  // ZIMON_GATEWAY_QUALITY_TEST_IMAGES_H_
