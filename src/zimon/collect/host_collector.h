// Host metrics from procfs and sysfs, in the names of the metric contract
// (ARCHITECTURE.md §5): CPU seconds per cpu and mode, memory total and
// available, disk bytes and I/O time per whole disk, network bytes per
// device, load averages, file system size and free space per mount point,
// and CPU seconds and resident memory of configured processes.
//
// Counters go through a CounterTracker, so they never go backwards across a
// kernel counter reset, a 32-bit wrap, or a device that leaves and returns.
// The procfs, sysfs and root paths are options (like node_exporter's
// --path.procfs/--path.sysfs/--path.rootfs), so tests read committed samples.
//
// Ownership: owns its StatFs. Thread safety: Refresh() from one thread at a
// time; Collect() is thread-safe and makes no syscall.
#ifndef ZIMON_COLLECT_HOST_COLLECTOR_H_
#define ZIMON_COLLECT_HOST_COLLECTOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "zimon/collect/counter_tracker.h"
#include "zimon/collect/snapshot_collector.h"
#include "zimon/common/status.h"

namespace zimon::collect {

struct FsUsage {
  uint64_t size_bytes = 0;
  uint64_t avail_bytes = 0;  // available to unprivileged users (f_bavail)
};

// statvfs behind an interface so tests can fake it.
// Thread safety: implementations must be callable from the collector thread.
class StatFs {
 public:
  virtual ~StatFs() = default;
  virtual StatusOr<FsUsage> Stat(const std::string& path) const = 0;
};
std::unique_ptr<StatFs> NewSystemStatFs();

struct HostCollectorOptions {
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  std::string rootfs = "/";  // prefix for statvfs of mount points

  // Disks: whole disks only (those under <sysfs>/block) unless
  // include_partitions; devices matching disk_exclude are skipped; when
  // disk_include is set, only matching devices are kept. ECMAScript regexes,
  // matched against the whole device name.
  bool include_partitions = false;
  std::string disk_include;
  std::string disk_exclude = "(loop|ram|zram|fd)\\d+";
  std::string netdev_exclude;  // empty: every interface, lo included

  std::string fs_type_exclude =
      "autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|"
      "fusectl|hugetlbfs|"
      "iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|"
      "selinuxfs|"
      "squashfs|erofs|sysfs|tracefs";
  std::string mountpoint_exclude =
      "/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/"
      "storage/.+)(/.*)?";

  // Processes to watch: a decimal pid, or a name matched against the
  // command name (/proc/<pid>/stat comm, which the kernel cuts to 15 bytes).
  // The spec string is the `process` label; a name sums all its processes.
  std::vector<std::string> processes;

  std::unique_ptr<StatFs> statfs;  // null: statvfs(2)
  long user_hz = 0;                // 0: sysconf(_SC_CLK_TCK)
};

class HostCollector : public SnapshotCollector {
 public:
  // InvalidArgument for a bad regex or process spec. Does not read the system
  // yet (the first Refresh does).
  static StatusOr<std::unique_ptr<HostCollector>> Create(
      HostCollectorOptions options);

  std::string_view name() const override { return "host"; }
  RefreshResult Refresh() override;
  void Collect(std::vector<metrics::FamilySnapshot>& out) const override;

 private:
  struct ProcessSpec {
    std::string label;
    std::optional<int> pid;
    std::string comm;  // name cut to 15 bytes
  };
  struct Filters {
    std::optional<std::regex> disk_include, disk_exclude, netdev_exclude;
    std::regex fs_type_exclude, mountpoint_exclude;
  };

  HostCollector(HostCollectorOptions options, Filters filters,
                std::vector<ProcessSpec> specs);

  // Each appends families; returns false (and counts an error) on failure.
  bool CollectCpu(std::vector<metrics::FamilySnapshot>& out);
  bool CollectMemory(std::vector<metrics::FamilySnapshot>& out);
  bool CollectDisks(std::vector<metrics::FamilySnapshot>& out);
  bool CollectNetwork(std::vector<metrics::FamilySnapshot>& out);
  bool CollectLoad(std::vector<metrics::FamilySnapshot>& out);
  bool CollectFilesystems(std::vector<metrics::FamilySnapshot>& out,
                          uint64_t& errors);
  bool CollectProcesses(std::vector<metrics::FamilySnapshot>& out);

  StatusOr<std::string> Read(const std::string& relative_to_procfs);
  bool IsWanted(const std::string& disk) const;
  // Logs a failure once per kind (the first time, and again after recovery).
  void NoteFailure(const std::string& kind, const Status& status);
  void NoteSuccess(const std::string& kind);

  HostCollectorOptions options_;
  Filters filters_;
  std::vector<ProcessSpec> specs_;
  double user_hz_;
  CounterTracker counters_;                 // device-level series, never swept
  CounterTracker pid_counters_;             // per-pid CPU, swept each refresh
  std::vector<double> process_cpu_totals_;  // per spec, accumulated seconds
  std::vector<bool> process_seen_;          // per spec, ever matched
  std::set<std::string> failing_;           // kinds currently logged as failing
  PublishedSnapshot published_;
};

}  // namespace zimon::collect

#endif  // ZIMON_COLLECT_HOST_COLLECTOR_H_
