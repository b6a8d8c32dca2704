#include "zimon/testing/fake_clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace zimon::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(FakeClock, StartsAtFixedEpoch) {
  FakeClock clock;
  EXPECT_EQ(clock.Now().time_since_epoch(), FakeClock::kDefaultEpoch);
  FakeClock other;
  EXPECT_EQ(clock.SteadyNow(), other.SteadyNow());
}

TEST(FakeClock, AdvanceMovesBothClocks) {
  FakeClock clock;
  auto wall = clock.Now();
  auto steady = clock.SteadyNow();
  clock.Advance(milliseconds(1500));
  EXPECT_EQ(clock.Now() - wall, milliseconds(1500));
  EXPECT_EQ(clock.SteadyNow() - steady, milliseconds(1500));
}

TEST(FakeClock, SetNowMovesOnlyWallTime) {
  FakeClock clock;
  auto steady = clock.SteadyNow();
  auto t = Clock::WallTime(seconds(1000));
  clock.SetNow(t);
  EXPECT_EQ(clock.Now(), t);
  EXPECT_EQ(clock.SteadyNow(), steady);
}

TEST(FakeClock, NegativeAdvanceNeverMovesSteadyBack) {
  FakeClock clock;
  auto steady = clock.SteadyNow();
  clock.Advance(-seconds(5));
  EXPECT_EQ(clock.SteadyNow(), steady);
}

TEST(FakeClock, SleepUntilPastDeadlineReturnsAtOnce) {
  FakeClock clock;
  clock.SleepUntil(clock.SteadyNow());
  clock.SleepFor(milliseconds(0));
  EXPECT_EQ(clock.sleepers(), 0);
}

TEST(FakeClock, SleeperWakesOnlyWhenDeadlineReached) {
  FakeClock clock;
  std::atomic<bool> woke{false};
  std::thread sleeper([&] {
    clock.SleepFor(seconds(10));
    woke = true;
  });
  clock.AwaitSleepers(1);
  clock.Advance(seconds(9));
  EXPECT_FALSE(woke.load());
  EXPECT_EQ(clock.sleepers(), 1);
  clock.Advance(seconds(1));
  sleeper.join();
  EXPECT_TRUE(woke.load());
  EXPECT_EQ(clock.sleepers(), 0);
}

TEST(FakeClock, ConcurrentAdvancesAllCount) {
  FakeClock clock;
  auto start = clock.SteadyNow();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) clock.Advance(milliseconds(1));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(clock.SteadyNow() - start, seconds(4));
}

}  // namespace
}  // namespace zimon::testing
