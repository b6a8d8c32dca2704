#include "zimon/gateway/admission.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "zimon/metrics/registry.h"
#include "zimon/testing/fake_clock.h"

namespace zimon::gateway {
namespace {

using std::chrono::seconds;

// Collects what queued requests' callbacks receive.
struct Outcomes {
  std::vector<std::pair<int, StatusOr<Grant>>> got;  // (tag, result)
  AdmissionCallback For(int tag) {
    return [this, tag](StatusOr<Grant> r) { got.emplace_back(tag, r); };
  }
};

AdmissionRequest Req(Clock& clock, int priority = 0,
                     AdmissionCallback cb = nullptr,
                     seconds timeout = seconds(60)) {
  AdmissionRequest r;
  r.priority = priority;
  r.deadline = clock.SteadyNow() + timeout;
  r.on_done = std::move(cb);
  return r;
}

class AdmissionTest : public ::testing::Test {
 protected:
  AdmissionOptions Options() {
    AdmissionOptions o;
    o.queue_capacity = 4;
    o.default_max_concurrent = 1;
    return o;
  }
  int Inflight(AdmissionController& ac, const std::string& name) {
    for (const BackendView& v : ac.Backends()) {
      if (v.name == name) return v.inflight;
    }
    return -1;
  }
  testing::FakeClock clock_;
  metrics::Registry registry_;
  // Outlives each test's controller, whose destructor may still call back.
  Outcomes out_;
};

TEST_F(AdmissionTest, RespectsLimit) {
  AdmissionController ac(Options(), clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a", 2).ok());
  SubmitResult r1 = ac.Submit(Req(clock_));
  SubmitResult r2 = ac.Submit(Req(clock_));
  SubmitResult r3 = ac.Submit(Req(clock_, 0, out_.For(3)));
  ASSERT_TRUE(r1.grant && r2.grant);
  EXPECT_EQ(r1.grant->backend, "a");
  EXPECT_TRUE(r3.status.ok());
  EXPECT_FALSE(r3.grant);
  EXPECT_EQ(Inflight(ac, "a"), 2);
  EXPECT_EQ(ac.queue_depth(), 1);
  EXPECT_EQ(registry_.AddGauge("zimon_inflight_requests", "", {"backend"})
                .WithLabels({"a"})
                .Value(),
            2);
  EXPECT_EQ(registry_.AddGauge("zimon_queue_depth", "").WithLabels({}).Value(),
            1);
  EXPECT_TRUE(out_.got.empty());
}

TEST_F(AdmissionTest, QueueOrdersByPriorityThenFifo) {
  AdmissionController ac(Options(), clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a").ok());
  SubmitResult first = ac.Submit(Req(clock_));
  ASSERT_TRUE(first.grant);
  ASSERT_TRUE(ac.Submit(Req(clock_, 0, out_.For(1))).status.ok());
  ASSERT_TRUE(ac.Submit(Req(clock_, 2, out_.For(2))).status.ok());
  ASSERT_TRUE(ac.Submit(Req(clock_, 0, out_.For(3))).status.ok());
  ASSERT_TRUE(ac.Submit(Req(clock_, 3, out_.For(4))).status.ok());
  uint64_t ticket = first.ticket;
  std::vector<int> order;
  for (int i = 0; i < 4; ++i) {
    clock_.Advance(seconds(1));
    ASSERT_TRUE(ac.Release(ticket, UpstreamOutcome::kSuccess).ok());
    ASSERT_EQ(out_.got.size(), static_cast<size_t>(i + 1));
    ASSERT_TRUE(out_.got.back().second.ok());
    order.push_back(out_.got.back().first);
    ticket = out_.got.back().second->ticket;
    EXPECT_EQ(out_.got.back().second->queue_wait, seconds(i + 1));
  }
  EXPECT_EQ(order, (std::vector<int>{4, 2, 1, 3}));
  EXPECT_EQ(ac.Submit(Req(clock_, 4)).status.code(),
            StatusCode::kInvalidArgument);
}

TEST_F(AdmissionTest, QueuedRequestLearnsHowManyGoFirst) {
  AdmissionController ac(Options(), clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a", 1).ok());
  ASSERT_TRUE(ac.Submit(Req(clock_)).grant);  // takes the slot
  EXPECT_EQ(ac.Submit(Req(clock_, 0, out_.For(1))).ahead, 0);
  EXPECT_EQ(ac.Submit(Req(clock_, 0, out_.For(2))).ahead, 1);
  // Higher priority goes before both; the same priority after the older.
  EXPECT_EQ(ac.Submit(Req(clock_, 2, out_.For(3))).ahead, 0);
  EXPECT_EQ(ac.Submit(Req(clock_, 1, out_.For(4))).ahead, 1);
}

TEST_F(AdmissionTest, FullQueueRejectsWithRetryAfterFromDrainRate) {
  AdmissionController ac(Options(), clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a").ok());
  // 20 completions, one every 0.5 s: drain rate 2/s.
  for (int i = 0; i < 20; ++i) {
    SubmitResult r = ac.Submit(Req(clock_));
    ASSERT_TRUE(r.grant);
    clock_.Advance(std::chrono::milliseconds(500));
    ASSERT_TRUE(ac.Release(r.ticket, UpstreamOutcome::kSuccess).ok());
  }
  EXPECT_DOUBLE_EQ(ac.DrainRate(), 2.0);
  ASSERT_TRUE(ac.Submit(Req(clock_)).grant);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(ac.Submit(Req(clock_, 0, out_.For(i))).status.ok());
  }
  SubmitResult full = ac.Submit(Req(clock_, 0, out_.For(9)));
  EXPECT_EQ(full.status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(full.retry_after, seconds(3));  // ceil((4 + 1) / 2)
  EXPECT_TRUE(out_.got.empty());
}

TEST_F(AdmissionTest, FullQueueDisplacesLowerPriority) {
  AdmissionOptions o = Options();
  o.queue_capacity = 2;
  AdmissionController ac(o, clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a").ok());
  SubmitResult first = ac.Submit(Req(clock_));
  ASSERT_TRUE(ac.Submit(Req(clock_, 1, out_.For(1))).status.ok());
  ASSERT_TRUE(ac.Submit(Req(clock_, 1, out_.For(2))).status.ok());
  // Same priority: no room.
  EXPECT_EQ(ac.Submit(Req(clock_, 1, out_.For(3))).status.code(),
            StatusCode::kResourceExhausted);
  EXPECT_TRUE(out_.got.empty());
  // Higher priority: the newest priority-1 entry makes way.
  ASSERT_TRUE(ac.Submit(Req(clock_, 2, out_.For(4))).status.ok());
  ASSERT_EQ(out_.got.size(), 1u);
  EXPECT_EQ(out_.got[0].first, 2);
  EXPECT_EQ(out_.got[0].second.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ac.queue_depth(), 2);
  ASSERT_TRUE(ac.Release(first.ticket, UpstreamOutcome::kSuccess).ok());
  ASSERT_EQ(out_.got.size(), 2u);
  EXPECT_EQ(out_.got[1].first, 4);
  EXPECT_GE(ac.RetryAfter(), seconds(1));
}

// The drain rate covers the window only: after ten completions a second for
// a minute it is ten a second, and after a minute without any it is zero.
TEST_F(AdmissionTest, DrainRateCoversTheWindowOnly) {
  AdmissionOptions options = Options();
  options.drain_window = seconds(30);
  AdmissionController ac(options, clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a").ok());
  for (int i = 0; i < 600; ++i) {  // ten a second for a minute
    SubmitResult r = ac.Submit(Req(clock_));
    ASSERT_TRUE(r.grant);
    clock_.Advance(std::chrono::milliseconds(100));
    ASSERT_TRUE(ac.Release(r.ticket, UpstreamOutcome::kSuccess).ok());
  }
  EXPECT_NEAR(ac.DrainRate(), 10.0, 0.05);
  clock_.Advance(seconds(60));
  EXPECT_EQ(ac.DrainRate(), 0);
}

TEST_F(AdmissionTest, RetryAfterWithoutHistoryUsesCapacity) {
  AdmissionOptions o = Options();
  o.queue_capacity = 2;
  o.assumed_service_time = seconds(5);
  AdmissionController ac(o, clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a").ok());
  ASSERT_TRUE(ac.Submit(Req(clock_)).grant);
  ASSERT_TRUE(ac.Submit(Req(clock_, 0, [](StatusOr<Grant>) {})).status.ok());
  ASSERT_TRUE(ac.Submit(Req(clock_, 0, [](StatusOr<Grant>) {})).status.ok());
  SubmitResult full = ac.Submit(Req(clock_));
  EXPECT_EQ(full.status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(full.retry_after, seconds(15));  // 3 / (1 slot / 5 s)
}

TEST_F(AdmissionTest, DeadlineExpiresInQueueWithoutTouchingBackend) {
  AdmissionController ac(Options(), clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a").ok());
  SubmitResult first = ac.Submit(Req(clock_));
  ASSERT_TRUE(ac.Submit(Req(clock_, 0, out_.For(1), seconds(5))).status.ok());
  ASSERT_TRUE(ac.Submit(Req(clock_, 0, out_.For(2), seconds(8))).status.ok());
  EXPECT_EQ(ac.NextDeadline(), clock_.SteadyNow() + seconds(5));
  clock_.Advance(seconds(4));
  EXPECT_EQ(ac.ExpireDue(), 0);
  clock_.Advance(seconds(1));
  EXPECT_EQ(ac.ExpireDue(), 1);
  ASSERT_EQ(out_.got.size(), 1u);
  EXPECT_EQ(out_.got[0].first, 1);
  EXPECT_EQ(out_.got[0].second.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Inflight(ac, "a"), 1);
  // Lazily: the second one expires on the next event, before dispatch.
  clock_.Advance(seconds(3));
  ASSERT_TRUE(ac.Release(first.ticket, UpstreamOutcome::kSuccess).ok());
  ASSERT_EQ(out_.got.size(), 2u);
  EXPECT_EQ(out_.got[1].second.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Inflight(ac, "a"), 0);
  EXPECT_EQ(ac.queue_depth(), 0);
  EXPECT_EQ(ac.NextDeadline(), std::nullopt);
  EXPECT_EQ(ac.Submit(Req(clock_, 0, nullptr, seconds(0))).status.code(),
            StatusCode::kDeadlineExceeded);
}

TEST_F(AdmissionTest, CancelQueuedRequest) {
  AdmissionController ac(Options(), clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a").ok());
  SubmitResult first = ac.Submit(Req(clock_));
  SubmitResult queued = ac.Submit(Req(clock_, 0, out_.For(1)));
  EXPECT_EQ(ac.Cancel(queued.ticket), CancelResult::kRemovedFromQueue);
  ASSERT_EQ(out_.got.size(), 1u);
  EXPECT_EQ(out_.got[0].second.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(ac.queue_depth(), 0);
  EXPECT_EQ(ac.Cancel(queued.ticket), CancelResult::kNotFound);
  ASSERT_TRUE(ac.Release(first.ticket, UpstreamOutcome::kSuccess).ok());
  EXPECT_EQ(out_.got.size(), 1u);
}

TEST_F(AdmissionTest, CancelGrantedReleasesSlotAndAdmitsNext) {
  AdmissionController ac(Options(), clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a").ok());
  SubmitResult first = ac.Submit(Req(clock_));
  ASSERT_TRUE(ac.Submit(Req(clock_, 0, out_.For(1))).status.ok());
  EXPECT_EQ(ac.Cancel(first.ticket), CancelResult::kCancelUpstream);
  ASSERT_EQ(out_.got.size(), 1u);
  ASSERT_TRUE(out_.got[0].second.ok());
  EXPECT_EQ(out_.got[0].second->backend, "a");
  EXPECT_EQ(Inflight(ac, "a"), 1);
  // The upstream call ends later: nothing left to release.
  EXPECT_EQ(ac.Release(first.ticket, UpstreamOutcome::kCancelled).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Inflight(ac, "a"), 1);
}

TEST_F(AdmissionTest, HeldSlotStaysTakenUntilItsTime) {
  AdmissionController ac(Options(), clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a").ok());
  ASSERT_TRUE(ac.AddBackend("b").ok());
  SubmitResult abandoned = ac.Submit(Req(clock_));
  ASSERT_TRUE(abandoned.grant);
  const std::string held_on = abandoned.grant->backend;
  const std::string other = held_on == "a" ? "b" : "a";
  const auto until = clock_.SteadyNow() + seconds(3);
  ASSERT_TRUE(
      ac.Release(abandoned.ticket, UpstreamOutcome::kCancelled, until).ok());
  EXPECT_EQ(Inflight(ac, held_on), 1);
  EXPECT_EQ(ac.Backends()[held_on == "a" ? 0 : 1].held, 1);
  EXPECT_EQ(ac.NextDeadline(), until);
  // The ticket is spent: no second release, nothing to cancel.
  EXPECT_EQ(ac.Release(abandoned.ticket, UpstreamOutcome::kSuccess).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(ac.Cancel(abandoned.ticket), CancelResult::kNotFound);

  // The next request goes to the other backend; one more has to queue.
  SubmitResult next = ac.Submit(Req(clock_));
  ASSERT_TRUE(next.grant);
  EXPECT_EQ(next.grant->backend, other);
  ASSERT_TRUE(ac.Submit(Req(clock_, 0, out_.For(1))).status.ok());
  clock_.Advance(seconds(2));
  EXPECT_EQ(ac.ExpireDue(), 0);
  EXPECT_TRUE(out_.got.empty());
  // At its time the held slot frees and goes to the queued request.
  clock_.Advance(seconds(1));
  EXPECT_EQ(ac.ExpireDue(), 0);
  ASSERT_EQ(out_.got.size(), 1u);
  ASSERT_TRUE(out_.got[0].second.ok());
  EXPECT_EQ(out_.got[0].second->backend, held_on);
  EXPECT_EQ(ac.Backends()[held_on == "a" ? 0 : 1].held, 0);
  EXPECT_EQ(Inflight(ac, held_on), 1);
  EXPECT_EQ(ac.NextDeadline(), std::nullopt);
}

TEST_F(AdmissionTest, HoldEndsOnAnyCallOnceDueAndCountsTheOutcomeAtOnce) {
  AdmissionOptions o = Options();
  o.ejection.consecutive_failures = 1;
  AdmissionController ac(o, clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a").ok());
  SubmitResult timed_out = ac.Submit(Req(clock_));
  ASSERT_TRUE(timed_out.grant);
  // A hold in the past, or now, is a plain release.
  SubmitResult quick = ac.Submit(Req(clock_, 0, out_.For(1)));
  ASSERT_TRUE(ac.Release(timed_out.ticket, UpstreamOutcome::kCancelled,
                         clock_.SteadyNow())
                  .ok());
  ASSERT_EQ(out_.got.size(), 1u);
  EXPECT_EQ(Inflight(ac, "a"), 1);
  // A failure that is held ejects at once; the slot stays held all the same.
  ASSERT_TRUE(ac.Release(quick.ticket, UpstreamOutcome::kFailure,
                         clock_.SteadyNow() + seconds(2))
                  .ok());
  EXPECT_TRUE(ac.Backends()[0].ejected);
  EXPECT_EQ(Inflight(ac, "a"), 1);
  clock_.Advance(seconds(2));
  // Without ExpireDue: the next call frees it first.
  EXPECT_EQ(ac.Submit(Req(clock_)).status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(Inflight(ac, "a"), 0);
  EXPECT_EQ(ac.NextDeadline(), std::nullopt);
}

TEST_F(AdmissionTest, RemovedBackendIsForgottenWhenItsHoldEnds) {
  AdmissionController ac(Options(), clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a").ok());
  SubmitResult r = ac.Submit(Req(clock_));
  ASSERT_TRUE(ac.Release(r.ticket, UpstreamOutcome::kCancelled,
                         clock_.SteadyNow() + seconds(1))
                  .ok());
  ASSERT_TRUE(ac.RemoveBackend("a").ok());
  EXPECT_EQ(Inflight(ac, "a"), 1);
  clock_.Advance(seconds(1));
  EXPECT_EQ(ac.ExpireDue(), 0);
  EXPECT_EQ(Inflight(ac, "a"), -1);
}

TEST_F(AdmissionTest, NoHealthyBackendIsUnavailable) {
  AdmissionController ac(Options(), clock_, registry_);
  EXPECT_EQ(ac.Submit(Req(clock_)).status.code(), StatusCode::kUnavailable);
  ASSERT_TRUE(ac.AddBackend("a").ok());
  ac.ReportHealth("a", false);
  EXPECT_EQ(ac.Submit(Req(clock_)).status.code(), StatusCode::kUnavailable);
  ac.ReportHealth("a", true);
  AdmissionRequest r = Req(clock_);
  r.exclude = {"a"};
  EXPECT_EQ(ac.Submit(std::move(r)).status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(ac.Submit(Req(clock_)).grant);
}

TEST_F(AdmissionTest, RetryExcludesTriedBackends) {
  AdmissionController ac(Options(), clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a", 4).ok());
  ASSERT_TRUE(ac.AddBackend("b", 4).ok());
  ASSERT_TRUE(ac.Submit(Req(clock_)).grant);  // one of them is busier now
  for (const char* tried : {"a", "b"}) {
    AdmissionRequest r = Req(clock_);
    r.exclude = {tried};
    SubmitResult s = ac.Submit(std::move(r));
    ASSERT_TRUE(s.grant);
    EXPECT_NE(s.grant->backend, tried);
  }
}

TEST_F(AdmissionTest, EjectionAndHealthDriveDispatch) {
  AdmissionOptions o = Options();
  o.ejection.consecutive_failures = 2;
  o.ejection.base_backoff = seconds(10);
  AdmissionController ac(o, clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a").ok());
  for (int i = 0; i < 2; ++i) {
    SubmitResult r = ac.Submit(Req(clock_));
    ASSERT_TRUE(r.grant);
    ASSERT_TRUE(ac.Release(r.ticket, UpstreamOutcome::kNotStarted).ok());
  }
  EXPECT_EQ(ac.Submit(Req(clock_)).status.code(), StatusCode::kUnavailable);
  ASSERT_TRUE(ac.AddBackend("b").ok());
  ASSERT_EQ(ac.Submit(Req(clock_)).grant->backend, "b");
  ASSERT_TRUE(ac.Submit(Req(clock_, 0, out_.For(1))).status.ok());
  clock_.Advance(seconds(10));
  ac.ReportHealth("a", true);  // re-admitted: the queued request goes to a
  ASSERT_EQ(out_.got.size(), 1u);
  EXPECT_EQ(out_.got[0].second->backend, "a");
  EXPECT_EQ(
      registry_.AddCounter("zimon_backend_ejections_total", "", {"backend"})
          .WithLabels({"a"})
          .Value(),
      1);
}

TEST_F(AdmissionTest, RaisingLimitAdmitsQueued) {
  AdmissionController ac(Options(), clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a", 1).ok());
  ASSERT_TRUE(ac.Submit(Req(clock_)).grant);
  ASSERT_TRUE(ac.Submit(Req(clock_, 0, out_.For(1))).status.ok());
  ASSERT_TRUE(ac.AddBackend("a", 2).ok());
  ASSERT_EQ(out_.got.size(), 1u);
  EXPECT_TRUE(out_.got[0].second.ok());
  EXPECT_EQ(Inflight(ac, "a"), 2);
}

TEST_F(AdmissionTest, BackendRemovedWhileInFlight) {
  AdmissionController ac(Options(), clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a", 2).ok());
  SubmitResult on_a = ac.Submit(Req(clock_));
  ASSERT_EQ(on_a.grant->backend, "a");
  ASSERT_TRUE(ac.AddBackend("b", 1).ok());
  ASSERT_TRUE(ac.RemoveBackend("a").ok());
  EXPECT_EQ(ac.RemoveBackend("a").code(), StatusCode::kNotFound);
  EXPECT_EQ(Inflight(ac, "a"), 1);  // still accounted while draining
  SubmitResult on_b = ac.Submit(Req(clock_));
  ASSERT_EQ(on_b.grant->backend, "b");
  ASSERT_TRUE(ac.Submit(Req(clock_, 0, out_.For(1))).status.ok());
  // The request on the removed backend ends: it frees no slot for the queue.
  ASSERT_TRUE(ac.Release(on_a.ticket, UpstreamOutcome::kSuccess).ok());
  EXPECT_TRUE(out_.got.empty());
  EXPECT_EQ(Inflight(ac, "a"), -1);  // forgotten
  ASSERT_TRUE(ac.Release(on_b.ticket, UpstreamOutcome::kSuccess).ok());
  ASSERT_EQ(out_.got.size(), 1u);
  EXPECT_EQ(out_.got[0].second->backend, "b");
}

TEST_F(AdmissionTest, QueueWaitHistogramObservesEveryGrant) {
  AdmissionController ac(Options(), clock_, registry_);
  ASSERT_TRUE(ac.AddBackend("a").ok());
  SubmitResult first = ac.Submit(Req(clock_));
  ASSERT_TRUE(ac.Submit(Req(clock_, 0, [](StatusOr<Grant>) {})).status.ok());
  clock_.Advance(seconds(2));
  ASSERT_TRUE(ac.Release(first.ticket, UpstreamOutcome::kSuccess).ok());
  metrics::HistogramData h =
      registry_
          .AddHistogram("zimon_queue_wait_seconds", "", {},
                        metrics::DefaultLatencyBuckets())
          .WithLabels({})
          .Snapshot();
  EXPECT_EQ(h.count, 2u);
  EXPECT_DOUBLE_EQ(h.sum, 2.0);
}

TEST(AdmissionController, ConcurrentSubmitAndReleaseAccountExactly) {
  testing::FakeClock clock;
  metrics::Registry registry;
  AdmissionOptions o;
  o.queue_capacity = 100000;
  AdmissionController ac(o, clock, registry);
  ASSERT_TRUE(ac.AddBackend("a", 2).ok());
  ASSERT_TRUE(ac.AddBackend("b", 3).ok());
  ASSERT_TRUE(ac.AddBackend("c", 1).ok());

  std::mutex mu;
  std::deque<uint64_t> granted;  // tickets granted through callbacks
  std::atomic<int> grants{0}, releases{0}, cancels{0}, upstream_cancels{0};
  auto release_one = [&] {
    uint64_t t;
    {
      std::lock_guard lock(mu);
      if (granted.empty()) return false;
      t = granted.front();
      granted.pop_front();
    }
    if (ac.Release(t, UpstreamOutcome::kSuccess).ok()) ++releases;
    return true;
  };
  constexpr int kThreads = 4, kPerThread = 2000;
  std::vector<std::thread> threads;
  for (int k = 0; k < kThreads; ++k) {
    threads.emplace_back([&, k] {
      for (int i = 0; i < kPerThread; ++i) {
        AdmissionRequest r;
        r.priority = (i + k) % 4;
        r.on_done = [&](StatusOr<Grant> g) {
          if (!g.ok()) return;
          ++grants;
          std::lock_guard lock(mu);
          granted.push_back(g->ticket);
        };
        SubmitResult s = ac.Submit(std::move(r));
        ASSERT_TRUE(s.status.ok());
        if (s.grant) {
          ++grants;
          std::lock_guard lock(mu);
          granted.push_back(s.ticket);
        } else if (i % 17 == 0) {
          // Races with dispatch on other threads: either outcome is valid.
          switch (ac.Cancel(s.ticket)) {
            case CancelResult::kRemovedFromQueue:
              ++cancels;
              break;
            case CancelResult::kCancelUpstream:
              ++upstream_cancels;
              break;
            case CancelResult::kNotFound:
              break;  // granted and already released
          }
        }
        release_one();
      }
    });
  }
  for (auto& t : threads) t.join();
  while (release_one()) {
  }
  EXPECT_EQ(grants + cancels, kThreads * kPerThread);
  EXPECT_EQ(releases + upstream_cancels, grants.load());
  EXPECT_EQ(ac.queue_depth(), 0);
  for (const BackendView& v : ac.Backends()) {
    EXPECT_EQ(v.inflight, 0) << v.name;
  }
}

}  // namespace
}  // namespace zimon::gateway
