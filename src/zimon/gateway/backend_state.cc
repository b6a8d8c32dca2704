#include "zimon/gateway/backend_state.h"

#include <algorithm>
#include <utility>

#include "zimon/common/logging.h"

namespace zimon::gateway {

std::string_view UpstreamOutcomeName(UpstreamOutcome outcome) {
  switch (outcome) {
    case UpstreamOutcome::kSuccess:
      return "success";
    case UpstreamOutcome::kNotStarted:
      return "not_started";
    case UpstreamOutcome::kFailure:
      return "backend_error";
    case UpstreamOutcome::kOom:
      return "oom";
    case UpstreamOutcome::kCancelled:
      return "cancelled";
    case UpstreamOutcome::kClientError:
      return "client_error";
  }
  return "unknown";
}

BackendSet::BackendSet(EjectionOptions options, metrics::Registry& registry)
    : options_(options),
      inflight_family_(registry.AddGauge(
          "zimon_inflight_requests",
          "Requests sent to the backend and not yet finished.", {"backend"})),
      limit_family_(registry.AddGauge(
          "zimon_concurrency_limit",
          "Effective concurrency limit of the backend.", {"backend"})),
      up_family_(registry.AddGauge(
          "zimon_backend_up",
          "1 when the backend is healthy and not ejected, else 0.",
          {"backend"})),
      ejections_family_(registry.AddCounter(
          "zimon_backend_ejections_total",
          "Times the backend was passively ejected.", {"backend"})) {}

Status BackendSet::Upsert(const std::string& name, int limit,
                          Clock::SteadyTime now) {
  if (name.empty()) return InvalidArgumentError("backend name is empty");
  if (limit < 1) {
    return InvalidArgumentError("backend " + name +
                                ": max_concurrent must be >= 1, got " +
                                std::to_string(limit));
  }
  auto [it, inserted] = backends_.try_emplace(name);
  Backend& b = it->second;
  if (inserted) {
    b.v.name = name;
    b.inflight_gauge = &inflight_family_.WithLabels({name});
    b.limit_gauge = &limit_family_.WithLabels({name});
    b.up_gauge = &up_family_.WithLabels({name});
    b.ejections_counter = &ejections_family_.WithLabels({name});
    b.readmitted_at = now;
  } else if (b.v.removed) {
    b.v.removed = false;
    inflight_family_.WithLabels({name});
    limit_family_.WithLabels({name});
    up_family_.WithLabels({name});
    ejections_family_.WithLabels({name});
  }
  b.v.limit = limit;
  UpdateGauges(b, now);
  return OkStatus();
}

Status BackendSet::Remove(const std::string& name) {
  auto it = backends_.find(name);
  if (it == backends_.end() || it->second.v.removed) {
    return NotFoundError("no backend named " + name);
  }
  it->second.v.removed = true;
  it->second.up_gauge->Set(0);
  if (it->second.v.inflight == 0) Forget(it);
  return OkStatus();
}

void BackendSet::Forget(std::map<std::string, Backend>::iterator it) {
  const std::string& name = it->first;
  inflight_family_.Remove({name});
  limit_family_.Remove({name});
  up_family_.Remove({name});
  ejections_family_.Remove({name});
  backends_.erase(it);
}

int BackendSet::EffectiveLimitOf(const Backend& b,
                                 Clock::SteadyTime now) const {
  if (now < b.oom_until) return std::max(1, b.v.limit - 1);
  return b.v.limit;
}

bool BackendSet::UpOf(const Backend& b) const {
  return b.v.healthy && !b.v.ejected && !b.v.removed;
}

bool BackendSet::Eligible(const std::string& name,
                          Clock::SteadyTime now) const {
  auto it = backends_.find(name);
  if (it == backends_.end()) return false;
  const Backend& b = it->second;
  return UpOf(b) && b.v.inflight < EffectiveLimitOf(b, now);
}

bool BackendSet::Up(const std::string& name, Clock::SteadyTime) const {
  auto it = backends_.find(name);
  return it != backends_.end() && UpOf(it->second);
}

void BackendSet::Acquire(const std::string& name) {
  auto it = backends_.find(name);
  if (it == backends_.end()) return;
  ++it->second.v.inflight;
  it->second.inflight_gauge->Set(it->second.v.inflight);
}

void BackendSet::Release(const std::string& name, UpstreamOutcome outcome,
                         Clock::SteadyTime now) {
  auto it = backends_.find(name);
  if (it == backends_.end()) return;
  Count(it->second, outcome, it->second.v.inflight <= 1, now);
  Free(it, /*held=*/false, now);
}

void BackendSet::Hold(const std::string& name, UpstreamOutcome outcome,
                      Clock::SteadyTime now) {
  auto it = backends_.find(name);
  if (it == backends_.end()) return;
  Backend& b = it->second;
  Count(b, outcome, b.v.inflight <= 1, now);
  if (b.v.held < b.v.inflight) ++b.v.held;
  UpdateGauges(b, now);
}

void BackendSet::EndHold(const std::string& name, Clock::SteadyTime now) {
  auto it = backends_.find(name);
  if (it == backends_.end() || it->second.v.held == 0) return;
  Free(it, /*held=*/true, now);
}

void BackendSet::Free(std::map<std::string, Backend>::iterator it, bool held,
                      Clock::SteadyTime now) {
  Backend& b = it->second;
  if (b.v.inflight > 0) --b.v.inflight;
  if (held && b.v.held > 0) --b.v.held;
  if (b.v.removed && b.v.inflight == 0) {
    Forget(it);
    return;
  }
  UpdateGauges(b, now);
}

void BackendSet::Count(Backend& b, UpstreamOutcome outcome, bool ran_alone,
                       Clock::SteadyTime now) {
  switch (outcome) {
    case UpstreamOutcome::kSuccess:
      b.v.consecutive_failures = 0;
      break;
    case UpstreamOutcome::kNotStarted:
    case UpstreamOutcome::kFailure:
      ++b.v.consecutive_failures;
      if (!b.v.ejected &&
          b.v.consecutive_failures >= options_.consecutive_failures) {
        Eject(b, now);
      }
      break;
    case UpstreamOutcome::kOom:
      ++b.v.consecutive_failures;
      b.oom_until = now + options_.oom_cooldown;
      // Beside other requests an OOM is memory pressure: out at once. One
      // that ran alone is that request's size (or a leak): it counts as a
      // failure, and a run of them ejects as failures do, so that one
      // oversized request does not take the backend from everyone.
      if (!b.v.ejected && (!ran_alone || b.v.consecutive_failures >=
                                             options_.consecutive_failures)) {
        Eject(b, now);
      }
      break;
    case UpstreamOutcome::kCancelled:
    case UpstreamOutcome::kClientError:
      break;
  }
}

void BackendSet::Eject(Backend& b, Clock::SteadyTime now) {
  // A backend that stayed in service for max_backoff starts again from base.
  if (now - b.readmitted_at >= options_.max_backoff) b.backoff_level = 0;
  auto backoff = options_.base_backoff;
  for (int i = 0; i < b.backoff_level && backoff < options_.max_backoff; ++i) {
    backoff *= 2;
  }
  backoff = std::min(backoff, options_.max_backoff);
  ++b.backoff_level;
  b.v.ejected = true;
  b.v.ejected_until = now + backoff;
  ++b.v.ejections;
  b.ejections_counter->Inc();
  log::Warn(
      "backend ejected",
      {{"backend", b.v.name},
       {"consecutive_failures", b.v.consecutive_failures},
       {"backoff_seconds", std::chrono::duration<double>(backoff).count()}});
}

void BackendSet::ReportHealth(const std::string& name, bool ok,
                              Clock::SteadyTime now) {
  auto it = backends_.find(name);
  if (it == backends_.end()) return;
  Backend& b = it->second;
  b.v.healthy = ok;
  if (ok && b.v.ejected && now >= b.v.ejected_until) {
    b.v.ejected = false;
    b.v.consecutive_failures = 0;
    b.readmitted_at = now;
    log::Info("backend re-admitted", {{"backend", b.v.name}});
  }
  UpdateGauges(b, now);
}

void BackendSet::UpdateGauges(Backend& b, Clock::SteadyTime now) {
  b.inflight_gauge->Set(b.v.inflight);
  b.limit_gauge->Set(EffectiveLimitOf(b, now));
  b.up_gauge->Set(UpOf(b) ? 1 : 0);
}

void BackendSet::Refresh(Clock::SteadyTime now) {
  for (auto& [name, b] : backends_) {
    if (!b.v.removed) UpdateGauges(b, now);
  }
}

std::vector<std::string> BackendSet::Names() const {
  std::vector<std::string> names;
  names.reserve(backends_.size());
  for (const auto& [name, b] : backends_) names.push_back(name);
  return names;
}

std::vector<BackendView> BackendSet::Views(Clock::SteadyTime now) const {
  std::vector<BackendView> out;
  out.reserve(backends_.size());
  for (const auto& [name, b] : backends_) {
    out.push_back(b.v);
    out.back().effective_limit = EffectiveLimitOf(b, now);
  }
  return out;
}

int BackendSet::Inflight(const std::string& name) const {
  auto it = backends_.find(name);
  return it == backends_.end() ? 0 : it->second.v.inflight;
}

int BackendSet::EffectiveLimit(const std::string& name,
                               Clock::SteadyTime now) const {
  auto it = backends_.find(name);
  return it == backends_.end() ? 0 : EffectiveLimitOf(it->second, now);
}

bool BackendSet::Contains(const std::string& name) const {
  return backends_.count(name) > 0;
}

}  // namespace zimon::gateway
