// Balancer: least outstanding requests by full scan, ties broken at random;
// RetryBudget and IsRetryable: when a failed request may go to another backend.
//
//   Balancer balancer(/*seed=*/42);
//   std::optional<std::string> b = balancer.Pick(backends, now, tried);
//
//   RetryBudget budget({.ratio = 0.2, .min_retries = 3}, clock);
//   budget.RecordRequest();
//   if (IsRetryable(outcome) && budget.TryRetry()) { resubmit excluding tried }
//
// Ownership: Balancer owns its random generator; RetryBudget keeps a reference
// to the clock, which must outlive it.
// Thread safety: Balancer is not thread-safe (AdmissionController calls it
// under its mutex); RetryBudget is thread-safe.
#ifndef ZIMON_GATEWAY_BALANCER_H_
#define ZIMON_GATEWAY_BALANCER_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "zimon/common/clock.h"
#include "zimon/common/window_counter.h"
#include "zimon/gateway/backend_state.h"

namespace zimon::gateway {

class Balancer {
 public:
  explicit Balancer(uint64_t seed);

  // Among backends that are up and under their effective limit and not in
  // `exclude`, returns one with the fewest in-flight requests (uniformly at
  // random among ties), or nullopt when none can take a request now.
  std::optional<std::string> Pick(const BackendSet& backends,
                                  Clock::SteadyTime now,
                                  const std::vector<std::string>& exclude);

 private:
  std::mt19937_64 rng_;
};

// True when the request may be retried on another backend: generation never
// started (connection refused, 503, 429).
bool IsRetryable(UpstreamOutcome outcome);

struct RetryBudgetOptions {
  // Retries allowed: max(min_retries, ratio * requests) over the window.
  double ratio = 0.2;
  int min_retries = 3;
  std::chrono::steady_clock::duration window = std::chrono::seconds(10);
};

class RetryBudget {
 public:
  RetryBudget(RetryBudgetOptions options, const Clock& clock);

  // Counts an original (first-attempt) request.
  void RecordRequest();
  // Spends one retry if the budget allows it; false when exhausted.
  bool TryRetry();
  // Retries still allowed in the current window.
  int Available();

 private:
  int AllowedLocked(Clock::SteadyTime now);

  const RetryBudgetOptions options_;
  const Clock& clock_;
  std::mutex mu_;
  // Over the window, in constant memory whatever the request rate.
  WindowCounter requests_;  // guarded by mu_
  WindowCounter retries_;   // guarded by mu_
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_BALANCER_H_
