#include "zimon/metrics/shard.h"

namespace zimon::metrics::internal {
namespace {

// Bit i set: exclusive index i is owned by a live thread.
std::atomic<uint32_t> g_claimed{0};

// Releases the thread's exclusive index when the thread exits. Writes made
// after this runs (from later thread_local destructors) go to the shared cell.
struct ShardRelease {
  uint32_t index = kSharedShard;
  ~ShardRelease() {
    if (index == kSharedShard) return;
    g_shard_state = kAssigned | kSharedShard;
    g_claimed.fetch_and(~(1u << index), std::memory_order_release);
  }
};
thread_local ShardRelease t_release;

}  // namespace

uint32_t AssignShard() {
  uint32_t claimed = g_claimed.load(std::memory_order_acquire);
  for (;;) {
    uint32_t free = ~claimed & ((1u << kSharedShard) - 1);
    if (free == 0) break;
    uint32_t index = static_cast<uint32_t>(std::countr_zero(free));
    if (g_claimed.compare_exchange_weak(claimed, claimed | (1u << index),
                                        std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
      t_release.index = index;
      g_shard_state = kAssigned | kExclusive | index;
      return g_shard_state;
    }
  }
  g_shard_state = kAssigned | kSharedShard;
  return g_shard_state;
}

}  // namespace zimon::metrics::internal
