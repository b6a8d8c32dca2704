// LocalCollectors: this machine's host and GPU collectors, scheduled at the
// configured intervals and registered in a metrics registry. What `zimon agent`
// serves, and what `zimon serve` and `zimon demo` run for the local host.
//
// Ownership: owns the collectors and their scheduler thread; registers them in
// `registry` (which must outlive this object) and unregisters them on
// destruction.
// Thread safety: construct and destroy on one thread; gpu_up()/host_up() are
// thread-safe.
#ifndef ZIMON_COLLECT_LOCAL_COLLECTORS_H_
#define ZIMON_COLLECT_LOCAL_COLLECTORS_H_

#include <memory>
#include <vector>

#include "zimon/collect/scheduler.h"
#include "zimon/common/config.h"
#include "zimon/common/status.h"
#include "zimon/metrics/registry.h"

namespace zimon::collect {

class LocalCollectors {
 public:
  // Creates the collectors from `config`, takes a first reading of each and
  // starts the scheduler. InvalidArgument for a bad regex or process spec.
  // A missing NVML library or GPU is not an error (the GPU collector is down).
  static StatusOr<std::unique_ptr<LocalCollectors>> Start(
      const AgentConfig& config, metrics::Registry& registry);
  ~LocalCollectors();
  LocalCollectors(const LocalCollectors&) = delete;
  LocalCollectors& operator=(const LocalCollectors&) = delete;

  // Whether the last reading of each source succeeded.
  bool host_up() const;
  bool gpu_up() const;

 private:
  explicit LocalCollectors(metrics::Registry& registry);

  metrics::Registry& registry_;
  CollectorScheduler scheduler_;
  std::vector<const metrics::Collector*> registered_;
};

}  // namespace zimon::collect

#endif  // ZIMON_COLLECT_LOCAL_COLLECTORS_H_
