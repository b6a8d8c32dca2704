// Costs of the image API's CPU work per request: rendering a b64_json
// response (base64 of 1-3 MB PNGs) and parsing a request body.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "zimon/gateway/image_api.h"

namespace zimon::gateway {
namespace {

std::string RandomBytes(size_t n) {
  std::mt19937_64 rng(42);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

void BM_RenderImagesResponse(benchmark::State& state) {
  std::vector<RenderedImage> images(1);
  images[0].bytes = RandomBytes(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    std::string body = RenderImagesResponse(1700000000, images);
    benchmark::DoNotOptimize(body);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RenderImagesResponse)
    ->Arg(1 << 20)
    ->Arg(3 << 20)
    ->Unit(benchmark::kMicrosecond);

void BM_ParseImageRequest(benchmark::State& state) {
  const std::string body =
      R"({"model":"z-image-turbo","prompt":"a lighthouse at dusk, )"
      R"(volumetric light, 35mm","n":1,"size":"1024x1024",)"
      R"("response_format":"b64_json","seed":42,"num_inference_steps":9})";
  const ImageApiLimits limits;
  for (auto _ : state) {
    ParsedImageRequest parsed = ParseImageRequest(body, limits);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_ParseImageRequest);

}  // namespace
}  // namespace zimon::gateway
BENCHMARK_MAIN();
