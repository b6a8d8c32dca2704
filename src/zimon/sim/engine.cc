#include "zimon/sim/engine.h"

#include <algorithm>

#include "zimon/common/logging.h"
#include "zimon/sim/engine_impl.h"

namespace zimon::sim {

namespace {
constexpr uint32_t kDefaultNeighbourPid = 999999;
constexpr int kMaxImagesPerRequest = 16;
constexpr int kMaxSteps = 1000;
}  // namespace

// --- SimEngine: thin forwarding to Impl ----------------------------------

Status SimEngine::ValidateOptions(const SimOptions& o) {
  if (o.profile.vram_bytes == 0 || !(o.profile.step_seconds > 0)) {
    return InvalidArgumentError(
        "sim: the GPU profile has no VRAM size or "
        "step time");
  }
  if (o.max_batch < 1 || o.max_batch > 64) {
    return InvalidArgumentError(
        "sim: max_batch must be between 1 and 64, got " +
        std::to_string(o.max_batch));
  }
  if (o.batch_wait.count() < 0) {
    return InvalidArgumentError("sim: batch_wait must not be negative");
  }
  if (!(o.jitter_sigma >= 0 && o.jitter_sigma <= 2)) {
    return InvalidArgumentError("sim: jitter_sigma must be between 0 and 2");
  }
  if (!(o.contention_penalty >= 0 && o.contention_penalty <= 10)) {
    return InvalidArgumentError(
        "sim: contention_penalty must be between 0 and 10");
  }
  if (o.gpu_index < 0) {
    return InvalidArgumentError("sim: gpu_index must not be negative");
  }
  return ValidateFaults(o.faults);
}

StatusOr<std::unique_ptr<SimEngine>> SimEngine::Create(SimOptions options,
                                                       EventLoop& loop) {
  ZIMON_RETURN_IF_ERROR(ValidateOptions(options));
  return std::make_unique<SimEngine>(std::move(options), loop);
}

SimEngine::SimEngine(SimOptions options, EventLoop& loop)
    : impl_(std::make_shared<Impl>(std::move(options), loop)) {
  impl_->Init();
}

SimEngine::~SimEngine() = default;

StatusOr<uint64_t> SimEngine::Submit(ImageRequest request,
                                     RequestCallbacks callbacks) {
  return impl_->Submit(std::move(request), std::move(callbacks));
}
Status SimEngine::Cancel(uint64_t id) { return impl_->Cancel(id); }
std::optional<size_t> SimEngine::QueuePosition(uint64_t id) const {
  return impl_->QueuePosition(id);
}
Status SimEngine::SetFaults(const Faults& faults) {
  return impl_->SetFaults(faults);
}
Faults SimEngine::faults() const { return impl_->faults(); }
void SimEngine::FreeMemory() { impl_->FreeMemory(); }
void SimEngine::Restart() { impl_->Restart(); }
EngineStats SimEngine::Stats() const { return impl_->Stats(); }
GpuView SimEngine::Gpu() const { return impl_->Gpu(); }
const SimOptions& SimEngine::options() const { return impl_->options(); }

// --- Impl: the public operations -------------------------------------------

SimEngine::Impl::Impl(SimOptions options, EventLoop& loop)
    : options_(std::move(options)),
      loop_(loop),
      epoch_(loop.Now()),
      faults_(options_.faults),
      rng_(options_.seed) {
  faults_.crash_now = false;
}

void SimEngine::Impl::Init() {
  std::lock_guard<std::mutex> lock(mu_);
  if (options_.preload) BeginLoad();
}

StatusOr<uint64_t> SimEngine::Impl::Submit(ImageRequest req,
                                           RequestCallbacks cb) {
  ZIMON_RETURN_IF_ERROR(ValidateImageSize(req.size));
  if (req.steps < 1 || req.steps > kMaxSteps) {
    return InvalidArgumentError("steps must be between 1 and 1000, got " +
                                std::to_string(req.steps));
  }
  if (req.n < 1 || req.n > kMaxImagesPerRequest) {
    return InvalidArgumentError("n must be between 1 and 16, got " +
                                std::to_string(req.n));
  }
  Notes notes;
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (crashed_) return UnavailableError("the server has crashed");
    if (options_.max_queue > 0 && queue_.size() >= options_.max_queue) {
      ++stats_.rejected_queue_full;
      return ResourceExhaustedError(
          "queue full: " + std::to_string(queue_.size()) +
          " requests waiting (max_queue " + std::to_string(options_.max_queue) +
          ")");
    }
    Advance();
    id = next_id_++;
    Job job;
    job.id = id;
    job.req = std::move(req);
    job.cb = std::move(cb);
    job.submitted = loop_.Now();
    job.cold = load_state_ != LoadState::kWarm;
    queue_.push_back(std::move(job));
    if (load_state_ == LoadState::kCold) BeginLoad();
    StartMore(notes);
    Rearm();
  }
  Post(std::move(notes));
  return id;
}

Status SimEngine::Impl::Cancel(uint64_t id) {
  Notes notes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::find_if(queue_.begin(), queue_.end(),
                           [id](const Job& j) { return j.id == id; });
    if (it != queue_.end()) {
      Job job = std::move(*it);
      queue_.erase(it);
      FailJob(job, Outcome::kCancelled, "", "cancelled", std::nullopt, notes);
    } else {
      Job* found = nullptr;
      for (Unit& u : running_) {
        for (Job& j : u.jobs) {
          if (j.id == id && !j.detached) found = &j;
        }
      }
      if (found == nullptr) {
        return NotFoundError("no queued or running request " +
                             std::to_string(id));
      }
      FailJob(*found, Outcome::kCancelled, "", "cancelled", std::nullopt,
              notes);
      found->detached = true;
    }
  }
  Post(std::move(notes));
  return OkStatus();
}

std::optional<size_t> SimEngine::Impl::QueuePosition(uint64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < queue_.size(); ++i) {
    if (queue_[i].id == id) return i;
  }
  return std::nullopt;
}

Status SimEngine::Impl::SetFaults(const Faults& faults) {
  ZIMON_RETURN_IF_ERROR(ValidateFaults(faults));
  Notes notes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Advance();  // the old compute share applies up to now
    faults_ = faults;
    faults_.crash_now = false;
    if (faults_.noisy_neighbour && faults_.noisy_neighbour->pid == 0) {
      faults_.noisy_neighbour->pid = kDefaultNeighbourPid;
    }
    // A neighbour that needs memory makes PyTorch give back its cache.
    uint64_t weights = load_state_ == LoadState::kCold
                           ? 0
                           : WeightsBytes(options_.profile, options_.offload);
    if (kContextBytes + weights + reserved_pool_ + NeighbourBytes() >
        options_.profile.vram_bytes) {
      reserved_pool_ = AllocatedBytes() - weights;
    }
    log::Info("sim faults set", {{"faults", FaultsToJson(faults_)}});
    if (faults.crash_now && !crashed_) {
      Crash("crash requested through the fault settings", notes);
    } else {
      StartMore(notes);
      Rearm();
    }
  }
  Post(std::move(notes));
  return OkStatus();
}

Faults SimEngine::Impl::faults() const {
  std::lock_guard<std::mutex> lock(mu_);
  return faults_;
}

void SimEngine::Impl::FreeMemory() {
  std::lock_guard<std::mutex> lock(mu_);
  leaked_bytes_ = 0;
  uint64_t active = 0;
  for (const Unit& u : running_) active += u.activation_bytes;
  reserved_pool_ = active;
}

void SimEngine::Impl::Restart() {
  Notes notes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Advance();
    for (Unit& u : running_) {
      for (Job& j : u.jobs) {
        if (!j.detached) {
          FailJob(j, Outcome::kCancelled, "", "server restarted", std::nullopt,
                  notes);
        }
      }
    }
    running_.clear();
    while (!queue_.empty()) {
      FailJob(queue_.front(), Outcome::kCancelled, "", "server restarted",
              std::nullopt, notes);
      queue_.pop_front();
    }
    crashed_ = false;
    leaked_bytes_ = 0;
    reserved_pool_ = 0;
    load_state_ = LoadState::kCold;
    ++load_generation_;  // a load in progress no longer counts
    ++timer_generation_;
    kick_armed_ = false;
    if (options_.preload) BeginLoad();
  }
  Post(std::move(notes));
}

EngineStats SimEngine::Impl::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  EngineStats s = stats_;
  s.load_state = load_state_;
  s.crashed = crashed_;
  s.queue_depth = queue_.size();
  for (const Job& j : queue_) s.queued_ids.push_back(j.id);
  s.running_images = 0;
  for (const Unit& u : running_) {
    s.running_images += u.images;
    for (const Job& j : u.jobs) {
      if (!j.detached) s.running_ids.push_back(j.id);
    }
  }
  s.running_requests = s.running_ids.size();
  // Busy time up to now, without mutating state in a const method.
  if (!running_.empty()) {
    s.busy_seconds_total += std::max(0.0, Seconds(loop_.Now()) - last_advance_);
  }
  return s;
}

GpuView SimEngine::Impl::Gpu() const {
  std::lock_guard<std::mutex> lock(mu_);
  GpuView g;
  g.name = options_.profile.display_name + " (simulated)";
  g.index = options_.gpu_index;
  g.total_bytes = options_.profile.vram_bytes;
  uint64_t weights = load_state_ == LoadState::kCold
                         ? 0
                         : WeightsBytes(options_.profile, options_.offload);
  g.allocated_bytes = AllocatedBytes();
  g.process_bytes = crashed_ ? 0 : kContextBytes + weights + reserved_pool_;
  g.leaked_bytes = leaked_bytes_;
  g.pid = options_.pid;
  g.neighbour = faults_.noisy_neighbour;
  g.busy = !running_.empty() && !crashed_;
  g.busy_seconds_total = stats_.busy_seconds_total;
  if (!running_.empty()) {
    g.busy_seconds_total += std::max(0.0, Seconds(loop_.Now()) - last_advance_);
  }
  g.idle_watts = options_.profile.idle_watts;
  g.max_watts = options_.profile.max_watts;
  g.idle_celsius = options_.profile.idle_celsius;
  g.max_celsius = options_.profile.max_celsius;
  return g;
}

}  // namespace zimon::sim
