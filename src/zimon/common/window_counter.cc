#include "zimon/common/window_counter.h"

#include <algorithm>

namespace zimon {

WindowCounter::WindowCounter(std::chrono::steady_clock::duration window,
                             int buckets)
    : width_(std::max(std::chrono::steady_clock::duration(1),
                      window / std::max(1, buckets))),
      slots_(static_cast<size_t>(std::max(1, buckets)) + 1, 0) {}

int64_t WindowCounter::SlotOf(Time t) const {
  const auto since = t.time_since_epoch().count();
  const auto w = width_.count();
  // Floor division: steady times before the epoch are possible in tests.
  return since >= 0 ? since / w : -((-since + w - 1) / w);
}

uint64_t& WindowCounter::Slot(int64_t k) {
  const auto size = static_cast<int64_t>(slots_.size());
  return slots_[static_cast<size_t>(((k % size) + size) % size)];
}

void WindowCounter::AdvanceTo(int64_t slot) {
  const auto size = static_cast<int64_t>(slots_.size());
  if (!started_) {
    started_ = true;
    newest_ = slot;
    return;
  }
  if (slot <= newest_) return;
  if (slot - newest_ >= size) {
    std::fill(slots_.begin(), slots_.end(), 0);
  } else {
    for (int64_t k = newest_ + 1; k <= slot; ++k) Slot(k) = 0;
  }
  newest_ = slot;
}

void WindowCounter::Add(Time now, uint64_t n) {
  AdvanceTo(SlotOf(now));
  // A time older than the newest slot (never with a steady clock) counts in
  // the newest too.
  Slot(newest_) += n;
}

double WindowCounter::Count(Time now) {
  if (!started_) return 0;
  AdvanceTo(SlotOf(now));
  const auto size = static_cast<int64_t>(slots_.size());
  // The window (now - window, now] spans the newest slot back to the oldest
  // live one, of which it covers the part after now's offset in its slot.
  double total = 0;
  for (int64_t k = newest_ - size + 2; k <= newest_; ++k) {
    total += static_cast<double>(Slot(k));
  }
  const double offset = static_cast<double>(now.time_since_epoch().count() -
                                            newest_ * width_.count()) /
                        static_cast<double>(width_.count());
  const double inside = 1.0 - std::clamp(offset, 0.0, 1.0);
  total += static_cast<double>(Slot(newest_ - size + 1)) * inside;
  return total;
}

}  // namespace zimon
