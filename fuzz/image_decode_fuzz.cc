// libFuzzer target for the image decoders and the quality scorer: whatever
// bytes a backend returns as an image.
//
//   clang++ build: fuzz/image_decode_fuzz -max_total_time=60 -max_len=65536
//
// Properties: nothing crashes or reads out of bounds; a decoded picture is
// within the limits and holds width × height × 3 bytes; a PNG decodes to the
// same answer with either inflater of the fast path (libdeflate, ISA-L): the
// same status code and, when it decodes, the same pixels; the scorer always
// answers, with a score in 0..1, and reports undecodable exactly when it names
// a decode error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "zimon/gateway/image_decode.h"
#include "zimon/gateway/image_decode_png.h"
#include "zimon/gateway/quality.h"

namespace {

using zimon::gateway::ImageInfo;
using zimon::gateway::RgbRowSink;

class CollectRows : public RgbRowSink {
 public:
  zimon::Status Start(const ImageInfo& info) override {
    row_bytes_ = static_cast<size_t>(info.width) * 3;
    return zimon::OkStatus();
  }
  void Row(int, const uint8_t* rgb) override {
    pixels.insert(pixels.end(), rgb, rgb + row_bytes_);
  }
  std::vector<uint8_t> pixels;

 private:
  size_t row_bytes_ = 0;
};

// The fast path with one inflater, forced; where it leaves the file to
// libspng (kUnimplemented), libspng's answer, as DecodeImage would give.
zimon::Status DecodeWith(std::string_view bytes,
                         const zimon::gateway::DecodeOptions& options,
                         zimon::gateway::internal::PngInflater inflater,
                         std::vector<uint8_t>& pixels) {
  using namespace zimon::gateway::internal;
  CollectRows rows;
  zimon::Status s = DecodePngFast(bytes, options, rows, inflater);
  if (s.code() != zimon::StatusCode::kUnimplemented) {
    pixels = std::move(rows.pixels);
    return s;
  }
  auto image = DecodePngSpng(bytes, options);
  if (!image.ok()) return image.status();
  pixels = std::move(image->pixels);
  return zimon::OkStatus();
}

// Both inflaters on the same bytes. Only the final answer must agree: on a
// stream that is both damaged and longer than the rows, one inflater may
// notice the damage first and the other the length (then libspng decides).
void CompareInflaters(std::string_view bytes,
                      const zimon::gateway::DecodeOptions& options) {
  using zimon::gateway::internal::PngInflater;
  if (!zimon::gateway::internal::HavePngInflater(PngInflater::kIsal)) return;
  if (bytes.size() < 8 || bytes.substr(1, 3) != "PNG") return;
  std::vector<uint8_t> a, b;
  zimon::Status sa = DecodeWith(bytes, options, PngInflater::kLibdeflate, a);
  zimon::Status sb = DecodeWith(bytes, options, PngInflater::kIsal, b);
  if (sa.code() != sb.code() || (sa.ok() && a != b)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zimon::gateway;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  DecodeOptions options;
  options.max_dimension = 2048;
  options.max_pixels = 1 << 20;
  CompareInflaters(bytes, options);
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
