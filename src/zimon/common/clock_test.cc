#include "zimon/common/clock.h"

#include <gtest/gtest.h>

namespace zimon {
namespace {

TEST(RealClock, SteadyNowNeverGoesBackwards) {
  Clock& clock = SystemClock();
  Clock::SteadyTime prev = clock.SteadyNow();
  for (int i = 0; i < 1000; ++i) {
    Clock::SteadyTime now = clock.SteadyNow();
    EXPECT_GE(now, prev);
    prev = now;
  }
}

TEST(RealClock, NowIsWallTime) {
  auto before = std::chrono::system_clock::now();
  auto now = SystemClock().Now();
  auto after = std::chrono::system_clock::now();
  EXPECT_GE(now, before);
  EXPECT_LE(now, after);
}

TEST(RealClock, SleepUntilPastDeadlineReturnsAtOnce) {
  Clock& clock = SystemClock();
  clock.SleepUntil(clock.SteadyNow() - std::chrono::seconds(1));
  clock.SleepFor(std::chrono::nanoseconds(0));
}

TEST(SystemClock, IsOneInstance) { EXPECT_EQ(&SystemClock(), &SystemClock()); }

}  // namespace
}  // namespace zimon
