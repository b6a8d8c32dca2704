// Internal to the sim module: SimEngine's state and scheduler. Not for other
// modules; use engine.h.
//
// Time model: each running batch ("unit") has an amount of work in seconds
// of exclusive GPU time. While n units run, each advances at
// rate = (1 - neighbour share) / (n * (1 + penalty * (n - 1))). One timer is
// armed for the next milestone (a DiT step someone listens to, or the end of
// a unit); any change (start, finish, fault update) first advances every unit
// to now, then re-arms. Stale timers are recognised by a generation number.
//
// Thread safety: every member below is guarded by mu_. Callbacks to users are
// collected in a Notes list under the lock and run after it is released.
#ifndef ZIMON_SIM_ENGINE_IMPL_H_
#define ZIMON_SIM_ENGINE_IMPL_H_

#include <deque>
#include <list>
#include <mutex>
#include <random>

#include "zimon/sim/engine.h"

namespace zimon::sim {

class SimEngine::Impl : public std::enable_shared_from_this<SimEngine::Impl> {
 public:
  using Notes = std::vector<std::function<void()>>;

  Impl(SimOptions options, EventLoop& loop);

  void Init();  // after construction, once shared_from_this works
  StatusOr<uint64_t> Submit(ImageRequest request, RequestCallbacks callbacks);
  Status Cancel(uint64_t id);
  std::optional<size_t> QueuePosition(uint64_t id) const;
  Status SetFaults(const Faults& faults);
  Faults faults() const;
  void FreeMemory();
  void Restart();
  EngineStats Stats() const;
  GpuView Gpu() const;
  const SimOptions& options() const { return options_; }

 private:
  struct Job {
    uint64_t id = 0;
    ImageRequest req;
    RequestCallbacks cb;
    EventLoop::Time submitted{};
    EventLoop::Time started{};
    bool cold = false;      // arrived before the load finished
    bool detached = false;  // cancelled while running
    bool error = false;     // error fault drawn at start
  };
  struct Unit {
    std::vector<Job> jobs;
    ImageSize size;
    int steps = 0;
    int images = 0;
    uint64_t activation_bytes = 0;
    ServiceTime base;       // one image, mean, alone
    double work_total = 0;  // exclusive-GPU seconds for the whole batch
    double work_done = 0;
    int next_step = 1;  // next progress milestone (1-based)
    bool wants_progress = false;
    bool hung = false;
    double WorkAtStep(int k) const;
  };

  // --- scheduling (engine_sched.cc) ---
  double Seconds(EventLoop::Time t) const;
  EventLoop::Time TimeAt(double seconds) const;
  // Moves every running unit forward to now at the current rates.
  void Advance();
  double Rate() const;
  // Starts what may start now; collects notifications.
  void StartMore(Notes& notes);
  bool TakeBatch(std::vector<Job>& out, Notes& notes);
  void StartUnit(std::vector<Job> jobs, Notes& notes);
  // Completes finished units and reports crossed step milestones.
  void Harvest(Notes& notes);
  void FinishUnit(Unit& unit, Notes& notes);
  void Rearm();
  void OnTimer(uint64_t generation);
  void BeginLoad();
  void OnLoaded(uint64_t load_generation);
  void Crash(const std::string& reason, Notes& notes);
  void FailJob(Job& job, Outcome outcome, std::string type, std::string error,
               std::optional<OomInfo> oom, Notes& notes);
  OomInfo MakeOom(uint64_t requested) const;
  uint64_t NeighbourBytes() const;
  uint64_t AllocatedBytes() const;
  double Draw();  // uniform [0, 1)
  // Runs notes now (from a timer) or posts them to the loop (from an API).
  void Post(Notes notes);
  static void RunNotes(Notes& notes);

  const SimOptions options_;
  EventLoop& loop_;
  const EventLoop::Time epoch_;

  mutable std::mutex mu_;
  Faults faults_;
  std::mt19937_64 rng_;
  std::normal_distribution<double> normal_{0.0, 1.0};
  uint64_t next_id_ = 1;
  std::deque<Job> queue_;
  std::list<Unit> running_;
  LoadState load_state_ = LoadState::kCold;
  uint64_t load_generation_ = 0;
  bool crashed_ = false;
  bool kick_armed_ = false;  // a batch_wait timer is pending
  uint64_t timer_generation_ = 0;
  double last_advance_ = 0;  // seconds since epoch_
  uint64_t leaked_bytes_ = 0;
  uint64_t reserved_pool_ = 0;  // PyTorch's cache: high-water activations
  EngineStats stats_;
};

}  // namespace zimon::sim

#endif  // ZIMON_SIM_ENGINE_IMPL_H_
