#include "zimon/common/drop_report.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "zimon/testing/fake_clock.h"
#include "zimon/testing/log_capture.h"

namespace zimon {
namespace {

using namespace std::chrono_literals;

TEST(DropReport, LogsNothingWithoutDrops) {
  testing::LogCapture logs;
  testing::FakeClock clock;
  {
    DropReport report("queue full", "lines", clock);
    report.Report();
  }
  EXPECT_TRUE(logs.With("queue full").empty());
}

TEST(DropReport, LogsAtMostOncePerIntervalAndTheRestAtTheEnd) {
  testing::LogCapture logs;
  testing::FakeClock clock;
  {
    DropReport report("queue full", "lines", clock, 10s);
    report.Add();
    report.Add(2);
    report.Report();
    ASSERT_EQ(logs.With("queue full").size(), 1u);
    EXPECT_EQ(logs.With("queue full")[0]["lines"], 3);
    EXPECT_EQ(logs.With("queue full")[0]["level"], "warn");

    clock.Advance(9s);
    report.Add(4);
    report.Report();  // too soon: kept for later
    EXPECT_EQ(logs.With("queue full").size(), 1u);

    clock.Advance(1s);
    report.Add();
    report.Report();
    ASSERT_EQ(logs.With("queue full").size(), 2u);
    EXPECT_EQ(logs.With("queue full")[1]["lines"], 5);

    report.Add(7);  // never reported: the destructor says it
  }
  ASSERT_EQ(logs.With("queue full").size(), 3u);
  EXPECT_EQ(logs.With("queue full")[2]["lines"], 7);
}

TEST(DropReport, CountsDropsFromManyThreads) {
  testing::LogCapture logs;
  testing::FakeClock clock;
  {
    DropReport report("queue full", "records", clock);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&report] {
        for (int i = 0; i < 1000; ++i) report.Add();
      });
    }
    for (auto& t : threads) t.join();
    report.Report();
  }
  auto lines = logs.With("queue full");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["records"], 4000);
}

}  // namespace
}  // namespace zimon
