// The simulated GPU written to the fake NVML library's state file
// (docs/fake-nvml.md), so `zimon agent` reports a sim through the real NVML
// code path.
//
// Several sims may share one state file: each owns `devices[gpu_index]` and
// rewrites only that entry. A writer takes an exclusive flock(2) on
// "<path>.lock", reads the file, replaces its entry (padding missing lower
// indices with `{}`), writes "<path>.tmp.<pid>.<index>" and rename(2)s it over
// the file, so a reader never sees a torn file and no writer loses another's
// entry.
#ifndef ZIMON_SIM_NVML_STATE_H_
#define ZIMON_SIM_NVML_STATE_H_

#include <memory>
#include <string>

#include "zimon/common/status.h"
#include "zimon/sim/engine.h"
#include "zimon/sim/event_loop.h"

namespace zimon::sim {

// What NVML shows for the simulated GPU at one moment.
struct GpuSample {
  double utilization = 0;         // 0..1, over the last interval
  double memory_utilization = 0;  // 0..1
  double power_watts = 0;
  double temperature_c = 0;
  unsigned sm_clock_mhz = 0;
};

// Turns successive GpuViews into samples: utilization is the busy fraction
// since the previous sample (with a noisy neighbour's share filling idle
// time), power is linear between idle and max in utilization, temperature
// moves towards its steady value with a 60 s time constant.
//
// Thread safety: not thread-safe; one owner.
class GpuSampler {
 public:
  GpuSample Sample(const GpuView& view, EventLoop::Time now);

 private:
  bool primed_ = false;
  double last_busy_ = 0;
  EventLoop::Time last_time_{};
  double temperature_ = 0;
};

// The device object of the state file for `view` and `sample` (pure).
std::string DeviceJson(const GpuView& view, const GpuSample& sample);

// Replaces devices[index] of the state file at `path` with `device_json`, under
// the lock file, atomically (see the file comment). Creates the file if
// missing; a file that does not parse is replaced by a fresh one.
Status WriteDeviceEntry(const std::string& path, int index,
                        const std::string& device_json);

// Writes the engine's GPU to the state file now and then every `interval`
// on the event loop. Stops when destroyed (pending timers become no-ops).
//
// Thread safety: construct and destroy on one thread; the periodic writes run
// on the loop. Write errors are logged once per distinct message.
class NvmlStatePublisher {
 public:
  NvmlStatePublisher(SimEngine& engine, EventLoop& loop, std::string path,
                     EventLoop::Duration interval);
  ~NvmlStatePublisher();
  NvmlStatePublisher(const NvmlStatePublisher&) = delete;
  NvmlStatePublisher& operator=(const NvmlStatePublisher&) = delete;

  // Writes once, now; returns the write's status.
  Status WriteNow();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace zimon::sim

#endif  // ZIMON_SIM_NVML_STATE_H_
