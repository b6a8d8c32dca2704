#include "zimon/collect/scheduler.h"

#include <algorithm>
#include <utility>

#include "zimon/common/thread_name.h"

namespace zimon::collect {

CollectorScheduler::~CollectorScheduler() { Stop(); }

StatusOr<SnapshotCollector*> CollectorScheduler::Add(
    std::unique_ptr<SnapshotCollector> collector,
    std::chrono::milliseconds interval) {
  if (collector == nullptr) return InvalidArgumentError("collector is null");
  if (interval < kMinInterval) {
    return InvalidArgumentError(
        "collector interval for " + std::string(collector->name()) + " is " +
        std::to_string(interval.count()) + " ms; the minimum is 1000 ms");
  }
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    if (started_) return FailedPreconditionError("scheduler already started");
  }
  auto entry = std::make_unique<Entry>();
  entry->name = std::string(collector->name());
  entry->collector = std::move(collector);
  entry->interval = interval;
  SnapshotCollector* raw = entry->collector.get();
  std::lock_guard<std::mutex> lock(stats_mu_);
  entries_.push_back(std::move(entry));
  return raw;
}

void CollectorScheduler::RefreshEntry(Entry& entry) {
  auto start = std::chrono::steady_clock::now();
  RefreshResult result = entry.collector->Refresh();
  auto end = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(end - start).count();
  double now_unix = std::chrono::duration<double>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  std::lock_guard<std::mutex> lock(stats_mu_);
  entry.duration_seconds = seconds;
  entry.errors_total += static_cast<double>(result.errors);
  entry.up = result.up;
  entry.ran = true;
  if (result.up) entry.last_success_seconds = now_unix;
}

Status CollectorScheduler::RunOnce() {
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    if (started_)
      return FailedPreconditionError("RunOnce while the scheduler runs");
  }
  for (auto& entry : entries_) RefreshEntry(*entry);
  return OkStatus();
}

Status CollectorScheduler::Start() {
  std::lock_guard<std::mutex> lock(run_mu_);
  if (started_) return FailedPreconditionError("scheduler already started");
  started_ = true;
  stop_ = false;
  auto now = std::chrono::steady_clock::now();
  {
    // A collector RunOnce() already refreshed is next due one interval on.
    std::lock_guard<std::mutex> stats_lock(stats_mu_);
    for (auto& entry : entries_) {
      entry->next_due = entry->ran ? now + entry->interval : now;
    }
  }
  thread_ = std::thread([this] { Loop(); });
  SetThreadName(thread_.native_handle(), "zimon-collect");
  return OkStatus();
}

void CollectorScheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    if (!started_) return;
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(run_mu_);
  started_ = false;
}

void CollectorScheduler::Loop() {
  std::unique_lock<std::mutex> lock(run_mu_);
  while (!stop_) {
    auto now = std::chrono::steady_clock::now();
    auto next = std::chrono::steady_clock::time_point::max();
    for (auto& entry : entries_) {
      if (entry->next_due <= now) {
        lock.unlock();
        RefreshEntry(*entry);
        lock.lock();
        if (stop_) return;
        // Keep the cadence; skip missed slots rather than bursting.
        auto after = std::chrono::steady_clock::now();
        do {
          entry->next_due += entry->interval;
        } while (entry->next_due <= after);
      }
      next = std::min(next, entry->next_due);
    }
    if (entries_.empty()) {
      wake_.wait(lock, [this] { return stop_; });
    } else {
      wake_.wait_until(lock, next, [this] { return stop_; });
    }
  }
}

void CollectorScheduler::Collect(
    std::vector<metrics::FamilySnapshot>& out) const {
  auto duration = MakeFamily("zimon_collector_duration_seconds",
                             "Seconds the collector's last refresh took.",
                             metrics::MetricType::kGauge);
  auto errors = MakeFamily("zimon_collector_errors",
                           "Failed reads or calls made by the collector.",
                           metrics::MetricType::kCounter);
  auto last_success =
      MakeFamily("zimon_collector_last_success_timestamp_seconds",
                 "Unix time of the collector's last successful refresh.",
                 metrics::MetricType::kGauge);
  auto up = MakeFamily("zimon_collector_up",
                       "Whether the collector's source could be read.",
                       metrics::MetricType::kGauge);
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    for (const auto& entry : entries_) {
      if (!entry->ran) continue;
      metrics::Labels labels = {{"collector", entry->name}};
      AddPoint(duration, labels, entry->duration_seconds);
      AddPoint(errors, labels, entry->errors_total);
      if (entry->last_success_seconds > 0) {
        AddPoint(last_success, labels, entry->last_success_seconds);
      }
      AddPoint(up, labels, entry->up ? 1 : 0);
    }
  }
  for (auto* f : {&duration, &errors, &last_success, &up}) {
    if (!f->points.empty()) out.push_back(std::move(*f));
  }
}

bool CollectorScheduler::IsUp(std::string_view collector_name) const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  for (const auto& entry : entries_) {
    if (entry->name == collector_name) return entry->ran && entry->up;
  }
  return false;
}

}  // namespace zimon::collect
