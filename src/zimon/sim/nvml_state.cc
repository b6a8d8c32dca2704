#include "zimon/sim/nvml_state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "zimon/common/logging.h"

namespace zimon::sim {

namespace {

using Json = nlohmann::json;

constexpr double kTemperatureTau = 60.0;  // seconds
// Not in the reference: typical idle and boost SM clocks.
constexpr unsigned kIdleClockMhz = 210;
constexpr unsigned kBusyClockMhz = 1755;
constexpr unsigned kClockReasonGpuIdle = 0x1;

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "write " + path);
    }
    off += static_cast<size_t>(n);
  }
  return OkStatus();
}

}  // namespace

GpuSample GpuSampler::Sample(const GpuView& view, EventLoop::Time now) {
  double busy_fraction;
  double dt = 0;
  if (!primed_) {
    busy_fraction = view.busy ? 1.0 : 0.0;
    temperature_ = view.idle_celsius;
  } else {
    dt = std::chrono::duration<double>(now - last_time_).count();
    busy_fraction = dt > 0 ? (view.busy_seconds_total - last_busy_) / dt
                           : (view.busy ? 1.0 : 0.0);
  }
  busy_fraction = std::clamp(busy_fraction, 0.0, 1.0);
  primed_ = true;
  last_busy_ = view.busy_seconds_total;
  last_time_ = now;

  double share = view.neighbour ? view.neighbour->compute_share : 0.0;
  GpuSample s;
  s.utilization = busy_fraction + (1.0 - busy_fraction) * share;
  // Assumed: a diffusion step reads memory about 45% of its time.
  s.memory_utilization = 0.45 * s.utilization;
  s.power_watts =
      view.idle_watts + (view.max_watts - view.idle_watts) * s.utilization;
  double target = view.idle_celsius +
                  (view.max_celsius - view.idle_celsius) * s.utilization;
  temperature_ +=
      (target - temperature_) * (1.0 - std::exp(-dt / kTemperatureTau));
  s.temperature_c = temperature_;
  s.sm_clock_mhz = s.utilization > 0 ? kBusyClockMhz : kIdleClockMhz;
  return s;
}

std::string DeviceJson(const GpuView& view, const GpuSample& sample) {
  char uuid[64];
  std::snprintf(uuid, sizeof(uuid), "GPU-51a00000-0000-0000-0000-%012d",
                view.index);
  auto pct = [](double f) {
    return static_cast<unsigned>(std::lround(std::clamp(f, 0.0, 1.0) * 100));
  };
  Json processes = Json::array();
  if (view.process_bytes > 0) {
    double share = view.neighbour ? view.neighbour->compute_share : 0.0;
    processes.push_back({{"pid", view.pid},
                         {"used_memory", view.process_bytes},
                         {"type", "compute"},
                         {"sm_util", pct(view.busy ? 1.0 - share : 0.0)},
                         {"mem_util", pct(view.busy ? 0.45 : 0.0)}});
  }
  if (view.neighbour) {
    processes.push_back(
        {{"pid", view.neighbour->pid},
         {"used_memory", view.neighbour->memory_bytes},
         {"type", "compute"},
         {"sm_util", pct(view.neighbour->compute_share)},
         {"mem_util", pct(0.45 * view.neighbour->compute_share)}});
  }
  uint64_t used = std::min(view.UsedBytes(), view.total_bytes);
  Json d = {
      {"name", view.name},
      {"uuid", uuid},
      {"memory",
       {{"total", view.total_bytes}, {"used", used}, {"reserved", 0}}},
      {"utilization",
       {{"gpu", pct(sample.utilization)},
        {"memory", pct(sample.memory_utilization)}}},
      {"temperature_c",
       static_cast<unsigned>(std::lround(sample.temperature_c))},
      {"power_mw",
       static_cast<unsigned>(std::lround(sample.power_watts * 1000))},
      {"sm_clock_mhz", sample.sm_clock_mhz},
      {"clock_event_reasons",
       sample.utilization > 0 ? 0u : kClockReasonGpuIdle},
      {"ecc", {{"corrected", 0}, {"uncorrected", 0}}},
      {"lost", false},
      {"processes", processes},
  };
  return d.dump();
}

Status WriteDeviceEntry(const std::string& path, int index,
                        const std::string& device_json) {
  if (index < 0 || index > 255) {
    return InvalidArgumentError("nvml state: gpu index must be 0..255");
  }
  Json device = Json::parse(device_json, nullptr, false);
  if (device.is_discarded() || !device.is_object()) {
    return InvalidArgumentError(
        "nvml state: device entry is not a JSON object");
  }
  std::string lock_path = path + ".lock";
  FdCloser lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (lock.get() < 0) return ErrnoToStatus(errno, "open " + lock_path);
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return ErrnoToStatus(errno, "flock " + lock_path);
  }
  // The lock is released when `lock` closes the descriptor.

  Json doc;
  {
    std::ifstream in(path);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      doc = Json::parse(ss.str(), nullptr, false);
    }
  }
  if (doc.is_discarded() || !doc.is_object()) doc = Json::object();
  if (!doc.contains("driver_version")) doc["driver_version"] = "550.54.15";
  if (!doc.contains("devices") || !doc["devices"].is_array()) {
    doc["devices"] = Json::array();
  }
  Json& devices = doc["devices"];
  while (devices.size() <= static_cast<size_t>(index)) {
    devices.push_back(Json::object());
  }
  devices[static_cast<size_t>(index)] = std::move(device);

  std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(index);
  std::string text = doc.dump(1) + "\n";
  {
    FdCloser out(
        ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (out.get() < 0) return ErrnoToStatus(errno, "open " + tmp);
    Status st = WriteAll(out.get(), text, tmp);
    if (!st.ok()) {
      ::unlink(tmp.c_str());
      return st;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = ErrnoToStatus(errno, "rename " + tmp + " to " + path);
    ::unlink(tmp.c_str());
    return st;
  }
  return OkStatus();
}

// --- NvmlStatePublisher -------------------------------------------------

struct NvmlStatePublisher::State {
  SimEngine& engine;
  EventLoop& loop;
  std::string path;
  EventLoop::Duration interval;
  std::mutex mu;
  GpuSampler sampler;      // guarded by mu
  std::string last_error;  // guarded by mu

  Status Write() {
    std::lock_guard<std::mutex> lock(mu);
    GpuView view = engine.Gpu();
    GpuSample sample = sampler.Sample(view, loop.Now());
    Status st = WriteDeviceEntry(path, view.index, DeviceJson(view, sample));
    if (!st.ok() && st.message() != last_error) {
      last_error = st.message();
      log::Warn("sim cannot write the NVML state file", {{"error", st}});
    } else if (st.ok()) {
      last_error.clear();
    }
    return st;
  }
};

namespace {
void Schedule(std::weak_ptr<NvmlStatePublisher::State> weak) {
  auto s = weak.lock();
  if (!s) return;
  s->loop.RunAt(s->loop.Now() + s->interval, [weak] {
    auto self = weak.lock();
    if (!self) return;
    (void)self->Write();
    Schedule(weak);
  });
}
}  // namespace

NvmlStatePublisher::NvmlStatePublisher(SimEngine& engine, EventLoop& loop,
                                       std::string path,
                                       EventLoop::Duration interval)
    : state_(std::shared_ptr<State>(new State{
          engine,
          loop,
          std::move(path),
          std::max(interval,
                   EventLoop::Duration(std::chrono::milliseconds(100))),
          {},
          {},
          {}})) {
  (void)state_->Write();
  Schedule(state_);
}

NvmlStatePublisher::~NvmlStatePublisher() = default;

Status NvmlStatePublisher::WriteNow() { return state_->Write(); }

}  // namespace zimon::sim
