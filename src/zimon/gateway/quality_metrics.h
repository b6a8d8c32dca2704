// The quality scorer's metrics (ARCHITECTURE.md §5): the
// zimon_image_quality_score histogram (0–1) and
// zimon_image_defects_total{kind} with every kind pre-registered at 0.
//
//   QualityMetrics metrics(registry);
//   metrics.Record(report);  // per scored image
//
// Ownership: borrows the registry, which must outlive this object; the
// metric children it caches belong to the registry.
// Thread safety: Record is thread-safe and lock-free.
#ifndef ZIMON_GATEWAY_QUALITY_METRICS_H_
#define ZIMON_GATEWAY_QUALITY_METRICS_H_

#include <array>

#include "zimon/gateway/quality.h"
#include "zimon/metrics/registry.h"

namespace zimon::gateway {

class QualityMetrics {
 public:
  explicit QualityMetrics(metrics::Registry& registry);

  // Observes the score of a decodable image (undecodable bytes have no
  // meaningful score and only count as a defect) and counts each defect.
  void Record(const QualityReport& report);

 private:
  metrics::Histogram& score_;
  std::array<metrics::Counter*, 5> defects_{};  // indexed by DefectKind
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_QUALITY_METRICS_H_
