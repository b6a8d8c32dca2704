// Counter: a monotonically increasing double (requests served, bytes sent).
//
// Ownership: created and owned by a Family (see registry.h); user code holds
// references. Also usable standalone (e.g. in tests).
//
// Thread safety: Inc() and Value() are thread-safe and lock-free. Each thread
// adds into one of internal::kShards cache-line-padded cells (shard.h): most
// threads own their cell and update it with a plain load and store; the
// threads beyond the exclusive cells share the last one with atomic adds.
#ifndef ZIMON_METRICS_COUNTER_H_
#define ZIMON_METRICS_COUNTER_H_

#include <array>
#include <atomic>
#include <cstdint>

#include "zimon/metrics/shard.h"

namespace zimon::metrics {

class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  // Adds `v`. Negative and NaN increments are ignored (counters never go down).
  void Inc(double v = 1) {
    internal::Shard shard = internal::CurrentShard();
    Cell& cell = cells_[shard.index];
    // Whole numbers below 2^53 are exact in both representations.
    if (v >= 0 && v < 9007199254740992.0) {
      auto whole = static_cast<uint64_t>(v);
      if (static_cast<double>(whole) == v) {
        internal::Add(cell.whole, whole, shard.exclusive);
        return;
      }
    }
    if (!(v > 0)) return;
    internal::Add(cell.fraction, v, shard.exclusive);
  }

  // The current total (sum over all cells).
  double Value() const {
    uint64_t whole = 0;
    double fraction = 0;
    for (const Cell& cell : cells_) {
      whole += cell.whole.load(std::memory_order_relaxed);
      fraction += cell.fraction.load(std::memory_order_relaxed);
    }
    return static_cast<double>(whole) + fraction;
  }

 private:
  struct alignas(internal::kCacheLine) Cell {
    std::atomic<uint64_t> whole{0};
    std::atomic<double> fraction{0};
  };
  std::array<Cell, internal::kShards> cells_;
};

}  // namespace zimon::metrics

#endif  // ZIMON_METRICS_COUNTER_H_
