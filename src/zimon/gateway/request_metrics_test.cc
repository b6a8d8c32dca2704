#include "zimon/gateway/request_metrics.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace zimon::gateway
