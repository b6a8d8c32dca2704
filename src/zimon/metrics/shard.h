// Per-thread shards: cache-line-padded cells so that threads updating the same
// metric write to different cache lines, and, for most threads, without a
// locked read-modify-write at all.
//
// Every metric that shards keeps kShards cells. Cells 0..kShards-2 are
// *exclusive*: the first kShards-1 threads to touch any metric each claim one
// index for their lifetime (released when the thread exits), and only that
// thread ever writes that cell of every metric, so it updates with a plain
// relaxed load and store (no `lock` prefix: about 1 ns instead of 7). Threads
// that find no free index share the last cell and update it with atomic
// read-modify-writes. Readers (Collect) use relaxed loads, which see each
// cell's last complete store.
//
// Ownership hand-over: a thread releases its index with a release store after
// its last write, and the next claimant acquires it, so the new owner's plain
// load sees everything the old owner added.
//
// Thread safety: CurrentShard() and the Add helpers are thread-safe under the
// rule above (exclusive cells have one writer).
#ifndef ZIMON_METRICS_SHARD_H_
#define ZIMON_METRICS_SHARD_H_

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace zimon::metrics::internal {

inline constexpr size_t kCacheLine = 64;
inline constexpr uint32_t kShards = 8;  // power of two
inline constexpr uint32_t kSharedShard = kShards - 1;
static_assert(std::has_single_bit(kShards));

// This thread's shard: bits 0..7 the index, bit 8 set when exclusive.
// 0 means not assigned yet. Constant-initialised, so access needs no guard.
inline thread_local uint32_t g_shard_state = 0;
inline constexpr uint32_t kAssigned = 1u << 9;
inline constexpr uint32_t kExclusive = 1u << 8;

// Claims a free exclusive index for this thread (or the shared one) and
// arranges its release at thread exit; returns the new state.
uint32_t AssignShard();

struct Shard {
  uint32_t index;
  bool exclusive;
};

inline Shard CurrentShard() {
  uint32_t s = g_shard_state;
  if (s == 0) [[unlikely]]
    s = AssignShard();
  return Shard{s & 0xff, (s & kExclusive) != 0};
}

inline void Add(std::atomic<uint64_t>& cell, uint64_t n, bool exclusive) {
  if (exclusive) {
    cell.store(cell.load(std::memory_order_relaxed) + n,
               std::memory_order_relaxed);
  } else {
    cell.fetch_add(n, std::memory_order_relaxed);
  }
}

// Adds `v` to an atomic double: a plain store when exclusive, else a CAS loop
// (relaxed: these are statistics, read by Collect without ordering needs).
inline void AtomicAdd(std::atomic<double>& target, double v) {
  double old = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(old, old + v, std::memory_order_relaxed,
                                       std::memory_order_relaxed)) {
  }
}
inline void Add(std::atomic<double>& cell, double v, bool exclusive) {
  if (exclusive) {
    cell.store(cell.load(std::memory_order_relaxed) + v,
               std::memory_order_relaxed);
  } else {
    AtomicAdd(cell, v);
  }
}
// The same for a double kept as its bits in a uint64_t cell.
inline void AddDoubleBits(std::atomic<uint64_t>& cell, double v,
                          bool exclusive) {
  uint64_t old = cell.load(std::memory_order_relaxed);
  if (exclusive) {
    cell.store(std::bit_cast<uint64_t>(std::bit_cast<double>(old) + v),
               std::memory_order_relaxed);
    return;
  }
  while (!cell.compare_exchange_weak(
      old, std::bit_cast<uint64_t>(std::bit_cast<double>(old) + v),
      std::memory_order_relaxed, std::memory_order_relaxed)) {
  }
}

}  // namespace zimon::metrics::internal

#endif  // ZIMON_METRICS_SHARD_H_
