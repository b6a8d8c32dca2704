#include "zimon/metrics/registry.h"

#include <gtest/gtest.h>

#include <thread>

namespace zimon::metrics {
namespace {

const FamilySnapshot* Find(const std::vector<FamilySnapshot>& families,
                           std::string_view name) {
  for (const FamilySnapshot& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(Registry, WithLabelsReturnsStableReference) {
  Registry registry;
  auto& family = registry.AddCounter("zimon_requests_total", "Requests.",
                                     {"backend", "outcome"});
  Counter& a = family.WithLabels({"gpu-0", "success"});
  for (int i = 0; i < 100; ++i) {
    family.WithLabels({"gpu-" + std::to_string(i), "timeout"});
  }
  std::vector<std::string> values = {"gpu-0", "success"};
  EXPECT_EQ(&a, &family.WithLabels(values));
  EXPECT_EQ(&a, &family.WithLabels({"gpu-0", "success"}));
  EXPECT_EQ(family.name(), "zimon_requests_total");
}

TEST(Registry, CollectsSortedFamiliesAndLabelledPoints) {
  Registry registry;
  auto& requests = registry.AddCounter("zimon_requests_total", "Requests.",
                                       {"backend", "outcome"});
  registry.AddGauge("zimon_queue_depth", "Queued.").WithLabels({}).Set(3);
  requests.WithLabels({"gpu-1", "success"}).Inc(2);
  requests.WithLabels({"gpu-0", "timeout"}).Inc();
  std::vector<FamilySnapshot> families = registry.Collect();
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].name, "zimon_queue_depth");
  EXPECT_EQ(families[0].type, MetricType::kGauge);
  ASSERT_EQ(families[0].points.size(), 1u);
  EXPECT_TRUE(families[0].points[0].labels.empty());
  EXPECT_EQ(families[0].points[0].value, 3);
  const FamilySnapshot& counter = families[1];
  EXPECT_EQ(counter.name, "zimon_requests");  // without _total
  EXPECT_EQ(counter.help, "Requests.");
  EXPECT_EQ(counter.type, MetricType::kCounter);
  ASSERT_EQ(counter.points.size(), 2u);
  EXPECT_EQ(counter.points[0].labels,
            (Labels{{"backend", "gpu-0"}, {"outcome", "timeout"}}));
  EXPECT_EQ(counter.points[0].value, 1);
  EXPECT_EQ(counter.points[1].value, 2);
}

TEST(Registry, AddingTheSameFamilyTwiceReturnsIt) {
  Registry registry;
  auto& a = registry.AddHistogram("zimon_batch_size", "Batch.", {}, {1, 2, 4});
  auto& b = registry.AddHistogram("zimon_batch_size", "Batch.", {}, {4, 2, 1});
  EXPECT_EQ(&a, &b);
  auto& c = registry.AddCounter("zimon_feedback_total", "Feedback.");
  EXPECT_EQ(&c, &registry.AddCounter("zimon_feedback_total", "Feedback."));
}

TEST(Registry, RemoveHidesAChildAndWithLabelsRevivesIt) {
  Registry registry;
  auto& up = registry.AddGauge("zimon_backend_up", "Health.", {"backend"});
  Gauge& g = up.WithLabels({"gpu-0"});
  g.Set(1);
  up.WithLabels({"gpu-1"}).Set(0);
  up.Remove({"gpu-0"});
  g.Set(5);  // still valid
  auto families = registry.Collect();
  ASSERT_EQ(families[0].points.size(), 1u);
  EXPECT_EQ(families[0].points[0].labels[0].value, "gpu-1");
  EXPECT_EQ(&up.WithLabels({"gpu-0"}), &g);
  families = registry.Collect();
  ASSERT_EQ(families[0].points.size(), 2u);
  EXPECT_EQ(families[0].points[0].value, 5);
}

TEST(Registry, HistogramSnapshotIsCumulative) {
  Registry registry;
  auto& h = registry.AddHistogram("zimon_request_duration_seconds", "Latency.",
                                  {"backend"}, {0.5, 1});
  Histogram& child = h.WithLabels({"gpu-0"});
  child.Observe(0.5);
  child.Observe(0.7);
  child.Observe(3);
  auto families = registry.Collect();
  const HistogramData& d = families[0].points[0].histogram;
  ASSERT_EQ(d.buckets.size(), 3u);
  EXPECT_EQ(d.buckets[0].cumulative_count, 1u);
  EXPECT_EQ(d.buckets[1].cumulative_count, 2u);
  EXPECT_EQ(d.buckets[2].cumulative_count, 3u);
  EXPECT_EQ(d.count, 3u);
  EXPECT_DOUBLE_EQ(d.sum, 4.2);
}

class FakeCollector : public Collector {
 public:
  explicit FakeCollector(std::vector<FamilySnapshot> families)
      : families_(std::move(families)) {}
  void Collect(std::vector<FamilySnapshot>& out) const override {
    out.insert(out.end(), families_.begin(), families_.end());
  }

 private:
  std::vector<FamilySnapshot> families_;
};

FamilySnapshot GaugeFamily(std::string name, double v,
                           MetricType type = MetricType::kGauge) {
  FamilySnapshot f{std::move(name), "From a collector.", type, {}};
  f.points.emplace_back().value = v;
  return f;
}

TEST(Registry, MergesCollectorFamiliesInNameOrder) {
  Registry registry;
  registry.AddGauge("zimon_m", "Own.").WithLabels({}).Set(1);
  FakeCollector gpu({GaugeFamily("zimon_z", 26), GaugeFamily("zimon_a", 2),
                     GaugeFamily("zimon_m", 7)});
  registry.RegisterCollector(&gpu);
  registry.RegisterCollector(&gpu);  // once only
  auto families = registry.Collect();
  ASSERT_EQ(families.size(), 3u);
  EXPECT_EQ(families[0].name, "zimon_a");
  EXPECT_EQ(families[1].name, "zimon_m");
  ASSERT_EQ(families[1].points.size(), 2u);  // merged, registry's first
  EXPECT_EQ(families[1].points[0].value, 1);
  EXPECT_EQ(families[1].points[1].value, 7);
  EXPECT_EQ(families[2].name, "zimon_z");
  registry.UnregisterCollector(&gpu);
  EXPECT_EQ(registry.Collect().size(), 1u);
}

TEST(Registry, DropsCollectorFamilyWithConflictingType) {
  Registry registry;
  registry.AddGauge("zimon_m", "Own.").WithLabels({}).Set(1);
  FakeCollector other({GaugeFamily("zimon_m", 7, MetricType::kCounter)});
  registry.RegisterCollector(&other);
  auto families = registry.Collect();
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].type, MetricType::kGauge);
  EXPECT_EQ(families[0].points.size(), 1u);
  registry.UnregisterCollector(&other);
}

TEST(Registry, ConcurrentWithLabelsAndCollect) {
  Registry registry;
  auto& family = registry.AddCounter("zimon_x_total", "X.", {"n"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&family, t] {
      for (int i = 0; i < 200; ++i) {
        family.WithLabels({std::to_string((i + t) % 50)}).Inc();
      }
    });
  }
  threads.emplace_back([&registry] {
    for (int i = 0; i < 50; ++i) (void)registry.Collect();
  });
  for (auto& t : threads) t.join();
  auto families = registry.Collect();
  const FamilySnapshot* x = Find(families, "zimon_x");
  ASSERT_NE(x, nullptr);
  double total = 0;
  for (const MetricPoint& p : x->points) total += p.value;
  EXPECT_EQ(x->points.size(), 50u);
  EXPECT_EQ(total, 800);
}

}  // namespace
}  // namespace zimon::metrics
