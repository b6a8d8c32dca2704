#include "zimon/testing/fake_clock.h"

namespace zimon::testing {

FakeClock::FakeClock() : FakeClock(WallTime(kDefaultEpoch)) {}

FakeClock::FakeClock(WallTime start)
    : now_(start), steady_now_(SteadyTime(std::chrono::hours(1))) {}

Clock::WallTime FakeClock::Now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return now_;
}

Clock::SteadyTime FakeClock::SteadyNow() const {
  std::lock_guard<std::mutex> lock(mu_);
  return steady_now_;
}

void FakeClock::SleepUntil(SteadyTime deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  if (steady_now_ >= deadline) return;
  ++sleepers_;
  cv_.notify_all();  // AwaitSleepers() may be waiting for this one
  cv_.wait(lock, [&] { return steady_now_ >= deadline; });
  --sleepers_;
}

void FakeClock::Advance(std::chrono::nanoseconds d) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += std::chrono::duration_cast<WallTime::duration>(d);
    if (d > std::chrono::nanoseconds::zero()) steady_now_ += d;
  }
  cv_.notify_all();
}

void FakeClock::SetNow(WallTime t) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    now_ = t;
  }
  cv_.notify_all();
}

int FakeClock::sleepers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sleepers_;
}

void FakeClock::AwaitSleepers(int n) const {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return sleepers_ >= n; });
}

}  // namespace zimon::testing
