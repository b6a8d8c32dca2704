// GPU metrics through NVML (libnvidia-ml.so.1, loaded with dlopen), in the
// names of the metric contract (ARCHITECTURE.md §5). Per GPU, labelled
// {gpu,uuid,name}: memory used/total, GPU and memory-bandwidth utilization,
// temperature, power, SM clock, clock-event ("throttle") reasons, ECC errors,
// Xid errors (from an NVML event set drained without blocking each refresh),
// and zimon_gpu_lost. Per process on a GPU, labelled {gpu,pid,process}: used
// memory and, where NVML gives it, SM utilization. MIG instances are their
// own `gpu` values ("0/mig1").
//
// Degradation: no library or no GPU -> one log line and Refresh() reports
// up=false, never an error value from Create. A failing NVML call is counted
// in RefreshResult::errors and logged once per (call, code); a lost GPU
// (NVML_ERROR_GPU_IS_LOST) is reported as zimon_gpu_lost 1 while the other
// GPUs keep being collected. NOT_SUPPORTED only omits that metric.
//
// Ownership: owns the NVML library handle, its init reference and event set.
// Thread safety: Refresh() from one thread at a time; Collect() is
// thread-safe and makes no NVML call.
#ifndef ZIMON_COLLECT_GPU_COLLECTOR_H_
#define ZIMON_COLLECT_GPU_COLLECTOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "zimon/collect/counter_tracker.h"
#include "zimon/collect/nvml_library.h"
#include "zimon/collect/snapshot_collector.h"
#include "zimon/common/status.h"

namespace zimon::collect {

struct GpuCollectorOptions {
  std::string library_path = "libnvidia-ml.so.1";  // soname or absolute path
  std::string procfs = "/proc";  // for process names (<procfs>/<pid>/comm)
  bool processes = true;         // per-process metrics
};

class GpuCollector : public SnapshotCollector {
 public:
  // Fails only for invalid options (an empty library path). A missing
  // library or driver yields a collector that reports up=false.
  static StatusOr<std::unique_ptr<GpuCollector>> Create(
      GpuCollectorOptions options);
  ~GpuCollector()
      override;  // frees the event set, shuts NVML down, closes the library

  std::string_view name() const override { return "gpu"; }
  RefreshResult Refresh() override;
  void Collect(std::vector<metrics::FamilySnapshot>& out) const override;

 private:
  struct Families;
  struct DeviceLabels {
    std::string gpu, uuid, name;
  };

  explicit GpuCollector(GpuCollectorOptions options);
  // Returns true on success. NOT_SUPPORTED returns false silently; other
  // codes are counted and logged once per (call, code); GPU_IS_LOST also sets
  // *lost.
  bool Check(const char* call, nvmlReturn_t rc, bool* lost = nullptr);
  bool EnsureInit();
  void CollectDevice(nvmlDevice_t device, const DeviceLabels& labels,
                     bool is_mig, Families& f, bool* lost);
  void CollectProcesses(nvmlDevice_t device, const std::string& gpu,
                        bool is_mig, Families& f, bool* lost);
  // Appends pid -> used bytes (kValueNotAvailable when unknown) from one list.
  void ReadProcessList(const char* call, nvml::GetProcessesFn fn,
                       nvmlDevice_t device,
                       std::map<unsigned, unsigned long long>& out, bool* lost);
  void DrainEvents();
  std::string ProcessName(unsigned pid) const;
  DeviceLabels Describe(nvmlDevice_t device, const std::string& gpu,
                        bool* lost);

  GpuCollectorOptions options_;
  std::unique_ptr<NvmlLibrary> library_;
  bool initialized_ = false;
  bool memory_v2_usable_ = true;
  nvmlEventSet_t event_set_ = nullptr;
  std::set<nvmlDevice_t> registered_;                  // devices in event_set_
  std::map<nvmlDevice_t, std::string> gpu_of_handle_;  // for events
  std::map<std::string, DeviceLabels> known_;  // gpu label -> last labels
  std::map<std::string, double> xid_counts_;   // gpu label -> Xid events
  std::map<std::string, unsigned long long>
      process_util_seen_;                         // gpu -> last timestamp
  std::set<std::pair<std::string, int>> logged_;  // (call, code) already logged
  bool uptime_logged_ = false;                    // "no library/GPU" logged
  uint64_t errors_ = 0;                           // errors in this refresh
  CounterTracker ecc_;
  PublishedSnapshot published_;
};

}  // namespace zimon::collect

#endif  // ZIMON_COLLECT_GPU_COLLECTOR_H_
