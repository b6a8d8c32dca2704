#include "zimon/common/window_counter.h"

#include <gtest/gtest.h>

namespace zimon {
namespace {

using namespace std::chrono_literals;
using Time = WindowCounter::Time;

Time At(std::chrono::milliseconds ms) { return Time(ms); }

TEST(WindowCounter, EmptyCountsZero) {
  WindowCounter c(10s, 10);
  EXPECT_EQ(c.Count(At(5000ms)), 0);
}

TEST(WindowCounter, CountsEventsInsideTheWindow) {
  WindowCounter c(10s, 10);
  for (int i = 0; i < 20; ++i) c.Add(At(i * 500ms));  // 0 .. 9.5 s
  EXPECT_DOUBLE_EQ(c.Count(At(9999ms)), 20);
}

TEST(WindowCounter, ASteadyRateIsCountedExactly) {
  WindowCounter c(30s, 30);
  // Ten a second for a minute: the last 30 s hold 300.
  for (int i = 1; i <= 600; ++i) c.Add(At(i * 100ms));
  EXPECT_NEAR(c.Count(At(60000ms)), 300, 1);
  EXPECT_NEAR(c.Count(At(60050ms)), 300, 1);  // mid-slot
}

TEST(WindowCounter, EventsLeaveAsTheWindowPassesThem) {
  WindowCounter c(10s, 10);
  c.Add(At(0ms), 10);
  EXPECT_DOUBLE_EQ(c.Count(At(9000ms)), 10);
  // The window starts half-way through their slot.
  EXPECT_DOUBLE_EQ(c.Count(At(10500ms)), 5);
  EXPECT_DOUBLE_EQ(c.Count(At(11000ms)), 0);
  c.Add(At(11000ms));
  EXPECT_DOUBLE_EQ(c.Count(At(11000ms)), 1);
}

TEST(WindowCounter, ALongSilenceForgetsEverything) {
  WindowCounter c(1s, 4);
  c.Add(At(0ms), 7);
  EXPECT_EQ(c.Count(At(3600s)), 0);
  c.Add(At(3600s));
  EXPECT_EQ(c.Count(At(3600s)), 1);
}

TEST(WindowCounter, HandlesTimesBeforeTheClocksEpoch) {
  WindowCounter c(10s, 10);
  c.Add(At(-5000ms));
  c.Add(At(-100ms));
  c.Add(At(0ms));
  EXPECT_DOUBLE_EQ(c.Count(At(1000ms)), 3);
  EXPECT_DOUBLE_EQ(c.Count(At(9000ms)), 2);
}

}  // namespace
}  // namespace zimon
