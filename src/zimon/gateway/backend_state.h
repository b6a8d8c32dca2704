// BackendSet: the gateway's view of its backends (concurrency limit, in-flight
// count, health, passive ejection, OOM limit penalty) and the metrics that
// mirror it.
//
//   BackendSet set(options, registry);
//   set.Upsert("gpu-0", 2, now);
//   set.Acquire("gpu-0");                 // two requests were sent
//   set.Acquire("gpu-0");
//   set.Release("gpu-0", UpstreamOutcome::kOom, now);  // ejected, limit 2 -> 1
//
// Ejection: after `consecutive_failures` failures in a row (an OOM of a
// request that ran alone counts as one), or an OOM beside other requests, the
// backend is ejected for base * 2^(level) (capped at max_backoff), where level
// counts ejections since the backend last stayed in service for max_backoff.
// It returns once the back-off has passed *and* ReportHealth(ok=true) arrives.
// After an OOM its effective limit is max(1, limit - 1) until oom_cooldown
// passes. A removed backend stops taking work but keeps its in-flight
// accounting until its last request is released; then it is forgotten.
//
// Ownership: owns the backend records; holds references to metric children
// owned by the registry (which must outlive the set).
// Thread safety: not thread-safe; AdmissionController guards it with its mutex.
#ifndef ZIMON_GATEWAY_BACKEND_STATE_H_
#define ZIMON_GATEWAY_BACKEND_STATE_H_

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/clock.h"
#include "zimon/common/status.h"
#include "zimon/metrics/registry.h"

namespace zimon::gateway {

// How an upstream call ended, as far as admission and ejection care.
enum class UpstreamOutcome {
  kSuccess,      // an image came back
  kNotStarted,   // generation never started: connection refused, 503, 429
  kFailure,      // the backend failed after starting (5xx, bad response)
  kOom,          // the backend ran out of memory
  kCancelled,    // the client went away; says nothing about the backend
  kClientError,  // the request was bad (4xx); says nothing about the backend
};

std::string_view UpstreamOutcomeName(UpstreamOutcome outcome);

struct EjectionOptions {
  int consecutive_failures = 5;
  std::chrono::steady_clock::duration base_backoff = std::chrono::seconds(30);
  std::chrono::steady_clock::duration max_backoff = std::chrono::seconds(300);
  std::chrono::steady_clock::duration oom_cooldown = std::chrono::seconds(60);
};

// A read-only copy of one backend's state.
struct BackendView {
  std::string name;
  int limit = 0;            // configured
  int effective_limit = 0;  // after the OOM penalty
  int inflight = 0;
  // Of inflight: slots kept for abandoned requests the server may still be
  // working on (AdmissionController::Release with a hold).
  int held = 0;
  bool healthy = true;  // last active health check
  bool ejected = false;
  bool removed = false;  // draining: takes no new work
  int consecutive_failures = 0;
  int ejections = 0;  // total
  Clock::SteadyTime ejected_until{};
};

class BackendSet {
 public:
  BackendSet(EjectionOptions options, metrics::Registry& registry);

  // Adds a backend or updates its limit (limit must be >= 1). Re-adding a
  // draining backend puts it back in service with its in-flight count.
  Status Upsert(const std::string& name, int limit, Clock::SteadyTime now);
  // Stops new work going to the backend; it is forgotten once idle.
  Status Remove(const std::string& name);

  // True when the backend can take one more request now.
  bool Eligible(const std::string& name, Clock::SteadyTime now) const;
  // Healthy, not ejected, not removed (capacity not considered).
  bool Up(const std::string& name, Clock::SteadyTime now) const;

  // Counts a request sent to the backend.
  void Acquire(const std::string& name);
  // Counts a request finished; applies ejection rules for `outcome`.
  void Release(const std::string& name, UpstreamOutcome outcome,
               Clock::SteadyTime now);
  // As Release, but the slot stays taken (held) for work the server may
  // still be doing, until EndHold.
  void Hold(const std::string& name, UpstreamOutcome outcome,
            Clock::SteadyTime now);
  void EndHold(const std::string& name, Clock::SteadyTime now);
  // Result of an active health check.
  void ReportHealth(const std::string& name, bool ok, Clock::SteadyTime now);
  // Restores limits whose OOM cooldown has passed; refreshes gauges.
  void Refresh(Clock::SteadyTime now);

  // Backend names in name order (including draining ones).
  std::vector<std::string> Names() const;
  std::vector<BackendView> Views(Clock::SteadyTime now) const;
  // Calls fn(view, effective_limit) for each backend in name order, without
  // copying: the balancer's scan, once per request. `view.effective_limit` is
  // not kept current; the argument is.
  template <class Fn>
  void ForEach(Clock::SteadyTime now, Fn&& fn) const {
    for (const auto& [name, b] : backends_) fn(b.v, EffectiveLimitOf(b, now));
  }
  // Number of in-flight requests on `name` (0 if unknown).
  int Inflight(const std::string& name) const;
  int EffectiveLimit(const std::string& name, Clock::SteadyTime now) const;
  bool Contains(const std::string& name) const;

 private:
  struct Backend {
    BackendView v;
    int backoff_level = 0;
    Clock::SteadyTime readmitted_at{};
    Clock::SteadyTime oom_until{};
    metrics::Gauge* inflight_gauge = nullptr;
    metrics::Gauge* limit_gauge = nullptr;
    metrics::Gauge* up_gauge = nullptr;
    metrics::Counter* ejections_counter = nullptr;
  };

  int EffectiveLimitOf(const Backend& b, Clock::SteadyTime now) const;
  // Ejection rules for an outcome; `ran_alone`: no other request was in
  // flight on the backend.
  void Count(Backend& b, UpstreamOutcome outcome, bool ran_alone,
             Clock::SteadyTime now);
  // Drops one in-flight slot (and a held one if `held`); forgets a removed
  // backend once idle, else refreshes its gauges.
  void Free(std::map<std::string, Backend>::iterator it, bool held,
            Clock::SteadyTime now);
  bool UpOf(const Backend& b) const;
  void Eject(Backend& b, Clock::SteadyTime now);
  void UpdateGauges(Backend& b, Clock::SteadyTime now);
  void Forget(std::map<std::string, Backend>::iterator it);

  EjectionOptions options_;
  metrics::Family<metrics::Gauge>& inflight_family_;
  metrics::Family<metrics::Gauge>& limit_family_;
  metrics::Family<metrics::Gauge>& up_family_;
  metrics::Family<metrics::Counter>& ejections_family_;
  std::map<std::string, Backend> backends_;
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_BACKEND_STATE_H_
