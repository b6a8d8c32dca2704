#include "zimon/metrics/names.h"

#include <gtest/gtest.h>

namespace zimon::metrics {
namespace {

TEST(Names, MetricNameSyntax) {
  EXPECT_TRUE(IsValidMetricName("zimon_requests_total"));
  EXPECT_TRUE(IsValidMetricName("job:rate:sum"));
  EXPECT_TRUE(IsValidMetricName("_x9"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("9x"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_FALSE(IsValidMetricName("a.b"));
}

TEST(Names, LabelNameSyntax) {
  EXPECT_TRUE(IsValidLabelName("backend"));
  EXPECT_TRUE(IsValidLabelName("_a1"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("1a"));
  EXPECT_FALSE(IsValidLabelName(""));
}

TEST(Names, ValidateFamilyRejectsBadShapes) {
  std::vector<std::string> ok = {"backend", "outcome"};
  EXPECT_TRUE(ValidateFamily("x", MetricType::kCounter, ok).ok());
  std::vector<std::string> le = {"le"};
  EXPECT_FALSE(ValidateFamily("x", MetricType::kHistogram, le).ok());
  EXPECT_TRUE(ValidateFamily("x", MetricType::kGauge, le).ok());
  std::vector<std::string> quantile = {"quantile"};
  EXPECT_FALSE(ValidateFamily("x", MetricType::kSummary, quantile).ok());
  std::vector<std::string> reserved = {"__name__"};
  EXPECT_FALSE(ValidateFamily("x", MetricType::kGauge, reserved).ok());
  std::vector<std::string> twice = {"a", "b", "a"};
  Status s = ValidateFamily("x", MetricType::kGauge, twice);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("twice"), std::string::npos);
  EXPECT_FALSE(ValidateFamily("bad-name", MetricType::kGauge, ok).ok());
}

}  // namespace
}  // namespace zimon::metrics
