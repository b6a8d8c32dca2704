#include "zimon/gateway/backend_state.h"

#include <gtest/gtest.h>

#include <chrono>

#include "zimon/metrics/registry.h"
#include "zimon/testing/fake_clock.h"

namespace zimon::gateway {
namespace {

using std::chrono::seconds;

EjectionOptions TestOptions() {
  EjectionOptions o;
  o.consecutive_failures = 3;
  o.base_backoff = seconds(10);
  o.max_backoff = seconds(35);
  o.oom_cooldown = seconds(60);
  return o;
}

BackendView ViewOf(const BackendSet& set, const std::string& name,
                   Clock::SteadyTime now) {
  for (const BackendView& v : set.Views(now)) {
    if (v.name == name) return v;
  }
  ADD_FAILURE() << "no backend " << name;
  return {};
}

TEST(BackendSet, RejectsBadLimitAndUnknownRemove) {
  metrics::Registry registry;
  testing::FakeClock clock;
  BackendSet set(TestOptions(), registry);
  EXPECT_EQ(set.Upsert("a", 0, clock.SteadyNow()).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(set.Upsert("", 1, clock.SteadyNow()).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(set.Remove("nope").code(), StatusCode::kNotFound);
}

TEST(BackendSet, EjectsAfterConsecutiveFailures) {
  metrics::Registry registry;
  testing::FakeClock clock;
  BackendSet set(TestOptions(), registry);
  const auto t = clock.SteadyNow();
  ASSERT_TRUE(set.Upsert("a", 2, t).ok());
  auto fail = [&] {
    set.Acquire("a");
    set.Release("a", UpstreamOutcome::kFailure, clock.SteadyNow());
  };
  fail();
  fail();
  set.Acquire("a");
  set.Release("a", UpstreamOutcome::kSuccess, t);  // resets the streak
  fail();
  fail();
  EXPECT_TRUE(set.Up("a", t));
  fail();
  EXPECT_FALSE(set.Up("a", t));
  EXPECT_FALSE(set.Eligible("a", t));
  BackendView v = ViewOf(set, "a", t);
  EXPECT_TRUE(v.ejected);
  EXPECT_EQ(v.ejections, 1);
  EXPECT_EQ(v.ejected_until, t + seconds(10));
  EXPECT_EQ(
      registry.AddCounter("zimon_backend_ejections_total", "", {"backend"})
          .WithLabels({"a"})
          .Value(),
      1);
  EXPECT_EQ(registry.AddGauge("zimon_backend_up", "", {"backend"})
                .WithLabels({"a"})
                .Value(),
            0);
}

TEST(BackendSet, CancelledAndClientErrorsDoNotCount) {
  metrics::Registry registry;
  testing::FakeClock clock;
  BackendSet set(TestOptions(), registry);
  const auto t = clock.SteadyNow();
  ASSERT_TRUE(set.Upsert("a", 2, t).ok());
  for (int i = 0; i < 10; ++i) {
    set.Acquire("a");
    set.Release(
        "a",
        i % 2 ? UpstreamOutcome::kCancelled : UpstreamOutcome::kClientError, t);
  }
  EXPECT_TRUE(set.Up("a", t));
  EXPECT_EQ(set.Inflight("a"), 0);
}

TEST(BackendSet, BackoffDoublesAndReadmitsOnlyOnHealthAfterBackoff) {
  metrics::Registry registry;
  testing::FakeClock clock;
  BackendSet set(TestOptions(), registry);
  ASSERT_TRUE(set.Upsert("a", 1, clock.SteadyNow()).ok());
  auto eject = [&] {
    for (int i = 0; i < 3; ++i) {
      set.Acquire("a");
      set.Release("a", UpstreamOutcome::kNotStarted, clock.SteadyNow());
    }
    ASSERT_FALSE(set.Up("a", clock.SteadyNow()));
  };
  const seconds expected[] = {seconds(10), seconds(20), seconds(35),
                              seconds(35)};
  for (seconds backoff : expected) {
    eject();
    const auto t = clock.SteadyNow();
    EXPECT_EQ(ViewOf(set, "a", t).ejected_until, t + backoff);
    // Healthy before the back-off has passed: still ejected.
    clock.Advance(backoff - seconds(1));
    set.ReportHealth("a", true, clock.SteadyNow());
    EXPECT_FALSE(set.Up("a", clock.SteadyNow()));
    clock.Advance(seconds(1));
    // Back-off passed but the health check fails: still out.
    set.ReportHealth("a", false, clock.SteadyNow());
    EXPECT_FALSE(set.Up("a", clock.SteadyNow()));
    set.ReportHealth("a", true, clock.SteadyNow());
    EXPECT_TRUE(set.Up("a", clock.SteadyNow()));
  }
  // In service for max_backoff: the next ejection starts from base again.
  clock.Advance(seconds(35));
  eject();
  EXPECT_EQ(ViewOf(set, "a", clock.SteadyNow()).ejected_until,
            clock.SteadyNow() + seconds(10));
  EXPECT_EQ(ViewOf(set, "a", clock.SteadyNow()).ejections, 5);
}

TEST(BackendSet, OomDropsLimitByOneForCooldown) {
  metrics::Registry registry;
  testing::FakeClock clock;
  BackendSet set(TestOptions(), registry);
  ASSERT_TRUE(set.Upsert("a", 3, clock.SteadyNow()).ok());
  ASSERT_TRUE(set.Upsert("b", 1, clock.SteadyNow()).ok());
  auto& limit_gauge =
      registry.AddGauge("zimon_concurrency_limit", "", {"backend"});
  EXPECT_EQ(limit_gauge.WithLabels({"a"}).Value(), 3);
  set.Acquire("a");
  set.Acquire("a");
  set.Release("a", UpstreamOutcome::kOom, clock.SteadyNow());
  set.Release("a", UpstreamOutcome::kSuccess, clock.SteadyNow());
  set.Acquire("b");
  set.Release("b", UpstreamOutcome::kOom, clock.SteadyNow());
  // One OOM beside another request ejects at once.
  EXPECT_FALSE(set.Up("a", clock.SteadyNow()));
  EXPECT_EQ(set.EffectiveLimit("a", clock.SteadyNow()), 2);
  EXPECT_EQ(set.EffectiveLimit("b", clock.SteadyNow()), 1);  // not below 1
  EXPECT_EQ(limit_gauge.WithLabels({"a"}).Value(), 2);
  clock.Advance(seconds(10));
  set.ReportHealth("a", true, clock.SteadyNow());
  EXPECT_TRUE(set.Up("a", clock.SteadyNow()));
  EXPECT_EQ(set.EffectiveLimit("a", clock.SteadyNow()), 2);
  clock.Advance(seconds(50));
  EXPECT_EQ(set.EffectiveLimit("a", clock.SteadyNow()), 3);
  set.Refresh(clock.SteadyNow());
  EXPECT_EQ(limit_gauge.WithLabels({"a"}).Value(), 3);
}

// An OOM of a request that ran alone is that request's size: the backend
// stays in service for everyone else, and only a run of them (a leak)
// ejects it, as failures do.
TEST(BackendSet, AnOomThatRanAloneCountsAsAFailure) {
  metrics::Registry registry;
  testing::FakeClock clock;
  BackendSet set(TestOptions(), registry);  // consecutive_failures 3
  ASSERT_TRUE(set.Upsert("a", 2, clock.SteadyNow()).ok());
  set.Acquire("a");
  set.Release("a", UpstreamOutcome::kOom, clock.SteadyNow());
  EXPECT_TRUE(set.Up("a", clock.SteadyNow()));
  EXPECT_EQ(set.EffectiveLimit("a", clock.SteadyNow()), 1);  // the penalty
  set.Acquire("a");
  set.Release("a", UpstreamOutcome::kSuccess, clock.SteadyNow());
  EXPECT_EQ(ViewOf(set, "a", clock.SteadyNow()).consecutive_failures, 0);
  for (int i = 0; i < 2; ++i) {
    set.Acquire("a");
    set.Release("a", UpstreamOutcome::kOom, clock.SteadyNow());
  }
  EXPECT_TRUE(set.Up("a", clock.SteadyNow()));
  set.Acquire("a");
  set.Release("a", UpstreamOutcome::kOom, clock.SteadyNow());
  EXPECT_FALSE(set.Up("a", clock.SteadyNow()));  // the third in a row
  EXPECT_EQ(ViewOf(set, "a", clock.SteadyNow()).ejections, 1);
}

TEST(BackendSet, RemovedBackendKeepsAccountingUntilIdle) {
  metrics::Registry registry;
  testing::FakeClock clock;
  BackendSet set(TestOptions(), registry);
  const auto t = clock.SteadyNow();
  ASSERT_TRUE(set.Upsert("a", 2, t).ok());
  set.Acquire("a");
  set.Acquire("a");
  ASSERT_TRUE(set.Remove("a").ok());
  EXPECT_TRUE(set.Contains("a"));
  EXPECT_FALSE(set.Up("a", t));
  EXPECT_EQ(set.Inflight("a"), 2);
  set.Release("a", UpstreamOutcome::kSuccess, t);
  EXPECT_TRUE(set.Contains("a"));
  set.Release("a", UpstreamOutcome::kSuccess, t);
  EXPECT_FALSE(set.Contains("a"));
}

TEST(BackendSet, ReAddingDrainingBackendKeepsInflight) {
  metrics::Registry registry;
  testing::FakeClock clock;
  BackendSet set(TestOptions(), registry);
  const auto t = clock.SteadyNow();
  ASSERT_TRUE(set.Upsert("a", 2, t).ok());
  set.Acquire("a");
  ASSERT_TRUE(set.Remove("a").ok());
  ASSERT_TRUE(set.Upsert("a", 4, t).ok());
  EXPECT_TRUE(set.Up("a", t));
  EXPECT_EQ(set.Inflight("a"), 1);
  EXPECT_EQ(set.EffectiveLimit("a", t), 4);
}

}  // namespace
}  // namespace zimon::gateway
