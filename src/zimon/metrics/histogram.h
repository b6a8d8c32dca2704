// Histogram: counts observations into cumulative buckets and keeps their sum
// (request latency, image quality score).
//
// Ownership: created and owned by a Family (see registry.h); user code holds
// references. Also usable standalone.
//
// Thread safety: Observe() and Snapshot() are thread-safe and lock-free. Each
// thread writes into one of internal::kShards cache-line-aligned shards (one
// counter per bucket plus the sum), owned by the thread where it can be
// (shard.h). Snapshot() adds the shards up and derives
// the count from the buckets, so a snapshot is always self-consistent
// (cumulative buckets, +Inf bucket == count) even while others observe.
#ifndef ZIMON_METRICS_HISTOGRAM_H_
#define ZIMON_METRICS_HISTOGRAM_H_

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "zimon/metrics/shard.h"
#include "zimon/metrics/snapshot.h"

namespace zimon::metrics {

class Histogram {
 public:
  // `upper_bounds` are the finite bucket bounds; they are sorted, NaN, +Inf and
  // duplicates are dropped (+Inf is always the implicit last bucket).
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Records `v` in the first bucket whose bound is >= v (a value equal to a
  // bound belongs to that bucket); NaN goes to +Inf and makes the sum NaN.
  void Observe(double v) {
    size_t bucket = BucketFor(v);
    internal::Shard shard = internal::CurrentShard();
    std::atomic<uint64_t>* cells = ShardBase(shard.index);
    internal::Add(cells[bucket], 1, shard.exclusive);
    internal::AddDoubleBits(cells[sum_slot_], v, shard.exclusive);
  }

  // Cumulative buckets (the last is +Inf), sum and count.
  HistogramData Snapshot() const;

  // The finite bucket bounds, ascending.
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  size_t BucketFor(double v) const {
    const double* b = bounds_.data();
    size_t n = bounds_.size();
    if (n <= 16) {
      size_t i = 0;
      while (i < n && !(v <= b[i])) ++i;
      return i;
    }
    size_t lo = 0, hi = n;  // first index with v <= b[i], or n
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (v <= b[mid]) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  std::atomic<uint64_t>* ShardBase(uint32_t shard) const {
    return slots_.get() + static_cast<size_t>(shard) * stride_;
  }

  std::vector<double> bounds_;
  size_t sum_slot_ = 0;  // index of the sum (double bits) within a shard
  size_t stride_ = 0;    // slots per shard, a multiple of one cache line
  struct SlotDeleter {
    void operator()(std::atomic<uint64_t>* p) const;
  };
  std::unique_ptr<std::atomic<uint64_t>, SlotDeleter> slots_;
};

}  // namespace zimon::metrics

#endif  // ZIMON_METRICS_HISTOGRAM_H_
