// SimEngine: one simulated Z-Image-Turbo GPU server, without HTTP. The
// vLLM-Omni, stable-diffusion.cpp and ComfyUI fronts submit requests to it
// and turn its results into their own responses.
//
//   ManualEventLoop loop;
//   SimOptions opt;
//   opt.profile = *FindProfile("h100");
//   SimEngine engine(opt, loop);
//   ImageRequest req{.prompt = "a cat", .size = {1024, 1024}, .steps = 9};
//   StatusOr<uint64_t> id = engine.Submit(req, {.on_done = [](ImageResult r) {
//     ...  // r.outcome, r.images (PNG bytes), r.error
//   }});
//   loop.RunFor(std::chrono::minutes(1));
//
// Model (docs/sim.md): service time from model.h with seeded log-normal
// jitter; the first request after start (or Restart) waits for the cold start;
// kQueue mode serves one batch at a time from a bounded FIFO (batches of
// same-size, same-steps requests up to max_batch images); kParallel mode
// starts every request at once and shares the GPU between them (processor
// sharing). Every running image holds activation memory; a request whose
// memory does not fit fails with PyTorch's OOM text.
//
// Submit() answers at once: the id, or kResourceExhausted ("queue full", for
// sd.cpp's 429), kUnavailable (crashed), kInvalidArgument (bad request).
// Callbacks never run inside a SimEngine call: they run on the event loop,
// without the engine's lock held, so they may call back into the engine.
//
// Thread safety: all methods are thread-safe. The event loop must outlive the
// engine; timers left in the loop after the engine is destroyed do nothing.
#ifndef ZIMON_SIM_ENGINE_H_
#define ZIMON_SIM_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zimon/common/status.h"
#include "zimon/sim/event_loop.h"
#include "zimon/sim/faults.h"
#include "zimon/sim/model.h"
#include "zimon/sim/oom.h"
#include "zimon/sim/profiles.h"

namespace zimon::sim {

enum class SchedulingMode {
  kQueue,     // one batch at a time, FIFO (vLLM-Omni, ComfyUI, sd.cpp)
  kParallel,  // naive web wrapper: everything runs at once
};

struct SimOptions {
  GpuProfile profile;  // set vram_bytes here to simulate another card size
  int gpu_index = 0;   // "GPU <n>" in OOM texts; the NVML device index
  uint32_t pid = 0;    // the server's process id, for the NVML process list
  SchedulingMode mode = SchedulingMode::kQueue;
  int max_batch = 1;  // images per batch in kQueue mode
  // kQueue with max_batch > 1: how long the head of the queue may wait for
  // more same-size requests before a smaller batch starts (vLLM-Omni's
  // --request-batch-max-wait-ms). Zero starts at once.
  EventLoop::Duration batch_wait{0};
  size_t max_queue = 64;       // waiting requests; 0 = unbounded
  bool offload = false;        // CPU offload: fewer resident weights, more time
  double jitter_sigma = 0.05;  // sigma of the log-normal latency multiplier
  // kParallel: each extra concurrent request slows every one by this
  // fraction on top of the 1/n share (the reference gives none: 0).
  double contention_penalty = 0.0;
  bool preload = false;       // start loading at construction (else: on demand)
  bool render_images = true;  // fill ImageResult::images with PNG bytes
  uint64_t seed = 1;          // for jitter and fault draws
  Faults faults;
  // Called once, on the event loop, when a crash fault fires; the front
  // exits the process. `reason` is a log-ready sentence.
  std::function<void(const std::string& reason)> on_crash;
};

struct ImageRequest {
  std::string prompt;
  ImageSize size;
  int steps = 9;      // DiT steps, 1..1000
  int n = 1;          // images, 1..16; run together as one batch
  uint64_t seed = 0;  // image i uses seed + i
};

enum class Outcome {
  kOk,
  kOom,        // CUDA out of memory (error, oom filled in)
  kError,      // a CUDA runtime error (error fault)
  kCancelled,  // Cancel() or Restart()
};

struct ImageResult {
  uint64_t id = 0;
  Outcome outcome = Outcome::kOk;
  std::string error_type;  // "torch.OutOfMemoryError", "RuntimeError"
  std::string error;       // the full exception text
  std::optional<OomInfo> oom;
  // PNGs from ImagePool::Shared() (kOk and render_images).
  std::vector<std::string> images;
  std::vector<bool> black;  // per image: the black-image fault fired
  EventLoop::Time submitted{}, started{}, finished{};
  int batch_images = 0;  // images in the batch it ran in
  bool cold = false;     // waited for the cold start
};

struct RequestCallbacks {
  std::function<void(uint64_t id)> on_start;  // GPU work begins
  // After DiT step `step` of `steps` (1-based); asking for it costs a timer
  // per step.
  std::function<void(uint64_t id, int step, int steps)> on_progress;
  std::function<void(ImageResult result)> on_done;
};

enum class LoadState { kCold, kLoading, kWarm };

// What the fronts' metrics and /queue endpoints show.
struct EngineStats {
  LoadState load_state = LoadState::kCold;
  bool crashed = false;
  size_t queue_depth = 0;
  size_t running_requests = 0;
  int running_images = 0;
  std::vector<uint64_t> queued_ids;  // FIFO order
  std::vector<uint64_t> running_ids;
  // Seconds the GPU has had work, since construction (a counter).
  double busy_seconds_total = 0;
  uint64_t requests_ok = 0, requests_oom = 0, requests_error = 0,
           requests_cancelled = 0, rejected_queue_full = 0;
  uint64_t images_ok = 0, images_black = 0;
};

// The simulated GPU as NVML would show it.
struct GpuView {
  std::string name;  // profile display name + " (simulated)"
  int index = 0;
  uint64_t total_bytes = 0;
  uint64_t process_bytes = 0;    // this server: context + weights + reserved
  uint64_t allocated_bytes = 0;  // weights + activations + leaked
  uint64_t leaked_bytes = 0;
  uint32_t pid = 0;
  std::optional<NoisyNeighbour> neighbour;  // pid filled in
  bool busy = false;                        // our work is on the GPU right now
  double busy_seconds_total = 0;
  double idle_watts = 0, max_watts = 0, idle_celsius = 0, max_celsius = 0;
  // Everything on the GPU, capped at the total.
  uint64_t UsedBytes() const {
    uint64_t used = process_bytes + (neighbour ? neighbour->memory_bytes : 0);
    return used < total_bytes ? used : total_bytes;
  }
};

class SimEngine {
 public:
  // `options` is validated by Create(); the constructor trusts it.
  static StatusOr<std::unique_ptr<SimEngine>> Create(SimOptions options,
                                                     EventLoop& loop);
  SimEngine(SimOptions options, EventLoop& loop);
  ~SimEngine();
  SimEngine(const SimEngine&) = delete;
  SimEngine& operator=(const SimEngine&) = delete;

  static Status ValidateOptions(const SimOptions& options);

  StatusOr<uint64_t> Submit(ImageRequest request, RequestCallbacks callbacks);
  // Queued: removed. Running: its result is dropped (the GPU work goes on, as
  // on the real servers). Either way on_done gets kCancelled. kNotFound when
  // the id is unknown or already done.
  Status Cancel(uint64_t id);
  // Where a queued request stands (0 = next); nullopt when not queued.
  std::optional<size_t> QueuePosition(uint64_t id) const;

  Status SetFaults(const Faults& faults);
  Faults faults() const;
  // Frees leaked and cached memory (ComfyUI's POST /free).
  void FreeMemory();
  // A process restart: drops every request (on_done kCancelled), frees
  // memory, clears the crash, and goes cold again (preload: starts loading).
  void Restart();

  EngineStats Stats() const;
  GpuView Gpu() const;
  const SimOptions& options() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace zimon::sim

#endif  // ZIMON_SIM_ENGINE_H_
