// write -> parse -> group -> write must reproduce the first text byte for byte.
#include <gtest/gtest.h>

#include <cmath>

#include "zimon/metrics/exposition.h"
#include "zimon/metrics/parser.h"
#include "zimon/metrics/registry.h"

namespace zimon::metrics {
namespace {

std::string WriteParsed(const std::string& text, ExpositionFormat format) {
  auto parsed = ParseExposition(text, format);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (!parsed.ok()) return "";
  auto grouped = GroupFamilies(*parsed);
  EXPECT_TRUE(grouped.ok()) << grouped.status().ToString();
  if (!grouped.ok()) return "";
  std::string out;
  WriteExposition(*grouped, format, out);
  return out;
}

std::vector<FamilySnapshot> FromRegistry() {
  Registry registry;
  auto& requests = registry.AddCounter(
      "zimon_requests_total", "Requests by outcome.", {"backend", "outcome"});
  requests.WithLabels({"gpu-0", "success"}).Inc(41);
  requests.WithLabels({"gpu \"1\"\n\\", "timeout"}).Inc(0.1);
  registry.AddGauge("zimon_queue_depth", "Queued \"requests\"\\\nnow.")
      .WithLabels({})
      .Set(-7.25);
  registry.AddGauge("zimon_gpu_temperature_celsius", "Temp.", {"gpu"})
      .WithLabels({"0"})
      .Set(NAN);
  auto& latency =
      registry.AddHistogram("zimon_request_duration_seconds", "Latency.",
                            {"backend"}, DefaultLatencyBuckets());
  for (double v : {0.001, 0.005, 0.3, 1.5, 61.0})
    latency.WithLabels({"gpu-0"}).Observe(v);
  latency.WithLabels({"gpu-1"});
  registry.AddHistogram("zimon_batch_size", "Batch.", {}, {1, 2, 4, 8});
  registry.AddCounter("zimon_feedback_total", "");
  return registry.Collect();
}

std::vector<FamilySnapshot> HandMade() {
  std::vector<FamilySnapshot> families;
  FamilySnapshot summary{"rpc_seconds", "RPC.", MetricType::kSummary, {}};
  MetricPoint& p = summary.points.emplace_back();
  p.labels = {{"service", "a"}};
  p.summary = {{{0.5, 0.25}, {0.99, NAN}}, 12.5, 9};
  p.timestamp_ms = 1700000000123;
  families.push_back(summary);
  FamilySnapshot untyped{"legacy", "", MetricType::kUntyped, {}};
  untyped.points.emplace_back().value = INFINITY;
  untyped.points.back().labels = {{"x", ""}};
  untyped.points.emplace_back().value = 1e-300;
  untyped.points.back().timestamp_ms = -5;
  families.push_back(untyped);
  return families;
}

class RoundTrip : public ::testing::TestWithParam<ExpositionFormat> {};

TEST_P(RoundTrip, RegistryOutputIsReproducedExactly) {
  std::string text;
  WriteExposition(FromRegistry(), GetParam(), text);
  EXPECT_EQ(WriteParsed(text, GetParam()), text);
}

TEST_P(RoundTrip, SummariesTimestampsAndUntypedAreReproducedExactly) {
  std::string text;
  WriteExposition(HandMade(), GetParam(), text);
  EXPECT_EQ(WriteParsed(text, GetParam()), text);
}

TEST_P(RoundTrip, GroupedSnapshotsEqualTheOriginals) {
  std::vector<FamilySnapshot> original = FromRegistry();
  std::string text;
  WriteExposition(original, GetParam(), text);
  auto parsed = ParseExposition(text, GetParam());
  ASSERT_TRUE(parsed.ok());
  auto grouped = GroupFamilies(*parsed);
  ASSERT_TRUE(grouped.ok());
  ASSERT_EQ(grouped->size(), original.size());
  for (size_t i = 0; i < original.size(); ++i) {
    const FamilySnapshot& a = original[i];
    const FamilySnapshot& b = (*grouped)[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.help, b.help);
    EXPECT_EQ(a.type, b.type);
    ASSERT_EQ(a.points.size(), b.points.size()) << a.name;
    for (size_t j = 0; j < a.points.size(); ++j) {
      EXPECT_EQ(a.points[j].labels, b.points[j].labels);
      EXPECT_EQ(a.points[j].histogram, b.points[j].histogram);
      if (!std::isnan(a.points[j].value)) {
        EXPECT_EQ(a.points[j].value, b.points[j].value);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, RoundTrip,
                         ::testing::Values(ExpositionFormat::kPrometheusText,
                                           ExpositionFormat::kOpenMetrics),
                         [](const auto& param_info) {
                           return param_info.param ==
                                          ExpositionFormat::kOpenMetrics
                                      ? "OpenMetrics"
                                      : "PrometheusText";
                         });

}  // namespace
}  // namespace zimon::metrics
