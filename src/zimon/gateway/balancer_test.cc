#include "zimon/gateway/balancer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "zimon/metrics/registry.h"
#include "zimon/testing/fake_clock.h"

namespace zimon::gateway {
namespace {

using std::chrono::seconds;

TEST(Balancer, PicksLeastOutstanding) {
  metrics::Registry registry;
  testing::FakeClock clock;
  const auto t = clock.SteadyNow();
  BackendSet set(EjectionOptions{}, registry);
  ASSERT_TRUE(set.Upsert("a", 4, t).ok());
  ASSERT_TRUE(set.Upsert("b", 4, t).ok());
  ASSERT_TRUE(set.Upsert("c", 4, t).ok());
  set.Acquire("a");
  set.Acquire("a");
  set.Acquire("b");
  set.Acquire("c");
  set.Acquire("c");
  Balancer balancer(1);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(balancer.Pick(set, t, {}), "b");
  }
}

TEST(Balancer, SkipsFullEjectedUnhealthyAndExcluded) {
  metrics::Registry registry;
  testing::FakeClock clock;
  const auto t = clock.SteadyNow();
  EjectionOptions o;
  o.consecutive_failures = 1;
  BackendSet set(o, registry);
  for (const char* n : {"full", "ejected", "sick", "tried", "ok"}) {
    ASSERT_TRUE(set.Upsert(n, 1, t).ok());
  }
  set.Acquire("full");
  set.Acquire("ejected");
  set.Release("ejected", UpstreamOutcome::kFailure, t);
  set.ReportHealth("sick", false, t);
  set.Acquire("ok");  // now full as well
  Balancer balancer(7);
  EXPECT_EQ(balancer.Pick(set, t, {"ok"}), "tried");
  EXPECT_EQ(balancer.Pick(set, t, {"tried"}), std::nullopt);
  set.Release("ok", UpstreamOutcome::kSuccess, t);
  EXPECT_EQ(balancer.Pick(set, t, {"tried"}), "ok");
}

TEST(Balancer, BreaksTiesUniformlyAtRandom) {
  metrics::Registry registry;
  testing::FakeClock clock;
  const auto t = clock.SteadyNow();
  BackendSet set(EjectionOptions{}, registry);
  for (const char* n : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(set.Upsert(n, 2, t).ok());
  }
  set.Acquire("d");  // not tied
  Balancer balancer(12345);
  std::map<std::string, int> counts;
  constexpr int kPicks = 30000;
  for (int i = 0; i < kPicks; ++i) ++counts[*balancer.Pick(set, t, {})];
  EXPECT_EQ(counts.count("d"), 0u);
  for (const char* n : {"a", "b", "c"}) {
    // Expected 10000 each; 5 sigma is about 400.
    EXPECT_NEAR(counts[n], kPicks / 3, 500) << n;
  }
  // Same seed, same sequence.
  Balancer again(12345), other(54321);
  bool differs = false;
  Balancer first(12345);
  for (int i = 0; i < 50; ++i) {
    auto x = first.Pick(set, t, {});
    EXPECT_EQ(x, again.Pick(set, t, {}));
    differs |= x != other.Pick(set, t, {});
  }
  EXPECT_TRUE(differs);
}

TEST(IsRetryable, OnlyWhenGenerationNeverStarted) {
  EXPECT_TRUE(IsRetryable(UpstreamOutcome::kNotStarted));
  EXPECT_FALSE(IsRetryable(UpstreamOutcome::kFailure));
  EXPECT_FALSE(IsRetryable(UpstreamOutcome::kOom));
  EXPECT_FALSE(IsRetryable(UpstreamOutcome::kSuccess));
  EXPECT_FALSE(IsRetryable(UpstreamOutcome::kCancelled));
  EXPECT_FALSE(IsRetryable(UpstreamOutcome::kClientError));
}

TEST(RetryBudget, MinimumThenRatioOverWindow) {
  testing::FakeClock clock;
  RetryBudgetOptions o;
  o.ratio = 0.2;
  o.min_retries = 3;
  o.window = seconds(10);
  RetryBudget budget(o, clock);
  EXPECT_EQ(budget.Available(), 3);
  EXPECT_TRUE(budget.TryRetry());
  EXPECT_TRUE(budget.TryRetry());
  EXPECT_TRUE(budget.TryRetry());
  EXPECT_FALSE(budget.TryRetry());
  for (int i = 0; i < 50; ++i) budget.RecordRequest();
  // 20% of 50 = 10 allowed, 3 spent.
  EXPECT_EQ(budget.Available(), 7);
  int granted = 0;
  while (budget.TryRetry()) ++granted;
  EXPECT_EQ(granted, 7);
  // The window slides: everything above is forgotten.
  clock.Advance(seconds(11));
  EXPECT_EQ(budget.Available(), 3);
}

}  // namespace
}  // namespace zimon::gateway
