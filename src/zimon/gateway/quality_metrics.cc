#include "zimon/gateway/quality_metrics.h"

#include <cstddef>
#include <initializer_list>
#include <string_view>

namespace zimon::gateway {

QualityMetrics::QualityMetrics(metrics::Registry& registry)
    : score_(registry
                 .AddHistogram("zimon_image_quality_score",
                               "No-reference quality score of returned images "
                               "(0-1, docs/quality.md).",
                               {},
                               {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1})
                 .WithLabels(std::initializer_list<std::string_view>{})) {
  auto& family = registry.AddCounter(
      "zimon_image_defects_total",
      "Returned images with a defect, by kind (docs/quality.md).", {"kind"});
  for (DefectKind kind : AllDefectKinds()) {
    defects_[static_cast<size_t>(kind)] =
        &family.WithLabels({DefectKindName(kind)});
  }
}

void QualityMetrics::Record(const QualityReport& report) {
  if (!report.HasDefect(DefectKind::kUndecodable)) score_.Observe(report.score);
  for (DefectKind kind : report.defects) {
    defects_[static_cast<size_t>(kind)]->Inc();
  }
}

}  // namespace zimon::gateway
