#include "zimon/metrics/counter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

#include "zimon/metrics/gauge.h"

namespace zimon::metrics {
namespace {

TEST(Counter, StartsAtZero) {
  Counter c;
  EXPECT_EQ(c.Value(), 0);
}

TEST(Counter, AddsWholeAndFractionalIncrements) {
  Counter c;
  c.Inc();
  c.Inc(2);
  c.Inc(0.25);
  c.Inc(1e15);
  EXPECT_EQ(c.Value(), 1e15 + 3.25);
}

TEST(Counter, IgnoresNegativeAndNaNIncrements) {
  Counter c;
  c.Inc(5);
  c.Inc(-1);
  c.Inc(std::nan(""));
  c.Inc(-0.5);
  EXPECT_EQ(c.Value(), 5);
}

TEST(Counter, ConcurrentIncrementsSumExactly) {
  Counter c;
  constexpr int kThreads = 6;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&c, t] {
      for (int i = 0; i < kPerThread; ++i) c.Inc(t % 2 == 0 ? 1 : 0.5);
    });
  }
  for (auto& t : threads) t.join();
  // 3 threads add 1, 3 add 0.5 (exact in binary).
  EXPECT_EQ(c.Value(), 3.0 * kPerThread + 1.5 * kPerThread);
}

TEST(Counter, CellsSitOnSeparateCacheLines) {
  EXPECT_GE(sizeof(Counter), internal::kShards * internal::kCacheLine);
  EXPECT_EQ(alignof(Counter), internal::kCacheLine);
}

TEST(Gauge, SetIncDec) {
  Gauge g;
  g.Set(10);
  g.Inc();
  g.Inc(2.5);
  g.Dec(4);
  EXPECT_EQ(g.Value(), 9.5);
  g.Set(-3);
  EXPECT_EQ(g.Value(), -3);
}

TEST(Gauge, ConcurrentIncAndDecBalance) {
  Gauge g;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&g, t] {
      for (int i = 0; i < 50000; ++i) {
        if (t % 2 == 0) {
          g.Inc();
        } else {
          g.Dec();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(g.Value(), 0);
}

TEST(ShardIndex, DiffersBetweenConsecutiveThreads) {
  uint32_t a = 0, b = 0;
  std::thread([&] { a = internal::ShardIndex(); }).join();
  std::thread([&] { b = internal::ShardIndex(); }).join();
  EXPECT_LT(a, internal::kShards);
  EXPECT_LT(b, internal::kShards);
  // Tests in one binary run one after another, so no other thread takes a
  // sequence number in between: consecutive threads get adjacent shards.
  EXPECT_EQ(b, (a + 1) % internal::kShards);
}

}  // namespace
}  // namespace zimon::metrics
