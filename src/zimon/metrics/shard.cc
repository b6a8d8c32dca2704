#include "zimon/metrics/shard.h"

namespace zimon::metrics::internal {

uint32_t NextThreadSequence() {
  static std::atomic<uint32_t> next{0};
  uint32_t s = next.fetch_add(1, std::memory_order_relaxed) + 1;
  return s == 0 ? 1 : s;  // 0 means "unassigned"; skip it after wrap-around
}

}  // namespace zimon::metrics::internal
