// AdmissionController: per-backend concurrency limits in front of a bounded,
// prioritised queue with per-request deadlines. Pure logic on an injected
// Clock; no I/O, no threads of its own.
//
//   AdmissionController ac(options, clock, registry);
//   ac.AddBackend("gpu-0", 2);
//   AdmissionRequest req;
//   req.priority = 1;
//   req.deadline = clock.SteadyNow() + 30s;
//   req.on_done = [](StatusOr<Grant> g) { ... };   // only if queued
//   SubmitResult r = ac.Submit(std::move(req));
//   if (!r.status.ok())  -> 429 (kResourceExhausted, r.retry_after) or
//                           503 (kUnavailable: no backend is up)
//   else if (r.grant)    -> call r.grant->backend now
//   else                 -> queued: on_done runs later with a Grant,
//                           kDeadlineExceeded, kCancelled or kUnavailable
//   ...
//   ac.Release(ticket, UpstreamOutcome::kSuccess);  // upstream call ended
//   ac.Release(ticket, UpstreamOutcome::kCancelled, busy_until);  // abandoned,
//                                   // but the server goes on until about then
//   ac.Cancel(ticket);                              // client disconnected
//
// The owner calls ExpireDue() from a timer (NextDeadline() says when); every
// other call also expires due entries and ends due holds first. A queued
// request never touches a backend before it is granted. Dispatch is
// late-binding: a request is bound to a backend only when a slot is free,
// chosen by Balancer (least outstanding).
//
// A held slot (Release with a time to hold until) stays taken after the call
// ended: the outcome counts at once, the slot frees at that time. It is for
// abandoned requests a server runs to the end all the same (sd-server): their
// work keeps the GPU and its memory, and a request sent into that slot would
// run beside it.
//
// A full queue rejects a new request with kResourceExhausted, unless the
// request outranks the lowest-priority entry queued: then the newest of those
// is displaced (its callback gets kResourceExhausted) to make room.
//
// Retry-After for a full queue: drain = completions in the last
// `drain_window` / min(drain_window, time since start) (per second); estimate
// = (queue depth + 1) / drain, rounded up, clamped to [1 s, max_retry_after].
// With no completions yet, drain is taken as total capacity /
// assumed_service_time. Completions are counted in slots of a thirtieth
// of the window (a WindowCounter), so memory stays constant at any rate.
//
// Ownership: owns its queue and backend set; references the clock and the
// registry, which must outlive it.
// Thread safety: thread-safe. One mutex guards all state; callbacks are
// invoked after it is released, on the thread that made the call (Submit,
// Release, Cancel, ExpireDue, ...), so they may call back into the controller.
#ifndef ZIMON_GATEWAY_ADMISSION_H_
#define ZIMON_GATEWAY_ADMISSION_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "zimon/common/clock.h"
#include "zimon/common/status.h"
#include "zimon/common/window_counter.h"
#include "zimon/gateway/backend_state.h"
#include "zimon/gateway/balancer.h"
#include "zimon/metrics/registry.h"

namespace zimon::gateway {

inline constexpr int kMinPriority = 0;
inline constexpr int kMaxPriority = 3;

struct AdmissionOptions {
  int queue_capacity = 256;
  // Limit for backends added without one (config gateway.max_concurrent).
  int default_max_concurrent = 2;
  uint64_t seed = 0x5eed;
  EjectionOptions ejection;
  std::chrono::steady_clock::duration drain_window = std::chrono::seconds(30);
  std::chrono::steady_clock::duration assumed_service_time =
      std::chrono::seconds(5);
  std::chrono::seconds max_retry_after{60};
};

// The right to send one request to `backend`.
struct Grant {
  uint64_t ticket = 0;
  std::string backend;
  std::chrono::steady_clock::duration queue_wait{};
};

using AdmissionCallback = std::function<void(StatusOr<Grant>)>;

struct AdmissionRequest {
  int priority = 0;  // kMinPriority..kMaxPriority; higher goes first
  Clock::SteadyTime deadline = Clock::SteadyTime::max();
  std::vector<std::string> exclude;  // backends already tried
  AdmissionCallback on_done;         // called once if the request is queued
};

struct SubmitResult {
  Status status;               // OK, kResourceExhausted, kUnavailable, ...
  uint64_t ticket = 0;         // valid when status is OK
  std::optional<Grant> grant;  // set when admitted at once
  std::chrono::seconds retry_after{0};  // with kResourceExhausted
  // When queued: how many queued requests go before this one (higher
  // priority, or the same and older). O(queue) to count.
  int ahead = 0;
};

enum class CancelResult {
  kNotFound,          // unknown ticket, or already finished
  kRemovedFromQueue,  // was waiting; its callback got kCancelled
  kCancelUpstream,    // was granted: the caller must cancel the upstream call;
                      // the slot is already released
};

class AdmissionController {
 public:
  AdmissionController(AdmissionOptions options, Clock& clock,
                      metrics::Registry& registry);
  AdmissionController(const AdmissionController&) = delete;
  AdmissionController& operator=(const AdmissionController&) = delete;
  // Queued requests are told kCancelled.
  ~AdmissionController();

  // Backend set; may change at any time. limit <= 0 means the default.
  Status AddBackend(const std::string& name, int max_concurrent = 0);
  Status RemoveBackend(const std::string& name);
  void ReportHealth(const std::string& name, bool ok);

  SubmitResult Submit(AdmissionRequest request);
  CancelResult Cancel(uint64_t ticket);
  // The upstream call of a granted ticket ended. With `hold_until` later
  // than now the slot stays taken until then (the server is still at work);
  // the outcome counts at once. NotFound for an unknown ticket (e.g. already
  // cancelled).
  Status Release(uint64_t ticket, UpstreamOutcome outcome,
                 Clock::SteadyTime hold_until = {});
  // Fails queued requests whose deadline is <= now and frees held slots
  // whose time has come; returns how many requests it failed.
  int ExpireDue();
  // The earliest queued deadline or hold end, if any (for the owner's timer).
  std::optional<Clock::SteadyTime> NextDeadline() const;

  // The current Retry-After estimate for a rejected request.
  std::chrono::seconds RetryAfter() const;
  int queue_depth() const;
  std::vector<BackendView> Backends() const;
  // Completions per second over the drain window.
  double DrainRate() const;

 private:
  using Deferred = std::vector<std::pair<AdmissionCallback, StatusOr<Grant>>>;
  struct QueueKey {
    int neg_priority;
    uint64_t seq;
    auto operator<=>(const QueueKey&) const = default;
  };
  struct Entry {
    uint64_t ticket;
    Clock::SteadyTime enqueued;
    Clock::SteadyTime deadline;
    std::vector<std::string> exclude;
    AdmissionCallback on_done;
  };

  static void RunDeferred(Deferred& deferred);
  // Also ends the holds due by `now`.
  int ExpireLocked(Clock::SteadyTime now, Deferred& out);
  // With the queue full, drops its lowest-priority newest entry if its
  // priority is below `priority` (callback: kResourceExhausted).
  bool EvictForLocked(int priority, Clock::SteadyTime now, Deferred& out);
  void DispatchLocked(Clock::SteadyTime now, Deferred& out);
  void RemoveEntryLocked(std::map<QueueKey, Entry>::iterator it);
  Grant GrantLocked(uint64_t ticket, const std::string& backend,
                    Clock::SteadyTime enqueued, Clock::SteadyTime now);
  bool AnyUpLocked(Clock::SteadyTime now,
                   const std::vector<std::string>& exclude) const;
  double DrainRateLocked(Clock::SteadyTime now) const;
  std::chrono::seconds RetryAfterLocked(Clock::SteadyTime now) const;

  const AdmissionOptions options_;
  Clock& clock_;
  const Clock::SteadyTime started_;
  metrics::Gauge& queue_depth_gauge_;
  metrics::Histogram& queue_wait_;

  mutable std::mutex mu_;
  BackendSet backends_;
  Balancer balancer_;
  uint64_t next_ticket_ = 1;
  uint64_t next_seq_ = 0;
  std::map<QueueKey, Entry> queue_;
  std::unordered_map<uint64_t, QueueKey> queued_;               // ticket -> key
  std::set<std::pair<Clock::SteadyTime, uint64_t>> deadlines_;  // , ticket
  std::unordered_map<uint64_t, std::string> granted_;  // ticket -> backend
  // Held slots: (until, ticket) -> backend.
  std::map<std::pair<Clock::SteadyTime, uint64_t>, std::string> held_;
  // Over the drain window, in constant memory whatever the rate.
  mutable WindowCounter completions_;
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_ADMISSION_H_
