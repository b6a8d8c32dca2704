#include "zimon/gateway/request_metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "zimon/metrics/registry.h"

namespace zimon::gateway {
namespace {

const metrics::FamilySnapshot* Family(
    const std::vector<metrics::FamilySnapshot>& families,
    const std::string& name) {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(RequestMetrics, NamesEveryOutcomeAsTheContractDoes) {
  EXPECT_EQ(RequestOutcomeName(RequestOutcome::kSuccess), "success");
  EXPECT_EQ(RequestOutcomeName(RequestOutcome::kRejected), "rejected");
  EXPECT_EQ(RequestOutcomeName(RequestOutcome::kTimeout), "timeout");
  EXPECT_EQ(RequestOutcomeName(RequestOutcome::kOom), "oom");
  EXPECT_EQ(RequestOutcomeName(RequestOutcome::kBackendError), "backend_error");
  EXPECT_EQ(RequestOutcomeName(RequestOutcome::kBadImage), "bad_image");
  EXPECT_EQ(RequestOutcomeName(RequestOutcome::kClientError), "client_error");
}

TEST(RequestMetrics, CountsRequestsByBackendAndOutcome) {
  metrics::Registry registry;
  RequestMetrics m(registry);
  m.Finish("gpu-0", RequestOutcome::kSuccess, 1.5);
  m.Finish("gpu-0", RequestOutcome::kSuccess, 0.5);
  m.Finish(kNoBackend, RequestOutcome::kRejected, 0.001);
  m.Upstream("gpu-0", 1.2, 2);
  m.Delivered("1024x1024", 2);
  auto families = registry.Collect();

  const auto* requests = Family(families, "zimon_requests");
  ASSERT_NE(requests, nullptr);
  ASSERT_EQ(requests->points.size(), 2u);
  for (const auto& p : requests->points) {
    if (p.labels[0].value == "gpu-0") {
      EXPECT_EQ(p.labels[1].value, "success");
      EXPECT_EQ(p.value, 2);
    } else {
      EXPECT_EQ(p.labels[0].value, "none");
      EXPECT_EQ(p.labels[1].value, "rejected");
      EXPECT_EQ(p.value, 1);
    }
  }
  const auto* duration = Family(families, "zimon_request_duration_seconds");
  ASSERT_NE(duration, nullptr);
  uint64_t observed = 0;
  for (const auto& p : duration->points) observed += p.histogram.count;
  EXPECT_EQ(observed, 3u);

  const auto* upstream = Family(families, "zimon_backend_duration_seconds");
  ASSERT_NE(upstream, nullptr);
  ASSERT_EQ(upstream->points.size(), 1u);
  EXPECT_DOUBLE_EQ(upstream->points[0].histogram.sum, 1.2);

  const auto* batch = Family(families, "zimon_batch_size");
  ASSERT_NE(batch, nullptr);
  EXPECT_DOUBLE_EQ(batch->points[0].histogram.sum, 2);

  const auto* images = Family(families, "zimon_images_generated");
  ASSERT_NE(images, nullptr);
  ASSERT_EQ(images->points.size(), 1u);
  EXPECT_EQ(images->points[0].labels[0].value, "1024x1024");
  EXPECT_EQ(images->points[0].value, 2);
}

// Children are looked up once and then shared: counts from several threads,
// over several backends and outcomes, must all land where they belong.
TEST(RequestMetrics, CountsFromManyThreadsLandInTheirOwnSeries) {
  metrics::Registry registry;
  RequestMetrics m(registry);
  const std::string backends[] = {"gpu-0", "gpu-1", "gpu-2"};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        const std::string& backend = backends[i % 3];
        m.Finish(backend,
                 i % 2 == 0 ? RequestOutcome::kSuccess : RequestOutcome::kOom,
                 0.1);
        m.Upstream(backend, 0.1, 1);
        m.Delivered(i % 2 == 0 ? "512x512" : "1024x1024", 1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  auto families = registry.Collect();
  const auto* requests = Family(families, "zimon_requests");
  ASSERT_NE(requests, nullptr);
  ASSERT_EQ(requests->points.size(), 6u);  // 3 backends x 2 outcomes
  for (const auto& p : requests->points)
    EXPECT_EQ(p.value, 200) << p.labels[0].value;
  const auto* images = Family(families, "zimon_images_generated");
  ASSERT_NE(images, nullptr);
  ASSERT_EQ(images->points.size(), 2u);
  for (const auto& p : images->points) EXPECT_EQ(p.value, 600);
  const auto* upstream = Family(families, "zimon_backend_duration_seconds");
  ASSERT_NE(upstream, nullptr);
  ASSERT_EQ(upstream->points.size(), 3u);
  for (const auto& p : upstream->points) EXPECT_EQ(p.histogram.count, 400u);
}

}  // namespace
}  // namespace zimon::gateway
