// BatchWorker<T>: hands items from any thread to one background thread that
// handles them many at a time, so that slow work (a database commit, a log
// write) stays off the I/O threads and costs one call per batch, not per item.
//
//   BatchWorker<Line> worker("zimon-access", 5ms, 65536,
//                            [](std::vector<Line>& batch) { ... });
//   worker.Add(std::move(line));  // returns at once; false when full
//   worker.Flush();               // every item added before it is handled
//
// The thread sleeps until an item arrives and takes everything pending as one
// batch. After each batch it waits `gather` (cut short by Flush() or the
// destructor) so that a busy producer is served one batch per `gather`, and
// an Add() never wakes a thread that is gathering: at high rates the cost
// per item falls instead of a thread switch per item. A Gather with a
// minimum batch waits longer at moderate rates, where a batch's own cost
// (an fsync) would dominate: past its time, while fewer than `min_items`
// wait, until that many have arrived or `max_time` has passed since the
// batch.
//
//   BatchWorker<Record> worker("zimon-records", {5ms, 64, 25ms}, ...);
//
// `max_pending` bounds the items waiting: Add() drops an item past it and
// returns false (the caller counts and logs the loss).
//
// With an idle handler, once no item has arrived for `idle_after` since a
// batch, the thread calls it (once; again only after another batch): work
// that can wait for a pause, such as a database checkpoint, goes there.
//
// Ownership: the worker owns its thread and the pending items. The handler
// runs on the worker's thread only, one batch at a time; it must not call
// Flush(). The destructor handles what is pending, then stops the thread.
// Thread safety: Add() and Flush() are thread-safe. Flush() blocks, so call
// it from a worker thread or a test, not an I/O thread.
#ifndef ZIMON_COMMON_BATCH_WORKER_H_
#define ZIMON_COMMON_BATCH_WORKER_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "zimon/common/thread_name.h"

namespace zimon {

template <typename T>
class BatchWorker {
 public:
  using Handler = std::function<void(std::vector<T>& batch)>;
  using IdleHandler = std::function<void()>;

  // How long the thread gathers after a batch (see above). A duration alone
  // is a fixed time.
  struct Gather {
    template <typename Rep, typename Period>
    Gather(std::chrono::duration<Rep, Period> fixed)  // NOLINT: implicit
        : time(std::chrono::duration_cast<std::chrono::milliseconds>(fixed)),
          max_time(time) {}
    Gather(std::chrono::milliseconds at_least, size_t min_batch,
           std::chrono::milliseconds at_most)
        : time(at_least), min_items(min_batch), max_time(at_most) {}

    std::chrono::milliseconds time;
    size_t min_items = 1;
    std::chrono::milliseconds max_time;  // >= time to matter
  };

  BatchWorker(std::string_view thread_name, Gather gather, size_t max_pending,
              Handler handler, std::chrono::milliseconds idle_after = {},
              IdleHandler on_idle = nullptr)
      : gather_(gather),
        max_pending_(max_pending),
        handler_(std::move(handler)),
        idle_after_(idle_after),
        on_idle_(std::move(on_idle)),
        thread_([this] { Run(); }) {
    SetThreadName(thread_.native_handle(), thread_name);
  }

  ~BatchWorker() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  BatchWorker(const BatchWorker&) = delete;
  BatchWorker& operator=(const BatchWorker&) = delete;

  // Queues `item` and returns; false (and `item` dropped) when max_pending
  // items already wait.
  bool Add(T item) {
    bool wake;
    {
      std::lock_guard lock(mu_);
      if (pending_.size() >= max_pending_) return false;
      pending_.push_back(std::move(item));
      ++added_;
      // The item that completes a minimum batch ends the wait for it.
      wake = idle_ || (topping_up_ && pending_.size() == gather_.min_items);
      idle_ = false;
    }
    if (wake) wake_.notify_one();
    return true;
  }

  // Waits until every item added before the call has been handled.
  void Flush() {
    std::unique_lock lock(mu_);
    const uint64_t target = added_;
    ++flushes_waiting_;
    wake_.notify_all();
    done_.wait(lock, [&] { return handled_ >= target; });
    --flushes_waiting_;
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    const auto woken = [&] { return stopping_ || !pending_.empty(); };
    bool idle_due = false;  // a batch since the idle handler last ran
    while (true) {
      idle_ = pending_.empty();
      if (idle_due && on_idle_ && !wake_.wait_for(lock, idle_after_, woken)) {
        idle_due = false;
        lock.unlock();
        on_idle_();
        lock.lock();
        continue;  // items that came meanwhile found idle_ set and woke no one
      }
      wake_.wait(lock, woken);
      idle_ = false;
      if (pending_.empty()) return;  // stopping, nothing left
      std::vector<T> batch;
      batch.swap(pending_);
      lock.unlock();
      handler_(batch);
      const size_t n = batch.size();
      batch.clear();  // items die off the lock
      lock.lock();
      handled_ += n;
      idle_due = true;
      done_.notify_all();
      const auto cut_short = [&] { return stopping_ || flushes_waiting_ > 0; };
      const auto since = std::chrono::steady_clock::now();
      wake_.wait_for(lock, gather_.time, cut_short);
      if (pending_.size() < gather_.min_items &&
          gather_.max_time > gather_.time) {
        topping_up_ = true;
        wake_.wait_until(lock, since + gather_.max_time, [&] {
          return cut_short() || pending_.size() >= gather_.min_items;
        });
        topping_up_ = false;
      }
    }
  }

  const Gather gather_;
  const size_t max_pending_;
  const Handler handler_;
  const std::chrono::milliseconds idle_after_;
  const IdleHandler on_idle_;
  std::mutex mu_;
  std::condition_variable wake_;  // pending work, a flush, or stopping
  std::condition_variable done_;  // a batch was handled
  std::vector<T> pending_;        // guarded by mu_
  uint64_t added_ = 0;            // guarded by mu_
  uint64_t handled_ = 0;          // guarded by mu_
  int flushes_waiting_ = 0;       // guarded by mu_
  bool stopping_ = false;         // guarded by mu_
  // The thread waits for the first item of a batch (not gathering one).
  bool idle_ = false;  // guarded by mu_
  // The thread waits for a minimum batch, past the gather time.
  bool topping_up_ = false;  // guarded by mu_
  std::thread thread_;       // last: starts once the members above exist
};

}  // namespace zimon

#endif  // ZIMON_COMMON_BATCH_WORKER_H_
