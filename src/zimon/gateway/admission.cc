#include "zimon/gateway/admission.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "zimon/common/logging.h"

namespace zimon::gateway {

namespace {

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// The drain window forgets in steps of a thirtieth (a second by default).
constexpr int kDrainSlots = 30;

}  // namespace

AdmissionController::AdmissionController(AdmissionOptions options, Clock& clock,
                                         metrics::Registry& registry)
    : options_(std::move(options)),
      clock_(clock),
      started_(clock.SteadyNow()),
      queue_depth_gauge_(
          registry
              .AddGauge("zimon_queue_depth",
                        "Requests waiting in the admission queue.")
              .WithLabels({})),
      queue_wait_(registry
                      .AddHistogram("zimon_queue_wait_seconds",
                                    "Time from arrival to being granted a "
                                    "backend slot.",
                                    {}, metrics::DefaultLatencyBuckets())
                      .WithLabels({})),
      backends_(options_.ejection, registry),
      balancer_(options_.seed),
      completions_(options_.drain_window, kDrainSlots) {
  queue_depth_gauge_.Set(0);
}

AdmissionController::~AdmissionController() {
  Deferred deferred;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, e] : queue_) {
      if (e.on_done) {
        deferred.emplace_back(std::move(e.on_done),
                              CancelledError("gateway shutting down"));
      }
    }
    queue_.clear();
    queued_.clear();
    deadlines_.clear();
  }
  RunDeferred(deferred);
}

void AdmissionController::RunDeferred(Deferred& deferred) {
  for (auto& [cb, result] : deferred) {
    if (cb) cb(std::move(result));
  }
}

Status AdmissionController::AddBackend(const std::string& name,
                                       int max_concurrent) {
  Deferred deferred;
  Status status;
  {
    std::lock_guard lock(mu_);
    const auto now = clock_.SteadyNow();
    ExpireLocked(now, deferred);
    status = backends_.Upsert(
        name,
        max_concurrent <= 0 ? options_.default_max_concurrent : max_concurrent,
        now);
    DispatchLocked(now, deferred);
  }
  RunDeferred(deferred);
  return status;
}

Status AdmissionController::RemoveBackend(const std::string& name) {
  std::lock_guard lock(mu_);
  return backends_.Remove(name);
}

void AdmissionController::ReportHealth(const std::string& name, bool ok) {
  Deferred deferred;
  {
    std::lock_guard lock(mu_);
    const auto now = clock_.SteadyNow();
    ExpireLocked(now, deferred);
    backends_.ReportHealth(name, ok, now);
    DispatchLocked(now, deferred);
  }
  RunDeferred(deferred);
}

SubmitResult AdmissionController::Submit(AdmissionRequest request) {
  SubmitResult result;
  Deferred deferred;
  {
    std::lock_guard lock(mu_);
    const auto now = clock_.SteadyNow();
    ExpireLocked(now, deferred);
    DispatchLocked(now, deferred);
    if (request.priority < kMinPriority || request.priority > kMaxPriority) {
      result.status = InvalidArgumentError(
          "priority must be in [" + std::to_string(kMinPriority) + ", " +
          std::to_string(kMaxPriority) + "], got " +
          std::to_string(request.priority));
    } else if (request.deadline <= now) {
      result.status = DeadlineExceededError("deadline already passed");
    } else if (!AnyUpLocked(now, request.exclude)) {
      result.status = UnavailableError("no healthy backend");
    } else {
      const uint64_t ticket = next_ticket_++;
      if (auto backend = balancer_.Pick(backends_, now, request.exclude)) {
        result.ticket = ticket;
        result.grant = GrantLocked(ticket, *backend, now, now);
      } else if (static_cast<int>(queue_.size()) >= options_.queue_capacity &&
                 !EvictForLocked(request.priority, now, deferred)) {
        result.retry_after = RetryAfterLocked(now);
        result.status = ResourceExhaustedError(
            "admission queue full (" + std::to_string(queue_.size()) +
            " waiting); retry after " +
            std::to_string(result.retry_after.count()) + "s");
      } else {
        QueueKey key{-request.priority, next_seq_++};
        Entry entry{ticket, now, request.deadline, std::move(request.exclude),
                    std::move(request.on_done)};
        auto placed = queue_.emplace(key, std::move(entry)).first;
        result.ahead = static_cast<int>(std::distance(queue_.begin(), placed));
        queued_.emplace(ticket, key);
        deadlines_.emplace(request.deadline, ticket);
        queue_depth_gauge_.Set(static_cast<double>(queue_.size()));
        result.ticket = ticket;
      }
    }
  }
  RunDeferred(deferred);
  return result;
}

CancelResult AdmissionController::Cancel(uint64_t ticket) {
  Deferred deferred;
  CancelResult result = CancelResult::kNotFound;
  {
    std::lock_guard lock(mu_);
    const auto now = clock_.SteadyNow();
    ExpireLocked(now, deferred);
    if (auto q = queued_.find(ticket); q != queued_.end()) {
      auto it = queue_.find(q->second);
      deferred.emplace_back(std::move(it->second.on_done),
                            CancelledError("request cancelled while queued"));
      RemoveEntryLocked(it);
      result = CancelResult::kRemovedFromQueue;
    } else if (auto g = granted_.find(ticket); g != granted_.end()) {
      backends_.Release(g->second, UpstreamOutcome::kCancelled, now);
      granted_.erase(g);
      completions_.Add(now);
      result = CancelResult::kCancelUpstream;
    }
    DispatchLocked(now, deferred);
  }
  RunDeferred(deferred);
  return result;
}

Status AdmissionController::Release(uint64_t ticket, UpstreamOutcome outcome,
                                    Clock::SteadyTime hold_until) {
  Deferred deferred;
  {
    std::lock_guard lock(mu_);
    const auto now = clock_.SteadyNow();
    auto g = granted_.find(ticket);
    if (g == granted_.end()) {
      return NotFoundError("no granted request with ticket " +
                           std::to_string(ticket));
    }
    if (hold_until > now) {
      backends_.Hold(g->second, outcome, now);
      held_.emplace(std::pair{hold_until, ticket}, std::move(g->second));
    } else {
      backends_.Release(g->second, outcome, now);
      completions_.Add(now);
    }
    granted_.erase(g);
    ExpireLocked(now, deferred);
    DispatchLocked(now, deferred);
  }
  RunDeferred(deferred);
  return OkStatus();
}

int AdmissionController::ExpireDue() {
  Deferred deferred;
  int n = 0;
  {
    std::lock_guard lock(mu_);
    const auto now = clock_.SteadyNow();
    n = ExpireLocked(now, deferred);
    backends_.Refresh(now);
    DispatchLocked(now, deferred);
  }
  RunDeferred(deferred);
  return n;
}

std::optional<Clock::SteadyTime> AdmissionController::NextDeadline() const {
  std::lock_guard lock(mu_);
  std::optional<Clock::SteadyTime> next;
  if (!deadlines_.empty()) next = deadlines_.begin()->first;
  if (!held_.empty() && (!next || held_.begin()->first.first < *next)) {
    next = held_.begin()->first.first;
  }
  return next;
}

int AdmissionController::queue_depth() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(queue_.size());
}

std::vector<BackendView> AdmissionController::Backends() const {
  std::lock_guard lock(mu_);
  return backends_.Views(clock_.SteadyNow());
}

double AdmissionController::DrainRate() const {
  std::lock_guard lock(mu_);
  return DrainRateLocked(clock_.SteadyNow());
}

bool AdmissionController::EvictForLocked(int priority, Clock::SteadyTime now,
                                         Deferred& out) {
  if (queue_.empty()) return false;
  auto last = std::prev(queue_.end());  // lowest priority, newest
  if (-last->first.neg_priority >= priority) return false;
  const auto retry_after = RetryAfterLocked(now);
  out.emplace_back(
      std::move(last->second.on_done),
      ResourceExhaustedError("displaced from the full admission queue by a "
                             "higher-priority request; retry after " +
                             std::to_string(retry_after.count()) + "s"));
  RemoveEntryLocked(last);
  return true;
}

std::chrono::seconds AdmissionController::RetryAfter() const {
  std::lock_guard lock(mu_);
  return RetryAfterLocked(clock_.SteadyNow());
}

int AdmissionController::ExpireLocked(Clock::SteadyTime now, Deferred& out) {
  while (!held_.empty() && held_.begin()->first.first <= now) {
    backends_.EndHold(held_.begin()->second, now);
    completions_.Add(now);
    held_.erase(held_.begin());
  }
  int n = 0;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const uint64_t ticket = deadlines_.begin()->second;
    auto it = queue_.find(queued_.at(ticket));
    out.emplace_back(std::move(it->second.on_done),
                     DeadlineExceededError(
                         "deadline passed after " +
                         std::to_string(Seconds(now - it->second.enqueued)) +
                         "s in the admission queue"));
    RemoveEntryLocked(it);
    ++n;
  }
  return n;
}

void AdmissionController::RemoveEntryLocked(
    std::map<QueueKey, Entry>::iterator it) {
  deadlines_.erase({it->second.deadline, it->second.ticket});
  queued_.erase(it->second.ticket);
  queue_.erase(it);
  queue_depth_gauge_.Set(static_cast<double>(queue_.size()));
}

void AdmissionController::DispatchLocked(Clock::SteadyTime now, Deferred& out) {
  static const std::vector<std::string> kNone;
  for (auto it = queue_.begin(); it != queue_.end();) {
    // Stop as soon as no backend at all has a free slot.
    if (!balancer_.Pick(backends_, now, kNone)) return;
    auto backend = balancer_.Pick(backends_, now, it->second.exclude);
    if (!backend) {
      ++it;
      continue;
    }
    Grant grant =
        GrantLocked(it->second.ticket, *backend, it->second.enqueued, now);
    out.emplace_back(std::move(it->second.on_done), std::move(grant));
    auto next = std::next(it);
    RemoveEntryLocked(it);
    it = next;
  }
}

Grant AdmissionController::GrantLocked(uint64_t ticket,
                                       const std::string& backend,
                                       Clock::SteadyTime enqueued,
                                       Clock::SteadyTime now) {
  backends_.Acquire(backend);
  granted_.emplace(ticket, backend);
  queue_wait_.Observe(Seconds(now - enqueued));
  return Grant{ticket, backend, now - enqueued};
}

bool AdmissionController::AnyUpLocked(
    Clock::SteadyTime now, const std::vector<std::string>& exclude) const {
  bool any = false;
  backends_.ForEach(now, [&](const BackendView& v, int) {
    if (any || !v.healthy || v.ejected || v.removed) return;
    any = std::find(exclude.begin(), exclude.end(), v.name) == exclude.end();
  });
  return any;
}

double AdmissionController::DrainRateLocked(Clock::SteadyTime now) const {
  const auto span = std::min(options_.drain_window, now - started_);
  const double seconds = std::max(1.0, Seconds(span));
  return completions_.Count(now) / seconds;
}

std::chrono::seconds AdmissionController::RetryAfterLocked(
    Clock::SteadyTime now) const {
  double rate = DrainRateLocked(now);
  if (rate <= 0) {
    int capacity = 0;
    for (const BackendView& v : backends_.Views(now)) {
      if (!v.removed && !v.ejected && v.healthy) capacity += v.effective_limit;
    }
    rate = std::max(1, capacity) /
           std::max(1e-3, Seconds(options_.assumed_service_time));
  }
  const double estimate =
      std::ceil(static_cast<double>(queue_.size() + 1) / rate);
  const double clamped = std::clamp(
      estimate, 1.0, static_cast<double>(options_.max_retry_after.count()));
  return std::chrono::seconds(static_cast<int64_t>(clamped));
}

}  // namespace zimon::gateway
