#include "zimon/sim/event_loop.h"

#include <utility>

namespace zimon::sim {

ManualEventLoop::ManualEventLoop() : now_(Time(std::chrono::hours(1000))) {}

EventLoop::Time ManualEventLoop::Now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return now_;
}

void ManualEventLoop::RunAt(Time when, std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  q_.push(Item{when, next_seq_++, std::move(fn)});
}

bool ManualEventLoop::PopDue(Time deadline, Item& out) {
  std::lock_guard<std::mutex> lock(mu_);
  if (q_.empty() || q_.top().when > deadline) return false;
  // priority_queue::top() is const; the copy of the function is the price of
  // keeping the standard container.
  out = q_.top();
  q_.pop();
  if (out.when > now_) now_ = out.when;
  return true;
}

int64_t ManualEventLoop::RunUntil(Time deadline) {
  int64_t ran = 0;
  Item item;
  while (PopDue(deadline, item)) {
    item.fn();
    ++ran;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (deadline > now_) now_ = deadline;
  return ran;
}

int64_t ManualEventLoop::RunUntilIdle(int64_t max_callbacks) {
  int64_t ran = 0;
  Item item;
  while (ran < max_callbacks && PopDue(Time::max(), item)) {
    item.fn();
    ++ran;
  }
  return ran;
}

size_t ManualEventLoop::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return q_.size();
}

}  // namespace zimon::sim
