#include "zimon/metrics/histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>

namespace zimon::metrics {
namespace {
constexpr size_t kSlotsPerLine =
    internal::kCacheLine / sizeof(std::atomic<uint64_t>);
}  // namespace

void Histogram::SlotDeleter::operator()(std::atomic<uint64_t>* p) const {
  ::operator delete[](p, std::align_val_t(internal::kCacheLine));
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)) {
  std::erase_if(bounds_,
                [](double b) { return std::isnan(b) || b == INFINITY; });
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  // Slots per shard: one per finite bucket, one for +Inf, one for the sum.
  sum_slot_ = bounds_.size() + 1;
  stride_ = (sum_slot_ + 1 + kSlotsPerLine - 1) / kSlotsPerLine * kSlotsPerLine;
  size_t total = stride_ * internal::kShards;
  void* raw = ::operator new[](total * sizeof(std::atomic<uint64_t>),
                               std::align_val_t(internal::kCacheLine));
  auto* slots = static_cast<std::atomic<uint64_t>*>(raw);
  for (size_t i = 0; i < total; ++i) new (&slots[i]) std::atomic<uint64_t>(0);
  slots_.reset(slots);
}

HistogramData Histogram::Snapshot() const {
  HistogramData data;
  data.buckets.resize(bounds_.size() + 1);
  double sum = 0;
  for (uint32_t s = 0; s < internal::kShards; ++s) {
    const std::atomic<uint64_t>* shard = ShardBase(s);
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      data.buckets[i].cumulative_count +=
          shard[i].load(std::memory_order_relaxed);
    }
    sum +=
        std::bit_cast<double>(shard[sum_slot_].load(std::memory_order_relaxed));
  }
  uint64_t running = 0;
  for (size_t i = 0; i < data.buckets.size(); ++i) {
    running += data.buckets[i].cumulative_count;
    data.buckets[i].cumulative_count = running;
    data.buckets[i].upper_bound = i < bounds_.size()
                                      ? bounds_[i]
                                      : std::numeric_limits<double>::infinity();
  }
  data.count = running;
  data.sum = sum;
  return data;
}

}  // namespace zimon::metrics
