// FakeClock: a Clock that moves only when a test tells it to.
//
//   testing::FakeClock clock;                 // starts at 2026-01-01T00:00:00Z
//   clock.Advance(std::chrono::seconds(5));   // both Now() and SteadyNow()
//   move clock.SetNow(t);                          // jumps wall time only
//
// Threads blocked in SleepUntil() wake when an Advance() reaches their
// deadline. AwaitSleepers(n) lets a test wait, without sleeping, until n
// threads are blocked in SleepUntil(), so "advance, then check" is race-free.
//
// Thread safety: all methods are thread-safe.
#ifndef ZIMON_TESTING_FAKE_CLOCK_H_
#define ZIMON_TESTING_FAKE_CLOCK_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "zimon/common/clock.h"

namespace zimon::testing {

class FakeClock final : public Clock {
 public:
  // 2026-01-01T00:00:00Z, a fixed and recognisable start.
  static constexpr std::chrono::seconds kDefaultEpoch{1767225600};

  FakeClock();
  explicit FakeClock(WallTime start);

  WallTime Now() const override;
  SteadyTime SteadyNow() const override;
  void SleepUntil(SteadyTime deadline) override;

  // Moves both clocks forward by d (d must not be negative; a negative d is
  // ignored for the steady clock, which never goes backwards).
  void Advance(std::chrono::nanoseconds d);
  // Sets wall time; the steady clock is unaffected (like an NTP step).
  void SetNow(WallTime t);

  // Number of threads currently blocked in SleepUntil().
  int sleepers() const;
  // Blocks until at least n threads are blocked in SleepUntil().
  void AwaitSleepers(int n) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // signalled on every change
  WallTime now_;                        // guarded by mu_
  SteadyTime steady_now_;               // guarded by mu_
  int sleepers_ = 0;                    // guarded by mu_
};

}  // namespace zimon::testing

#endif  // ZIMON_TESTING_FAKE_CLOCK_H_
