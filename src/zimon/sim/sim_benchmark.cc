// Costs of the simulator's CPU work: rendering and encoding output images,
// and scheduling requests on virtual time.
#include <benchmark/benchmark.h>

#include "zimon/sim/engine.h"
#include "zimon/sim/image.h"
#include "zimon/sim/image_pool.h"

namespace zimon::sim {
namespace {

void BM_RenderPng(benchmark::State& state) {
  ImageSize size{static_cast<int>(state.range(0)),
                 static_cast<int>(state.range(0))};
  uint64_t seed = 0;
  for (auto _ : state) {
    auto png = RenderPng("a lighthouse at dusk", seed++, size);
    benchmark::DoNotOptimize(png);
  }
}
BENCHMARK(BM_RenderPng)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond);

void BM_RenderRgbOnly(benchmark::State& state) {
  ImageSize size{static_cast<int>(state.range(0)),
                 static_cast<int>(state.range(0))};
  uint64_t seed = 0;
  for (auto _ : state) {
    auto rgb = RenderRgb("a lighthouse at dusk", seed++, size);
    benchmark::DoNotOptimize(rgb);
  }
}
BENCHMARK(BM_RenderRgbOnly)->Arg(1024)->Unit(benchmark::kMillisecond);

void BM_BlackPng(benchmark::State& state) {
  for (auto _ : state) {
    auto png = RenderPng("x", 1, {1024, 1024}, true);
    benchmark::DoNotOptimize(png);
  }
}
BENCHMARK(BM_BlackPng)->Unit(benchmark::kMillisecond);

// What the engine pays per output image: assembly from the pool's bands.
void BM_PoolPng(benchmark::State& state) {
  ImageSize size{static_cast<int>(state.range(0)),
                 static_cast<int>(state.range(0))};
  ImagePool pool;
  for (uint64_t s = 0; s < 64; ++s) (void)pool.Png("warm", s, size);
  uint64_t seed = 0;
  for (auto _ : state) {
    auto png = pool.Png("a lighthouse at dusk", seed++, size);
    benchmark::DoNotOptimize(png);
  }
}
BENCHMARK(BM_PoolPng)->Arg(512)->Arg(1024)->Unit(benchmark::kMicrosecond);

// Scheduling cost per request (no images), queue mode, virtual time.
void BM_EngineRequest(benchmark::State& state) {
  ManualEventLoop loop;
  SimOptions o;
  o.profile = *FindProfile("h100");
  o.render_images = false;
  o.max_queue = 0;
  SimEngine engine(o, loop);
  ImageRequest req;
  req.prompt = "p";
  req.size = {512, 512};
  for (auto _ : state) {
    auto id = engine.Submit(req, {});
    benchmark::DoNotOptimize(id);
    loop.RunUntilIdle();
  }
}
BENCHMARK(BM_EngineRequest);

}  // namespace
}  // namespace zimon::sim

BENCHMARK_MAIN();
