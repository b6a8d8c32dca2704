#include "zimon/collect/local_collectors.h"

#include <utility>

#include "zimon/collect/gpu_collector.h"
#include "zimon/collect/host_collector.h"
#include "zimon/common/logging.h"

namespace zimon::collect {

LocalCollectors::LocalCollectors(metrics::Registry& registry)
    : registry_(registry) {}

StatusOr<std::unique_ptr<LocalCollectors>> LocalCollectors::Start(
    const AgentConfig& config, metrics::Registry& registry) {
  HostCollectorOptions host_options;
  host_options.procfs = config.procfs;
  host_options.sysfs = config.sysfs;
  host_options.rootfs = config.rootfs;
  host_options.include_partitions = config.disk_partitions;
  host_options.disk_exclude = config.disk_exclude;
  host_options.processes = config.processes;
  ZIMON_ASSIGN_OR_RETURN(auto host,
                         HostCollector::Create(std::move(host_options)));

  GpuCollectorOptions gpu_options;
  gpu_options.library_path = config.nvml_library;
  gpu_options.procfs = config.procfs;
  ZIMON_ASSIGN_OR_RETURN(auto gpu,
                         GpuCollector::Create(std::move(gpu_options)));

  std::unique_ptr<LocalCollectors> self(new LocalCollectors(registry));
  ZIMON_ASSIGN_OR_RETURN(
      SnapshotCollector * host_ptr,
      self->scheduler_.Add(std::move(host), config.host_interval));
  ZIMON_ASSIGN_OR_RETURN(
      SnapshotCollector * gpu_ptr,
      self->scheduler_.Add(std::move(gpu), config.gpu_interval));
  // A first reading before serving, so the first scrape has data and the log
  // line below tells whether a GPU was found; the scheduler then starts one
  // interval later.
  ZIMON_RETURN_IF_ERROR(self->scheduler_.RunOnce());
  ZIMON_RETURN_IF_ERROR(self->scheduler_.Start());
  for (const metrics::Collector* c :
       {static_cast<const metrics::Collector*>(host_ptr),
        static_cast<const metrics::Collector*>(gpu_ptr),
        static_cast<const metrics::Collector*>(&self->scheduler_)}) {
    registry.RegisterCollector(c);
    self->registered_.push_back(c);
  }
  log::Info(
      "collectors started",
      {{"host_interval_ms", static_cast<int64_t>(config.host_interval.count())},
       {"gpu_interval_ms", static_cast<int64_t>(config.gpu_interval.count())},
       {"gpu_up", self->gpu_up()}});
  return self;
}

LocalCollectors::~LocalCollectors() {
  for (const metrics::Collector* c : registered_)
    registry_.UnregisterCollector(c);
  scheduler_.Stop();
}

bool LocalCollectors::host_up() const { return scheduler_.IsUp("host"); }
bool LocalCollectors::gpu_up() const { return scheduler_.IsUp("gpu"); }

}  // namespace zimon::collect
