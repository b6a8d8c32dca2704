// WindowCounter: how many events happened in the last `window`, in constant
// memory whatever the rate.
//
//   WindowCounter completions(std::chrono::seconds(30), 30);
//   completions.Add(clock.SteadyNow());
//   double recent = completions.Count(clock.SteadyNow());
//
// Events are counted in `buckets` slots of window / buckets each. The slot
// that the window's start falls in counts in proportion to the part of it
// still inside the window, so a steady rate is counted exactly and a burst
// leaves the window over one slot's width instead of at one instant.
//
// Thread safety: none; callers hold their own lock. Time must not go
// backwards between calls (steady clocks).
#ifndef ZIMON_COMMON_WINDOW_COUNTER_H_
#define ZIMON_COMMON_WINDOW_COUNTER_H_

#include <chrono>
#include <cstdint>
#include <vector>

namespace zimon {

class WindowCounter {
 public:
  using Time = std::chrono::steady_clock::time_point;

  // `window` > 0, `buckets` >= 1.
  WindowCounter(std::chrono::steady_clock::duration window, int buckets);

  void Add(Time now, uint64_t n = 1);
  // Events in (now - window, now], the oldest slot prorated.
  double Count(Time now);

 private:
  // The slot number `t` falls in.
  int64_t SlotOf(Time t) const;
  uint64_t& Slot(int64_t k);
  // Moves the newest slot to `slot`, emptying the slots it passes.
  void AdvanceTo(int64_t slot);

  const std::chrono::steady_clock::duration width_;
  // Slot k holds the events of [k * width_, (k + 1) * width_), at index
  // k mod size; `buckets` + 1 of them are live.
  std::vector<uint64_t> slots_;
  int64_t newest_ = 0;
  bool started_ = false;
};

}  // namespace zimon

#endif  // ZIMON_COMMON_WINDOW_COUNTER_H_
