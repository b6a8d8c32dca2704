// Parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0, as served
// by real exporters (node_exporter, Prometheus itself, client libraries).
//
//   ZIMON_ASSIGN_OR_RETURN(ParsedExposition parsed,
//                          ParseExposition(body,
//                          ExpositionFormat::kOpenMetrics));
//   for (const ParsedSample& s : parsed.samples) store.Append(s.name, s.labels,
//   ...);
//
// The result is flat: one ParsedSample per sample line, in input order, plus
// the families' metadata. GroupFamilies() reassembles FamilySnapshots
// (histogram `_bucket/_sum/_count`, summary quantiles) from it.
//
// 0.0.4: blank lines and `#` comments are skipped; timestamps are int64
// milliseconds; label lists may end with a comma. OpenMetrics: the text must
// end with `# EOF`; timestamps are seconds (converted to milliseconds);
// exemplars (`# {...} value [ts]`) are checked for shape and skipped; blank
// lines and other comments are errors, as the specification requires.
// Unknown escape sequences are kept verbatim.
//
// Errors are InvalidArgument, "line N: what" (N is 1-based).
//
// Thread safety: pure functions.
#ifndef ZIMON_METRICS_PARSER_H_
#define ZIMON_METRICS_PARSER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/status.h"
#include "zimon/metrics/exposition.h"
#include "zimon/metrics/snapshot.h"

namespace zimon::metrics {

struct ParsedSample {
  std::string name;  // the sample's name, e.g. "x_bucket" or "x_total"
  Labels labels;     // in input order
  double value = 0;
  std::optional<int64_t> timestamp_ms;
  int family = 0;  // index into ParsedExposition::families
  int line = 0;    // 1-based line number
};

struct FamilyMetadata {
  std::string name;  // as on the TYPE/HELP line, or the sample name if none
  // counter, gauge, histogram, summary or untyped (OpenMetrics `unknown`);
  // OpenMetrics info, stateset and gaugehistogram map to kUntyped.
  MetricType type = MetricType::kUntyped;
  std::string type_name;  // the TYPE token as written; empty without TYPE
  std::string help;
  std::string unit;
};

struct ParsedExposition {
  std::vector<FamilyMetadata> families;  // in order of first appearance
  std::vector<ParsedSample> samples;
};

StatusOr<ParsedExposition> ParseExposition(std::string_view text,
                                           ExpositionFormat format);

// Reassembles families: counters named without `_total` (their `_created`
// samples dropped), histograms and summaries grouped by label set (minus `le`
// / `quantile`), a missing `_count` taken from the +Inf bucket and a missing
// +Inf bucket added from `_count`. Families of OpenMetrics types the snapshot
// model lacks (info, stateset, gaugehistogram) become one gauge family per
// sample name. A point's timestamp is that of its first sample. Fails on a
// bucket without a numeric `le`, a quantile without a numeric `quantile`, or
// a negative or fractional bucket count.
StatusOr<std::vector<FamilySnapshot>> GroupFamilies(
    const ParsedExposition& parsed);

}  // namespace zimon::metrics

#endif  // ZIMON_METRICS_PARSER_H_
