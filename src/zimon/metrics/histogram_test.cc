#include "zimon/metrics/histogram.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include "zimon/metrics/registry.h"

namespace zimon::metrics {
namespace {

std::vector<uint64_t> Counts(const HistogramData& h) {
  std::vector<uint64_t> out;
  for (const Bucket& b : h.buckets) out.push_back(b.cumulative_count);
  return out;
}

TEST(Histogram, ValueEqualToBoundGoesInThatBucket) {
  Histogram h({1, 2, 5});
  h.Observe(1);
  h.Observe(2);
  h.Observe(2.0000001);
  h.Observe(5);
  h.Observe(6);
  HistogramData d = h.Snapshot();
  ASSERT_EQ(d.buckets.size(), 4u);
  EXPECT_EQ(d.buckets[0].upper_bound, 1);
  EXPECT_EQ(d.buckets[3].upper_bound, INFINITY);
  EXPECT_EQ(Counts(d), (std::vector<uint64_t>{1, 2, 4, 5}));
  EXPECT_EQ(d.count, 5u);
  EXPECT_DOUBLE_EQ(d.sum, 1 + 2 + 2.0000001 + 5 + 6);
}

TEST(Histogram, NaNGoesToInfBucketAndPoisonsSum) {
  Histogram h({1});
  h.Observe(std::nan(""));
  HistogramData d = h.Snapshot();
  EXPECT_EQ(Counts(d), (std::vector<uint64_t>{0, 1}));
  EXPECT_TRUE(std::isnan(d.sum));
}

TEST(Histogram, SanitisesBounds) {
  Histogram h({5, 1, INFINITY, 1, std::nan("")});
  EXPECT_EQ(h.upper_bounds(), (std::vector<double>{1, 5}));
  Histogram empty({});
  empty.Observe(3);
  EXPECT_EQ(Counts(empty.Snapshot()), (std::vector<uint64_t>{1}));
}

TEST(Histogram, ManyBucketsUseTheSameBoundaryRule) {
  std::vector<double> bounds = LinearBuckets(1, 1, 40);  // binary search path
  Histogram h(bounds);
  for (double b : bounds) h.Observe(b);
  h.Observe(0.5);
  h.Observe(40.5);
  HistogramData d = h.Snapshot();
  ASSERT_EQ(d.buckets.size(), 41u);
  EXPECT_EQ(d.buckets[0].cumulative_count, 2u);  // 0.5 and 1
  for (size_t i = 1; i < 40; ++i) {
    EXPECT_EQ(d.buckets[i].cumulative_count, i + 2) << i;
  }
  EXPECT_EQ(d.buckets[40].cumulative_count, 42u);
}

TEST(Histogram, ConcurrentObservesStaySelfConsistent) {
  Histogram h({0.1, 1, 10});
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  constexpr int kPerThread = 50000;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&h] {
      for (int i = 0; i < kPerThread; ++i)
        h.Observe((i % 4) * 4.0);  // 0,4,8,12
    });
  }
  std::thread reader([&] {
    while (!stop.load()) {
      HistogramData d = h.Snapshot();
      uint64_t prev = 0;
      for (const Bucket& b : d.buckets) {
        ASSERT_GE(b.cumulative_count, prev);
        prev = b.cumulative_count;
      }
      ASSERT_EQ(d.buckets.back().cumulative_count, d.count);
    }
  });
  for (auto& t : threads) t.join();
  stop = true;
  reader.join();
  HistogramData d = h.Snapshot();
  EXPECT_EQ(d.count, 3u * kPerThread);
  EXPECT_EQ(Counts(d),
            (std::vector<uint64_t>{3 * kPerThread / 4, 3 * kPerThread / 4,
                                   3 * kPerThread * 3 / 4, 3 * kPerThread}));
  EXPECT_EQ(d.sum, 3.0 * kPerThread / 4 * (0 + 4 + 8 + 12));
}

TEST(Buckets, HelpersProduceExpectedBounds) {
  EXPECT_EQ(ExponentialBuckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_EQ(LinearBuckets(0.5, 0.5, 3), (std::vector<double>{0.5, 1, 1.5}));
  std::vector<double> latency = DefaultLatencyBuckets();
  EXPECT_EQ(latency.front(), 0.005);
  EXPECT_EQ(latency.back(), 60);
  EXPECT_TRUE(std::is_sorted(latency.begin(), latency.end()));
  EXPECT_NE(std::find(latency.begin(), latency.end(), 1.5), latency.end());
}

}  // namespace
}  // namespace zimon::metrics
