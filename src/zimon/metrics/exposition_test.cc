#include "zimon/metrics/exposition.h"

#include <gtest/gtest.h>

#include <cmath>

#include "zimon/metrics/registry.h"

namespace zimon::metrics {
namespace {

std::vector<FamilySnapshot> Sample() {
  std::vector<FamilySnapshot> families;
  FamilySnapshot requests{
      "zimon_requests", "Requests by outcome.", MetricType::kCounter, {}};
  MetricPoint& ok = requests.points.emplace_back();
  ok.labels = {{"backend", "gpu-0"}, {"outcome", "success"}};
  ok.value = 41;
  MetricPoint& odd = requests.points.emplace_back();
  odd.labels = {{"backend", "a\\b \"c\"\nd"}, {"outcome", "timeout"}};
  odd.value = 2.5;
  families.push_back(requests);

  FamilySnapshot temp{"zimon_gpu_temperature_celsius",
                      "Line one\nback\\slash \"q\"",
                      MetricType::kGauge,
                      {}};
  temp.points.emplace_back().value = NAN;
  families.push_back(temp);

  FamilySnapshot latency{
      "zimon_request_duration_seconds", "Latency.", MetricType::kHistogram, {}};
  MetricPoint& h = latency.points.emplace_back();
  h.labels = {{"backend", "gpu-0"}};
  h.histogram.buckets = {{0.5, 1}, {1, 2}, {INFINITY, 3}};
  h.histogram.sum = 4.25;
  h.histogram.count = 3;
  families.push_back(latency);

  FamilySnapshot gc{"go_gc_duration_seconds", "", MetricType::kSummary, {}};
  MetricPoint& s = gc.points.emplace_back();
  s.summary.quantiles = {{0, 1e-05}, {0.5, 2e-05}, {1, 0.001}};
  s.summary.sum = 0.5;
  s.summary.count = 7;
  s.timestamp_ms = 1700000000123;
  families.push_back(gc);

  FamilySnapshot untyped{"legacy_thing", "Old.", MetricType::kUntyped, {}};
  untyped.points.emplace_back().value = -INFINITY;
  families.push_back(untyped);
  return families;
}

TEST(WritePrometheusText, MatchesGolden) {
  std::string out = "kept:";
  WritePrometheusText(Sample(), out);
  EXPECT_EQ(
      out,
      "kept:"
      "# HELP zimon_requests_total Requests by outcome.\n"
      "# TYPE zimon_requests_total counter\n"
      "zimon_requests_total{backend=\"gpu-0\",outcome=\"success\"} 41\n"
      "zimon_requests_total{backend=\"a\\\\b "
      "\\\"c\\\"\\nd\",outcome=\"timeout\"} 2.5\n"
      "# HELP zimon_gpu_temperature_celsius Line one\\nback\\\\slash \"q\"\n"
      "# TYPE zimon_gpu_temperature_celsius gauge\n"
      "zimon_gpu_temperature_celsius NaN\n"
      "# HELP zimon_request_duration_seconds Latency.\n"
      "# TYPE zimon_request_duration_seconds histogram\n"
      "zimon_request_duration_seconds_bucket{backend=\"gpu-0\",le=\"0.5\"} 1\n"
      "zimon_request_duration_seconds_bucket{backend=\"gpu-0\",le=\"1\"} 2\n"
      "zimon_request_duration_seconds_bucket{backend=\"gpu-0\",le=\"+Inf\"} 3\n"
      "zimon_request_duration_seconds_sum{backend=\"gpu-0\"} 4.25\n"
      "zimon_request_duration_seconds_count{backend=\"gpu-0\"} 3\n"
      "# TYPE go_gc_duration_seconds summary\n"
      "go_gc_duration_seconds{quantile=\"0\"} 1e-05 1700000000123\n"
      "go_gc_duration_seconds{quantile=\"0.5\"} 2e-05 1700000000123\n"
      "go_gc_duration_seconds{quantile=\"1\"} 0.001 1700000000123\n"
      "go_gc_duration_seconds_sum 0.5 1700000000123\n"
      "go_gc_duration_seconds_count 7 1700000000123\n"
      "# HELP legacy_thing Old.\n"
      "# TYPE legacy_thing untyped\n"
      "legacy_thing -Inf\n");
}

TEST(WriteOpenMetrics, MatchesGolden) {
  std::string out;
  WriteOpenMetrics(Sample(), out);
  EXPECT_EQ(
      out,
      "# TYPE zimon_requests counter\n"
      "# HELP zimon_requests Requests by outcome.\n"
      "zimon_requests_total{backend=\"gpu-0\",outcome=\"success\"} 41\n"
      "zimon_requests_total{backend=\"a\\\\b "
      "\\\"c\\\"\\nd\",outcome=\"timeout\"} 2.5\n"
      "# TYPE zimon_gpu_temperature_celsius gauge\n"
      "# HELP zimon_gpu_temperature_celsius Line one\\nback\\\\slash "
      "\\\"q\\\"\n"
      "zimon_gpu_temperature_celsius NaN\n"
      "# TYPE zimon_request_duration_seconds histogram\n"
      "# HELP zimon_request_duration_seconds Latency.\n"
      "zimon_request_duration_seconds_bucket{backend=\"gpu-0\",le=\"0.5\"} 1\n"
      "zimon_request_duration_seconds_bucket{backend=\"gpu-0\",le=\"1.0\"} 2\n"
      "zimon_request_duration_seconds_bucket{backend=\"gpu-0\",le=\"+Inf\"} 3\n"
      "zimon_request_duration_seconds_sum{backend=\"gpu-0\"} 4.25\n"
      "zimon_request_duration_seconds_count{backend=\"gpu-0\"} 3\n"
      "# TYPE go_gc_duration_seconds summary\n"
      "go_gc_duration_seconds{quantile=\"0.0\"} 1e-05 1700000000.123\n"
      "go_gc_duration_seconds{quantile=\"0.5\"} 2e-05 1700000000.123\n"
      "go_gc_duration_seconds{quantile=\"1.0\"} 0.001 1700000000.123\n"
      "go_gc_duration_seconds_sum 0.5 1700000000.123\n"
      "go_gc_duration_seconds_count 7 1700000000.123\n"
      "# TYPE legacy_thing unknown\n"
      "# HELP legacy_thing Old.\n"
      "legacy_thing -Inf\n"
      "# EOF\n");
}

TEST(WriteExposition, AddsMissingInfBucketFromCount) {
  FamilySnapshot f{"h", "", MetricType::kHistogram, {}};
  MetricPoint& p = f.points.emplace_back();
  p.histogram.buckets = {{1, 2}};
  p.histogram.count = 5;
  std::string out;
  WriteExposition({&f, 1}, ExpositionFormat::kPrometheusText, out);
  EXPECT_EQ(out,
            "# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 2\n"
            "h_bucket{le=\"+Inf\"} 5\n"
            "h_sum 0\n"
            "h_count 5\n");
}

TEST(WriteExposition, CounterNameWithTotalIsNotDoubled) {
  FamilySnapshot f{"x_total", "", MetricType::kCounter, {}};
  f.points.emplace_back().value = 1;
  std::string text, om;
  WriteExposition({&f, 1}, ExpositionFormat::kPrometheusText, text);
  WriteExposition({&f, 1}, ExpositionFormat::kOpenMetrics, om);
  EXPECT_EQ(text, "# TYPE x_total counter\nx_total 1\n");
  EXPECT_EQ(om, "# TYPE x counter\nx_total 1\n# EOF\n");
}

TEST(WriteExposition, EmptyInputs) {
  std::string out;
  WriteExposition({}, ExpositionFormat::kPrometheusText, out);
  EXPECT_EQ(out, "");
  WriteExposition({}, ExpositionFormat::kOpenMetrics, out);
  EXPECT_EQ(out, "# EOF\n");
}

TEST(Escaping, LabelValuesAndHelp) {
  std::string s;
  AppendEscapedLabelValue(s, "plain");
  EXPECT_EQ(s, "plain");
  s.clear();
  AppendEscapedLabelValue(s, "a\\b\"c\nd\te");
  EXPECT_EQ(s, "a\\\\b\\\"c\\nd\te");
  s.clear();
  AppendEscapedHelp(s, "a\\b\"c\nd", ExpositionFormat::kPrometheusText);
  EXPECT_EQ(s, "a\\\\b\"c\\nd");
  s.clear();
  AppendEscapedHelp(s, "a\\b\"c\nd", ExpositionFormat::kOpenMetrics);
  EXPECT_EQ(s, "a\\\\b\\\"c\\nd");
}

TEST(WriteExposition, ThousandSeriesFromRegistry) {
  Registry registry;
  auto& family = registry.AddCounter("zimon_x_total", "X.", {"i"});
  for (int i = 0; i < 1000; ++i) family.WithLabels({std::to_string(i)}).Inc(i);
  std::string out;
  WritePrometheusText(registry.Collect(), out);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1002);
  EXPECT_NE(out.find("zimon_x_total{i=\"999\"} 999\n"), std::string::npos);
}

}  // namespace
}  // namespace zimon::metrics
