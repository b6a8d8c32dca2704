#include "zimon/common/clock.h"

#include <thread>

namespace zimon {

Clock::WallTime RealClock::Now() const {
  return std::chrono::system_clock::now();
}

Clock::SteadyTime RealClock::SteadyNow() const {
  return std::chrono::steady_clock::now();
}

void RealClock::SleepUntil(SteadyTime deadline) {
  std::this_thread::sleep_until(deadline);
}

Clock& SystemClock() {
  // Leaked on purpose: threads may still read the clock during static
  // destruction at exit.
  static RealClock* clock = new RealClock();
  return *clock;
}

}  // namespace zimon
