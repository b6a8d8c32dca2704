// SimEngine's injected faults.
#include <gtest/gtest.h>

#include "zimon/sim/engine.h"
#include "zimon/sim/engine_test_util.h"
#include "zimon/sim/image.h"

namespace zimon::sim {
namespace {

using testing::Harness;
using testing::Options;
using testing::Req;

constexpr double kH100 = 0.906;  // H100, 1024², 9 steps

Harness* Warm(Harness* h, const Faults& f) {
  h->WarmUp();
  EXPECT_TRUE(h->engine->SetFaults(f).ok());
  return h;
}

TEST(SimEngineFaults, ErrorRateOneFailsEveryRequestWithACudaError) {
  Harness h(Options("h100"));
  Faults f;
  f.error_rate = 1;
  Warm(&h, f);
  uint64_t id = h.Submit();
  h.loop.RunUntilIdle();
  const ImageResult& r = h.Result(id);
  EXPECT_EQ(r.outcome, Outcome::kError);
  EXPECT_EQ(r.error_type, "RuntimeError");
  EXPECT_EQ(r.error.rfind("CUDA error: an illegal memory access", 0), 0u);
  EXPECT_NEAR(testing::Sec(r.finished - r.started), kH100, 1e-6);
  EXPECT_EQ(h.engine->Stats().requests_error, 1u);
}

TEST(SimEngineFaults, ErrorRateIsHonouredOnAverage) {
  SimOptions o = Options("h100");
  o.faults.error_rate = 0.3;
  o.seed = 99;
  Harness h(o);
  for (int i = 0; i < 2000; ++i) h.Submit(Req({512, 512}));
  h.loop.RunUntilIdle();
  EXPECT_NEAR(h.engine->Stats().requests_error / 2000.0, 0.3, 0.03);
}

TEST(SimEngineFaults, BlackImagesAreAllZero) {
  SimOptions o = Options("h100");
  o.render_images = true;
  o.faults.black_rate = 1;
  Harness h(o);
  uint64_t id = h.Submit(Req({256, 256}));
  h.loop.RunUntilIdle();
  const ImageResult& r = h.Result(id);
  ASSERT_EQ(r.outcome, Outcome::kOk);
  ASSERT_EQ(r.black, std::vector<bool>{true});
  auto img = DecodePng(r.images.at(0));
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->size, (ImageSize{256, 256}));
  EXPECT_TRUE(std::all_of(img->rgb.begin(), img->rgb.end(),
                          [](uint8_t v) { return v == 0; }));
  EXPECT_EQ(h.engine->Stats().images_black, 1u);
  // Turned off at runtime: normal images again.
  ASSERT_TRUE(h.engine->SetFaults(Faults()).ok());
  uint64_t ok = h.Submit(Req({256, 256}));
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.Result(ok).black, std::vector<bool>{false});
  auto normal = DecodePng(h.Result(ok).images.at(0));
  ASSERT_TRUE(normal.ok());
  EXPECT_FALSE(std::all_of(normal->rgb.begin(), normal->rgb.end(),
                           [](uint8_t v) { return v == 0; }));
}

TEST(SimEngineFaults, LatencySpikesMultiplyServiceTime) {
  Harness h(Options("h100"));
  Faults f;
  f.spike_rate = 1;
  f.spike_factor = 5;
  Warm(&h, f);
  uint64_t id = h.Submit();
  h.loop.RunUntilIdle();
  EXPECT_NEAR(h.Service(id), 5 * kH100, 1e-6);
}

TEST(SimEngineFaults, SpikeRateHitsTheRightShare) {
  SimOptions o = Options("h100");
  o.faults.spike_rate = 0.1;
  o.faults.spike_factor = 10;
  Harness h(o);
  h.WarmUp();
  std::vector<uint64_t> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(h.Submit());
  h.loop.RunUntilIdle();
  int spiked = 0;
  for (uint64_t id : ids) spiked += h.Service(id) > 2 * kH100;
  EXPECT_NEAR(spiked / 1000.0, 0.1, 0.03);
}

TEST(SimEngineFaults, HangNeverAnswersAndWedgesTheQueue) {
  Harness h(Options("h100"));
  Faults f;
  f.hang_rate = 1;
  Warm(&h, f);
  uint64_t hung = h.Submit();
  uint64_t waiting = h.Submit();
  h.loop.RunFor(std::chrono::hours(1));
  EXPECT_TRUE(h.done.empty());
  EngineStats s = h.engine->Stats();
  EXPECT_EQ(s.running_ids, std::vector<uint64_t>{hung});
  EXPECT_EQ(s.queued_ids, std::vector<uint64_t>{waiting});
  EXPECT_TRUE(h.engine->Gpu().busy);
  // Only a restart clears it.
  h.engine->Restart();
  h.loop.RunFor(std::chrono::milliseconds(1));
  EXPECT_EQ(h.Result(hung).outcome, Outcome::kCancelled);
  EXPECT_EQ(h.Result(waiting).outcome, Outcome::kCancelled);
}

TEST(SimEngineFaults, CrashReportsOnceAndRefusesNewWork) {
  SimOptions o = Options("h100");
  int crashes = 0;
  std::string reason;
  o.on_crash = [&](const std::string& r) {
    ++crashes;
    reason = r;
  };
  Harness h(o);
  Faults f;
  f.crash_rate = 1;
  Warm(&h, f);
  uint64_t id = h.Submit();
  h.loop.RunUntilIdle();
  EXPECT_EQ(crashes, 1);
  EXPECT_NE(reason.find("crash"), std::string::npos);
  EXPECT_EQ(h.done.count(id), 0u);  // a dead process answers nothing
  EXPECT_TRUE(h.engine->Stats().crashed);
  EXPECT_EQ(h.engine->Gpu().process_bytes, 0u);
  EXPECT_EQ(h.TrySubmit(Req()).status().code(), StatusCode::kUnavailable);
  h.engine->Restart();
  ASSERT_TRUE(h.engine->SetFaults(Faults()).ok());
  uint64_t again = h.Submit();
  h.loop.RunUntilIdle();
  EXPECT_EQ(h.Result(again).outcome, Outcome::kOk);
  EXPECT_EQ(crashes, 1);
}

TEST(SimEngineFaults, CrashNowCrashesImmediately) {
  SimOptions o = Options("h100");
  bool crashed = false;
  o.on_crash = [&](const std::string&) { crashed = true; };
  Harness h(o);
  Faults f;
  f.crash_now = true;
  ASSERT_TRUE(h.engine->SetFaults(f).ok());
  h.loop.RunFor(std::chrono::milliseconds(1));
  EXPECT_TRUE(crashed);
  EXPECT_TRUE(h.engine->Stats().crashed);
  EXPECT_FALSE(h.engine->faults().crash_now);
}

TEST(SimEngineFaults, SlowStartLengthensTheColdStart) {
  SimOptions o = Options("h100");
  o.faults.slow_start_seconds = 30;
  Harness h(o);
  uint64_t id = h.Submit();
  h.loop.RunUntilIdle();
  EXPECT_NEAR(h.Latency(id), 28.222 + 30 + kH100, 1e-6);
}

TEST(SimEngineFaults, NoisyNeighbourTakesAShareOfCompute) {
  Harness h(Options("h100"));
  Faults f;
  f.noisy_neighbour = NoisyNeighbour{1 * kGiB, 0.5, 0, "python3"};
  Warm(&h, f);
  uint64_t slow = h.Submit();
  h.loop.RunUntilIdle();
  EXPECT_NEAR(h.Service(slow), 2 * kH100, 1e-6);
  // Leaves halfway through a request: the rest runs at full speed.
  uint64_t mixed = h.Submit();
  h.loop.RunFor(std::chrono::duration_cast<EventLoop::Duration>(
      std::chrono::duration<double>(kH100)));  // half the work at half speed
  ASSERT_TRUE(h.engine->SetFaults(Faults()).ok());
  h.loop.RunUntilIdle();
  EXPECT_NEAR(h.Service(mixed), kH100 + kH100 / 2, 1e-6);
}

TEST(SimEngineFaults, InvalidFaultsAreRejectedAndKeepTheOldOnes) {
  Harness h(Options("h100"));
  Faults good;
  good.black_rate = 0.5;
  ASSERT_TRUE(h.engine->SetFaults(good).ok());
  Faults bad;
  bad.error_rate = 3;
  EXPECT_EQ(h.engine->SetFaults(bad).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(h.engine->faults().black_rate, 0.5);
}

}  // namespace
}  // namespace zimon::sim
