// Internal to the GPU collector: the families one refresh fills.
#ifndef ZIMON_COLLECT_GPU_FAMILIES_H_
#define ZIMON_COLLECT_GPU_FAMILIES_H_

#include <utility>
#include <vector>

#include "zimon/collect/gpu_collector.h"

namespace zimon::collect {

using metrics::FamilySnapshot;
using metrics::MetricType;

struct GpuCollector::Families {
  FamilySnapshot memory_used =
      MakeFamily("zimon_gpu_memory_used_bytes",
                 "GPU memory allocated by contexts.", MetricType::kGauge);
  FamilySnapshot memory_total =
      MakeFamily("zimon_gpu_memory_total_bytes", "GPU memory installed.",
                 MetricType::kGauge);
  FamilySnapshot utilization =
      MakeFamily("zimon_gpu_utilization_ratio",
                 "Fraction of the last sample period a kernel was running.",
                 MetricType::kGauge);
  FamilySnapshot bandwidth = MakeFamily(
      "zimon_gpu_memory_bandwidth_utilization_ratio",
      "Fraction of the last sample period device memory was read or written.",
      MetricType::kGauge);
  FamilySnapshot temperature =
      MakeFamily("zimon_gpu_temperature_celsius", "GPU core temperature.",
                 MetricType::kGauge);
  FamilySnapshot power = MakeFamily("zimon_gpu_power_watts",
                                    "Board power draw.", MetricType::kGauge);
  FamilySnapshot sm_clock = MakeFamily("zimon_gpu_sm_clock_hertz",
                                       "Current SM clock.", MetricType::kGauge);
  FamilySnapshot throttled =
      MakeFamily("zimon_gpu_throttled",
                 "1 while the clock-event (throttle) reason is active.",
                 MetricType::kGauge);
  FamilySnapshot ecc =
      MakeFamily("zimon_gpu_ecc_errors",
                 "ECC memory errors since the collector started watching.",
                 MetricType::kCounter);
  FamilySnapshot xid =
      MakeFamily("zimon_gpu_xid_errors", "Xid critical error events.",
                 MetricType::kCounter);
  FamilySnapshot lost =
      MakeFamily("zimon_gpu_lost", "1 when NVML reports the GPU as lost.",
                 MetricType::kGauge);
  FamilySnapshot process_memory =
      MakeFamily("zimon_gpu_process_memory_used_bytes",
                 "GPU memory used by a process.", MetricType::kGauge);
  FamilySnapshot process_utilization = MakeFamily(
      "zimon_gpu_process_utilization_ratio",
      "SM utilization of a process over its last sample.", MetricType::kGauge);

  std::vector<FamilySnapshot> Take() {
    std::vector<FamilySnapshot> out;
    for (FamilySnapshot* f :
         {&memory_used, &memory_total, &utilization, &bandwidth, &temperature,
          &power, &sm_clock, &throttled, &ecc, &xid, &lost, &process_memory,
          &process_utilization}) {
      if (!f->points.empty()) out.push_back(std::move(*f));
    }
    return out;
  }
};

}  // namespace zimon::collect

#endif  // ZIMON_COLLECT_GPU_FAMILIES_H_
