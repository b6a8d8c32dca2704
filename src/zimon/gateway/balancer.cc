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

RetryBudget::RetryBudget(RetryBudgetOptions options, const Clock& clock)
    : options_(options), clock_(clock) {}

void RetryBudget::Trim(Clock::SteadyTime now) {
  const auto cutoff = now - options_.window;
  while (!requests_.empty() && requests_.front() <= cutoff) {
    requests_.pop_front();
  }
  while (!retries_.empty() && retries_.front() <= cutoff) retries_.pop_front();
}

int RetryBudget::AllowedLocked() const {
  const int by_ratio = static_cast<int>(
      std::floor(options_.ratio * static_cast<double>(requests_.size())));
  return std::max(options_.min_retries, by_ratio);
}

void RetryBudget::RecordRequest() {
  const auto now = clock_.SteadyNow();
  std::lock_guard lock(mu_);
  Trim(now);
  requests_.push_back(now);
}

bool RetryBudget::TryRetry() {
  const auto now = clock_.SteadyNow();
  std::lock_guard lock(mu_);
  Trim(now);
  if (static_cast<int>(retries_.size()) >= AllowedLocked()) return false;
  retries_.push_back(now);
  return true;
}

int RetryBudget::Available() {
  const auto now = clock_.SteadyNow();
  std::lock_guard lock(mu_);
  Trim(now);
  return std::max(0, AllowedLocked() - static_cast<int>(retries_.size()));
}

}  // namespace zimon::gateway
