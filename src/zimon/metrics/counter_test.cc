#include "zimon/metrics/counter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
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

TEST(Shard, LiveThreadsOwnDistinctCellsAndOverflowShares) {
  // More threads alive at once than exclusive cells: each of the first ones
  // owns a different cell, the rest share the last one, and no increment is
  // lost either way.
  constexpr int kThreads = internal::kShards + 4;
  constexpr int kIncrements = 20000;
  Counter counter;
  std::vector<internal::Shard> shards(kThreads);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      shards[t] = internal::CurrentShard();
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();  // all alive
      for (int i = 0; i < kIncrements; ++i) counter.Inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter.Value(), double{kThreads} * kIncrements);
  std::set<uint32_t> exclusive;
  int shared = 0;
  for (const internal::Shard& s : shards) {
    if (s.exclusive) {
      EXPECT_LT(s.index, internal::kSharedShard);
      EXPECT_TRUE(exclusive.insert(s.index).second)
          << "cell " << s.index << " owned twice";
    } else {
      EXPECT_EQ(s.index, internal::kSharedShard);
      ++shared;
    }
  }
  // The test's own thread may hold one exclusive cell.
  EXPECT_GE(exclusive.size(), internal::kSharedShard - 1u);
  EXPECT_GE(shared, kThreads - static_cast<int>(internal::kSharedShard));
}

TEST(Shard, ExitedThreadsReleaseTheirCellAndKeepTheirCounts) {
  Counter counter;
  internal::Shard first{}, second{};
  std::thread([&] {
    first = internal::CurrentShard();
    for (int i = 0; i < 1000; ++i) counter.Inc();
  }).join();
  std::thread([&] {
    second = internal::CurrentShard();
    for (int i = 0; i < 1000; ++i) counter.Inc();
  }).join();
  EXPECT_TRUE(first.exclusive);
  EXPECT_TRUE(second.exclusive);
  EXPECT_EQ(first.index, second.index);  // the freed cell is claimed again
  EXPECT_EQ(counter.Value(), 2000);      // and the new owner adds on top
}

}  // namespace
}  // namespace zimon::metrics
