// Parses output captured from real exporters (tests/data/exposition/, see
// capture.sh there): node_exporter and Prometheus (0.0.4) and the Python
// client library (0.0.4 and OpenMetrics).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "zimon/metrics/exposition.h"
#include "zimon/metrics/parser.h"

namespace zimon::metrics {
namespace {

constexpr auto kText = ExpositionFormat::kPrometheusText;
constexpr auto kOm = ExpositionFormat::kOpenMetrics;

std::string ReadCapture(const std::string& name) {
  std::ifstream in(std::string(ZIMON_TEST_DATA_DIR) + "/exposition/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Counts lines by their first characters, independently of the parser.
struct LineCounts {
  size_t type = 0, samples = 0;
};
LineCounts CountLines(const std::string& text) {
  LineCounts c;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("# TYPE ")) ++c.type;
    if (!line.empty() && line[0] != '#') ++c.samples;
  }
  return c;
}

const FamilyMetadata* Meta(const ParsedExposition& p, std::string_view name) {
  for (const FamilyMetadata& f : p.families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const FamilySnapshot* Family(const std::vector<FamilySnapshot>& families,
                             std::string_view name) {
  for (const FamilySnapshot& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

struct Capture {
  const char* file;
  ExpositionFormat format;
  // Also round trip through the other format. Go exporters' output cannot be
  // written as OpenMetrics: the gauge go_memstats_alloc_bytes and the counter
  // go_memstats_alloc_bytes_total both make an OpenMetrics family
  // "go_memstats_alloc_bytes".
  bool cross_format;
};

class RealOutput : public ::testing::TestWithParam<Capture> {};

TEST_P(RealOutput, ParsesEveryLineAndRoundTrips) {
  std::string text = ReadCapture(GetParam().file);
  ASSERT_FALSE(text.empty());
  LineCounts counts = CountLines(text);
  auto parsed = ParseExposition(text, GetParam().format);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->samples.size(), counts.samples);
  size_t typed = 0;
  for (const FamilyMetadata& f : parsed->families)
    typed += !f.type_name.empty();
  EXPECT_EQ(typed, counts.type);

  auto grouped = GroupFamilies(*parsed);
  ASSERT_TRUE(grouped.ok()) << grouped.status().ToString();
  for (ExpositionFormat out_format : {kText, kOm}) {
    if (out_format != GetParam().format && !GetParam().cross_format) continue;
    std::string first;
    WriteExposition(*grouped, out_format, first);
    auto reparsed = ParseExposition(first, out_format);
    ASSERT_TRUE(reparsed.ok()) << reparsed.status().ToString();
    auto regrouped = GroupFamilies(*reparsed);
    ASSERT_TRUE(regrouped.ok()) << regrouped.status().ToString();
    std::string second;
    WriteExposition(*regrouped, out_format, second);
    EXPECT_EQ(first, second);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Captures, RealOutput,
    ::testing::Values(Capture{"node_exporter_004.txt", kText, false},
                      Capture{"prometheus_004.txt", kText, false},
                      Capture{"python_client_004.txt", kText, true},
                      Capture{"python_client_om.txt", kOm, true}),
    [](const auto& param_info) {
      std::string name = param_info.param.file;
      name = name.substr(0, name.find('.'));
      return name;
    });

TEST(RealOutput, NodeExporterKnownFamilies) {
  auto parsed = ParseExposition(ReadCapture("node_exporter_004.txt"), kText);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const FamilyMetadata* cpu = Meta(*parsed, "node_cpu_seconds_total");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->type, MetricType::kCounter);
  EXPECT_FALSE(cpu->help.empty());
  ASSERT_NE(Meta(*parsed, "node_exporter_build_info"), nullptr);
  EXPECT_EQ(Meta(*parsed, "node_exporter_build_info")->type,
            MetricType::kGauge);
  ASSERT_NE(Meta(*parsed, "node_memory_MemTotal_bytes"), nullptr);

  auto grouped = GroupFamilies(*parsed);
  ASSERT_TRUE(grouped.ok());
  const FamilySnapshot* cpu_family = Family(*grouped, "node_cpu_seconds");
  ASSERT_NE(cpu_family, nullptr);
  ASSERT_FALSE(cpu_family->points.empty());
  EXPECT_EQ(cpu_family->points[0].labels[0].name, "cpu");
  EXPECT_EQ(cpu_family->points[0].labels[1].name, "mode");
  EXPECT_EQ(cpu_family->points.size() % 8, 0u);  // 8 modes per CPU
  const FamilySnapshot* gc = Family(*grouped, "go_gc_duration_seconds");
  ASSERT_NE(gc, nullptr);
  EXPECT_EQ(gc->type, MetricType::kSummary);
  ASSERT_EQ(gc->points.size(), 1u);
  EXPECT_EQ(gc->points[0].summary.quantiles.size(), 5u);
  EXPECT_EQ(gc->points[0].summary.quantiles[2].quantile, 0.5);
}

TEST(RealOutput, GoFamilyNameClashIsReportedInOpenMetrics) {
  auto parsed = ParseExposition(ReadCapture("prometheus_004.txt"), kText);
  ASSERT_TRUE(parsed.ok());
  auto grouped = GroupFamilies(*parsed);
  ASSERT_TRUE(grouped.ok());
  std::string om;
  WriteOpenMetrics(*grouped, om);
  auto reparsed = ParseExposition(om, kOm);
  ASSERT_FALSE(reparsed.ok());
  EXPECT_NE(reparsed.status().message().find("go_memstats_alloc_bytes"),
            std::string::npos);
}

TEST(RealOutput, PrometheusKnownFamilies) {
  auto parsed = ParseExposition(ReadCapture("prometheus_004.txt"), kText);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  auto grouped = GroupFamilies(*parsed);
  ASSERT_TRUE(grouped.ok());
  const FamilySnapshot* http =
      Family(*grouped, "prometheus_http_request_duration_seconds");
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->type, MetricType::kHistogram);
  ASSERT_FALSE(http->points.empty());
  for (const MetricPoint& p : http->points) {
    ASSERT_FALSE(p.histogram.buckets.empty());
    EXPECT_EQ(p.histogram.buckets.back().upper_bound, INFINITY);
    EXPECT_EQ(p.histogram.buckets.back().cumulative_count, p.histogram.count);
    for (const Label& l : p.labels) EXPECT_NE(l.name, "le");
  }
  const FamilySnapshot* series =
      Family(*grouped, "prometheus_tsdb_head_series");
  ASSERT_NE(series, nullptr);
  EXPECT_EQ(series->type, MetricType::kGauge);
  // A summary with NaN quantiles (no queries run yet).
  const FamilySnapshot* engine =
      Family(*grouped, "prometheus_engine_query_duration_seconds");
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->type, MetricType::kSummary);
  EXPECT_TRUE(std::isnan(engine->points[0].summary.quantiles[0].value));
}

TEST(RealOutput, PythonClientOpenMetrics) {
  auto parsed = ParseExposition(ReadCapture("python_client_om.txt"), kOm);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  auto grouped = GroupFamilies(*parsed);
  ASSERT_TRUE(grouped.ok());
  const FamilySnapshot* requests = Family(*grouped, "demo_requests");
  ASSERT_NE(requests, nullptr);
  EXPECT_EQ(requests->type, MetricType::kCounter);
  ASSERT_EQ(requests->points.size(), 3u);  // _created samples dropped
  EXPECT_EQ(requests->points[0].value, 41);
  EXPECT_EQ(requests->points[1].labels[0].value, "gpu \"1\"");
  EXPECT_EQ(requests->points[2].labels[0].value, "line\nbreak");
  EXPECT_EQ(requests->points[2].labels[1].value, "back\\slash");
  EXPECT_EQ(requests->points[2].value, 2.5);
  const FamilySnapshot* depth = Family(*grouped, "demo_queue_depth");
  ASSERT_NE(depth, nullptr);
  EXPECT_EQ(depth->help, "Queued requests.\nSecond line with a \\ backslash.");
  const FamilySnapshot* latency =
      Family(*grouped, "demo_request_duration_seconds");
  ASSERT_NE(latency, nullptr);
  const HistogramData& h = latency->points.at(0).histogram;
  EXPECT_EQ(
      h.buckets,
      (std::vector<Bucket>{
          {0.005, 2}, {0.1, 3}, {1, 5}, {2.5, 5}, {60, 6}, {INFINITY, 7}}));
  EXPECT_EQ(h.count, 7u);
  EXPECT_DOUBLE_EQ(h.sum, 104.556);
  const FamilySnapshot* temp = Family(*grouped, "demo_temperature_celsius");
  ASSERT_NE(temp, nullptr);
  ASSERT_EQ(temp->points.size(), 4u);
  EXPECT_TRUE(std::isnan(temp->points[0].value));
  EXPECT_EQ(temp->points[1].value, INFINITY);
  EXPECT_EQ(temp->points[2].value, -INFINITY);
  EXPECT_EQ(temp->points[3].value, 1.5e-9);
  // info and stateset become gauges named after their samples.
  const FamilySnapshot* info = Family(*grouped, "demo_build_info");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->type, MetricType::kGauge);
  const FamilySnapshot* state = Family(*grouped, "demo_state");
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(state->points.size(), 2u);
  EXPECT_EQ(Meta(*parsed, "demo_state")->type_name, "stateset");
}

}  // namespace
}  // namespace zimon::metrics
