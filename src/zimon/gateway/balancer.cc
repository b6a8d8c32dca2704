#include "zimon/gateway/balancer.h"

#include <algorithm>
#include <cmath>

namespace zimon::gateway {

Balancer::Balancer(uint64_t seed) : rng_(seed) {}

std::optional<std::string> Balancer::Pick(
    const BackendSet& backends, Clock::SteadyTime now,
    const std::vector<std::string>& exclude) {
  std::optional<std::string> best;
  int best_inflight = 0;
  int ties = 0;
  backends.ForEach(now, [&](const BackendView& v, int effective_limit) {
    if (v.removed || v.ejected || !v.healthy) return;
    if (v.inflight >= effective_limit) return;
    if (std::find(exclude.begin(), exclude.end(), v.name) != exclude.end()) {
      return;
    }
    if (!best || v.inflight < best_inflight) {
      best = v.name;
      best_inflight = v.inflight;
      ties = 1;
    } else if (v.inflight == best_inflight) {
      // Reservoir sampling: each of the k tied backends ends up chosen with
      // probability 1/k.
      ++ties;
      if (std::uniform_int_distribution<int>(0, ties - 1)(rng_) == 0) {
        best = v.name;
      }
    }
  });
  return best;
}

bool IsRetryable(UpstreamOutcome outcome) {
  return outcome == UpstreamOutcome::kNotStarted;
}

// Twenty slots: the window forgets in steps of a twentieth.
constexpr int kBudgetSlots = 20;

RetryBudget::RetryBudget(RetryBudgetOptions options, const Clock& clock)
    : options_(options),
      clock_(clock),
      requests_(options_.window, kBudgetSlots),
      retries_(options_.window, kBudgetSlots) {}

int RetryBudget::AllowedLocked(Clock::SteadyTime now) {
  const int by_ratio =
      static_cast<int>(std::floor(options_.ratio * requests_.Count(now)));
  return std::max(options_.min_retries, by_ratio);
}

void RetryBudget::RecordRequest() {
  const auto now = clock_.SteadyNow();
  std::lock_guard lock(mu_);
  requests_.Add(now);
}

bool RetryBudget::TryRetry() {
  const auto now = clock_.SteadyNow();
  std::lock_guard lock(mu_);
  if (retries_.Count(now) >= AllowedLocked(now)) return false;
  retries_.Add(now);
  return true;
}

int RetryBudget::Available() {
  const auto now = clock_.SteadyNow();
  std::lock_guard lock(mu_);
  const int spent = static_cast<int>(std::ceil(retries_.Count(now)));
  return std::max(0, AllowedLocked(now) - spent);
}

}  // namespace zimon::gateway
