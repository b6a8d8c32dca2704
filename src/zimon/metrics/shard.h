// Per-thread shard selection and cache-line-padded cells, so that threads
// updating the same metric usually write to different cache lines.
//
// Each thread gets a sequence number the first time it touches a metric;
// `ShardIndex()` maps it onto kShards cells. Threads that start one after the
// other land on different cells, so a small pool of hot threads does not
// share a line.
//
// Thread safety: ShardIndex() is thread-safe (thread-local state only).
#ifndef ZIMON_METRICS_SHARD_H_
#define ZIMON_METRICS_SHARD_H_

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace zimon::metrics::internal {

inline constexpr size_t kCacheLine = 64;
inline constexpr uint32_t kShards = 8;  // power of two
static_assert(std::has_single_bit(kShards));

// Hands out the next thread sequence number (starting at 1).
uint32_t NextThreadSequence();

inline uint32_t ShardIndex() {
  static thread_local uint32_t sequence = 0;  // constant-initialised, no guard
  uint32_t s = sequence;
  if (s == 0) [[unlikely]] {
    s = NextThreadSequence();
    sequence = s;
  }
  return (s - 1) & (kShards - 1);
}

// Adds `v` to an atomic double with a CAS loop (relaxed: these are statistics,
// read by Collect without ordering requirements).
inline void AtomicAdd(std::atomic<double>& target, double v) {
  double old = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(old, old + v, std::memory_order_relaxed,
                                       std::memory_order_relaxed)) {
  }
}

}  // namespace zimon::metrics::internal

#endif  // ZIMON_METRICS_SHARD_H_
