// Runs the agent's collectors at their intervals on one thread, and exports
// the collectors' own health as metrics:
//   zimon_collector_duration_seconds{collector}            gauge, last refresh
//   zimon_collector_errors_total{collector}                counter
//   zimon_collector_last_success_timestamp_seconds{collector} gauge (Unix time)
//   zimon_collector_up{collector}                          gauge, 1 or 0
//
//   CollectorScheduler scheduler;
//   ZIMON_ASSIGN_OR_RETURN(auto host, HostCollector::Create(host_options));
//   ZIMON_ASSIGN_OR_RETURN(SnapshotCollector* h,
//                          scheduler.Add(std::move(host),
//                          std::chrono::seconds(10)));
//   registry.RegisterCollector(h);
//   registry.RegisterCollector(&scheduler);
//   ZIMON_RETURN_IF_ERROR(scheduler.Start());
//
// Ownership: the scheduler owns the collectors added to it; the pointers Add
// returns stay valid for the scheduler's lifetime. Unregister them (and the
// scheduler) from any registry before destroying the scheduler.
//
// Thread safety: Add, Start, Stop and RunOnce are for one controlling thread;
// Collect() is thread-safe and may run concurrently with refreshes.
#ifndef ZIMON_COLLECT_SCHEDULER_H_
#define ZIMON_COLLECT_SCHEDULER_H_

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "zimon/collect/snapshot_collector.h"
#include "zimon/common/status.h"
#include "zimon/metrics/registry.h"

namespace zimon::collect {

class CollectorScheduler : public metrics::Collector {
 public:
  static constexpr std::chrono::milliseconds kMinInterval{1000};

  CollectorScheduler() = default;
  ~CollectorScheduler() override;  // stops the thread
  CollectorScheduler(const CollectorScheduler&) = delete;
  CollectorScheduler& operator=(const CollectorScheduler&) = delete;

  // Takes ownership. InvalidArgument for an interval under 1 s or a null
  // collector; FailedPrecondition once started.
  StatusOr<SnapshotCollector*> Add(std::unique_ptr<SnapshotCollector> collector,
                                   std::chrono::milliseconds interval);

  // Refreshes every collector once, now, on the calling thread. For tests
  // and for a first refresh before serving; FailedPrecondition while started.
  Status RunOnce();

  // Starts the thread: each collector refreshes immediately (or one interval
  // after the RunOnce() that already refreshed it), then every interval.
  // FailedPrecondition if already started.
  Status Start();
  // Stops and joins the thread; a no-op when not started. A refresh in
  // progress finishes first.
  void Stop();

  void Collect(std::vector<metrics::FamilySnapshot>& out) const override;

  // Whether the named collector's last refresh could read its source; false
  // before its first refresh and for unknown names.
  bool IsUp(std::string_view collector_name) const;

 private:
  struct Entry {
    std::unique_ptr<SnapshotCollector> collector;
    std::string name;
    std::chrono::milliseconds interval;
    std::chrono::steady_clock::time_point next_due;
    // Self-metrics, guarded by stats_mu_.
    double duration_seconds = 0;
    double errors_total = 0;
    double last_success_seconds = 0;
    bool up = false;
    bool ran = false;
  };

  void RefreshEntry(Entry& entry);
  void Loop();

  std::vector<std::unique_ptr<Entry>> entries_;  // fixed once started
  mutable std::mutex stats_mu_;  // guards the stats fields of entries_

  std::mutex run_mu_;  // guards stop_ and started_
  std::condition_variable wake_;
  bool stop_ = false;
  bool started_ = false;
  std::thread thread_;
};

}  // namespace zimon::collect

#endif  // ZIMON_COLLECT_SCHEDULER_H_
