// Pure parsers for the procfs files the host collector reads. Each takes the
// whole text of one file and returns plain values; none touches the file
// system, so tests feed them committed samples or hand-made strings.
//
// Thread safety: free functions without shared state.
#ifndef ZIMON_COLLECT_PROCFS_PARSE_H_
#define ZIMON_COLLECT_PROCFS_PARSE_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/status.h"

namespace zimon::collect {

// The CPU modes exported, in /proc/stat column order.
inline constexpr std::array<std::string_view, 8> kCpuModes = {
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};

// One "cpuN" line of /proc/stat, in USER_HZ ticks (guest time is already
// included in user/nice by the kernel, so it is not read).
struct CpuTimes {
  std::string cpu;  // "0", "1", ...
  std::array<uint64_t, kCpuModes.size()> ticks{};
};
// Per-CPU lines of /proc/stat (the aggregate "cpu" line is skipped).
// Missing trailing columns (old kernels) read as 0.
StatusOr<std::vector<CpuTimes>> ParseProcStat(std::string_view text);

struct MemInfo {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;
};
// MemTotal and MemAvailable of /proc/meminfo. Kernels before 3.14 lack
// MemAvailable; then MemFree + Buffers + Cached is used.
StatusOr<MemInfo> ParseMeminfo(std::string_view text);

// One line of /proc/diskstats. Sectors are always 512 bytes there.
struct DiskStats {
  std::string device;
  uint64_t sectors_read = 0;
  uint64_t sectors_written = 0;
  uint64_t io_time_ms = 0;
};
// Lines with fewer than 14 columns are an error (the file is not diskstats).
StatusOr<std::vector<DiskStats>> ParseDiskstats(std::string_view text);

struct NetDevStats {
  std::string device;
  uint64_t receive_bytes = 0;
  uint64_t transmit_bytes = 0;
};
// /proc/net/dev; the two header lines are skipped.
StatusOr<std::vector<NetDevStats>> ParseNetDev(std::string_view text);

struct LoadAvg {
  double load1 = 0;
  double load5 = 0;
  double load15 = 0;
};
StatusOr<LoadAvg> ParseLoadavg(std::string_view text);

struct MountEntry {
  std::string device;
  std::string mountpoint;  // octal escapes (\040 for space) decoded
  std::string fstype;
};
// /proc/mounts or /proc/self/mounts. Malformed lines are skipped.
std::vector<MountEntry> ParseMounts(std::string_view text);

// /proc/<pid>/stat: the command name (between the first '(' and the last ')',
// so names holding spaces or parentheses parse) and user/system CPU ticks.
struct PidStat {
  std::string comm;
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
};
StatusOr<PidStat> ParsePidStat(std::string_view text);

// VmRSS of /proc/<pid>/status in bytes. NotFound for kernel threads (no VmRSS).
StatusOr<uint64_t> ParseStatusRssBytes(std::string_view text);

}  // namespace zimon::collect

#endif  // ZIMON_COLLECT_PROCFS_PARSE_H_
