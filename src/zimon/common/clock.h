// Clock: the one source of time, injected so that timeouts, intervals and rule
// `for:` durations can be tested without sleeping.
//
//   Clock& clock = SystemClock();          // production
//   testing::FakeClock clock;              // tests: clock.Advance(5s)
//
// Now() is wall time (timestamps on samples, log lines, file names); it can
// jump. SteadyNow() is monotonic and is what deadlines, intervals and rate
// windows use.
//
// Thread safety: implementations must be thread-safe; SystemClock() is.
#ifndef ZIMON_COMMON_CLOCK_H_
#define ZIMON_COMMON_CLOCK_H_

#include <chrono>

namespace zimon {

class Clock {
 public:
  using WallTime = std::chrono::system_clock::time_point;
  using SteadyTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;

  // Wall-clock time.
  virtual WallTime Now() const = 0;
  // Monotonic time; never goes backwards.
  virtual SteadyTime SteadyNow() const = 0;
  // Blocks the calling thread until SteadyNow() >= deadline. A FakeClock wakes
  // sleepers when it is advanced, so code that sleeps on the injected clock is
  // testable without real waiting.
  virtual void SleepUntil(SteadyTime deadline) = 0;

  void SleepFor(std::chrono::steady_clock::duration d) {
    SleepUntil(SteadyNow() + d);
  }
};

// The operating system's clocks.
class RealClock final : public Clock {
 public:
  WallTime Now() const override;
  SteadyTime SteadyNow() const override;
  void SleepUntil(SteadyTime deadline) override;
};

// t + d, or SteadyTime::max() where that would overflow: a deadline `d` from
// `t`, where a duration of max() means none.
inline Clock::SteadyTime SaturatingAdd(Clock::SteadyTime t,
                                       Clock::SteadyTime::duration d) {
  return d >= Clock::SteadyTime::max() - t ? Clock::SteadyTime::max() : t + d;
}

// The process-wide RealClock. Never destroyed; safe to use from any thread.
Clock& SystemClock();

}  // namespace zimon

#endif  // ZIMON_COMMON_CLOCK_H_
