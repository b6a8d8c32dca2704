// Costs of the image API's CPU work per request: rendering a b64_json
// response (base64 of 1-3 MB PNGs), checking a backend's base64 text (what
// each proxied answer costs), and parsing a request body, with the JSON
// layer alone for ReadJsonMembers and for nlohmann's DOM, which it
// replaced.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "zimon/gateway/base64.h"
#include "zimon/gateway/image_api.h"
#include "zimon/gateway/json_members.h"

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

// The alphabet check the answer scanner runs over every b64_json value, on
// the base64 of state.range(0) random bytes.
void BM_Base64AlphabetPrefix(benchmark::State& state) {
  const std::string text =
      Base64Encode(RandomBytes(static_cast<size_t>(state.range(0))));
  for (auto _ : state) {
    size_t run = Base64AlphabetPrefix(text);
    benchmark::DoNotOptimize(run);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_Base64AlphabetPrefix)
    ->Arg(48 << 10)
    ->Arg(768 << 10)
    ->Unit(benchmark::kMicrosecond);

// The same on each path this CPU has (state.range(0): 0 portable, 1 SSE2,
// 2 AVX2), 768 KB of input.
void BM_Base64AlphabetPrefixOn(benchmark::State& state) {
  const auto path = static_cast<internal::AlphabetPath>(state.range(0));
  const std::vector<internal::AlphabetPath> paths =
      internal::SupportedAlphabetPaths();
  if (std::find(paths.begin(), paths.end(), path) == paths.end()) {
    state.SkipWithError("this CPU lacks the path");
    return;
  }
  const std::string text = Base64Encode(RandomBytes(768 << 10));
  for (auto _ : state) {
    size_t run = internal::Base64AlphabetPrefixOn(path, text);
    benchmark::DoNotOptimize(run);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_Base64AlphabetPrefixOn)
    ->DenseRange(0, 2)
    ->Unit(benchmark::kMicrosecond);

constexpr std::string_view kBody =
    R"({"model":"z-image-turbo","prompt":"a lighthouse at dusk, )"
    R"(volumetric light, 35mm","n":1,"size":"1024x1024",)"
    R"("response_format":"b64_json","seed":42,"num_inference_steps":9})";

void BM_ParseImageRequest(benchmark::State& state) {
  const ImageApiLimits limits;
  for (auto _ : state) {
    ParsedImageRequest parsed = ParseImageRequest(kBody, limits);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_ParseImageRequest);

void BM_ReadJsonMembers(benchmark::State& state) {
  const std::span<const std::string_view> names = ImageRequestFields();
  std::vector<nlohmann::json> values(names.size());
  for (auto _ : state) {
    auto type = ReadJsonMembers(kBody, names, values);
    benchmark::DoNotOptimize(type);
    benchmark::DoNotOptimize(values);
  }
}
BENCHMARK(BM_ReadJsonMembers);

void BM_NlohmannDom(benchmark::State& state) {
  for (auto _ : state) {
    nlohmann::json doc = nlohmann::json::parse(kBody.begin(), kBody.end());
    benchmark::DoNotOptimize(doc);
  }
}
BENCHMARK(BM_NlohmannDom);

}  // namespace
}  // namespace zimon::gateway
BENCHMARK_MAIN();
