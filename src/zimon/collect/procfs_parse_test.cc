#include "zimon/collect/procfs_parse.h"

#include <gtest/gtest.h>

#include <string>

#include "zimon/collect/read_file.h"

namespace zimon::collect {
namespace {

const std::string kHost1 =
    std::string(ZIMON_TEST_DATA_DIR) + "/procfs/host1/proc/";

std::string Sample(const std::string& name) {
  auto text = ReadSmallFile(kHost1 + name);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : std::string();
}

TEST(ParseProcStat, ReadsPerCpuLinesOfSample) {
  auto cpus = ParseProcStat(Sample("stat"));
  ASSERT_TRUE(cpus.ok()) << cpus.status().ToString();
  ASSERT_EQ(cpus->size(), 2u);
  // cpu0 1773 0 696 28716 212 0 11 32 0 0
  EXPECT_EQ((*cpus)[0].cpu, "0");
  EXPECT_EQ((*cpus)[0].ticks[0], 1773u);   // user
  EXPECT_EQ((*cpus)[0].ticks[2], 696u);    // system
  EXPECT_EQ((*cpus)[0].ticks[3], 28716u);  // idle
  EXPECT_EQ((*cpus)[0].ticks[7], 32u);     // steal
  EXPECT_EQ((*cpus)[1].cpu, "1");
  EXPECT_EQ((*cpus)[1].ticks[0], 1918u);
}

TEST(ParseProcStat, ShortLinesOfOldKernelsReadAsZero) {
  auto cpus = ParseProcStat("cpu  1 2 3 4\ncpu0 1 2 3 4\n");
  ASSERT_TRUE(cpus.ok());
  EXPECT_EQ((*cpus)[0].ticks[3], 4u);
  EXPECT_EQ((*cpus)[0].ticks[4], 0u);
}

TEST(ParseProcStat, RejectsGarbage) {
  EXPECT_FALSE(ParseProcStat("cpu0 a b c d\n").ok());
  EXPECT_FALSE(ParseProcStat("intr 1 2 3\n").ok());
  EXPECT_FALSE(ParseProcStat("").ok());
}

TEST(ParseMeminfo, ReadsSample) {
  auto mem = ParseMeminfo(Sample("meminfo"));
  ASSERT_TRUE(mem.ok());
  EXPECT_EQ(mem->total_bytes, 24731708ull * 1024);
  EXPECT_EQ(mem->available_bytes, 24359916ull * 1024);
}

TEST(ParseMeminfo, FallsBackWithoutMemAvailable) {
  auto mem = ParseMeminfo(
      "MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 5 kB\nCached: 20 kB\n");
  ASSERT_TRUE(mem.ok());
  EXPECT_EQ(mem->available_bytes, 35u * 1024);
  EXPECT_FALSE(ParseMeminfo("MemFree: 10 kB\n").ok());
}

TEST(ParseDiskstats, ReadsSample) {
  auto disks = ParseDiskstats(Sample("diskstats"));
  ASSERT_TRUE(disks.ok());
  ASSERT_EQ(disks->size(), 10u);
  const DiskStats& vda = (*disks)[8];
  EXPECT_EQ(vda.device, "vda");
  EXPECT_EQ(vda.sectors_read, 2232570u);
  EXPECT_EQ(vda.sectors_written, 1642888u);
  EXPECT_EQ(vda.io_time_ms, 6044u);
  EXPECT_FALSE(ParseDiskstats("8 0 sda 1 2 3\n").ok());
}

TEST(ParseNetDev, ReadsSample) {
  auto devs = ParseNetDev(Sample("net/dev"));
  ASSERT_TRUE(devs.ok());
  ASSERT_EQ(devs->size(), 4u);
  EXPECT_EQ((*devs)[3].device, "eth0");
  EXPECT_EQ((*devs)[3].receive_bytes, 59106199u);
  EXPECT_EQ((*devs)[3].transmit_bytes, 83691u);
  EXPECT_FALSE(ParseNetDev("eth0: 1 2 3\n").ok());
}

TEST(ParseLoadavg, ReadsSample) {
  auto load = ParseLoadavg(Sample("loadavg"));
  ASSERT_TRUE(load.ok());
  EXPECT_DOUBLE_EQ(load->load1, 0.03);
  EXPECT_DOUBLE_EQ(load->load5, 0.09);
  EXPECT_DOUBLE_EQ(load->load15, 0.04);
  EXPECT_FALSE(ParseLoadavg("x y z").ok());
}

TEST(ParseMounts, DecodesEscapes) {
  auto mounts = ParseMounts("/dev/sdb1 /mnt/my\\040disk ext4 rw 0 0\nbad\n");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].mountpoint, "/mnt/my disk");
  EXPECT_EQ(mounts[0].fstype, "ext4");
  EXPECT_EQ(ParseMounts(Sample("mounts")).size(), 20u);
}

TEST(ParsePidStat, ReadsSampleAndOddNames) {
  auto stat = ParsePidStat(Sample("1/stat"));
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->comm, "process_api");
  EXPECT_EQ(stat->utime_ticks, 29u);
  EXPECT_EQ(stat->stime_ticks, 49u);
  auto odd = ParsePidStat("7 (a) b (c)) R 1 1 1 0 -1 0 0 0 0 0 5 6 0 0\n");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->comm, "a) b (c)");
  EXPECT_EQ(odd->utime_ticks, 5u);
  EXPECT_FALSE(ParsePidStat("7 (x) R 1").ok());
}

TEST(ParseStatusRssBytes, ReadsSampleAndKernelThreads) {
  auto rss = ParseStatusRssBytes(Sample("1/status"));
  ASSERT_TRUE(rss.ok());
  EXPECT_EQ(*rss, 12188u * 1024);
  auto kthread = ParseStatusRssBytes("Name:\tkthreadd\nState:\tS\n");
  EXPECT_EQ(kthread.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace zimon::collect
