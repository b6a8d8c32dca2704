#include "zimon/collect/gpu_collector.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "zimon/collect/scheduler.h"
#include "zimon/collect/test_util.h"

namespace zimon::collect {
namespace {

namespace fs = std::filesystem;
using testing::CollectAll;
using testing::LabelValues;
using testing::Value;
using testing::ValueOrNaN;

constexpr unsigned long long kGiB = 1ull << 30;

// A temp dir holding the fake NVML state file and a fake procfs for process
// names; points ZIMON_FAKE_NVML_STATE at the state file.
class FakeNvmlEnv {
 public:
  FakeNvmlEnv() {
    std::random_device rd;
    dir_ =
        fs::temp_directory_path() /
        ("zimon-gpu-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    fs::create_directories(dir_ / "proc");
    ::setenv("ZIMON_FAKE_NVML_STATE", (dir_ / "state.json").c_str(), 1);
  }
  ~FakeNvmlEnv() {
    ::unsetenv("ZIMON_FAKE_NVML_STATE");
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // Written beside and renamed, as docs/fake-nvml.md asks of writers.
  void WriteState(const std::string& json) {
    fs::path tmp = dir_ / "state.json.tmp";
    std::ofstream(tmp) << json;
    fs::rename(tmp, dir_ / "state.json");
  }
  void AddProcess(int pid, const std::string& comm) {
    fs::create_directories(dir_ / "proc" / std::to_string(pid));
    std::ofstream(dir_ / "proc" / std::to_string(pid) / "comm") << comm << "\n";
  }
  std::unique_ptr<GpuCollector> Collector() {
    GpuCollectorOptions options;
    options.library_path = ZIMON_FAKE_NVML_PATH;
    options.procfs = (dir_ / "proc").string();
    auto c = GpuCollector::Create(options);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(c).value();
  }

 private:
  fs::path dir_;
};

std::string TwoGpus(bool second_lost = false, const std::string& extra0 = "") {
  return R"({"devices": [
    {"name": "NVIDIA H200", "uuid": "GPU-aaaaaaaa-0000-0000-0000-000000000000",
     "memory": {"total": )" +
         std::to_string(141 * kGiB) + R"(, "used": )" +
         std::to_string(40 * kGiB) + R"(, "reserved": 536870912},
     "utilization": {"gpu": 87, "memory": 41}, "temperature_c": 61, "power_mw": 512345,
     "sm_clock_mhz": 1980, "clock_event_reasons": 4, "ecc": {"corrected": 3, "uncorrected": 0})" +
         extra0 + R"(},
    {"name": "NVIDIA H200", "uuid": "GPU-bbbbbbbb-0000-0000-0000-000000000000",
     "memory": {"total": )" +
         std::to_string(141 * kGiB) + R"(, "used": 1048576},
     "utilization": {"gpu": 0, "memory": 0}, "temperature_c": 30, "power_mw": 70000,
     "sm_clock_mhz": 345, "clock_event_reasons": 1, "lost": )" +
         (second_lost ? "true" : "false") + "}]}";
}

const metrics::Labels kGpu0 = {{"gpu", "0"}};
const metrics::Labels kGpu1 = {{"gpu", "1"}};

TEST(GpuCollector, ReportsTwoGpus) {
  FakeNvmlEnv env;
  env.WriteState(TwoGpus());
  auto c = env.Collector();
  RefreshResult r = c->Refresh();
  EXPECT_TRUE(r.up);
  EXPECT_EQ(r.errors, 0u);
  auto f = CollectAll(*c);
  EXPECT_EQ(LabelValues(f, "zimon_gpu_memory_used_bytes", "gpu"),
            (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_memory_used_bytes",
                       {{"gpu", "0"},
                        {"uuid", "GPU-aaaaaaaa-0000-0000-0000-000000000000"},
                        {"name", "NVIDIA H200"}}),
            40.0 * kGiB);  // v2 "used": allocated only, reserved excluded
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_memory_total_bytes", kGpu1), 141.0 * kGiB);
  EXPECT_DOUBLE_EQ(ValueOrNaN(f, "zimon_gpu_utilization_ratio", kGpu0), 0.87);
  EXPECT_DOUBLE_EQ(
      ValueOrNaN(f, "zimon_gpu_memory_bandwidth_utilization_ratio", kGpu0),
      0.41);
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_temperature_celsius", kGpu0), 61);
  EXPECT_DOUBLE_EQ(ValueOrNaN(f, "zimon_gpu_power_watts", kGpu0), 512.345);
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_sm_clock_hertz", kGpu0), 1980e6);
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_throttled",
                       {{"gpu", "0"}, {"reason", "sw_power_cap"}}),
            1);
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_throttled",
                       {{"gpu", "0"}, {"reason", "gpu_idle"}}),
            0);
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_throttled",
                       {{"gpu", "1"}, {"reason", "gpu_idle"}}),
            1);
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_ecc_errors",
                       {{"gpu", "0"}, {"type", "corrected"}}),
            3);
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_xid_errors", kGpu1), 0);
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_lost", kGpu0), 0);
  EXPECT_EQ(testing::FindFamily(f, "zimon_gpu_ecc_errors")->type,
            metrics::MetricType::kCounter);
}

TEST(GpuCollector, LostGpuMidRunIsReportedAndOthersContinue) {
  FakeNvmlEnv env;
  env.WriteState(TwoGpus());
  auto c = env.Collector();
  ASSERT_TRUE(c->Refresh().up);
  env.WriteState(TwoGpus(/*second_lost=*/true));
  RefreshResult r = c->Refresh();
  EXPECT_TRUE(r.up);
  EXPECT_GE(r.errors, 1u);
  auto f = CollectAll(*c);
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_lost",
                       {{"gpu", "1"},
                        {"uuid", "GPU-bbbbbbbb-0000-0000-0000-000000000000"}}),
            1);
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_lost", kGpu0), 0);
  EXPECT_FALSE(Value(f, "zimon_gpu_memory_used_bytes", kGpu1).has_value());
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_memory_used_bytes", kGpu0), 40.0 * kGiB);
  // Back on the bus: reported again.
  env.WriteState(TwoGpus());
  EXPECT_EQ(c->Refresh().errors, 0u);
  EXPECT_EQ(ValueOrNaN(CollectAll(*c), "zimon_gpu_lost", kGpu1), 0);
}

TEST(GpuCollector, ReportsOtherProcessesOnTheServingGpu) {
  FakeNvmlEnv env;
  env.AddProcess(4242, "zimon");
  env.AddProcess(999, "python3");
  env.WriteState(TwoGpus(false, R"(, "processes": [
      {"pid": 4242, "used_memory": 30064771072, "sm_util": 80},
      {"pid": 999, "used_memory": 8589934592, "sm_util": 7},
      {"pid": 777, "used_memory": null, "type": "graphics"}])"));
  auto c = env.Collector();
  ASSERT_EQ(c->Refresh().errors, 0u);
  auto f = CollectAll(*c);
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_process_memory_used_bytes",
                       {{"gpu", "0"}, {"pid", "4242"}, {"process", "zimon"}}),
            30064771072.0);
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_process_memory_used_bytes",
                       {{"gpu", "0"}, {"pid", "999"}, {"process", "python3"}}),
            8589934592.0);
  // Memory not available: no memory sample; no comm file: "unknown".
  EXPECT_FALSE(Value(f, "zimon_gpu_process_memory_used_bytes", {{"pid", "777"}})
                   .has_value());
  EXPECT_DOUBLE_EQ(
      ValueOrNaN(f, "zimon_gpu_process_utilization_ratio", {{"pid", "4242"}}),
      0.80);
  EXPECT_EQ(
      ValueOrNaN(f, "zimon_gpu_process_utilization_ratio", {{"pid", "777"}}),
      0);
  EXPECT_EQ(LabelValues(f, "zimon_gpu_process_utilization_ratio", "process"),
            (std::vector<std::string>{"unknown", "python3", "zimon"}));
}

TEST(GpuCollector, MigInstancesAreTheirOwnGpus) {
  FakeNvmlEnv env;
  env.AddProcess(31, "worker");
  env.WriteState(
      R"({"devices": [{"name": "NVIDIA A100-SXM4-80GB", "uuid": "GPU-cccc",
      "memory": {"total": 85899345920, "used": 21474836480},
      "mig": {"enabled": true, "devices": [
        {"slot": 1, "name": "NVIDIA A100-SXM4-80GB MIG 3g.40gb", "uuid": "MIG-1111",
         "memory": {"total": 42949672960, "used": 21474836480},
         "processes": [{"pid": 31, "used_memory": 21474836480}]},
        {"slot": 3, "name": "NVIDIA A100-SXM4-80GB MIG 3g.40gb", "uuid": "MIG-3333",
         "memory": {"total": 42949672960, "used": 0}}]}}]})");
  auto c = env.Collector();
  RefreshResult r = c->Refresh();
  EXPECT_TRUE(r.up);
  EXPECT_EQ(r.errors, 0u);
  auto f = CollectAll(*c);
  EXPECT_EQ(LabelValues(f, "zimon_gpu_memory_used_bytes", "gpu"),
            (std::vector<std::string>{"0", "0/mig1", "0/mig3"}));
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_memory_total_bytes",
                       {{"gpu", "0/mig1"}, {"uuid", "MIG-1111"}}),
            42949672960.0);
  EXPECT_EQ(
      ValueOrNaN(f, "zimon_gpu_process_memory_used_bytes",
                 {{"gpu", "0/mig1"}, {"pid", "31"}, {"process", "worker"}}),
      21474836480.0);
  // Utilization is not supported on MIG-enabled GPUs: omitted, not an error.
  EXPECT_FALSE(Value(f, "zimon_gpu_utilization_ratio").has_value());
}

TEST(GpuCollector, CountsXidEventsOnce) {
  FakeNvmlEnv env;
  env.WriteState(TwoGpus());
  auto c = env.Collector();
  c->Refresh();
  env.WriteState(TwoGpus(
      false,
      R"(, "xid_events": [{"id": 1, "xid": 79}, {"id": 2, "xid": 48}])"));
  c->Refresh();
  EXPECT_EQ(ValueOrNaN(CollectAll(*c), "zimon_gpu_xid_errors", kGpu0), 2);
  c->Refresh();
  EXPECT_EQ(ValueOrNaN(CollectAll(*c), "zimon_gpu_xid_errors", kGpu0), 2);
  EXPECT_EQ(ValueOrNaN(CollectAll(*c), "zimon_gpu_xid_errors", kGpu1), 0);
}

TEST(GpuCollector, FailingCallIsCountedAndOtherMetricsKept) {
  FakeNvmlEnv env;
  env.WriteState(
      TwoGpus(false, R"(, "errors": {"nvmlDeviceGetTemperature": 999})"));
  auto c = env.Collector();
  EXPECT_EQ(c->Refresh().errors, 1u);
  EXPECT_EQ(c->Refresh().errors, 1u);
  auto f = CollectAll(*c);
  EXPECT_FALSE(Value(f, "zimon_gpu_temperature_celsius", kGpu0).has_value());
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_temperature_celsius", kGpu1), 30);
  EXPECT_EQ(ValueOrNaN(f, "zimon_gpu_power_watts", kGpu0), 512.345);
}

TEST(GpuCollector, EccCounterSurvivesDriverReset) {
  FakeNvmlEnv env;
  env.WriteState(TwoGpus());
  auto c = env.Collector();
  c->Refresh();
  std::string reset = TwoGpus();
  reset.replace(reset.find("\"corrected\": 3"), 14, "\"corrected\": 1");
  env.WriteState(reset);
  c->Refresh();
  EXPECT_EQ(ValueOrNaN(CollectAll(*c), "zimon_gpu_ecc_errors",
                       {{"gpu", "0"}, {"type", "corrected"}}),
            4);
}

TEST(GpuCollector, MissingLibraryReportsDownWithoutCrashing) {
  GpuCollectorOptions options;
  options.library_path = "/nonexistent/libnvidia-ml.so.1";
  auto c = GpuCollector::Create(options);
  ASSERT_TRUE(c.ok());
  CollectorScheduler scheduler;
  ASSERT_TRUE(
      scheduler.Add(std::move(c).value(), std::chrono::seconds(5)).ok());
  ASSERT_TRUE(scheduler.RunOnce().ok());
  auto f = CollectAll(scheduler);
  EXPECT_EQ(ValueOrNaN(f, "zimon_collector_up", {{"collector", "gpu"}}), 0);
  EXPECT_EQ(ValueOrNaN(f, "zimon_collector_errors", {{"collector", "gpu"}}), 0);
  EXPECT_FALSE(
      GpuCollector::Create(GpuCollectorOptions{.library_path = ""}).ok());
}

TEST(GpuCollector, NoDriverOrNoGpuIsDown) {
  FakeNvmlEnv env;  // no state file yet: nvmlInit says the driver is not loaded
  auto c = env.Collector();
  EXPECT_FALSE(c->Refresh().up);
  env.WriteState(R"({"devices": []})");
  EXPECT_FALSE(c->Refresh().up);
  EXPECT_TRUE(CollectAll(*c).empty());
  env.WriteState(TwoGpus());
  EXPECT_TRUE(c->Refresh().up);  // the driver came up later
}

}  // namespace
}  // namespace zimon::collect
