// SimEngine's VRAM model: OOM exactly where the model says, leak mode,
// offload, noisy neighbours.
#include <gtest/gtest.h>

#include "zimon/sim/engine.h"
#include "zimon/sim/engine_test_util.h"
#include "zimon/sim/model.h"

namespace zimon::sim {
namespace {

using testing::Harness;
using testing::Options;
using testing::Req;

bool Contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

// Images of `size` that fit next to the weights, per the model.
int ModelConcurrencyLimit(const GpuProfile& p, ImageSize size) {
  uint64_t fixed = kContextBytes + WeightsBytes(p, false);
  return static_cast<int>((p.vram_bytes - fixed) / ActivationBytes(p, size));
}

TEST(SimEngineMemory, ParallelBurstOomsExactlyAtTheModelsLimit) {
  struct Case {
    const char* profile;
    ImageSize size;
  };
  for (Case c : {Case{"h100", {1024, 1024}}, Case{"rtx3090ti", {512, 512}},
                 Case{"rtx5090", {1024, 1024}}, Case{"l20", {768, 768}},
                 Case{"t4", {512, 512}}}) {
    SimOptions o = Options(c.profile);
    o.mode = SchedulingMode::kParallel;
    const int limit = ModelConcurrencyLimit(o.profile, c.size);
    ASSERT_GE(limit, 1) << c.profile;

    // N at once: all succeed.
    {
      Harness h(o);
      h.WarmUp(c.size);
      for (int i = 0; i < limit; ++i) h.Submit(Req(c.size));
      EXPECT_EQ(h.engine->Stats().running_requests, static_cast<size_t>(limit));
      h.loop.RunUntilIdle();
      EXPECT_EQ(h.engine->Stats().requests_oom, 0u) << c.profile;
    }
    // N + 1 at once: exactly the last one runs out of memory.
    Harness h(o);
    h.WarmUp(c.size);
    std::vector<uint64_t> ids;
    for (int i = 0; i <= limit; ++i) ids.push_back(h.Submit(Req(c.size)));
    h.loop.RunUntilIdle();
    for (int i = 0; i < limit; ++i) {
      EXPECT_EQ(h.Result(ids[i]).outcome, Outcome::kOk) << c.profile << i;
    }
    const ImageResult& oom = h.Result(ids[limit]);
    ASSERT_EQ(oom.outcome, Outcome::kOom) << c.profile;
    EXPECT_EQ(oom.error_type, "torch.OutOfMemoryError");
    EXPECT_TRUE(
        Contains(oom.error,
                 "torch.OutOfMemoryError: CUDA out of "
                 "memory. Tried to allocate " +
                     FormatTorchSize(ActivationBytes(o.profile, c.size))));
    EXPECT_TRUE(Contains(oom.error, "GPU 0 has a total capacity of " +
                                        FormatTorchSize(o.profile.vram_bytes)));
    ASSERT_TRUE(oom.oom.has_value());
    EXPECT_LT(oom.oom->free_bytes, oom.oom->requested_bytes);
    EXPECT_EQ(oom.oom->allocated_bytes,
              WeightsBytes(o.profile, false) +
                  limit * ActivationBytes(o.profile, c.size));
  }
}

TEST(SimEngineMemory, QueueModeSurvivesTheSameBurst) {
  SimOptions o = Options("rtx3090ti");
  Harness h(o);
  h.WarmUp();
  for (int i = 0; i < 10; ++i) h.Submit(Req({1024, 1024}));
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.engine->Stats().requests_oom, 0u);
  EXPECT_EQ(h.done.size(), 10u);
}

TEST(SimEngineMemory, T4RefusesTenTwentyFourSquare) {
  Harness h(Options("t4"));
  uint64_t ok = h.Submit(Req({768, 768}));
  uint64_t refused = h.Submit(Req({1024, 1024}));
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.Result(ok).outcome, Outcome::kOk);
  EXPECT_EQ(h.Result(refused).outcome, Outcome::kOom);
  EXPECT_TRUE(Contains(h.Result(refused).error, "total capacity of 15.00 GiB"));
}

TEST(SimEngineMemory, BatchThatDoesNotFitFailsAsAWhole) {
  SimOptions o = Options("rtx3090ti");
  o.max_batch = 2;
  Harness h(o);
  h.WarmUp();
  h.Submit(Req({512, 512}));
  uint64_t a = h.Submit(Req({1024, 1024}));
  uint64_t b = h.Submit(Req({1024, 1024}));
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.Result(a).outcome, Outcome::kOom);
  EXPECT_EQ(h.Result(b).outcome, Outcome::kOom);
  EXPECT_EQ(h.Result(a).oom->requested_bytes,
            2 * ActivationBytes(o.profile, {1024, 1024}));
}

// Comfy-Org/workflow_templates#340: on 16 GB the first image works and the
// second runs out of memory.
TEST(SimEngineMemory, LeakModeMakesTheSecondImageOomOn16GB) {
  SimOptions o = Options("rtx3090ti");
  o.profile.vram_bytes = 16 * kGiB;
  o.offload = true;  // all-resident weights do not fit in 16 GB
  o.faults.leak = true;
  Harness h(o);
  uint64_t first = h.Submit();
  h.loop.RunUntilIdle();
  uint64_t second = h.Submit();
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.Result(first).outcome, Outcome::kOk);
  EXPECT_EQ(h.Result(second).outcome, Outcome::kOom);
  EXPECT_TRUE(Contains(h.Result(second).error, "CUDA out of memory"));
  EXPECT_EQ(h.engine->Gpu().leaked_bytes,
            ActivationBytes(o.profile, {1024, 1024}));
  // ComfyUI's POST /free releases it.
  h.engine->FreeMemory();
  uint64_t third = h.Submit();
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.Result(third).outcome, Outcome::kOk);
}

TEST(SimEngineMemory, WithoutLeakEveryImageFitsOn16GBWithOffload) {
  SimOptions o = Options("rtx3090ti");
  o.profile.vram_bytes = 16 * kGiB;
  o.offload = true;
  Harness h(o);
  for (int i = 0; i < 5; ++i) h.Submit();
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.engine->Stats().requests_ok, 5u);
  EXPECT_EQ(h.engine->Stats().requests_oom, 0u);
}

TEST(SimEngineMemory, WeightsThatDoNotFitFailEveryRequestAtLoad) {
  SimOptions o = Options("rtx5090");
  o.profile.vram_bytes = 16 * kGiB;
  Harness h(o);
  uint64_t a = h.Submit();
  uint64_t b = h.Submit();
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.Result(a).outcome, Outcome::kOom);
  EXPECT_EQ(h.Result(b).outcome, Outcome::kOom);
  EXPECT_TRUE(Contains(h.Result(a).error, "total capacity of 16.00 GiB"));
  EXPECT_EQ(h.engine->Stats().load_state, LoadState::kCold);
}

TEST(SimEngineMemory, NoisyNeighbourMemoryCausesOom) {
  SimOptions o = Options("rtx3090ti");
  Harness h(o);
  h.WarmUp();
  uint64_t before = h.Submit();
  h.loop.RunUntilIdle();
  Faults f;
  f.noisy_neighbour = NoisyNeighbour{3 * kGiB, 0.0, 0, "python3"};
  ASSERT_TRUE(h.engine->SetFaults(f).ok());
  uint64_t after = h.Submit();
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.Result(before).outcome, Outcome::kOk);
  ASSERT_EQ(h.Result(after).outcome, Outcome::kOom);
  GpuView g = h.engine->Gpu();
  EXPECT_EQ(h.Result(after).oom->free_bytes, g.total_bytes - g.UsedBytes());
  // The example in docs/sim.md.
  EXPECT_EQ(h.Result(after).error,
            "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate "
            "2.40 GiB. GPU 0 has a total capacity of 24.00 GiB of which 1.24 "
            "GiB is free. Including non-PyTorch memory, this process has "
            "19.76 GiB memory in use. Of the allocated memory 19.26 GiB is "
            "allocated by PyTorch, and 0 bytes is reserved by PyTorch but "
            "unallocated. If reserved but unallocated memory is large try "
            "setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid "
            "fragmentation.  See documentation for Memory Management  "
            "(https://pytorch.org/docs/stable/notes/cuda.html#environment-"
            "variables)");
  ASSERT_TRUE(g.neighbour.has_value());
  EXPECT_NE(g.neighbour->pid, 0u);
}

TEST(SimEngineMemory, GpuViewShowsCachedMemoryUntilFreed) {
  SimOptions o = Options("h100");
  o.mode = SchedulingMode::kParallel;
  Harness h(o);
  EXPECT_EQ(h.engine->Gpu().process_bytes, kContextBytes);
  EXPECT_NE(h.engine->Gpu().name.find("(simulated)"), std::string::npos);
  h.WarmUp({1024, 1024});
  for (int i = 0; i < 4; ++i) h.Submit();
  GpuView busy = h.engine->Gpu();
  uint64_t act = ActivationBytes(o.profile, {1024, 1024});
  uint64_t weights = WeightsBytes(o.profile, false);
  EXPECT_TRUE(busy.busy);
  EXPECT_EQ(busy.allocated_bytes, weights + 4 * act);
  h.loop.RunUntilIdle();
  GpuView idle = h.engine->Gpu();
  EXPECT_FALSE(idle.busy);
  EXPECT_EQ(idle.allocated_bytes, weights);
  // PyTorch's caching allocator keeps the burst's memory reserved.
  EXPECT_EQ(idle.process_bytes, kContextBytes + weights + 4 * act);
  h.engine->FreeMemory();
  EXPECT_EQ(h.engine->Gpu().process_bytes, kContextBytes + weights);
}

}  // namespace
}  // namespace zimon::sim
