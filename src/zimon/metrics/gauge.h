// Gauge: a value that goes up and down (queue depth, temperature).
//
// Ownership: created and owned by a Family (see registry.h); user code holds
// references. Also usable standalone.
//
// Thread safety: all methods are thread-safe and lock-free. The value is one
// atomic double on its own cache line (Set must be a single store, so a gauge
// is not sharded).
#ifndef ZIMON_METRICS_GAUGE_H_
#define ZIMON_METRICS_GAUGE_H_

#include <atomic>

#include "zimon/metrics/shard.h"

namespace zimon::metrics {

class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Inc(double v = 1) { internal::AtomicAdd(value_, v); }
  void Dec(double v = 1) { internal::AtomicAdd(value_, -v); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  alignas(internal::kCacheLine) std::atomic<double> value_{0};
};

}  // namespace zimon::metrics

#endif  // ZIMON_METRICS_GAUGE_H_
