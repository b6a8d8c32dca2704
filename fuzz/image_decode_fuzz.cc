// libFuzzer target for the image decoders and the quality scorer: whatever
// bytes a backend returns as an image.
//
//   clang++ build: fuzz/image_decode_fuzz -max_total_time=60 -max_len=65536
//
// Properties: nothing crashes or reads out of bounds; a decoded picture is
// within the limits and holds width × height × 3 bytes; the scorer always
// answers, with a score in 0..1, and reports undecodable exactly when it
// names a decode error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "zimon/gateway/image_decode.h"
#include "zimon/gateway/quality.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zimon::gateway;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  DecodeOptions options;
  options.max_dimension = 2048;
  options.max_pixels = 1 << 20;
  auto decoded = DecodeImage(bytes, options);
  if (decoded.ok()) {
    const RgbImage& image = *decoded;
    if (image.width <= 0 || image.height <= 0 ||
        int64_t{image.width} * image.height > options.max_pixels ||
        image.pixels.size() != static_cast<size_t>(image.width) *
                                   static_cast<size_t>(image.height) * 3) {
      std::abort();
    }
  }

  QualityOptions quality;
  quality.max_dimension = options.max_dimension;
  quality.max_pixels = options.max_pixels;
  auto report = ScoreImage(bytes, quality);
  if (!report.ok()) std::abort();
  if (!(report->score >= 0 && report->score <= 1)) std::abort();
  if (report->HasDefect(DefectKind::kUndecodable) ==
      report->decode_error.empty()) {
    std::abort();
  }
  return 0;
}
