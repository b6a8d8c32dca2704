#include "zimon/metrics/names.h"

#include <algorithm>

namespace zimon::metrics {
namespace {

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = IsAlpha(c) || c == '_' || c == ':' || (i > 0 && IsDigit(c));
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = IsAlpha(c) || c == '_' || (i > 0 && IsDigit(c));
    if (!ok) return false;
  }
  return true;
}

Status ValidateFamily(std::string_view name, MetricType type,
                      std::span<const std::string> label_names) {
  if (!IsValidMetricName(name)) {
    return InvalidArgumentError("invalid metric name \"" + std::string(name) +
                                "\" (want [a-zA-Z_:][a-zA-Z0-9_:]*)");
  }
  for (size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    std::string where =
        "metric " + std::string(name) + ": label \"" + label + "\"";
    if (!IsValidLabelName(label)) {
      return InvalidArgumentError(where + " is not a valid label name");
    }
    if (label.starts_with("__")) {
      return InvalidArgumentError(where + " is reserved (starts with __)");
    }
    if (type == MetricType::kHistogram && label == "le") {
      return InvalidArgumentError(where + " is not allowed on a histogram");
    }
    if (type == MetricType::kSummary && label == "quantile") {
      return InvalidArgumentError(where + " is not allowed on a summary");
    }
    if (std::find(label_names.begin(), label_names.begin() + i, label) !=
        label_names.begin() + i) {
      return InvalidArgumentError(where + " appears twice");
    }
  }
  return OkStatus();
}

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kUntyped:
      break;
  }
  return "untyped";
}

}  // namespace zimon::metrics
