#include "zimon/collect/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "zimon/collect/test_util.h"

namespace zimon::collect {
namespace {

using testing::CollectAll;
using testing::Value;
using testing::ValueOrNaN;

class FakeCollector : public SnapshotCollector {
 public:
  explicit FakeCollector(std::string name) : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  RefreshResult Refresh() override {
    int n = ++refreshes_;
    std::vector<metrics::FamilySnapshot> families;
    auto f =
        MakeFamily("fake_refreshes", "Refreshes.", metrics::MetricType::kGauge);
    AddPoint(f, {}, n);
    families.push_back(std::move(f));
    published_.Publish(std::move(families));
    {
      std::lock_guard<std::mutex> lock(mu_);
      cv_.notify_all();
    }
    return next_result;
  }
  void Collect(std::vector<metrics::FamilySnapshot>& out) const override {
    published_.AppendTo(out);
  }
  void WaitForRefreshes(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return refreshes_.load() >= n; });
  }

  RefreshResult next_result;
  std::atomic<int> refreshes_{0};

 private:
  std::string name_;
  PublishedSnapshot published_;
  std::mutex mu_;
  std::condition_variable cv_;
};

TEST(CollectorScheduler, RejectsIntervalsUnderOneSecond) {
  CollectorScheduler s;
  auto r = s.Add(std::make_unique<FakeCollector>("x"),
                 std::chrono::milliseconds(999));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(s.Add(nullptr, std::chrono::seconds(1)).ok());
}

TEST(CollectorScheduler, RunOnceRefreshesAndExportsSelfMetrics) {
  CollectorScheduler s;
  auto gpu = std::make_unique<FakeCollector>("gpu");
  gpu->next_result = RefreshResult{false, 2};
  auto* gpu_raw = gpu.get();
  auto added = s.Add(std::move(gpu), std::chrono::seconds(5));
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, gpu_raw);
  ASSERT_TRUE(
      s.Add(std::make_unique<FakeCollector>("host"), std::chrono::seconds(10))
          .ok());

  EXPECT_TRUE(CollectAll(s).empty());  // nothing ran yet
  ASSERT_TRUE(s.RunOnce().ok());
  ASSERT_TRUE(s.RunOnce().ok());
  auto f = CollectAll(s);
  EXPECT_EQ(ValueOrNaN(f, "zimon_collector_up", {{"collector", "gpu"}}), 0);
  EXPECT_EQ(ValueOrNaN(f, "zimon_collector_up", {{"collector", "host"}}), 1);
  EXPECT_EQ(ValueOrNaN(f, "zimon_collector_errors", {{"collector", "gpu"}}), 4);
  EXPECT_EQ(ValueOrNaN(f, "zimon_collector_errors", {{"collector", "host"}}),
            0);
  EXPECT_GE(ValueOrNaN(f, "zimon_collector_duration_seconds",
                       {{"collector", "host"}}),
            0);
  EXPECT_GT(ValueOrNaN(f, "zimon_collector_last_success_timestamp_seconds",
                       {{"collector", "host"}}),
            1.6e9);
  EXPECT_FALSE(Value(f, "zimon_collector_last_success_timestamp_seconds",
                     {{"collector", "gpu"}})
                   .has_value());
  EXPECT_EQ(ValueOrNaN(CollectAll(*gpu_raw), "fake_refreshes"), 2);
}

TEST(CollectorScheduler, ThreadRefreshesImmediatelyOnStart) {
  CollectorScheduler s;
  auto c = std::make_unique<FakeCollector>("host");
  auto* raw = c.get();
  ASSERT_TRUE(s.Add(std::move(c), std::chrono::seconds(3600)).ok());
  ASSERT_TRUE(s.Start().ok());
  EXPECT_EQ(s.Start().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.RunOnce().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(
      s.Add(std::make_unique<FakeCollector>("late"), std::chrono::seconds(1))
          .ok());
  raw->WaitForRefreshes(1);
  s.Stop();
  s.Stop();
  EXPECT_EQ(raw->refreshes_.load(),
            1);  // the hour-long interval never came round
}

}  // namespace
}  // namespace zimon::collect
