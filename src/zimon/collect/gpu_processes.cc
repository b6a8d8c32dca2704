// GpuCollector: processes on a GPU, and Xid events.
#include <algorithm>
#include <cstring>
#include <vector>

#include "zimon/collect/gpu_collector.h"
#include "zimon/collect/gpu_families.h"
#include "zimon/collect/read_file.h"
#include "zimon/common/logging.h"

namespace zimon::collect {
namespace {

constexpr size_t kMaxEntryBytes = 32;  // widest stride any driver writes
constexpr int kListAttempts = 4;

}  // namespace

void GpuCollector::ReadProcessList(const char* call, nvml::GetProcessesFn fn,
                                   nvmlDevice_t device,
                                   std::map<unsigned, unsigned long long>& out,
                                   bool* lost) {
  if (fn == nullptr) return;
  const size_t stride = library_->api().process_stride;
  unsigned count = 0;
  nvmlReturn_t rc = fn(device, &count, nullptr);
  if (rc == NVML_SUCCESS) return;  // none running
  std::vector<unsigned char> buf;
  for (int attempt = 0;
       attempt < kListAttempts && rc == NVML_ERROR_INSUFFICIENT_SIZE;
       ++attempt) {
    // The list can grow between calls; leave room. Entries are read at the
    // driver's stride but the buffer always has 32 bytes per entry, so a
    // stride misjudged downward cannot overflow it.
    unsigned capacity = count * 2 + 5;
    buf.assign(static_cast<size_t>(capacity) * kMaxEntryBytes, 0);
    count = capacity;
    rc = fn(device, &count, buf.data());
  }
  if (!Check(call, rc, lost)) return;
  for (unsigned i = 0; i < count && (i + 1) * stride <= buf.size(); ++i) {
    const unsigned char* entry = buf.data() + i * stride;
    unsigned pid = 0;
    unsigned long long used = 0;
    std::memcpy(&pid, entry, sizeof(pid));
    std::memcpy(&used, entry + 8, sizeof(used));  // offset 8 in every layout
    auto [it, inserted] = out.try_emplace(pid, used);
    // A pid in both the compute and graphics lists: keep the known figure.
    if (!inserted && it->second == nvml::kValueNotAvailable) it->second = used;
  }
}

std::string GpuCollector::ProcessName(unsigned pid) const {
  auto comm = ReadSmallFile(
      JoinPath(options_.procfs, std::to_string(pid) + "/comm"), 4096);
  if (!comm.ok()) return "unknown";
  std::string name = *comm;
  while (!name.empty() && (name.back() == '\n' || name.back() == ' '))
    name.pop_back();
  return name.empty() ? "unknown" : name;
}

void GpuCollector::CollectProcesses(nvmlDevice_t device, const std::string& gpu,
                                    bool is_mig, Families& f, bool* lost) {
  const NvmlApi& api = library_->api();
  std::map<unsigned, unsigned long long> used;
  ReadProcessList("nvmlDeviceGetComputeRunningProcesses",
                  api.get_compute_processes, device, used, lost);
  if (!*lost) {
    ReadProcessList("nvmlDeviceGetGraphicsRunningProcesses",
                    api.get_graphics_processes, device, used, lost);
  }
  if (*lost || used.empty()) return;

  // Per-process SM utilization (not on MIG): samples newer than the last seen.
  std::map<unsigned, unsigned> sm_util;
  bool have_util = false;
  if (!is_mig && api.get_process_utilization) {
    unsigned long long& last_seen = process_util_seen_[gpu];
    unsigned count = 0;
    nvmlReturn_t rc =
        api.get_process_utilization(device, nullptr, &count, last_seen);
    if (rc == NVML_ERROR_INSUFFICIENT_SIZE && count > 0) {
      std::vector<nvmlProcessUtilizationSample_t> samples(count);
      rc = api.get_process_utilization(device, samples.data(), &count,
                                       last_seen);
      if (Check("nvmlDeviceGetProcessUtilization", rc, lost)) {
        have_util = true;
        unsigned long long newest = last_seen;
        for (unsigned i = 0; i < count && i < samples.size(); ++i) {
          const auto& s = samples[i];
          if (s.timeStamp <= last_seen || s.smUtil > 100) continue;
          newest = std::max(newest, s.timeStamp);
          sm_util[s.pid] = std::max(sm_util[s.pid], s.smUtil);
        }
        last_seen = newest;
      }
    } else if (rc == NVML_ERROR_NOT_FOUND || rc == NVML_SUCCESS) {
      have_util = true;  // no new samples: every process reads 0
    } else {
      Check("nvmlDeviceGetProcessUtilization", rc, lost);
    }
  }

  for (const auto& [pid, bytes] : used) {
    metrics::Labels labels = {{"gpu", gpu},
                              {"pid", std::to_string(pid)},
                              {"process", ProcessName(pid)}};
    if (bytes != nvml::kValueNotAvailable) {
      AddPoint(f.process_memory, labels, static_cast<double>(bytes));
    }
    if (have_util) {
      auto it = sm_util.find(pid);
      AddPoint(f.process_utilization, labels,
               it == sm_util.end() ? 0 : it->second / 100.0);
    }
  }
}

void GpuCollector::DrainEvents() {
  if (event_set_ == nullptr) return;
  const NvmlApi& api = library_->api();
  for (unsigned i = 0; i < 1024; ++i) {
    nvmlEventData_t data{};
    nvmlReturn_t rc = api.event_set_wait(event_set_, &data, 0);
    if (rc == NVML_ERROR_TIMEOUT) return;  // nothing pending
    if (!Check("nvmlEventSetWait", rc)) return;
    if (!(data.eventType & nvml::kEventTypeXidCriticalError)) continue;
    auto it = gpu_of_handle_.find(data.device);
    std::string gpu = it == gpu_of_handle_.end() ? "unknown" : it->second;
    xid_counts_[gpu] += 1;
    log::Warn("GPU Xid error",
              {{"gpu", gpu}, {"xid", static_cast<uint64_t>(data.eventData)}});
  }
}

}  // namespace zimon::collect
