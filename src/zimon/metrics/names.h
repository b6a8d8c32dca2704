// Prometheus naming rules for metric and label names.
//
// Thread safety: pure functions.
#ifndef ZIMON_METRICS_NAMES_H_
#define ZIMON_METRICS_NAMES_H_

#include <span>
#include <string>
#include <string_view>

#include "zimon/common/status.h"
#include "zimon/metrics/snapshot.h"

namespace zimon::metrics {

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*
bool IsValidLabelName(std::string_view name);

// Checks a family about to be registered: the metric name, each label name
// (valid, not reserved `__*`, unique), no `le` on histograms and no `quantile`
// on summaries. InvalidArgument names the offending part.
Status ValidateFamily(std::string_view name, MetricType type,
                      std::span<const std::string> label_names);

// "counter", "gauge", "histogram", "summary", "untyped".
std::string_view MetricTypeName(MetricType type);

}  // namespace zimon::metrics

#endif  // ZIMON_METRICS_NAMES_H_
