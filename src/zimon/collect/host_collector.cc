#include "zimon/collect/host_collector.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <map>
#include <utility>

#include "zimon/collect/procfs_parse.h"
#include "zimon/collect/read_file.h"
#include "zimon/common/logging.h"

namespace zimon::collect {
namespace {

using metrics::FamilySnapshot;
using metrics::MetricType;

constexpr double kSectorBytes = 512;

class SystemStatFs : public StatFs {
 public:
  StatusOr<FsUsage> Stat(const std::string& path) const override {
    struct statvfs st;
    if (::statvfs(path.c_str(), &st) != 0)
      return ErrnoToStatus(errno, "statvfs " + path);
    FsUsage u;
    u.size_bytes = static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
    u.avail_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
    return u;
  }
};

StatusOr<std::optional<std::regex>> CompileOptional(const std::string& pattern,
                                                    const char* what) {
  if (pattern.empty()) return std::optional<std::regex>();
  try {
    return std::optional<std::regex>(
        std::regex(pattern, std::regex::ECMAScript));
  } catch (const std::regex_error& e) {
    return InvalidArgumentError(std::string(what) +
                                ": bad regular expression \"" + pattern +
                                "\": " + e.what());
  }
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

std::unique_ptr<StatFs> NewSystemStatFs() {
  return std::make_unique<SystemStatFs>();
}

StatusOr<std::unique_ptr<HostCollector>> HostCollector::Create(
    HostCollectorOptions options) {
  Filters filters;
  ZIMON_ASSIGN_OR_RETURN(filters.disk_include,
                         CompileOptional(options.disk_include, "disk_include"));
  ZIMON_ASSIGN_OR_RETURN(filters.disk_exclude,
                         CompileOptional(options.disk_exclude, "disk_exclude"));
  ZIMON_ASSIGN_OR_RETURN(
      filters.netdev_exclude,
      CompileOptional(options.netdev_exclude, "netdev_exclude"));
  ZIMON_ASSIGN_OR_RETURN(
      auto fs_type,
      CompileOptional(
          options.fs_type_exclude.empty() ? "$^" : options.fs_type_exclude,
          "fs_type_exclude"));
  ZIMON_ASSIGN_OR_RETURN(auto mountpoint,
                         CompileOptional(options.mountpoint_exclude.empty()
                                             ? "$^"
                                             : options.mountpoint_exclude,
                                         "mountpoint_exclude"));
  filters.fs_type_exclude = *fs_type;
  filters.mountpoint_exclude = *mountpoint;

  std::vector<ProcessSpec> specs;
  std::set<std::string> labels;
  for (const std::string& spec : options.processes) {
    if (spec.empty()) return InvalidArgumentError("process spec is empty");
    if (!labels.insert(spec).second) {
      return InvalidArgumentError("process \"" + spec + "\" listed twice");
    }
    ProcessSpec p;
    p.label = spec;
    int pid = 0;
    auto [ptr, ec] =
        std::from_chars(spec.data(), spec.data() + spec.size(), pid);
    if (ec == std::errc() && ptr == spec.data() + spec.size()) {
      if (pid <= 0)
        return InvalidArgumentError("process pid must be positive: " + spec);
      p.pid = pid;
    } else {
      p.comm = spec.substr(0, 15);
    }
    specs.push_back(std::move(p));
  }
  if (options.user_hz < 0)
    return InvalidArgumentError("user_hz must not be negative");
  return std::unique_ptr<HostCollector>(new HostCollector(
      std::move(options), std::move(filters), std::move(specs)));
}

HostCollector::HostCollector(HostCollectorOptions options, Filters filters,
                             std::vector<ProcessSpec> specs)
    : options_(std::move(options)),
      filters_(std::move(filters)),
      specs_(std::move(specs)) {
  if (!options_.statfs) options_.statfs = NewSystemStatFs();
  long hz = options_.user_hz > 0 ? options_.user_hz : ::sysconf(_SC_CLK_TCK);
  user_hz_ = hz > 0 ? static_cast<double>(hz) : 100.0;
  process_cpu_totals_.assign(specs_.size(), 0);
  process_seen_.assign(specs_.size(), false);
}

void HostCollector::NoteFailure(const std::string& kind, const Status& status) {
  if (failing_.insert(kind).second) {
    log::Warn("host collector cannot read a source",
              {{"source", kind}, {"error", status}});
  }
}

void HostCollector::NoteSuccess(const std::string& kind) {
  if (failing_.erase(kind) > 0)
    log::Info("host collector source readable again", {{"source", kind}});
}

StatusOr<std::string> HostCollector::Read(const std::string& relative) {
  return ReadSmallFile(JoinPath(options_.procfs, relative));
}

RefreshResult HostCollector::Refresh() {
  std::vector<FamilySnapshot> out;
  RefreshResult result;
  bool cpu_ok = CollectCpu(out);
  for (bool ok :
       {cpu_ok, CollectMemory(out), CollectDisks(out), CollectNetwork(out),
        CollectLoad(out), CollectFilesystems(out, result.errors),
        CollectProcesses(out)}) {
    if (!ok) ++result.errors;
  }
  // The host source is "up" when the kernel's core accounting could be read.
  result.up = cpu_ok;
  std::erase_if(out, [](const FamilySnapshot& f) { return f.points.empty(); });
  published_.Publish(std::move(out));
  return result;
}

void HostCollector::Collect(std::vector<FamilySnapshot>& out) const {
  published_.AppendTo(out);
}

bool HostCollector::CollectCpu(std::vector<FamilySnapshot>& out) {
  auto text = Read("stat");
  auto cpus = text.ok() ? ParseProcStat(*text)
                        : StatusOr<std::vector<CpuTimes>>(text.status());
  if (!cpus.ok()) {
    NoteFailure("stat", cpus.status());
    return false;
  }
  NoteSuccess("stat");
  auto f =
      MakeFamily("zimon_host_cpu_seconds",
                 "Seconds the CPUs spent in each mode.", MetricType::kCounter);
  for (const CpuTimes& cpu : *cpus) {
    for (size_t m = 0; m < kCpuModes.size(); ++m) {
      std::string mode(kCpuModes[m]);
      double ticks = counters_.Update("cpu/" + cpu.cpu + "/" + mode,
                                      static_cast<double>(cpu.ticks[m]));
      AddPoint(f, {{"cpu", cpu.cpu}, {"mode", mode}}, ticks / user_hz_);
    }
  }
  out.push_back(std::move(f));
  return true;
}

bool HostCollector::CollectMemory(std::vector<FamilySnapshot>& out) {
  auto text = Read("meminfo");
  auto mem = text.ok() ? ParseMeminfo(*text) : StatusOr<MemInfo>(text.status());
  if (!mem.ok()) {
    NoteFailure("meminfo", mem.status());
    return false;
  }
  NoteSuccess("meminfo");
  auto total = MakeFamily("zimon_host_memory_total_bytes", "Physical memory.",
                          MetricType::kGauge);
  AddPoint(total, {}, static_cast<double>(mem->total_bytes));
  auto avail = MakeFamily(
      "zimon_host_memory_available_bytes",
      "Memory available for new work without swapping (MemAvailable).",
      MetricType::kGauge);
  AddPoint(avail, {}, static_cast<double>(mem->available_bytes));
  out.push_back(std::move(total));
  out.push_back(std::move(avail));
  return true;
}

bool HostCollector::IsWanted(const std::string& disk) const {
  if (filters_.disk_exclude && std::regex_match(disk, *filters_.disk_exclude))
    return false;
  if (filters_.disk_include && !std::regex_match(disk, *filters_.disk_include))
    return false;
  if (options_.include_partitions) return true;
  // /sys/block lists whole disks only; partitions live inside them. Names
  // with '/' (cciss/c0d0) appear there with '!'.
  std::string sys_name = disk;
  std::replace(sys_name.begin(), sys_name.end(), '/', '!');
  return PathExists(JoinPath(options_.sysfs, "block/" + sys_name));
}

bool HostCollector::CollectDisks(std::vector<FamilySnapshot>& out) {
  auto text = Read("diskstats");
  auto disks = text.ok() ? ParseDiskstats(*text)
                         : StatusOr<std::vector<DiskStats>>(text.status());
  if (!disks.ok()) {
    NoteFailure("diskstats", disks.status());
    return false;
  }
  NoteSuccess("diskstats");
  auto read = MakeFamily("zimon_host_disk_read_bytes",
                         "Bytes read from the disk.", MetricType::kCounter);
  auto written = MakeFamily("zimon_host_disk_written_bytes",
                            "Bytes written to the disk.", MetricType::kCounter);
  auto io_time =
      MakeFamily("zimon_host_disk_io_time_seconds",
                 "Seconds the disk spent doing I/O.", MetricType::kCounter);
  for (const DiskStats& d : *disks) {
    if (!IsWanted(d.device)) continue;
    metrics::Labels labels = {{"device", d.device}};
    const std::string key = "disk/" + d.device;
    AddPoint(
        read, labels,
        counters_.Update(key + "/read", static_cast<double>(d.sectors_read)) *
            kSectorBytes);
    AddPoint(written, labels,
             counters_.Update(key + "/written",
                              static_cast<double>(d.sectors_written)) *
                 kSectorBytes);
    AddPoint(
        io_time, labels,
        counters_.Update(key + "/io_ms", static_cast<double>(d.io_time_ms)) /
            1000.0);
  }
  out.push_back(std::move(read));
  out.push_back(std::move(written));
  out.push_back(std::move(io_time));
  return true;
}

bool HostCollector::CollectNetwork(std::vector<FamilySnapshot>& out) {
  auto text = Read("net/dev");
  auto devs = text.ok() ? ParseNetDev(*text)
                        : StatusOr<std::vector<NetDevStats>>(text.status());
  if (!devs.ok()) {
    NoteFailure("net/dev", devs.status());
    return false;
  }
  NoteSuccess("net/dev");
  auto rx =
      MakeFamily("zimon_host_network_receive_bytes",
                 "Bytes received by the interface.", MetricType::kCounter);
  auto tx = MakeFamily("zimon_host_network_transmit_bytes",
                       "Bytes sent by the interface.", MetricType::kCounter);
  for (const NetDevStats& n : *devs) {
    if (filters_.netdev_exclude &&
        std::regex_match(n.device, *filters_.netdev_exclude))
      continue;
    metrics::Labels labels = {{"device", n.device}};
    AddPoint(rx, labels,
             counters_.Update("net/" + n.device + "/rx",
                              static_cast<double>(n.receive_bytes)));
    AddPoint(tx, labels,
             counters_.Update("net/" + n.device + "/tx",
                              static_cast<double>(n.transmit_bytes)));
  }
  out.push_back(std::move(rx));
  out.push_back(std::move(tx));
  return true;
}

bool HostCollector::CollectLoad(std::vector<FamilySnapshot>& out) {
  auto text = Read("loadavg");
  auto load =
      text.ok() ? ParseLoadavg(*text) : StatusOr<LoadAvg>(text.status());
  if (!load.ok()) {
    NoteFailure("loadavg", load.status());
    return false;
  }
  NoteSuccess("loadavg");
  const std::pair<const char*, double> values[] = {
      {"zimon_host_load1", load->load1},
      {"zimon_host_load5", load->load5},
      {"zimon_host_load15", load->load15}};
  for (const auto& [name, value] : values) {
    auto f = MakeFamily(name, "Run-queue load average.", MetricType::kGauge);
    AddPoint(f, {}, value);
    out.push_back(std::move(f));
  }
  return true;
}

bool HostCollector::CollectFilesystems(std::vector<FamilySnapshot>& out,
                                       uint64_t& errors) {
  auto text = Read("mounts");
  if (!text.ok()) {
    NoteFailure("mounts", text.status());
    return false;
  }
  NoteSuccess("mounts");
  // The last mount on a mount point is the visible one.
  std::map<std::string, const MountEntry*> by_mountpoint;
  std::vector<MountEntry> mounts = ParseMounts(*text);
  for (const MountEntry& m : mounts) {
    if (std::regex_match(m.fstype, filters_.fs_type_exclude) ||
        std::regex_match(m.mountpoint, filters_.mountpoint_exclude)) {
      by_mountpoint.erase(m.mountpoint);
      continue;
    }
    by_mountpoint[m.mountpoint] = &m;
  }
  auto size = MakeFamily("zimon_host_filesystem_size_bytes",
                         "File system size.", MetricType::kGauge);
  auto avail = MakeFamily("zimon_host_filesystem_avail_bytes",
                          "File system space available to unprivileged users.",
                          MetricType::kGauge);
  for (const auto& [mountpoint, entry] : by_mountpoint) {
    auto usage = options_.statfs->Stat(JoinPath(options_.rootfs, mountpoint));
    if (!usage.ok()) {
      ++errors;
      NoteFailure("statvfs " + mountpoint, usage.status());
      continue;
    }
    NoteSuccess("statvfs " + mountpoint);
    metrics::Labels labels = {{"mountpoint", mountpoint}};
    AddPoint(size, labels, static_cast<double>(usage->size_bytes));
    AddPoint(avail, labels, static_cast<double>(usage->avail_bytes));
  }
  out.push_back(std::move(size));
  out.push_back(std::move(avail));
  return true;
}

bool HostCollector::CollectProcesses(std::vector<FamilySnapshot>& out) {
  if (specs_.empty()) return true;
  // pid -> (spec index) for this refresh.
  std::vector<std::pair<int, size_t>> matches;
  bool any_by_name = false;
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].pid) {
      matches.emplace_back(*specs_[i].pid, i);
    } else {
      any_by_name = true;
    }
  }
  std::map<int, PidStat> stats;
  if (any_by_name) {
    DIR* dir = ::opendir(options_.procfs.c_str());
    if (dir == nullptr) {
      NoteFailure("process list", ErrnoToStatus(errno, options_.procfs));
      return false;
    }
    NoteSuccess("process list");
    while (dirent* e = ::readdir(dir)) {
      int pid = 0;
      std::string_view name(e->d_name);
      auto [ptr, ec] =
          std::from_chars(name.data(), name.data() + name.size(), pid);
      if (ec != std::errc() || ptr != name.data() + name.size()) continue;
      auto text = Read(std::string(name) + "/stat");
      if (!text.ok()) continue;  // exited meanwhile
      auto stat = ParsePidStat(*text);
      if (!stat.ok()) continue;
      for (size_t i = 0; i < specs_.size(); ++i) {
        if (!specs_[i].pid && stat->comm == specs_[i].comm)
          matches.emplace_back(pid, i);
      }
      stats.emplace(pid, std::move(*stat));
    }
    ::closedir(dir);
  }
  std::vector<double> rss(specs_.size(), 0);
  std::vector<bool> running(specs_.size(), false);
  for (const auto& [pid, i] : matches) {
    const std::string dir = std::to_string(pid);
    auto it = stats.find(pid);
    if (it == stats.end()) {
      auto text = Read(dir + "/stat");
      if (!text.ok()) continue;  // not running now
      auto stat = ParsePidStat(*text);
      if (!stat.ok()) continue;
      it = stats.emplace(pid, std::move(*stat)).first;
    }
    auto status_text = Read(dir + "/status");
    if (!status_text.ok()) continue;
    auto bytes = ParseStatusRssBytes(*status_text);
    running[i] = true;
    process_seen_[i] = true;
    if (bytes.ok()) rss[i] += static_cast<double>(*bytes);
    double ticks =
        static_cast<double>(it->second.utime_ticks + it->second.stime_ticks);
    process_cpu_totals_[i] +=
        pid_counters_.Advance(specs_[i].label + "/" + dir, ticks) / user_hz_;
  }
  pid_counters_.Sweep();
  auto cpu =
      MakeFamily("zimon_process_cpu_seconds",
                 "CPU seconds (user + system) used by the watched process.",
                 MetricType::kCounter);
  auto mem =
      MakeFamily("zimon_process_resident_memory_bytes",
                 "Resident memory of the watched process.", MetricType::kGauge);
  for (size_t i = 0; i < specs_.size(); ++i) {
    metrics::Labels labels = {{"process", specs_[i].label}};
    if (process_seen_[i]) AddPoint(cpu, labels, process_cpu_totals_[i]);
    if (running[i]) AddPoint(mem, labels, rss[i]);
  }
  out.push_back(std::move(cpu));
  out.push_back(std::move(mem));
  return true;
}

}  // namespace zimon::collect
