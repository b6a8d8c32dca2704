#include "zimon/collect/host_collector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <random>
#include <string>

#include "zimon/collect/test_util.h"

namespace zimon::collect {
namespace {

namespace fs = std::filesystem;
using testing::CollectAll;
using testing::LabelValues;
using testing::Value;
using testing::ValueOrNaN;

const fs::path kData = fs::path(ZIMON_TEST_DATA_DIR) / "procfs";

class FakeStatFs : public StatFs {
 public:
  explicit FakeStatFs(std::map<std::string, FsUsage> usage)
      : usage_(std::move(usage)) {}
  StatusOr<FsUsage> Stat(const std::string& path) const override {
    auto it = usage_.find(path);
    if (it == usage_.end()) return NotFoundError("no fake usage for " + path);
    return it->second;
  }

 private:
  std::map<std::string, FsUsage> usage_;
};

HostCollectorOptions SampleOptions(const fs::path& root) {
  HostCollectorOptions o;
  o.procfs = (root / "proc").string();
  o.sysfs = (root / "sys").string();
  o.user_hz = 100;
  o.statfs = std::make_unique<FakeStatFs>(std::map<std::string, FsUsage>{
      {"/", {536870912ull * 512, 400000000000ull}},
      {"/mnt/sandboxing/model_tools_env/v1/python", {4096, 4096}}});
  return o;
}

// A private copy of a sample tree that a test may rewrite.
class TempTree {
 public:
  TempTree() {
    std::random_device rd;
    dir_ =
        fs::temp_directory_path() / ("zimon-host-test-" + std::to_string(rd()) +
                                     "-" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  ~TempTree() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void Overlay(const fs::path& from) {
    fs::copy(
        from, dir_,
        fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
};

TEST(HostCollector, ExportsSampleValues) {
  auto options = SampleOptions(kData / "host1");
  options.processes = {"process_api", "5253", "not-running"};
  auto collector = HostCollector::Create(std::move(options));
  ASSERT_TRUE(collector.ok()) << collector.status().ToString();
  RefreshResult r = (*collector)->Refresh();
  EXPECT_TRUE(r.up);
  EXPECT_EQ(r.errors, 0u);
  auto f = CollectAll(**collector);

  // cpu0 1773 0 696 28716 ... at USER_HZ 100
  EXPECT_DOUBLE_EQ(
      ValueOrNaN(f, "zimon_host_cpu_seconds", {{"cpu", "0"}, {"mode", "user"}}),
      17.73);
  EXPECT_DOUBLE_EQ(
      ValueOrNaN(f, "zimon_host_cpu_seconds", {{"cpu", "1"}, {"mode", "idle"}}),
      284.97);
  EXPECT_EQ(testing::FindFamily(f, "zimon_host_cpu_seconds")->points.size(),
            16u);
  EXPECT_EQ(testing::FindFamily(f, "zimon_host_cpu_seconds")->type,
            metrics::MetricType::kCounter);

  EXPECT_EQ(ValueOrNaN(f, "zimon_host_memory_total_bytes"), 24731708.0 * 1024);
  EXPECT_EQ(ValueOrNaN(f, "zimon_host_memory_available_bytes"),
            24359916.0 * 1024);

  // Only the whole virtio disk: loop and zram devices are skipped.
  EXPECT_EQ(LabelValues(f, "zimon_host_disk_read_bytes", "device"),
            std::vector<std::string>{"vda"});
  EXPECT_EQ(ValueOrNaN(f, "zimon_host_disk_read_bytes", {{"device", "vda"}}),
            2232570.0 * 512);
  EXPECT_EQ(ValueOrNaN(f, "zimon_host_disk_written_bytes", {{"device", "vda"}}),
            1642888.0 * 512);
  EXPECT_DOUBLE_EQ(
      ValueOrNaN(f, "zimon_host_disk_io_time_seconds", {{"device", "vda"}}),
      6.044);

  EXPECT_EQ(
      ValueOrNaN(f, "zimon_host_network_receive_bytes", {{"device", "eth0"}}),
      59106199.0);
  EXPECT_EQ(
      ValueOrNaN(f, "zimon_host_network_transmit_bytes", {{"device", "eth0"}}),
      83691.0);
  EXPECT_EQ(LabelValues(f, "zimon_host_network_receive_bytes", "device").size(),
            4u);

  EXPECT_DOUBLE_EQ(ValueOrNaN(f, "zimon_host_load1"), 0.03);
  EXPECT_DOUBLE_EQ(ValueOrNaN(f, "zimon_host_load5"), 0.09);
  EXPECT_DOUBLE_EQ(ValueOrNaN(f, "zimon_host_load15"), 0.04);

  // proc, sysfs, devpts, cgroup and /dev, /sys mounts are skipped.
  EXPECT_EQ(LabelValues(f, "zimon_host_filesystem_size_bytes", "mountpoint"),
            (std::vector<std::string>{
                "/", "/mnt/sandboxing/model_tools_env/v1/python"}));
  EXPECT_EQ(
      ValueOrNaN(f, "zimon_host_filesystem_avail_bytes", {{"mountpoint", "/"}}),
      400000000000.0);

  // pid 1: utime 29 + stime 49 ticks; VmRSS 12188 kB.
  EXPECT_DOUBLE_EQ(
      ValueOrNaN(f, "zimon_process_cpu_seconds", {{"process", "process_api"}}),
      0.78);
  EXPECT_EQ(ValueOrNaN(f, "zimon_process_resident_memory_bytes",
                       {{"process", "process_api"}}),
            12188.0 * 1024);
  EXPECT_EQ(ValueOrNaN(f, "zimon_process_resident_memory_bytes",
                       {{"process", "5253"}}),
            1744.0 * 1024);
  EXPECT_FALSE(
      Value(f, "zimon_process_cpu_seconds", {{"process", "not-running"}})
          .has_value());
}

TEST(HostCollector, SkipsPartitionsLoopAndRamByDefault) {
  auto collector = HostCollector::Create(SampleOptions(kData / "partitions"));
  ASSERT_TRUE(collector.ok());
  (*collector)->Refresh();
  auto f = CollectAll(**collector);
  EXPECT_EQ(LabelValues(f, "zimon_host_disk_read_bytes", "device"),
            (std::vector<std::string>{"sda", "nvme0n1", "dm-0"}));
  EXPECT_EQ(
      ValueOrNaN(f, "zimon_host_disk_read_bytes", {{"device", "nvme0n1"}}),
      64000000.0 * 512);
}

TEST(HostCollector, DiskFiltersAreConfigurable) {
  auto options = SampleOptions(kData / "partitions");
  options.include_partitions = true;
  options.disk_include = "sd.*";
  auto collector = HostCollector::Create(std::move(options));
  ASSERT_TRUE(collector.ok());
  (*collector)->Refresh();
  auto f = CollectAll(**collector);
  EXPECT_EQ(LabelValues(f, "zimon_host_disk_read_bytes", "device"),
            (std::vector<std::string>{"sda", "sda1", "sda2"}));
}

TEST(HostCollector, RejectsBadOptions) {
  auto options = SampleOptions(kData / "host1");
  options.disk_exclude = "(";
  EXPECT_EQ(HostCollector::Create(std::move(options)).status().code(),
            StatusCode::kInvalidArgument);
  auto dup = SampleOptions(kData / "host1");
  dup.processes = {"a", "a"};
  EXPECT_FALSE(HostCollector::Create(std::move(dup)).ok());
  auto zero = SampleOptions(kData / "host1");
  zero.processes = {"0"};
  EXPECT_FALSE(HostCollector::Create(std::move(zero)).ok());
}

TEST(HostCollector, CountersSurviveWrapAndDisappearingDevice) {
  TempTree tree;
  tree.Overlay(kData / "host1");
  auto collector = HostCollector::Create(SampleOptions(tree.dir()));
  ASSERT_TRUE(collector.ok());
  auto& c = **collector;
  const double r1 = 2232570.0 * 512;

  c.Refresh();
  auto f = CollectAll(c);
  EXPECT_EQ(ValueOrNaN(f, "zimon_host_disk_read_bytes", {{"device", "vda"}}),
            r1);

  // vda's counters and eth0's receive counter drop: read as a reset.
  tree.Overlay(kData / "wrap");
  c.Refresh();
  f = CollectAll(c);
  EXPECT_EQ(ValueOrNaN(f, "zimon_host_disk_read_bytes", {{"device", "vda"}}),
            r1 + 800 * 512);
  EXPECT_DOUBLE_EQ(
      ValueOrNaN(f, "zimon_host_disk_io_time_seconds", {{"device", "vda"}}),
      6.044 + 0.030);
  EXPECT_EQ(
      ValueOrNaN(f, "zimon_host_network_receive_bytes", {{"device", "eth0"}}),
      59107199.0);

  // vda and eth0 vanish: their series go away.
  tree.Overlay(kData / "gone");
  fs::remove_all(tree.dir() / "sys/block/vda");
  c.Refresh();
  f = CollectAll(c);
  EXPECT_FALSE(
      Value(f, "zimon_host_disk_read_bytes", {{"device", "vda"}}).has_value());
  EXPECT_FALSE(
      Value(f, "zimon_host_network_receive_bytes", {{"device", "eth0"}})
          .has_value());

  // They come back with small fresh counters: totals continue upwards.
  tree.Overlay(kData / "back");
  fs::copy(kData / "host1/sys/block/vda", tree.dir() / "sys/block/vda",
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  c.Refresh();
  f = CollectAll(c);
  EXPECT_EQ(ValueOrNaN(f, "zimon_host_disk_read_bytes", {{"device", "vda"}}),
            r1 + 800 * 512 + 500 * 512);
  EXPECT_EQ(
      ValueOrNaN(f, "zimon_host_network_receive_bytes", {{"device", "eth0"}}),
      59107899.0);
}

TEST(HostCollector, MissingProcfsIsDownNotFatal) {
  auto collector =
      HostCollector::Create(SampleOptions(kData / "does-not-exist"));
  ASSERT_TRUE(collector.ok());
  RefreshResult r = (*collector)->Refresh();
  EXPECT_FALSE(r.up);
  EXPECT_GE(r.errors, 5u);
  EXPECT_TRUE(CollectAll(**collector).empty());
}

TEST(HostCollector, ReadsThisMachine) {
  HostCollectorOptions options;
  options.processes = {std::to_string(::getpid())};
  auto collector = HostCollector::Create(std::move(options));
  ASSERT_TRUE(collector.ok());
  RefreshResult r = (*collector)->Refresh();
  EXPECT_TRUE(r.up);
  auto f = CollectAll(**collector);
  EXPECT_GT(ValueOrNaN(f, "zimon_host_memory_total_bytes"), 0);
  EXPECT_GT(ValueOrNaN(f, "zimon_process_resident_memory_bytes"), 0);
}

}  // namespace
}  // namespace zimon::collect
