// The data model every metric source produces and every consumer reads: the
// registry's families, custom collectors (GPU, host), the exposition writers,
// the text parser and (later) the store's ingest path.
//
// Plain values; thread safety is that of standard containers.
#ifndef ZIMON_METRICS_SNAPSHOT_H_
#define ZIMON_METRICS_SNAPSHOT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zimon::metrics {

enum class MetricType { kCounter, kGauge, kHistogram, kSummary, kUntyped };

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};
using Labels = std::vector<Label>;

// One cumulative histogram bucket: observations <= upper_bound.
struct Bucket {
  double upper_bound = 0;  // +Inf for the last bucket
  uint64_t cumulative_count = 0;
  friend bool operator==(const Bucket&, const Bucket&) = default;
};

struct HistogramData {
  std::vector<Bucket> buckets;  // ascending upper_bound, last is +Inf
  double sum = 0;
  uint64_t count = 0;  // equals buckets.back().cumulative_count
  friend bool operator==(const HistogramData&, const HistogramData&) = default;
};

struct Quantile {
  double quantile = 0;
  double value = 0;
  friend bool operator==(const Quantile&, const Quantile&) = default;
};

struct SummaryData {
  std::vector<Quantile> quantiles;
  double sum = 0;
  uint64_t count = 0;
  friend bool operator==(const SummaryData&, const SummaryData&) = default;
};

// One labelled series of a family. `value` is used by counters, gauges and
// untyped metrics; `histogram` by histograms; `summary` by summaries.
struct MetricPoint {
  Labels labels;  // in the family's label-name order
  double value = 0;
  HistogramData histogram;
  SummaryData summary;
  std::optional<int64_t> timestamp_ms;
};

// A metric family: the unit of HELP/TYPE in the exposition formats.
// `name` is the family name without `_total` for counters (OpenMetrics style);
// the 0.0.4 writer appends `_total` to counter samples whose name lacks it.
struct FamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::kUntyped;
  std::vector<MetricPoint> points;
};

}  // namespace zimon::metrics

#endif  // ZIMON_METRICS_SNAPSHOT_H_
