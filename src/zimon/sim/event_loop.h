// EventLoop: where the simulator's time comes from and where its timers run.
// Simulated GPU work is a timer, never a busy loop, so many simulators share a
// couple of cores.
//
//   ManualEventLoop loop;                 // tests: virtual time
//   SimEngine engine(options, loop);
//   engine.Submit(...);
//   loop.RunFor(std::chrono::seconds(30));  // runs due callbacks in order
//
// AsioEventLoop (asio_event_loop.h) runs the same callbacks on an
// io_context for the HTTP fronts.
#ifndef ZIMON_SIM_EVENT_LOOP_H_
#define ZIMON_SIM_EVENT_LOOP_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <vector>

namespace zimon::sim {

// Thread safety: implementations must allow Now() and RunAt() from any thread,
// including from inside a callback.
class EventLoop {
 public:
  using Time = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  virtual ~EventLoop() = default;
  virtual Time Now() const = 0;
  // Runs `fn` once, at or after `when`, on the loop's thread(s). A time in the
  // past runs as soon as possible. There is no cancel: callers make stale
  // callbacks harmless (the engine checks a generation number).
  virtual void RunAt(Time when, std::function<void()> fn) = 0;
};

// Virtual time for tests: time moves only in Run*(), jumping from one timer
// to the next, so a thousand simulated seconds take microseconds. Callbacks
// due at the same instant run in the order they were scheduled.
//
// Thread safety: RunAt() and Now() are thread-safe; the Run* methods must be
// called from one thread at a time (they run the callbacks on it).
class ManualEventLoop final : public EventLoop {
 public:
  // Starts at an arbitrary fixed steady time (not zero, to catch code that
  // treats zero as "unset").
  ManualEventLoop();

  Time Now() const override;
  void RunAt(Time when, std::function<void()> fn) override;

  // Runs every callback due up to `deadline` (including ones they schedule),
  // then sets Now() to `deadline`. Returns the number of callbacks run.
  int64_t RunUntil(Time deadline);
  int64_t RunFor(Duration d) { return RunUntil(Now() + d); }
  // Runs callbacks until none is pending or `max_callbacks` have run (guards
  // against periodic timers). Returns the number run.
  int64_t RunUntilIdle(int64_t max_callbacks = 10'000'000);
  // Number of callbacks scheduled and not yet run.
  size_t pending() const;

 private:
  struct Item {
    Time when;
    uint64_t seq;
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const {
      return a.when != b.when ? a.when > b.when : a.seq > b.seq;
    }
  };
  // Pops the earliest item if it is due by `deadline`.
  bool PopDue(Time deadline, Item& out);

  mutable std::mutex mu_;
  Time now_;                                               // guarded by mu_
  uint64_t next_seq_ = 0;                                  // guarded by mu_
  std::priority_queue<Item, std::vector<Item>, Later> q_;  // guarded by mu_
};

}  // namespace zimon::sim

#endif  // ZIMON_SIM_EVENT_LOOP_H_
