// Image quality scorer cost per 1024x1024 image on one core: decode + box
// downscale + measures (ScoreImage), and parts of it alone. Images are the
// simulator's photo-like PNGs (Sub filter, zlib level 1, as `zimon sim` serves
// them), the scorer tests' synthetic image encoded by libspng (adaptive
// filters, level 1) and the same image encoded as Pillow does on real servers
// (adaptive None/Sub/Up/Paeth, zlib level 6, 64 KiB IDAT chunks; ComfyPng:
// the same at level 4, as ComfyUI saves). The
// *_Libspng lines decode with libspng alone, for comparison; FastPng times
// zimon's own PNG path with each inflater (libdeflate, ISA-L); InflateOnly is
// libdeflate alone on the image data (with and without the zlib Adler-32),
// the floor of any decoder that must see every row; Unfilter times each PNG
// filter on each implementation the CPU supports. The JPEG cases (built with
// libjpeg) score the synthetic image encoded by libjpeg at quality 95, 90 and
// 75. The WebP cases (built with libwebp) score the synthetic image encoded
// by libwebp, lossy at quality 90 (and 75, libwebp's default) and lossless,
// and WebpDecodeOnly times libwebp's decode alone in several modes. Counters
// report the resulting score so a regression in the measures is visible next
// to the timing.
#include <benchmark/benchmark.h>
#include <libdeflate.h>
#ifdef ZIMON_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "zimon/gateway/image_decode.h"
#include "zimon/gateway/image_decode_png.h"
#include "zimon/gateway/image_decode_unfilter.h"
#include "zimon/gateway/quality.h"
#include "zimon/gateway/quality_test_images.h"
#include "zimon/sim/image.h"

#ifdef ZIMON_HAVE_WEBP
#include <webp/decode.h>
#include <webp/types.h>
#endif

namespace zimon::gateway {
namespace {

// A bench image, or the process ends naming why it could not be made.
std::string OrDie(StatusOr<std::string> image) {
  if (!image.ok()) {
    std::fprintf(stderr, "%s\n", image.status().ToString().c_str());
    std::abort();
  }
  return *std::move(image);
}

std::string SimPng(int side) {
  sim::ImageSize size;
  size.width = size.height = side;
  return OrDie(sim::RenderPng("a lighthouse at dusk", 42, size));
}

std::string SyntheticPng(int side) {
  return OrDie(testing::EncodePng(testing::NaturalImage(side, side, 1)));
}

std::string PilPng(int side) {
  return OrDie(testing::EncodePngLikePil(testing::NaturalImage(side, side, 1)));
}

// As ComfyUI's SaveImage writes it: Pillow at compress_level 4.
std::string ComfyPng(int side) {
  return OrDie(
      testing::EncodePngLikePil(testing::NaturalImage(side, side, 1), 4));
}

void ReportScore(benchmark::State& state, const StatusOr<QualityReport>& r,
                 size_t bytes, const char* bytes_counter = "png_bytes") {
  if (!r.ok()) {
    state.SkipWithError(r.status().ToString().c_str());
    return;
  }
  state.counters["score"] = r->score;
  state.counters["defects"] = static_cast<double>(r->defects.size());
  state.counters[bytes_counter] = static_cast<double>(bytes);
}

// Times ScoreImage on `image` and reports its score next to the timing.
void TimeScoreImage(benchmark::State& state, const std::string& image,
                    const char* bytes_counter = "png_bytes") {
  StatusOr<QualityReport> r = ScoreImage(image);
  for (auto _ : state) {
    r = ScoreImage(image);
    benchmark::DoNotOptimize(r);
  }
  ReportScore(state, r, image.size(), bytes_counter);
}

void BM_ScoreImage_SimPng(benchmark::State& state) {
  TimeScoreImage(state, SimPng(static_cast<int>(state.range(0))));
}
BENCHMARK(BM_ScoreImage_SimPng)
    ->Arg(512)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond);

void BM_ScoreImage_SyntheticPng(benchmark::State& state) {
  TimeScoreImage(state, SyntheticPng(static_cast<int>(state.range(0))));
}
BENCHMARK(BM_ScoreImage_SyntheticPng)->Arg(1024)->Unit(benchmark::kMillisecond);

void BM_ScoreImage_PilPng(benchmark::State& state) {
  TimeScoreImage(state, PilPng(static_cast<int>(state.range(0))));
}
BENCHMARK(BM_ScoreImage_PilPng)->Arg(1024)->Unit(benchmark::kMillisecond);

void BM_ScoreImage_ComfyPng(benchmark::State& state) {
  TimeScoreImage(state, ComfyPng(static_cast<int>(state.range(0))));
}
BENCHMARK(BM_ScoreImage_ComfyPng)->Arg(1024)->Unit(benchmark::kMillisecond);

#ifdef ZIMON_HAVE_JPEG
// The synthetic image as a JPEG (libjpeg, 4:2:0 as Pillow's default).
// Argument 0: side; 1: quality (Pillow's default is 75).
void BM_ScoreImage_Jpeg(benchmark::State& state) {
  StatusOr<std::string> jpeg = testing::EncodeJpeg(
      testing::NaturalImage(static_cast<int>(state.range(0)),
                            static_cast<int>(state.range(0)), 1),
      static_cast<int>(state.range(1)));
  if (!jpeg.ok()) {
    state.SkipWithError(jpeg.status().ToString().c_str());
    return;
  }
  TimeScoreImage(state, *jpeg, "jpeg_bytes");
}
BENCHMARK(BM_ScoreImage_Jpeg)
    ->Args({1024, 95})
    ->Args({1024, 90})
    ->Args({1024, 75})
    ->Unit(benchmark::kMillisecond);
#endif  // ZIMON_HAVE_JPEG

#ifdef ZIMON_HAVE_WEBP
// The synthetic image as WebP: lossy at `quality`, lossless when negative.
std::string SyntheticWebp(int side, int quality) {
  return OrDie(
      testing::EncodeWebp(testing::NaturalImage(side, side, 1), quality));
}

// Argument 0: side; 1: quality (-1 lossless).
void BM_ScoreImage_Webp(benchmark::State& state) {
  const std::string webp = SyntheticWebp(static_cast<int>(state.range(0)),
                                         static_cast<int>(state.range(1)));
  TimeScoreImage(state, webp, "webp_bytes");
}
BENCHMARK(BM_ScoreImage_Webp)
    ->Args({1024, 90})
    ->Args({1024, 75})
    ->Args({1024, -1})
    ->Unit(benchmark::kMillisecond);

// libwebp alone on the lossy image. Argument 0: to RGB as DecodeImage asks
// for it; 1: to YUV 4:2:0 without colour conversion, the floor of a decoder
// that reconstructs every pixel; 2: to RGB scaled to 512x512 by libwebp
// (options.use_scaling), which rescales after decoding at full size; 3: to
// RGB without the in-loop deblocking filter (other pixels, not used).
void BM_WebpDecodeOnly(benchmark::State& state) {
  const std::string webp = SyntheticWebp(1024, 90);
  const auto* data = reinterpret_cast<const uint8_t*>(webp.data());
  const int64_t variant = state.range(0);
  std::vector<uint8_t> rgb(size_t{1024} * 1024 * 3);
  for (auto _ : state) {
    if (variant == 1) {
      int w = 0, h = 0, stride = 0, uv_stride = 0;
      uint8_t *u = nullptr, *v = nullptr;
      uint8_t* y =
          WebPDecodeYUV(data, webp.size(), &w, &h, &u, &v, &stride, &uv_stride);
      if (y == nullptr) state.SkipWithError("decode failed");
      benchmark::DoNotOptimize(y);
      WebPFree(y);
      continue;
    }
    WebPDecoderConfig config;
    WebPInitDecoderConfig(&config);
    const int side = variant == 2 ? 512 : 1024;
    config.options.use_scaling = variant == 2;
    config.options.scaled_width = config.options.scaled_height = side;
    config.options.bypass_filtering = variant == 3;
    config.output.colorspace = MODE_RGB;
    config.output.is_external_memory = 1;
    config.output.u.RGBA.rgba = rgb.data();
    config.output.u.RGBA.stride = side * 3;
    config.output.u.RGBA.size = rgb.size();
    if (WebPDecode(data, webp.size(), &config) != VP8_STATUS_OK) {
      state.SkipWithError("decode failed");
    }
    benchmark::DoNotOptimize(rgb.data());
  }
}
BENCHMARK(BM_WebpDecodeOnly)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);
#endif  // ZIMON_HAVE_WEBP

// Decoding to a full RgbImage (DecodeImage), without the measures.
template <std::string (*kMake)(int), bool kLibspng>
void BM_DecodeOnly(benchmark::State& state) {
  const std::string png = kMake(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    StatusOr<RgbImage> img =
        kLibspng ? internal::DecodePngSpng(png, {}) : DecodeImage(png);
    if (!img.ok()) state.SkipWithError(img.status().ToString().c_str());
    benchmark::DoNotOptimize(img);
  }
}
void BM_DecodeOnly_SimPng(benchmark::State& state) {
  BM_DecodeOnly<SimPng, false>(state);
}
void BM_DecodeOnly_SimPng_Libspng(benchmark::State& state) {
  BM_DecodeOnly<SimPng, true>(state);
}
void BM_DecodeOnly_PilPng(benchmark::State& state) {
  BM_DecodeOnly<PilPng, false>(state);
}
void BM_DecodeOnly_PilPng_Libspng(benchmark::State& state) {
  BM_DecodeOnly<PilPng, true>(state);
}
BENCHMARK(BM_DecodeOnly_SimPng)->Arg(1024)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeOnly_SimPng_Libspng)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeOnly_PilPng)->Arg(1024)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeOnly_PilPng_Libspng)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond);

// The fast PNG path alone (no measures, rows dropped) with each inflater:
// argument 1 libdeflate, 2 ISA-L (skipped when not built), 0 the choice
// ChoosePngInflater makes for the image. Shows what the choice is worth on
// each kind of PNG.
class DropRows : public RgbRowSink {
 public:
  Status Start(const ImageInfo&) override { return OkStatus(); }
  void Row(int, const uint8_t* rgb) override { benchmark::DoNotOptimize(rgb); }
};
template <std::string (*kMake)(int)>
void BM_FastPng(benchmark::State& state) {
  const auto inflater = static_cast<internal::PngInflater>(state.range(1));
  if (!internal::HavePngInflater(inflater)) {
    state.SkipWithError("ISA-L not built");
    return;
  }
  const std::string png = kMake(static_cast<int>(state.range(0)));
  DropRows sink;
  for (auto _ : state) {
    Status s = internal::DecodePngFast(png, {}, sink, inflater);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
}
void BM_FastPng_SimPng(benchmark::State& state) { BM_FastPng<SimPng>(state); }
void BM_FastPng_SyntheticPng(benchmark::State& state) {
  BM_FastPng<SyntheticPng>(state);
}
void BM_FastPng_PilPng(benchmark::State& state) { BM_FastPng<PilPng>(state); }
void BM_FastPng_ComfyPng(benchmark::State& state) {
  BM_FastPng<ComfyPng>(state);
}
// 1024x1024, with each inflater (0 auto, 1 libdeflate, 2 ISA-L).
void FastPngArgs(benchmark::internal::Benchmark* b) {
  b->ArgsProduct({{1024}, {0, 1, 2}})->Unit(benchmark::kMillisecond);
}
BENCHMARK(BM_FastPng_SimPng)->Apply(FastPngArgs);
BENCHMARK(BM_FastPng_SyntheticPng)->Apply(FastPngArgs);
BENCHMARK(BM_FastPng_PilPng)->Apply(FastPngArgs);
BENCHMARK(BM_FastPng_ComfyPng)->Apply(FastPngArgs);

// libdeflate alone on the image data (the floor of any decoder that reads
// every row): zlib with its Adler-32, and the raw deflate stream without.
template <std::string (*kMake)(int), bool kZlib>
void BM_InflateOnly(benchmark::State& state) {
  const int side = static_cast<int>(state.range(0));
  const std::string stream = testing::IdatStream(kMake(side));
  std::string out(static_cast<size_t>(side) * (side * 3 + 1), '\0');
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  for (auto _ : state) {
    const libdeflate_result r =
        kZlib ? libdeflate_zlib_decompress(d, stream.data(), stream.size(),
                                           out.data(), out.size(), nullptr)
              : libdeflate_deflate_decompress(d, stream.data() + 2,
                                              stream.size() - 6, out.data(),
                                              out.size(), nullptr);
    if (r != LIBDEFLATE_SUCCESS) state.SkipWithError("inflate failed");
    benchmark::DoNotOptimize(out.data());
  }
  libdeflate_free_decompressor(d);
}
void BM_InflateOnly_SimPng(benchmark::State& state) {
  BM_InflateOnly<SimPng, true>(state);
}
void BM_InflateOnly_SimPng_Raw(benchmark::State& state) {
  BM_InflateOnly<SimPng, false>(state);
}
void BM_InflateOnly_PilPng(benchmark::State& state) {
  BM_InflateOnly<PilPng, true>(state);
}
void BM_InflateOnly_PilPng_Raw(benchmark::State& state) {
  BM_InflateOnly<PilPng, false>(state);
}
#ifdef ZIMON_HAVE_ISAL
// ISA-L alone on the image data, the inflater ChoosePngInflater picks for
// Pillow's level-6 PNGs: zlib with its Adler-32, and raw deflate without.
template <std::string (*kMake)(int), bool kZlib>
void BM_InflateOnlyIsal(benchmark::State& state) {
  const int side = static_cast<int>(state.range(0));
  const std::string stream = testing::IdatStream(kMake(side));
  std::string out(static_cast<size_t>(side) * (side * 3 + 1), '\0');
  inflate_state inflater;
  for (auto _ : state) {
    isal_inflate_init(&inflater);
    inflater.crc_flag = kZlib ? ISAL_ZLIB : 0;
    const size_t skip = kZlib ? 0 : 2;
    inflater.next_in =
        reinterpret_cast<uint8_t*>(const_cast<char*>(stream.data() + skip));
    inflater.avail_in = static_cast<uint32_t>(stream.size() - skip);
    inflater.next_out = reinterpret_cast<uint8_t*>(out.data());
    inflater.avail_out = static_cast<uint32_t>(out.size());
    if (isal_inflate(&inflater) != ISAL_DECOMP_OK ||
        inflater.total_out != out.size()) {
      state.SkipWithError("inflate failed");
    }
    benchmark::DoNotOptimize(out.data());
  }
}
void BM_InflateOnlyIsal_PilPng(benchmark::State& state) {
  BM_InflateOnlyIsal<PilPng, true>(state);
}
void BM_InflateOnlyIsal_PilPng_Raw(benchmark::State& state) {
  BM_InflateOnlyIsal<PilPng, false>(state);
}
BENCHMARK(BM_InflateOnlyIsal_PilPng)->Arg(1024)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InflateOnlyIsal_PilPng_Raw)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond);
#endif

BENCHMARK(BM_InflateOnly_SimPng)->Arg(1024)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InflateOnly_SimPng_Raw)->Arg(1024)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InflateOnly_PilPng)->Arg(1024)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InflateOnly_PilPng_Raw)->Arg(1024)->Unit(benchmark::kMillisecond);

// Unfiltering a 1024x1024 RGB image whose rows all use one filter (the
// argument: 1 Sub, 2 Up, 3 Average, 4 Paeth), as the decoder does: from a
// 3 MB buffer into two alternating row buffers. Per implementation.
template <internal::UnfilterPath kPath>
void BM_Unfilter(benchmark::State& state) {
  const int type = static_cast<int>(state.range(0));
  bool supported = false;
  for (internal::UnfilterPath p : internal::SupportedUnfilterPaths()) {
    supported = supported || p == kPath;
  }
  if (!supported) {
    state.SkipWithError("not supported on this CPU");
    return;
  }
  constexpr size_t kWidth = 1024, kHeight = 1024, kRow = kWidth * 3;
  const RgbImage img = testing::NaturalImage(kWidth, kHeight, 1);
  std::vector<uint8_t> raw(kRow * kHeight + internal::kUnfilterPadding);
  std::copy(img.pixels.begin(), img.pixels.end(), raw.begin());
  std::vector<uint8_t> rows(3 * (kRow + internal::kUnfilterPadding));
  for (auto _ : state) {
    const uint8_t* prev = rows.data();
    for (size_t y = 0; y < kHeight; ++y) {
      uint8_t* dst =
          rows.data() + (1 + y % 2) * (kRow + internal::kUnfilterPadding);
      internal::UnfilterRowOn(kPath, type, raw.data() + y * kRow, prev, kRow, 3,
                              dst);
      prev = dst;
    }
    benchmark::DoNotOptimize(rows.data());
  }
}
BENCHMARK(BM_Unfilter<internal::UnfilterPath::kPortable>)
    ->DenseRange(1, 4)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Unfilter<internal::UnfilterPath::kSse2>)
    ->DenseRange(1, 4)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Unfilter<internal::UnfilterPath::kSsse3>)
    ->DenseRange(1, 4)
    ->Unit(benchmark::kMillisecond);

void BM_MeasuresOnly(benchmark::State& state) {
  StatusOr<RgbImage> img =
      DecodeImage(SimPng(static_cast<int>(state.range(0))));
  if (!img.ok()) std::abort();
  StatusOr<QualityReport> r = ScoreRgb(*img);
  for (auto _ : state) {
    r = ScoreRgb(*img);
    benchmark::DoNotOptimize(r);
  }
  ReportScore(state, r, 0);
}
BENCHMARK(BM_MeasuresOnly)->Arg(1024)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zimon::gateway

BENCHMARK_MAIN();
