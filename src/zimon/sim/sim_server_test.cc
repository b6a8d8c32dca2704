#include "zimon/sim/sim_server.h"

#include <gtest/gtest.h>

#include <atomic>

#include "zimon/sim/sim_server_test_util.h"
#include "zimon/sim/vllm_front.h"

namespace zimon::sim {
namespace {

using testing::Call;
using testing::FastOptions;
using testing::MustStart;

TEST(SimServer, HealthAlwaysSaysSimulated) {
  auto sim = MustStart(FastOptions(ApiFlavour::kVllmOmni, RegisterVllmOmniApi));
  ASSERT_NE(sim, nullptr);
  auto r = Call("GET", sim->base_url() + "/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json["simulated"], true);
  EXPECT_EQ(r.json["status"], "ok");
  EXPECT_EQ(r.json["api"], "vllm-omni");
  std::string gpu = r.json["gpu"];
  EXPECT_NE(gpu.find("(simulated)"), std::string::npos) << gpu;
  EXPECT_EQ(r.headers.GetOr("X-Zimon-Simulated", ""), "true");
}

TEST(SimServer, HealthIs503WhilePreloading) {
  auto opt = FastOptions(ApiFlavour::kVllmOmni, RegisterVllmOmniApi);
  opt.engine.preload = true;
  opt.engine.profile.cold_start_seconds = 3600;
  auto sim = MustStart(std::move(opt));
  ASSERT_NE(sim, nullptr);
  auto r = Call("GET", sim->base_url() + "/health");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.json["status"], "loading");
  EXPECT_EQ(r.json["simulated"], true);
}

TEST(SimServer, FaultsEndpointSetsAndReturnsFaults) {
  auto sim = MustStart(FastOptions(ApiFlavour::kVllmOmni, RegisterVllmOmniApi));
  ASSERT_NE(sim, nullptr);
  std::string url = sim->base_url() + "/sim/faults";
  auto set = Call("POST", url, R"({"error_rate": 0.5, "leak": true})");
  EXPECT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.json["error_rate"], 0.5);
  EXPECT_EQ(sim->engine().faults().error_rate, 0.5);
  EXPECT_TRUE(sim->engine().faults().leak);
  auto get = Call("GET", url);
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.json["error_rate"], 0.5);
  EXPECT_EQ(get.json["leak"], true);

  auto bad = Call("POST", url, R"({"error_rate": 2})");
  EXPECT_EQ(bad.status, 400);
  std::string message = bad.json["error"];
  EXPECT_NE(message.find("error_rate"), std::string::npos) << message;
  EXPECT_EQ(Call("POST", url, "{nope").status, 400);
  EXPECT_EQ(sim->engine().faults().error_rate, 0.5);  // unchanged
}

TEST(SimServer, StateShowsStatsGpuAndFaults) {
  auto sim = MustStart(FastOptions(ApiFlavour::kVllmOmni, RegisterVllmOmniApi));
  ASSERT_NE(sim, nullptr);
  auto gen = Call("POST", sim->base_url() + "/v1/images/generations",
                  R"({"prompt":"a cat","size":"256x256"})");
  EXPECT_EQ(gen.status, 200);
  auto r = Call("GET", sim->base_url() + "/sim/state");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json["simulated"], true);
  EXPECT_EQ(r.json["profile"], "h100");
  EXPECT_EQ(r.json["stats"]["requests_ok"], 1);
  EXPECT_EQ(r.json["stats"]["load_state"], "warm");
  EXPECT_EQ(r.json["gpu"]["total_bytes"], 80 * kGiB);
  EXPECT_GT(r.json["gpu"]["process_bytes"].get<uint64_t>(), 19 * kGiB);
  EXPECT_EQ(r.json["faults"]["error_rate"], 0);
}

TEST(SimServer, CrashFaultCallsOnCrash) {
  auto opt = FastOptions(ApiFlavour::kVllmOmni, RegisterVllmOmniApi);
  auto crashed = std::make_shared<std::atomic<int>>(0);
  opt.engine.on_crash = [crashed](const std::string&) { ++*crashed; };
  auto sim = MustStart(std::move(opt));
  ASSERT_NE(sim, nullptr);
  auto r =
      Call("POST", sim->base_url() + "/sim/faults", R"({"crash_now":true})");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(testing::WaitFor([&] { return crashed->load() == 1; }));
  EXPECT_TRUE(sim->engine().Stats().crashed);
}

TEST(SimServer, StartNeedsARegistrarAndValidOptions) {
  SimServerOptions opt = FastOptions(ApiFlavour::kVllmOmni, nullptr);
  EXPECT_EQ(SimServer::Start(opt).status().code(),
            StatusCode::kInvalidArgument);
  opt.registrar = RegisterVllmOmniApi;
  opt.engine.max_batch = 0;
  EXPECT_EQ(SimServer::Start(opt).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace zimon::sim
