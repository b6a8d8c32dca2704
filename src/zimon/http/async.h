// Small awaitable building blocks for handlers that wait and must stop waiting
// when their client goes away (Request::stop).
//
//   // kCancelled on disconnect:
//   Status s = co_await SleepFor(100ms, request.stop);
//
//   AsyncNotification granted;                 // e.g. a queue slot
//   queue.Push(granted);                       // another thread calls Notify()
//   Status s = co_await granted.Wait(request.stop, 30s);
//
// Both wait on a timer created on the awaiting coroutine's executor and cancel
// it by posting to that executor, so the awaiting coroutine must run on a
// strand or a single-threaded io_context. Server handlers and Client calls
// always do.
#ifndef ZIMON_HTTP_ASYNC_H_
#define ZIMON_HTTP_ASYNC_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <stop_token>

#include "zimon/common/status.h"

namespace zimon::http {

// Waits `duration`. OK when it elapsed; kCancelled as soon as `stop` is
// requested (at once if it already was).
boost::asio::awaitable<Status> SleepFor(
    std::chrono::steady_clock::duration duration, std::stop_token stop = {});

// A one-shot signal that one coroutine awaits and any thread sets.
//
// Copies share state. Notify() is thread-safe and may be called before, during
// or after Wait(), and after the waiter is gone. At most one Wait() at a time.
class AsyncNotification {
 public:
  AsyncNotification();

  void Notify();
  bool HasBeenNotified() const;

  // OK once notified; kCancelled when `stop` is requested first;
  // kDeadlineExceeded when `timeout` passes first.
  boost::asio::awaitable<Status> Wait(
      std::stop_token stop = {},
      std::chrono::steady_clock::duration timeout =
          std::chrono::steady_clock::duration::max());

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace zimon::http

#endif  // ZIMON_HTTP_ASYNC_H_
