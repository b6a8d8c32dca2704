// SimEngine's scheduler: loading, batching, processor sharing, memory checks
// and fault draws. See engine_impl.h for the time model.
#include <algorithm>
#include <cmath>
#include <limits>

#include "zimon/common/logging.h"
#include "zimon/sim/engine_impl.h"
#include "zimon/sim/image_pool.h"

namespace zimon::sim {

namespace {

constexpr const char* kCudaErrorText =
    "CUDA error: an illegal memory access was encountered\n"
    "CUDA kernel errors might be asynchronously reported at some other API "
    "call, so the stacktrace below might be incorrect.\n"
    "For debugging consider passing CUDA_LAUNCH_BLOCKING=1";

double Epsilon(double work) { return 1e-9 * std::max(1.0, work); }

}  // namespace

double SimEngine::Impl::Unit::WorkAtStep(int k) const {
  double total = base.Total();
  if (total <= 0) return work_total;
  return work_total * base.UntilStep(k, steps) / total;
}

double SimEngine::Impl::Seconds(EventLoop::Time t) const {
  return std::chrono::duration<double>(t - epoch_).count();
}

EventLoop::Time SimEngine::Impl::TimeAt(double seconds) const {
  return epoch_ + std::chrono::ceil<EventLoop::Duration>(
                      std::chrono::duration<double>(seconds));
}

double SimEngine::Impl::Draw() {
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

uint64_t SimEngine::Impl::NeighbourBytes() const {
  return faults_.noisy_neighbour ? faults_.noisy_neighbour->memory_bytes : 0;
}

uint64_t SimEngine::Impl::AllocatedBytes() const {
  uint64_t bytes = leaked_bytes_;
  if (load_state_ != LoadState::kCold) {
    bytes += WeightsBytes(options_.profile, options_.offload);
  }
  for (const Unit& u : running_) bytes += u.activation_bytes;
  return bytes;
}

double SimEngine::Impl::Rate() const {
  size_t n = running_.size();
  if (n == 0) return 0;
  double share =
      faults_.noisy_neighbour ? faults_.noisy_neighbour->compute_share : 0.0;
  double penalty = options_.mode == SchedulingMode::kParallel
                       ? options_.contention_penalty
                       : 0.0;
  return (1.0 - share) / (static_cast<double>(n) *
                          (1.0 + penalty * static_cast<double>(n - 1)));
}

void SimEngine::Impl::Advance() {
  double now = Seconds(loop_.Now());
  double dt = now - last_advance_;
  if (dt <= 0) return;
  if (!running_.empty() && !crashed_) {
    stats_.busy_seconds_total += dt;
    double r = Rate();
    for (Unit& u : running_) {
      if (!u.hung) u.work_done = std::min(u.work_total, u.work_done + r * dt);
    }
  }
  last_advance_ = now;
}

void SimEngine::Impl::BeginLoad() {
  load_state_ = LoadState::kLoading;
  uint64_t gen = ++load_generation_;
  double secs =
      options_.profile.cold_start_seconds + faults_.slow_start_seconds;
  std::weak_ptr<Impl> weak = weak_from_this();
  loop_.RunAt(loop_.Now() + std::chrono::ceil<EventLoop::Duration>(
                                std::chrono::duration<double>(secs)),
              [weak, gen] {
                if (auto self = weak.lock()) self->OnLoaded(gen);
              });
}

void SimEngine::Impl::OnLoaded(uint64_t gen) {
  Notes notes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (gen != load_generation_ || crashed_ ||
        load_state_ != LoadState::kLoading) {
      return;
    }
    Advance();
    uint64_t weights = WeightsBytes(options_.profile, options_.offload);
    uint64_t vram = options_.profile.vram_bytes;
    if (kContextBytes + weights + NeighbourBytes() > vram) {
      // The weights do not fit: every waiting request fails the way a loader
      // node does ("ZImageLoader Allocation on device", §9), and the next
      // request tries to load again.
      load_state_ = LoadState::kCold;
      OomInfo info;
      info.gpu_index = options_.gpu_index;
      info.requested_bytes = ZImageTurbo().dit_bytes;
      info.total_bytes = vram;
      info.process_bytes = kContextBytes;
      uint64_t used = kContextBytes + NeighbourBytes();
      info.free_bytes = vram > used ? vram - used : 0;
      log::Warn("sim model load failed: out of memory",
                {{"weights_bytes", weights}, {"vram_bytes", vram}});
      while (!queue_.empty()) {
        FailJob(queue_.front(), Outcome::kOom, kTorchOomType,
                TorchOomMessage(info), info, notes);
        queue_.pop_front();
      }
    } else {
      load_state_ = LoadState::kWarm;
      log::Info("sim model loaded", {{"gpu", options_.profile.name}});
      StartMore(notes);
      Rearm();
    }
  }
  RunNotes(notes);
}

void SimEngine::Impl::StartMore(Notes& notes) {
  if (crashed_ || load_state_ != LoadState::kWarm) return;
  if (options_.mode == SchedulingMode::kParallel) {
    while (!queue_.empty() && !crashed_) {
      std::vector<Job> one;
      one.push_back(std::move(queue_.front()));
      queue_.pop_front();
      StartUnit(std::move(one), notes);
    }
    return;
  }
  while (running_.empty() && !queue_.empty() && !crashed_) {
    std::vector<Job> batch;
    if (!TakeBatch(batch, notes)) return;
    StartUnit(std::move(batch), notes);
  }
}

bool SimEngine::Impl::TakeBatch(std::vector<Job>& out, Notes& notes) {
  const Job& head = queue_.front();
  const int max = std::max(options_.max_batch, head.req.n);
  int images = 0;
  std::vector<size_t> picked;
  for (size_t i = 0; i < queue_.size() && images < max; ++i) {
    const Job& j = queue_[i];
    if (j.req.size == head.req.size && j.req.steps == head.req.steps &&
        images + j.req.n <= max) {
      picked.push_back(i);
      images += j.req.n;
    }
  }
  auto ready_at = head.submitted + options_.batch_wait;
  if (images < max && options_.batch_wait.count() > 0 &&
      loop_.Now() < ready_at) {
    if (!kick_armed_) {
      kick_armed_ = true;
      std::weak_ptr<Impl> weak = weak_from_this();
      loop_.RunAt(ready_at, [weak] {
        auto self = weak.lock();
        if (!self) return;
        Notes n;
        {
          std::lock_guard<std::mutex> lock(self->mu_);
          self->kick_armed_ = false;
          self->Advance();
          self->StartMore(n);
          self->Rearm();
        }
        RunNotes(n);
      });
    }
    (void)notes;
    return false;
  }
  // Erase back to front so earlier indices stay valid.
  out.resize(picked.size());
  for (size_t k = picked.size(); k-- > 0;) {
    out[k] = std::move(queue_[picked[k]]);
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(picked[k]));
  }
  return true;
}

OomInfo SimEngine::Impl::MakeOom(uint64_t requested) const {
  OomInfo info;
  info.gpu_index = options_.gpu_index;
  info.requested_bytes = requested;
  info.total_bytes = options_.profile.vram_bytes;
  uint64_t weights = WeightsBytes(options_.profile, options_.offload);
  info.allocated_bytes = AllocatedBytes();
  uint64_t activations = info.allocated_bytes - weights;
  uint64_t reserved = std::max(reserved_pool_, activations);
  info.process_bytes = kContextBytes + weights + reserved;
  info.reserved_unallocated_bytes = reserved - activations;
  uint64_t used = info.process_bytes + NeighbourBytes();
  info.free_bytes = info.total_bytes > used ? info.total_bytes - used : 0;
  return info;
}

void SimEngine::Impl::StartUnit(std::vector<Job> jobs, Notes& notes) {
  Unit u;
  u.size = jobs.front().req.size;
  u.steps = jobs.front().req.steps;
  for (const Job& j : jobs) u.images += j.req.n;
  u.activation_bytes = static_cast<uint64_t>(u.images) *
                       ActivationBytes(options_.profile, u.size);

  uint64_t need =
      kContextBytes + AllocatedBytes() + NeighbourBytes() + u.activation_bytes;
  const uint64_t weights = WeightsBytes(options_.profile, options_.offload);
  if (need > options_.profile.vram_bytes) {
    // PyTorch releases its cached blocks and retries before it raises.
    reserved_pool_ = AllocatedBytes() - weights;
    OomInfo info = MakeOom(u.activation_bytes);
    std::string text = TorchOomMessage(info);
    for (Job& j : jobs) {
      j.started = loop_.Now();
      FailJob(j, Outcome::kOom, kTorchOomType, text, info, notes);
    }
    return;
  }
  if (faults_.crash_rate > 0 && Draw() < faults_.crash_rate) {
    Crash("crash fault fired while starting request " +
              std::to_string(jobs.front().id),
          notes);
    return;
  }

  u.base = MeanServiceTime(options_.profile, u.size, u.steps, options_.offload);
  double sigma = options_.jitter_sigma;
  double mult = std::exp(sigma * normal_(rng_) - sigma * sigma / 2.0);
  if (faults_.spike_rate > 0 && Draw() < faults_.spike_rate) {
    mult *= faults_.spike_factor;
  }
  u.work_total = u.base.Total() * u.images / BatchGain(u.size, u.images) * mult;
  u.hung = faults_.hang_rate > 0 && Draw() < faults_.hang_rate;
  for (Job& j : jobs) {
    j.started = loop_.Now();
    j.error = faults_.error_rate > 0 && Draw() < faults_.error_rate;
    if (j.cb.on_progress) u.wants_progress = true;
    if (j.cb.on_start)
      notes.push_back([cb = j.cb.on_start, id = j.id] { cb(id); });
  }
  u.jobs = std::move(jobs);
  running_.push_back(std::move(u));
  // The caching allocator keeps what it reserved, unless the GPU needs it
  // back (then it releases its cache first, as PyTorch does).
  uint64_t activations = AllocatedBytes() - weights;
  reserved_pool_ = std::max(reserved_pool_, activations);
  if (kContextBytes + weights + reserved_pool_ + NeighbourBytes() >
      options_.profile.vram_bytes) {
    reserved_pool_ = activations;
  }
}

void SimEngine::Impl::Harvest(Notes& notes) {
  for (auto it = running_.begin(); it != running_.end();) {
    Unit& u = *it;
    if (u.hung) {
      ++it;
      continue;
    }
    double eps = Epsilon(u.work_total);
    while (u.wants_progress && u.next_step <= u.steps &&
           u.work_done + eps >= u.WorkAtStep(u.next_step)) {
      for (const Job& j : u.jobs) {
        if (j.detached || !j.cb.on_progress) continue;
        notes.push_back([cb = j.cb.on_progress, id = j.id, k = u.next_step,
                         n = u.steps] { cb(id, k, n); });
      }
      ++u.next_step;
    }
    if (u.work_done + eps >= u.work_total) {
      FinishUnit(u, notes);
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
}

void SimEngine::Impl::FinishUnit(Unit& u, Notes& notes) {
  if (faults_.leak) leaked_bytes_ += u.activation_bytes;
  for (Job& j : u.jobs) {
    if (j.detached) continue;
    if (j.error) {
      FailJob(j, Outcome::kError, "RuntimeError", kCudaErrorText, std::nullopt,
              notes);
      continue;
    }
    ImageResult r;
    r.id = j.id;
    r.outcome = Outcome::kOk;
    r.submitted = j.submitted;
    r.started = j.started;
    r.finished = loop_.Now();
    r.batch_images = u.images;
    r.cold = j.cold;
    for (int i = 0; i < j.req.n; ++i) {
      bool black = faults_.black_rate > 0 && Draw() < faults_.black_rate;
      r.black.push_back(black);
      if (black) ++stats_.images_black;
    }
    ++stats_.requests_ok;
    stats_.images_ok += static_cast<uint64_t>(j.req.n);
    notes.push_back([r = std::move(r), req = j.req, cb = j.cb.on_done,
                     render = options_.render_images]() mutable {
      if (render) {
        for (int i = 0; i < req.n; ++i) {
          auto png = ImagePool::Shared().Png(
              req.prompt, req.seed + static_cast<uint64_t>(i), req.size,
              r.black[static_cast<size_t>(i)]);
          if (!png.ok()) {
            r.outcome = Outcome::kError;
            r.error_type = "RuntimeError";
            r.error = png.status().message();
            r.images.clear();
            break;
          }
          r.images.push_back(std::move(*png));
        }
      }
      if (cb) cb(std::move(r));
    });
  }
}

void SimEngine::Impl::Rearm() {
  if (crashed_ || running_.empty()) return;
  double r = Rate();
  if (r <= 0) return;
  double best = std::numeric_limits<double>::infinity();
  for (const Unit& u : running_) {
    if (u.hung) continue;
    double target = u.work_total;
    if (u.wants_progress && u.next_step <= u.steps) {
      target = std::min(target, u.WorkAtStep(u.next_step));
    }
    best = std::min(best, std::max(0.0, target - u.work_done) / r);
  }
  if (!std::isfinite(best)) return;  // only hung work left
  uint64_t gen = ++timer_generation_;
  std::weak_ptr<Impl> weak = weak_from_this();
  loop_.RunAt(TimeAt(last_advance_ + best), [weak, gen] {
    if (auto self = weak.lock()) self->OnTimer(gen);
  });
}

void SimEngine::Impl::OnTimer(uint64_t gen) {
  Notes notes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (gen != timer_generation_ || crashed_) return;
    Advance();
    Harvest(notes);
    StartMore(notes);
    Rearm();
  }
  RunNotes(notes);
}

void SimEngine::Impl::Crash(const std::string& reason, Notes& notes) {
  crashed_ = true;
  ++timer_generation_;
  ++load_generation_;
  // The process is gone: nobody will answer the requests it held.
  running_.clear();
  queue_.clear();
  log::Error("sim crashed", {{"reason", reason}});
  if (options_.on_crash) {
    notes.push_back([cb = options_.on_crash, reason] { cb(reason); });
  }
}

void SimEngine::Impl::FailJob(Job& job, Outcome outcome, std::string type,
                              std::string error, std::optional<OomInfo> oom,
                              Notes& notes) {
  switch (outcome) {
    case Outcome::kOom:
      ++stats_.requests_oom;
      break;
    case Outcome::kError:
      ++stats_.requests_error;
      break;
    case Outcome::kCancelled:
      ++stats_.requests_cancelled;
      break;
    case Outcome::kOk:
      break;
  }
  if (!job.cb.on_done) return;
  ImageResult r;
  r.id = job.id;
  r.outcome = outcome;
  r.error_type = std::move(type);
  r.error = std::move(error);
  r.oom = std::move(oom);
  r.submitted = job.submitted;
  r.started = job.started;
  r.finished = loop_.Now();
  r.cold = job.cold;
  notes.push_back(
      [cb = job.cb.on_done, r = std::move(r)]() mutable { cb(std::move(r)); });
}

void SimEngine::Impl::Post(Notes notes) {
  if (notes.empty()) return;
  loop_.RunAt(loop_.Now(),
              [notes = std::move(notes)]() mutable { RunNotes(notes); });
}

void SimEngine::Impl::RunNotes(Notes& notes) {
  for (auto& fn : notes) fn();
}

}  // namespace zimon::sim
