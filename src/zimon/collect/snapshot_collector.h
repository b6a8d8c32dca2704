// The shape shared by the agent's collectors (host, GPU): an expensive
// Refresh() that reads the system on the scheduler's thread and publishes an
// immutable snapshot, and a cheap Collect() that copies the last snapshot for
// a scrape without any syscall.
//
// Thread safety: Refresh() is called from one thread at a time (the
// scheduler's); Collect() may run concurrently from any thread.
#ifndef ZIMON_COLLECT_SNAPSHOT_COLLECTOR_H_
#define ZIMON_COLLECT_SNAPSHOT_COLLECTOR_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "zimon/metrics/registry.h"
#include "zimon/metrics/snapshot.h"

namespace zimon::collect {

// What one Refresh() achieved, for the scheduler's self-metrics.
struct RefreshResult {
  bool up = true;       // the source could be read at all
  uint64_t errors = 0;  // failed reads or calls during this refresh
};

class SnapshotCollector : public metrics::Collector {
 public:
  // The `collector` label value: "host", "gpu".
  virtual std::string_view name() const = 0;
  // Reads the source and publishes a new snapshot. Never throws, never fatal.
  virtual RefreshResult Refresh() = 0;
};

// Holds the last published families. Publish swaps a shared_ptr under a short
// lock; AppendTo copies from the pointer it took, outside the lock.
//
// Thread safety: all methods are thread-safe.
class PublishedSnapshot {
 public:
  void Publish(std::vector<metrics::FamilySnapshot> families);
  void AppendTo(std::vector<metrics::FamilySnapshot>& out) const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<metrics::FamilySnapshot>>
      current_;  // guarded by mu_
};

// Helpers for building families.
metrics::FamilySnapshot MakeFamily(std::string name, std::string help,
                                   metrics::MetricType type);
void AddPoint(metrics::FamilySnapshot& family, metrics::Labels labels,
              double value);

}  // namespace zimon::collect

#endif  // ZIMON_COLLECT_SNAPSHOT_COLLECTOR_H_
