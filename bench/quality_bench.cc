// Image quality scorer cost per 1024x1024 image on one core: decode + box
// downscale + measures (ScoreImage), and each half alone. Images are the
// simulator's photo-like PNGs (Sub filter, zlib level 1, as `zimon sim` serves
// them), the scorer tests' synthetic image encoded by libspng (adaptive
// filters, level 1) and the same image encoded as Pillow does on real servers
// (adaptive None/Sub/Up/Paeth, zlib level 6, 64 KiB IDAT chunks). The
// *_Libspng lines decode with libspng alone, for comparison. Counters report
// the resulting score so a regression in the measures is visible next to the
// timing.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "zimon/gateway/image_decode.h"
#include "zimon/gateway/image_decode_png.h"
#include "zimon/gateway/quality.h"
#include "zimon/gateway/quality_test_images.h"
#include "zimon/sim/image.h"

namespace zimon::gateway {
namespace {

std::string SimPng(int side) {
  sim::ImageSize size;
  size.width = size.height = side;
  StatusOr<std::string> png = sim::RenderPng("a lighthouse at dusk", 42, size);
  if (!png.ok()) {
    std::fprintf(stderr, "%s\n", png.status().ToString().c_str());
    std::abort();
  }
  return *png;
}

std::string SyntheticPng(int side) {
  StatusOr<std::string> png =
      testing::EncodePng(testing::NaturalImage(side, side, 1));
  if (!png.ok()) std::abort();
  return *png;
}

std::string PilPng(int side) {
  StatusOr<std::string> png =
      testing::EncodePngLikePil(testing::NaturalImage(side, side, 1));
  if (!png.ok()) std::abort();
  return *png;
}

void ReportScore(benchmark::State& state, const StatusOr<QualityReport>& r,
                 size_t bytes) {
  if (!r.ok()) {
    state.SkipWithError(r.status().ToString().c_str());
    return;
  }
  state.counters["score"] = r->score;
  state.counters["defects"] = static_cast<double>(r->defects.size());
  state.counters["png_bytes"] = static_cast<double>(bytes);
}

void BM_ScoreImage_SimPng(benchmark::State& state) {
  const std::string png = SimPng(static_cast<int>(state.range(0)));
  StatusOr<QualityReport> r = ScoreImage(png);
  for (auto _ : state) {
    r = ScoreImage(png);
    benchmark::DoNotOptimize(r);
  }
  ReportScore(state, r, png.size());
}
BENCHMARK(BM_ScoreImage_SimPng)
    ->Arg(512)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond);

void BM_ScoreImage_SyntheticPng(benchmark::State& state) {
  const std::string png = SyntheticPng(static_cast<int>(state.range(0)));
  StatusOr<QualityReport> r = ScoreImage(png);
  for (auto _ : state) {
    r = ScoreImage(png);
    benchmark::DoNotOptimize(r);
  }
  ReportScore(state, r, png.size());
}
BENCHMARK(BM_ScoreImage_SyntheticPng)->Arg(1024)->Unit(benchmark::kMillisecond);

void BM_ScoreImage_PilPng(benchmark::State& state) {
  const std::string png = PilPng(static_cast<int>(state.range(0)));
  StatusOr<QualityReport> r = ScoreImage(png);
  for (auto _ : state) {
    r = ScoreImage(png);
    benchmark::DoNotOptimize(r);
  }
  ReportScore(state, r, png.size());
}
BENCHMARK(BM_ScoreImage_PilPng)->Arg(1024)->Unit(benchmark::kMillisecond);

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
