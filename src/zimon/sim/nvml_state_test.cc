#include "zimon/sim/nvml_state.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "zimon/sim/engine_test_util.h"
#include "zimon/testing/temp_dir.h"

namespace zimon::sim {
namespace {

using Json = nlohmann::json;
using testing::Harness;
using testing::Options;

Json ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str(), nullptr, false);
}

GpuView View() {
  GpuView v;
  v.name = "NVIDIA H100 80GB HBM3 (simulated)";
  v.index = 1;
  v.total_bytes = 80 * kGiB;
  v.process_bytes = 20 * kGiB;
  v.pid = 1234;
  v.idle_watts = 70;
  v.max_watts = 700;
  v.idle_celsius = 33;
  v.max_celsius = 78;
  return v;
}

TEST(DeviceJson, DescribesMemoryUtilizationAndProcesses) {
  GpuView v = View();
  v.busy = true;
  v.neighbour = NoisyNeighbour{4 * kGiB, 0.25, 4242, "trainer"};
  GpuSample s{0.5, 0.2, 385, 50, 1755};
  Json d = Json::parse(DeviceJson(v, s));
  EXPECT_EQ(d["name"], "NVIDIA H100 80GB HBM3 (simulated)");
  EXPECT_EQ(d["memory"]["total"].get<uint64_t>(), 80 * kGiB);
  EXPECT_EQ(d["memory"]["used"].get<uint64_t>(), 24 * kGiB);
  EXPECT_EQ(d["utilization"]["gpu"], 50);
  EXPECT_EQ(d["utilization"]["memory"], 20);
  EXPECT_EQ(d["power_mw"], 385000);
  EXPECT_EQ(d["temperature_c"], 50);
  ASSERT_EQ(d["processes"].size(), 2u);
  EXPECT_EQ(d["processes"][0]["pid"], 1234);
  EXPECT_EQ(d["processes"][0]["used_memory"].get<uint64_t>(), 20 * kGiB);
  EXPECT_EQ(d["processes"][1]["pid"], 4242);
  EXPECT_EQ(d["processes"][1]["used_memory"].get<uint64_t>(), 4 * kGiB);
  EXPECT_EQ(d["processes"][1]["sm_util"], 25);
  EXPECT_EQ(d["uuid"], "GPU-51a00000-0000-0000-0000-000000000001");
}

TEST(GpuSampler, UtilizationIsTheBusyFractionOfTheInterval) {
  GpuSampler sampler;
  GpuView v = View();
  auto t0 = EventLoop::Time(std::chrono::hours(5));
  sampler.Sample(v, t0);
  v.busy_seconds_total = 2.5;
  GpuSample s = sampler.Sample(v, t0 + std::chrono::seconds(5));
  EXPECT_NEAR(s.utilization, 0.5, 1e-9);
  EXPECT_NEAR(s.power_watts, 70 + 0.5 * 630, 1e-9);
  EXPECT_GT(s.temperature_c, 33);
  EXPECT_LT(s.temperature_c, 55.5);
  // A neighbour's share fills the idle time.
  v.neighbour = NoisyNeighbour{0, 0.4, 1, "x"};
  s = sampler.Sample(v, t0 + std::chrono::seconds(10));
  EXPECT_NEAR(s.utilization, 0.4, 1e-9);
}

TEST(WriteDeviceEntry, SimsShareOneFileEachOwningItsIndex) {
  zimon::testing::TempDir dir;
  std::string path = dir.Join("state.json");
  ASSERT_TRUE(WriteDeviceEntry(path, 2, R"({"name":"two"})").ok());
  ASSERT_TRUE(WriteDeviceEntry(path, 0, R"({"name":"zero"})").ok());
  ASSERT_TRUE(WriteDeviceEntry(path, 2, R"({"name":"two again"})").ok());
  Json doc = ReadJson(path);
  ASSERT_TRUE(doc.is_object());
  ASSERT_EQ(doc["devices"].size(), 3u);
  EXPECT_EQ(doc["devices"][0]["name"], "zero");
  EXPECT_TRUE(doc["devices"][1].is_object());
  EXPECT_EQ(doc["devices"][2]["name"], "two again");
  EXPECT_EQ(doc["driver_version"], "550.54.15");
  // Only the state file and its lock file remain: no temp files.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 2);
}

TEST(WriteDeviceEntry, ReplacesAFileThatDoesNotParseAndKeepsOtherFields) {
  zimon::testing::TempDir dir;
  std::string path = dir.Join("state.json");
  { std::ofstream(path) << "{not json"; }
  ASSERT_TRUE(WriteDeviceEntry(path, 0, R"({"name":"a"})").ok());
  EXPECT_EQ(ReadJson(path)["devices"][0]["name"], "a");
  {
    std::ofstream(path)
        << R"({"driver_version":"535.1","init_error":0,"devices":[]})";
  }
  ASSERT_TRUE(WriteDeviceEntry(path, 0, R"({"name":"b"})").ok());
  Json doc = ReadJson(path);
  EXPECT_EQ(doc["driver_version"], "535.1");
  EXPECT_EQ(doc["devices"][0]["name"], "b");
}

TEST(WriteDeviceEntry, RejectsBadArguments) {
  zimon::testing::TempDir dir;
  EXPECT_FALSE(WriteDeviceEntry(dir.Join("s.json"), -1, "{}").ok());
  EXPECT_FALSE(WriteDeviceEntry(dir.Join("s.json"), 0, "[]").ok());
  EXPECT_FALSE(WriteDeviceEntry(dir.Join("missing/dir/s.json"), 0, "{}").ok());
}

TEST(NvmlStatePublisher, WritesTheEnginesGpuPeriodically) {
  zimon::testing::TempDir dir;
  std::string path = dir.Join("state.json");
  SimOptions o = Options("rtx3090ti");
  o.gpu_index = 1;
  o.pid = 4321;
  Harness h(o);
  h.WarmUp({1024, 1024});
  NvmlStatePublisher pub(*h.engine, h.loop, path, std::chrono::seconds(10));
  Json idle = ReadJson(path)["devices"][1];
  EXPECT_EQ(idle["name"], "NVIDIA GeForce RTX 3090 Ti (simulated)");
  EXPECT_EQ(idle["utilization"]["gpu"], 0);
  EXPECT_EQ(idle["processes"][0]["pid"], 4321);
  // One 1024² request (6.74 s... at 9 steps: 8.52 s) inside a 10 s interval.
  h.Submit();
  h.loop.RunFor(std::chrono::seconds(10));
  Json busy = ReadJson(path)["devices"][1];
  double expected = MeanLatencySeconds(o.profile, {1024, 1024}, 9) / 10.0;
  EXPECT_NEAR(busy["utilization"]["gpu"].get<double>(), expected * 100, 1.0);
  EXPECT_GT(busy["power_mw"].get<unsigned>(), idle["power_mw"].get<unsigned>());
  EXPECT_EQ(busy["memory"]["used"].get<uint64_t>(),
            h.engine->Gpu().UsedBytes());
  h.loop.RunFor(std::chrono::seconds(10));
  EXPECT_EQ(ReadJson(path)["devices"][1]["utilization"]["gpu"], 0);
}

}  // namespace
}  // namespace zimon::sim
