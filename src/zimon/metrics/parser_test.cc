#include "zimon/metrics/parser.h"

#include <gtest/gtest.h>

#include <cmath>

namespace zimon::metrics {
namespace {

constexpr auto kText = ExpositionFormat::kPrometheusText;
constexpr auto kOm = ExpositionFormat::kOpenMetrics;

ParsedExposition MustParse(std::string_view text, ExpositionFormat format) {
  auto parsed = ParseExposition(text, format);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : ParsedExposition{};
}

std::string ErrorOf(std::string_view text, ExpositionFormat format) {
  auto parsed = ParseExposition(text, format);
  EXPECT_FALSE(parsed.ok()) << text;
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  return parsed.status().message();
}

TEST(ParseExposition, TextFormatSamplesAndMetadata) {
  ParsedExposition p = MustParse(
      "# HELP http_requests_total The total number of HTTP requests.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{method=\"post\",code=\"400\",}    3 1395066363000\n"
      "\n"
      "# A normal comment.\n"
      "  "
      "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error="
      "\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n"
      "metric_without_timestamp_and_labels 12.47\n"
      "something_weird{problem=\"division by zero\"} +Inf -3982045\n"
      "nan_value NaN\n"
      "# TYPE rpc_duration_seconds summary\n"
      "rpc_duration_seconds{quantile=\"0.01\"} 3102\n"
      "rpc_duration_seconds_sum 1.7560473e+07\n"
      "rpc_duration_seconds_count 2693\n",
      kText);
  ASSERT_EQ(p.samples.size(), 9u);
  const ParsedSample& first = p.samples[0];
  EXPECT_EQ(first.name, "http_requests_total");
  EXPECT_EQ(first.labels, (Labels{{"method", "post"}, {"code", "200"}}));
  EXPECT_EQ(first.value, 1027);
  EXPECT_EQ(first.timestamp_ms, 1395066363000);
  EXPECT_EQ(first.line, 3);
  EXPECT_EQ(p.samples[1].labels.size(), 2u);  // trailing comma
  EXPECT_EQ(p.samples[2].labels[0].value, "C:\\DIR\\FILE.TXT");
  EXPECT_EQ(p.samples[2].labels[1].value, "Cannot find file:\n\"FILE.TXT\"");
  EXPECT_EQ(p.samples[3].timestamp_ms, std::nullopt);
  EXPECT_EQ(p.samples[4].value, INFINITY);
  EXPECT_EQ(p.samples[4].timestamp_ms, -3982045);
  EXPECT_TRUE(std::isnan(p.samples[5].value));

  ASSERT_EQ(p.families.size(), 6u);
  EXPECT_EQ(p.families[0].name, "http_requests_total");
  EXPECT_EQ(p.families[0].type, MetricType::kCounter);
  EXPECT_EQ(p.families[0].help, "The total number of HTTP requests.");
  EXPECT_EQ(p.families[1].name, "msdos_file_access_time_seconds");
  EXPECT_EQ(p.families[1].type, MetricType::kUntyped);
  EXPECT_EQ(p.families[1].type_name, "");
  EXPECT_EQ(p.families[5].type, MetricType::kSummary);
  for (int i = 6; i < 9; ++i) EXPECT_EQ(p.samples[i].family, 5);
}

TEST(ParseExposition, TextHelpUnescapesBackslashAndNewlineOnly) {
  ParsedExposition p =
      MustParse("# HELP x a\\\\b\\nc\\\"d\\t\n# TYPE x gauge\nx 1\n", kText);
  EXPECT_EQ(p.families[0].help, "a\\b\nc\\\"d\\t");
}

TEST(ParseExposition, OpenMetricsBasics) {
  ParsedExposition p = MustParse(
      "# TYPE acme_http_router_request_seconds histogram\n"
      "# UNIT acme_http_router_request_seconds seconds\n"
      "# HELP acme_http_router_request_seconds Latency \\\"quoted\\\".\n"
      "acme_http_router_request_seconds_bucket{le=\"0.1\"} 8 # "
      "{trace_id=\"KOO5S4vxi0o\"} 0.067 1520879607.789\n"
      "acme_http_router_request_seconds_bucket{le=\"+Inf\"} 10\n"
      "acme_http_router_request_seconds_sum 1.5 1520879607.789\n"
      "acme_http_router_request_seconds_count 10\n"
      "# TYPE foo counter\n"
      "foo_total 17.0 1520879607.789 # {trace_id=\"x\"} 1\n"
      "foo_created 1520430000.123\n"
      "# EOF\n",
      kOm);
  ASSERT_EQ(p.families.size(), 2u);
  EXPECT_EQ(p.families[0].unit, "seconds");
  EXPECT_EQ(p.families[0].help, "Latency \"quoted\".");
  EXPECT_EQ(p.families[0].type, MetricType::kHistogram);
  ASSERT_EQ(p.samples.size(), 6u);
  EXPECT_EQ(p.samples[0].value, 8);
  EXPECT_EQ(p.samples[2].timestamp_ms, 1520879607789);
  EXPECT_EQ(p.samples[4].name, "foo_total");
  EXPECT_EQ(p.samples[4].family, 1);
  EXPECT_EQ(p.samples[5].family, 1);
}

TEST(ParseExposition, OpenMetricsExtraTypes) {
  ParsedExposition p = MustParse(
      "# TYPE build info\nbuild_info{version=\"1\"} 1\n"
      "# TYPE state stateset\nstate{state=\"a\"} 1\n"
      "# TYPE q gaugehistogram\nq_bucket{le=\"+Inf\"} 1\nq_gcount 1\nq_gsum 2\n"
      "# EOF",
      kOm);
  ASSERT_EQ(p.families.size(), 3u);
  EXPECT_EQ(p.families[0].type_name, "info");
  EXPECT_EQ(p.families[0].type, MetricType::kUntyped);
  for (const ParsedSample& s : p.samples) {
    EXPECT_EQ(p.families[s.family].name,
              s.name.substr(0, p.families[s.family].name.size()));
  }
  EXPECT_EQ(p.samples.back().family, 2);
}

TEST(ParseExposition, ErrorsCarryLineNumbers) {
  EXPECT_EQ(ErrorOf("a 1\nb{x=\"1\" 2\n", kText),
            "line 2: expected ',' or '}' after the value of label x");
  EXPECT_EQ(ErrorOf("a 1\n\nb zz\n", kText), "line 3: invalid value \"zz\"");
  EXPECT_EQ(ErrorOf("a 1 1.5\n", kText), "line 1: invalid timestamp \"1.5\"");
  EXPECT_EQ(ErrorOf("a{x=\"1} 1\n", kText),
            "line 1: unterminated value of label x");
  EXPECT_EQ(ErrorOf("a{x=\"1\",x=\"2\"} 1\n", kText),
            "line 1: duplicate label x");
  EXPECT_EQ(ErrorOf("a{1=\"1\"} 1\n", kText), "line 1: expected a label name");
  EXPECT_EQ(ErrorOf("a{x:y=\"1\"} 1\n", kText),
            "line 1: expected '=' after label name x");
  EXPECT_EQ(ErrorOf("a\n", kText),
            "line 1: expected a space and a value after a");
  EXPECT_EQ(ErrorOf("a 1 2 3\n", kText),
            "line 1: unexpected text after the sample");
  EXPECT_EQ(ErrorOf("9a 1\n", kText), "line 1: expected a metric name");
  EXPECT_EQ(ErrorOf("# TYPE a blob\n", kText),
            "line 1: unknown metric type \"blob\"");
  EXPECT_EQ(ErrorOf("# TYPE a gauge\n# TYPE a gauge\n", kText),
            "line 2: second TYPE line for a");
  EXPECT_EQ(ErrorOf("# TYPE a gauge\na 1\n# HELP a late\n", kText),
            "line 3: metadata for a after its samples");
  EXPECT_EQ(
      ErrorOf("# TYPE a gauge\n# TYPE b gauge\n# HELP a x\n", kText),
      "line 3: metadata for a is separated from its family by other families");
  EXPECT_EQ(ErrorOf("# TYPE a unknown\n", kText),
            "line 1: unknown metric type \"unknown\"");
  EXPECT_EQ(ErrorOf("{\"a.b\"} 1\n", kText),
            "line 1: quoted metric names are not supported");
}

TEST(ParseExposition, OpenMetricsFramingErrors) {
  EXPECT_EQ(ErrorOf("a 1\n", kOm),
            "line 1: OpenMetrics text does not end with # EOF");
  EXPECT_EQ(ErrorOf("", kOm),
            "line 0: OpenMetrics text does not end with # EOF");
  EXPECT_EQ(ErrorOf("# EOF\na 1\n", kOm), "line 2: text after # EOF");
  EXPECT_EQ(ErrorOf("a 1\n\n# EOF\n", kOm),
            "line 2: blank line in OpenMetrics text");
  EXPECT_EQ(ErrorOf("# hello\n# EOF\n", kOm),
            "line 1: unexpected comment (OpenMetrics allows only HELP, TYPE, "
            "UNIT and EOF)");
  EXPECT_EQ(ErrorOf("a 1 # {x=\"1\"}\n# EOF\n", kOm),
            "line 1: invalid exemplar value");
  EXPECT_EQ(ErrorOf("a 1 # x\n# EOF\n", kOm),
            "line 1: expected an exemplar after '#'");
  EXPECT_EQ(ErrorOf("a 1 abc\n# EOF\n", kOm),
            "line 1: invalid timestamp \"abc\"");
  EXPECT_EQ(ErrorOf("# TYPE a untyped\n# EOF\n", kOm),
            "line 1: unknown metric type \"untyped\"");
}

TEST(ParseExposition, TextToleratesCarriageReturnsAndMissingFinalNewline) {
  ParsedExposition p = MustParse("a 1\r\nb 2", kText);
  ASSERT_EQ(p.samples.size(), 2u);
  EXPECT_EQ(p.samples[1].value, 2);
}

TEST(ParseExposition, SamplesWithoutMetadataFormImplicitFamilies) {
  ParsedExposition p =
      MustParse("a{x=\"1\"} 1\na{x=\"2\"} 2\nb 3\na{x=\"3\"} 4\n", kText);
  ASSERT_EQ(p.families.size(), 2u);
  EXPECT_EQ(p.samples[3].family, 0);  // interleaved sample joins its family
}

TEST(GroupFamilies, ReassemblesHistogramsAndSummaries) {
  ParsedExposition p = MustParse(
      "# TYPE h histogram\n"
      "h_bucket{a=\"1\",le=\"0.5\"} 1\n"
      "h_bucket{le=\"+Inf\",a=\"1\"} 4\n"
      "h_sum{a=\"1\"} 9\n"
      "h_bucket{a=\"2\",le=\"1\"} 2\n"
      "h_count{a=\"2\"} 3\n"
      "# TYPE s summary\n"
      "s{quantile=\"0.5\"} 1.5\n"
      "s{quantile=\"0.99\"} 3\n"
      "s_sum 10\n"
      "s_count 4\n"
      "# TYPE c_total counter\n"
      "c_total 5\n",
      kText);
  auto grouped = GroupFamilies(p);
  ASSERT_TRUE(grouped.ok()) << grouped.status().ToString();
  ASSERT_EQ(grouped->size(), 3u);
  const FamilySnapshot& h = (*grouped)[0];
  ASSERT_EQ(h.points.size(), 2u);
  EXPECT_EQ(h.points[0].labels, (Labels{{"a", "1"}}));
  EXPECT_EQ(h.points[0].histogram.count, 4u);  // from +Inf
  EXPECT_EQ(h.points[0].histogram.sum, 9);
  EXPECT_EQ(h.points[0].histogram.buckets,
            (std::vector<Bucket>{{0.5, 1}, {INFINITY, 4}}));
  EXPECT_EQ(h.points[1].histogram.buckets,
            (std::vector<Bucket>{{1, 2}, {INFINITY, 3}}));  // +Inf from count
  const FamilySnapshot& s = (*grouped)[1];
  ASSERT_EQ(s.points.size(), 1u);
  EXPECT_EQ(s.points[0].summary, (SummaryData{{{0.5, 1.5}, {0.99, 3}}, 10, 4}));
  EXPECT_EQ((*grouped)[2].name, "c");
}

TEST(GroupFamilies, RejectsMalformedBuckets) {
  auto check = [](std::string_view text, std::string_view want) {
    auto grouped = GroupFamilies(MustParse(text, kText));
    ASSERT_FALSE(grouped.ok());
    EXPECT_EQ(grouped.status().message(), want);
  };
  check("# TYPE h histogram\nh_bucket 1\n",
        "line 2: h_bucket: missing label le");
  check("# TYPE h histogram\nh_bucket{le=\"x\"} 1\n",
        "line 2: h_bucket: le=\"x\" is not a number");
  check("# TYPE h histogram\nh_bucket{le=\"1\"} 1.5\n",
        "line 2: h_bucket: count must be a non-negative whole number");
  check("# TYPE h histogram\nh 1\n",
        "line 2: h: is not a sample of histogram h");
  check("# TYPE s summary\ns 1\n", "line 2: s: missing label quantile");
}

}  // namespace
}  // namespace zimon::metrics
