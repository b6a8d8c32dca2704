#include "zimon/sim/event_loop.h"

#include <gtest/gtest.h>

#include <vector>

namespace zimon::sim {
namespace {

using std::chrono::seconds;

TEST(ManualEventLoop, RunsCallbacksInTimeThenSubmissionOrder) {
  ManualEventLoop loop;
  auto t0 = loop.Now();
  std::vector<int> order;
  loop.RunAt(t0 + seconds(2), [&] { order.push_back(3); });
  loop.RunAt(t0 + seconds(1), [&] { order.push_back(1); });
  loop.RunAt(t0 + seconds(1), [&] { order.push_back(2); });
  EXPECT_EQ(loop.RunFor(seconds(5)), 3);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(loop.Now(), t0 + seconds(5));
}

TEST(ManualEventLoop, NowIsTheCallbacksTimeWhileItRuns) {
  ManualEventLoop loop;
  auto t0 = loop.Now();
  EventLoop::Time seen{};
  loop.RunAt(t0 + seconds(3), [&] { seen = loop.Now(); });
  loop.RunUntilIdle();
  EXPECT_EQ(seen, t0 + seconds(3));
}

TEST(ManualEventLoop, RunsCallbacksScheduledByCallbacksWhenDue) {
  ManualEventLoop loop;
  auto t0 = loop.Now();
  int ran = 0;
  loop.RunAt(t0 + seconds(1), [&] {
    ++ran;
    loop.RunAt(loop.Now() + seconds(1), [&] { ++ran; });
    loop.RunAt(loop.Now() + seconds(10), [&] { ++ran; });
  });
  loop.RunFor(seconds(5));
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(loop.pending(), 1u);
}

TEST(ManualEventLoop, RunUntilIdleStopsAtTheCap) {
  ManualEventLoop loop;
  std::function<void()> tick = [&] {
    loop.RunAt(loop.Now() + seconds(1), tick);
  };
  loop.RunAt(loop.Now(), tick);
  EXPECT_EQ(loop.RunUntilIdle(100), 100);
}

TEST(ManualEventLoop, PastDeadlinesRunWithoutMovingTimeBack) {
  ManualEventLoop loop;
  auto t0 = loop.Now();
  bool ran = false;
  loop.RunAt(t0 - seconds(5), [&] { ran = true; });
  loop.RunFor(seconds(0));
  EXPECT_TRUE(ran);
  EXPECT_EQ(loop.Now(), t0);
}

}  // namespace
}  // namespace zimon::sim
