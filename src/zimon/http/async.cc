#include "zimon/http/async.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>

#include "zimon/common/clock.h"

namespace zimon::http {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

Clock::time_point ExpiryAfter(Clock::duration d) {
  return SaturatingAdd(Clock::now(), d);
}

// Cancels `timer` on its executor; safe from any thread and after the waiter
// has returned (the closure keeps the timer alive).
void PostCancel(const std::shared_ptr<asio::steady_timer>& timer) {
  asio::post(timer->get_executor(), [timer] { timer->cancel(); });
}

}  // namespace

asio::awaitable<Status> SleepFor(Clock::duration duration,
                                 std::stop_token stop) {
  if (stop.stop_requested()) co_return CancelledError("stop requested");
  auto timer =
      std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
  timer->expires_at(ExpiryAfter(duration));
  std::stop_callback on_stop(stop, [timer] { PostCancel(timer); });
  boost::system::error_code ec;
  co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (stop.stop_requested()) co_return CancelledError("stop requested");
  co_return OkStatus();
}

struct AsyncNotification::State {
  mutable std::mutex mu;
  bool notified = false;                       // guarded by mu
  std::shared_ptr<asio::steady_timer> waiter;  // guarded by mu
};

AsyncNotification::AsyncNotification() : state_(std::make_shared<State>()) {}

void AsyncNotification::Notify() {
  std::shared_ptr<asio::steady_timer> waiter;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->notified = true;
    waiter = state_->waiter;
  }
  if (waiter) PostCancel(waiter);
}

bool AsyncNotification::HasBeenNotified() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->notified;
}

asio::awaitable<Status> AsyncNotification::Wait(std::stop_token stop,
                                                Clock::duration timeout) {
  auto timer =
      std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
  Clock::time_point deadline = ExpiryAfter(timeout);
  timer->expires_at(deadline);
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->notified) co_return OkStatus();
    state_->waiter = timer;
  }
  std::shared_ptr<State> state = state_;
  std::stop_callback on_stop(stop, [timer] { PostCancel(timer); });
  Status result;
  while (true) {
    if (HasBeenNotified()) break;
    if (stop.stop_requested()) {
      result = CancelledError("stop requested");
      break;
    }
    if (Clock::now() >= deadline) {
      result = DeadlineExceededError("notification wait timed out");
      break;
    }
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    // A cancel leaves the expiry unchanged, so looping re-checks the three
    // conditions and waits again only after a stray cancel.
  }
  std::lock_guard<std::mutex> lock(state->mu);
  state->waiter.reset();
  co_return result;
}

}  // namespace zimon::http
