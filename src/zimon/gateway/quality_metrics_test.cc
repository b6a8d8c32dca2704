#include "zimon/gateway/quality_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace zimon::gateway {
namespace {

const metrics::FamilySnapshot* Find(
    const std::vector<metrics::FamilySnapshot>& families,
    const std::string& name) {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(QualityMetrics, CountsDefectsAndObservesScores) {
  metrics::Registry registry;
  QualityMetrics metrics(registry);
  QualityReport good;
  good.score = 0.85;
  QualityReport white;
  white.defects = {DefectKind::kBlank, DefectKind::kOverexposed};
  QualityReport broken;
  broken.defects = {DefectKind::kUndecodable};
  metrics.Record(good);
  metrics.Record(white);
  metrics.Record(broken);

  const auto families = registry.Collect();
  const auto* defects = Find(families, "zimon_image_defects");
  ASSERT_NE(defects, nullptr);
  std::map<std::string, double> by_kind;
  for (const auto& p : defects->points) by_kind[p.labels.at(0).value] = p.value;
  EXPECT_EQ(by_kind, (std::map<std::string, double>{{"black", 0},
                                                    {"blank", 1},
                                                    {"noisy", 0},
                                                    {"overexposed", 1},
                                                    {"undecodable", 1}}));
  const auto* score = Find(families, "zimon_image_quality_score");
  ASSERT_NE(score, nullptr);
  ASSERT_EQ(score->points.size(), 1u);
  EXPECT_EQ(score->points[0].histogram.count, 2u);  // undecodable not observed
  EXPECT_NEAR(score->points[0].histogram.sum, 0.85, 1e-9);
}

}  // namespace
}  // namespace zimon::gateway
