#include <gtest/gtest.h>

#include "zimon/metrics/exposition.h"

namespace zimon::metrics {
namespace {

constexpr auto kText = ExpositionFormat::kPrometheusText;
constexpr auto kOm = ExpositionFormat::kOpenMetrics;

TEST(NegotiateFormat, DefaultsToText) {
  EXPECT_EQ(NegotiateFormat(""), kText);
  EXPECT_EQ(NegotiateFormat("*/*"), kText);
  EXPECT_EQ(NegotiateFormat("text/plain"), kText);
  EXPECT_EQ(NegotiateFormat("application/json"), kText);
  EXPECT_EQ(NegotiateFormat(";;,,=,"), kText);
}

TEST(NegotiateFormat, PicksOpenMetricsWhenAskedFor) {
  EXPECT_EQ(NegotiateFormat("application/openmetrics-text"), kOm);
  EXPECT_EQ(NegotiateFormat("application/openmetrics-text; version=1.0.0"),
            kOm);
  EXPECT_EQ(NegotiateFormat("Application/OpenMetrics-Text;Version=\"0.0.1\""),
            kOm);
  // What Prometheus 2.x sends.
  EXPECT_EQ(NegotiateFormat("application/openmetrics-text;version=1.0.0,"
                            "application/openmetrics-text;version=0.0.1;q=0.75,"
                            "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            kOm);
}

TEST(NegotiateFormat, RespectsQValues) {
  EXPECT_EQ(NegotiateFormat("application/openmetrics-text;q=0"), kText);
  EXPECT_EQ(
      NegotiateFormat("text/plain;q=0.9, application/openmetrics-text;q=0.5"),
      kText);
  EXPECT_EQ(
      NegotiateFormat("text/plain;q=0.5, application/openmetrics-text;q=0.5"),
      kOm);  // a tie goes to OpenMetrics
  EXPECT_EQ(NegotiateFormat("application/openmetrics-text;q=0.5, */*;q=0.8"),
            kText);
  EXPECT_EQ(NegotiateFormat("application/openmetrics-text;q=0.5, */*;q=0.2"),
            kOm);
  EXPECT_EQ(NegotiateFormat("application/openmetrics-text;q=bogus"), kText);
}

TEST(NegotiateFormat, IgnoresUnknownOpenMetricsVersions) {
  EXPECT_EQ(NegotiateFormat("application/openmetrics-text;version=2.0.0"),
            kText);
}

TEST(ContentType, MatchesTheReference) {
  EXPECT_EQ(ContentType(kText), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(ContentType(kOm),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

}  // namespace
}  // namespace zimon::metrics
