// A fake libnvidia-ml.so.1 for tests and demos: the NVML C symbols the GPU
// collector resolves, with the real ABI (types from
// zimon/collect/nvml_types.h), answering from the state file described in
// docs/fake-nvml.md.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "zimon/collect/nvml_types.h"
#include "zimon/testing/fake_nvml/fake_state.h"

namespace {

using zimon::testing::fake_nvml::CurrentState;
using zimon::testing::fake_nvml::FakeDevice;
using zimon::testing::fake_nvml::FakeMutex;
using zimon::testing::fake_nvml::FakeState;

struct Handle {
  unsigned index;
  int mig_slot;  // -1 for a physical GPU
};

struct EventSet {
  std::set<unsigned> devices;  // registered physical indices
  std::set<std::pair<unsigned, long long>> delivered;  // (device, event id)
};

int g_init_count = 0;  // guarded by FakeMutex()

Handle* HandleFor(unsigned index, int mig_slot) {
  static std::deque<Handle> handles;  // stable addresses
  static std::map<std::pair<unsigned, int>, Handle*> by_key;
  auto [it, inserted] = by_key.try_emplace({index, mig_slot}, nullptr);
  if (inserted) {
    handles.push_back(Handle{index, mig_slot});
    it->second = &handles.back();
  }
  return it->second;
}

nvmlDevice_t ToDevice(Handle* h) { return reinterpret_cast<nvmlDevice_t>(h); }

// Resolves a handle against the current state, applying lost GPUs and
// injected errors for `call`. On success *out points at the device.
nvmlReturn_t Lookup(nvmlDevice_t device, const char* call,
                    const FakeDevice** out) {
  if (g_init_count == 0) return NVML_ERROR_UNINITIALIZED;
  if (device == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const FakeState& s = CurrentState();
  const Handle* h = reinterpret_cast<const Handle*>(device);
  if (h->index >= s.devices.size()) return NVML_ERROR_INVALID_ARGUMENT;
  const FakeDevice* parent = &s.devices[h->index];
  if (parent->lost) return NVML_ERROR_GPU_IS_LOST;
  const FakeDevice* d = parent;
  if (h->mig_slot >= 0) {
    d = nullptr;
    for (const FakeDevice& m : parent->mig_devices) {
      if (static_cast<int>(m.mig_slot) == h->mig_slot) d = &m;
    }
    if (d == nullptr || !parent->mig_enabled)
      return NVML_ERROR_INVALID_ARGUMENT;
  }
  auto err = d->errors.find(call);
  if (err != d->errors.end()) return static_cast<nvmlReturn_t>(err->second);
  *out = d;
  return NVML_SUCCESS;
}

nvmlReturn_t CopyString(const std::string& value, char* buf, unsigned length) {
  if (buf == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (length < value.size() + 1) return NVML_ERROR_INSUFFICIENT_SIZE;
  std::memcpy(buf, value.c_str(), value.size() + 1);
  return NVML_SUCCESS;
}

// The two-call list protocol of the running-process calls, at `stride`.
nvmlReturn_t Processes(nvmlDevice_t device, const char* call, bool graphics,
                       unsigned* count, void* infos) {
  std::lock_guard<std::mutex> lock(FakeMutex());
  const FakeDevice* d = nullptr;
  if (nvmlReturn_t rc = Lookup(device, call, &d); rc != NVML_SUCCESS) return rc;
  if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const Handle* h = reinterpret_cast<const Handle*>(device);
  std::vector<nvmlProcessInfo_v2_t> list;
  for (const auto& p : d->processes) {
    if (p.graphics != graphics) continue;
    unsigned gi = h->mig_slot >= 0 ? d->mig_slot + 1 : 0xFFFFFFFFu;
    unsigned ci = h->mig_slot >= 0 ? 0 : 0xFFFFFFFFu;
    list.push_back(nvmlProcessInfo_v2_t{p.pid, p.used_memory, gi, ci});
  }
  unsigned n = static_cast<unsigned>(list.size());
  if (n == 0) {
    *count = 0;
    return NVML_SUCCESS;
  }
  if (*count < n || infos == nullptr) {
    unsigned cap = infos == nullptr ? 0 : *count;
    if (infos != nullptr)
      std::memcpy(infos, list.data(), cap * sizeof(nvmlProcessInfo_v2_t));
    *count = n;
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  std::memcpy(infos, list.data(), n * sizeof(nvmlProcessInfo_v2_t));
  *count = n;
  return NVML_SUCCESS;
}

template <typename Fn>
nvmlReturn_t WithDevice(nvmlDevice_t device, const char* call, Fn fn) {
  std::lock_guard<std::mutex> lock(FakeMutex());
  const FakeDevice* d = nullptr;
  if (nvmlReturn_t rc = Lookup(device, call, &d); rc != NVML_SUCCESS) return rc;
  return fn(*d);
}

}  // namespace

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

FAKE_EXPORT nvmlReturn_t nvmlInit_v2() {
  std::lock_guard<std::mutex> lock(FakeMutex());
  const FakeState& s = CurrentState();
  if (!s.loaded) return NVML_ERROR_DRIVER_NOT_LOADED;
  if (s.init_error != 0) return static_cast<nvmlReturn_t>(s.init_error);
  ++g_init_count;
  return NVML_SUCCESS;
}

FAKE_EXPORT nvmlReturn_t nvmlInit() { return nvmlInit_v2(); }

FAKE_EXPORT nvmlReturn_t nvmlShutdown() {
  std::lock_guard<std::mutex> lock(FakeMutex());
  if (g_init_count > 0) --g_init_count;
  return NVML_SUCCESS;  // extra shutdowns are not an error
}

FAKE_EXPORT const char* nvmlErrorString(nvmlReturn_t rc) {
  switch (rc) {
    case NVML_SUCCESS:
      return "Success";
    case NVML_ERROR_UNINITIALIZED:
      return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT:
      return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED:
      return "Not Supported";
    case NVML_ERROR_NO_PERMISSION:
      return "Insufficient Permissions";
    case NVML_ERROR_NOT_FOUND:
      return "Not Found";
    case NVML_ERROR_INSUFFICIENT_SIZE:
      return "Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED:
      return "Driver Not Loaded";
    case NVML_ERROR_TIMEOUT:
      return "Timeout";
    case NVML_ERROR_GPU_IS_LOST:
      return "GPU is lost";
    default:
      return "Unknown Error";
  }
}

FAKE_EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char* version,
                                                    unsigned length) {
  std::lock_guard<std::mutex> lock(FakeMutex());
  if (g_init_count == 0) return NVML_ERROR_UNINITIALIZED;
  return CopyString(CurrentState().driver_version, version, length);
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned* count) {
  std::lock_guard<std::mutex> lock(FakeMutex());
  if (g_init_count == 0) return NVML_ERROR_UNINITIALIZED;
  if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *count = static_cast<unsigned>(CurrentState().devices.size());
  return NVML_SUCCESS;
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned index,
                                                       nvmlDevice_t* device) {
  std::lock_guard<std::mutex> lock(FakeMutex());
  if (g_init_count == 0) return NVML_ERROR_UNINITIALIZED;
  const FakeState& s = CurrentState();
  if (device == nullptr || index >= s.devices.size())
    return NVML_ERROR_INVALID_ARGUMENT;
  if (s.devices[index].lost) return NVML_ERROR_GPU_IS_LOST;
  auto err = s.devices[index].errors.find("nvmlDeviceGetHandleByIndex_v2");
  if (err != s.devices[index].errors.end())
    return static_cast<nvmlReturn_t>(err->second);
  *device = ToDevice(HandleFor(index, -1));
  return NVML_SUCCESS;
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name,
                                           unsigned length) {
  return WithDevice(device, "nvmlDeviceGetName", [&](const FakeDevice& d) {
    return CopyString(d.name, name, length);
  });
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid,
                                           unsigned length) {
  return WithDevice(device, "nvmlDeviceGetUUID", [&](const FakeDevice& d) {
    return CopyString(d.uuid, uuid, length);
  });
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device,
                                                 nvmlMemory_t* memory) {
  return WithDevice(
      device, "nvmlDeviceGetMemoryInfo", [&](const FakeDevice& d) {
        if (memory == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
        unsigned long long used =
            d.memory_used + d.memory_reserved;  // v1: reserved + allocated
        *memory =
            nvmlMemory_t{d.memory_total,
                         d.memory_total - std::min(used, d.memory_total), used};
        return NVML_SUCCESS;
      });
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device,
                                                    nvmlMemory_v2_t* memory) {
  return WithDevice(
      device, "nvmlDeviceGetMemoryInfo_v2", [&](const FakeDevice& d) {
        if (memory == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
        // The real driver answers FUNCTION_NOT_FOUND to version = 2.
        if (memory->version != zimon::collect::nvml::kMemoryV2Version) {
          return NVML_ERROR_FUNCTION_NOT_FOUND;
        }
        unsigned long long taken = d.memory_used + d.memory_reserved;
        memory->total = d.memory_total;
        memory->reserved = d.memory_reserved;
        memory->used = d.memory_used;
        memory->free = d.memory_total - std::min(taken, d.memory_total);
        return NVML_SUCCESS;
      });
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device,
                                                       nvmlUtilization_t* u) {
  return WithDevice(
      device, "nvmlDeviceGetUtilizationRates", [&](const FakeDevice& d) {
        if (reinterpret_cast<const Handle*>(device)->mig_slot >= 0 ||
            d.mig_enabled) {
          return NVML_ERROR_NOT_SUPPORTED;
        }
        *u = nvmlUtilization_t{d.utilization_gpu, d.utilization_memory};
        return NVML_SUCCESS;
      });
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetTemperature(
    nvmlDevice_t device, nvmlTemperatureSensors_t sensor, unsigned* temp) {
  return WithDevice(device, "nvmlDeviceGetTemperature",
                    [&](const FakeDevice& d) {
                      if (sensor != NVML_TEMPERATURE_GPU || temp == nullptr)
                        return NVML_ERROR_INVALID_ARGUMENT;
                      *temp = d.temperature_c;
                      return NVML_SUCCESS;
                    });
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device,
                                                 unsigned* power) {
  return WithDevice(device, "nvmlDeviceGetPowerUsage",
                    [&](const FakeDevice& d) {
                      *power = d.power_mw;
                      return NVML_SUCCESS;
                    });
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device,
                                                nvmlClockType_t type,
                                                unsigned* clock) {
  return WithDevice(device, "nvmlDeviceGetClockInfo", [&](const FakeDevice& d) {
    if (type != NVML_CLOCK_SM && type != NVML_CLOCK_GRAPHICS)
      return NVML_ERROR_NOT_SUPPORTED;
    *clock = d.sm_clock_mhz;
    return NVML_SUCCESS;
  });
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(
    nvmlDevice_t device, unsigned long long* reasons) {
  return WithDevice(device, "nvmlDeviceGetCurrentClocksEventReasons",
                    [&](const FakeDevice& d) {
                      *reasons = d.clock_event_reasons;
                      return NVML_SUCCESS;
                    });
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(
    nvmlDevice_t device, unsigned long long* reasons) {
  return nvmlDeviceGetCurrentClocksEventReasons(device, reasons);
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetTotalEccErrors(nvmlDevice_t device,
                                                     nvmlMemoryErrorType_t type,
                                                     nvmlEccCounterType_t,
                                                     unsigned long long* n) {
  return WithDevice(
      device, "nvmlDeviceGetTotalEccErrors", [&](const FakeDevice& d) {
        if (!d.ecc_supported) return NVML_ERROR_NOT_SUPPORTED;
        *n = type == NVML_MEMORY_ERROR_TYPE_CORRECTED ? d.ecc_corrected
                                                      : d.ecc_uncorrected;
        return NVML_SUCCESS;
      });
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(
    nvmlDevice_t device, unsigned* count, void* infos) {
  return Processes(device, "nvmlDeviceGetComputeRunningProcesses_v3", false,
                   count, infos);
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(
    nvmlDevice_t device, unsigned* count, void* infos) {
  return Processes(device, "nvmlDeviceGetGraphicsRunningProcesses_v3", true,
                   count, infos);
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetProcessUtilization(
    nvmlDevice_t device, nvmlProcessUtilizationSample_t* samples,
    unsigned* count, unsigned long long last_seen) {
  return WithDevice(
      device, "nvmlDeviceGetProcessUtilization", [&](const FakeDevice& d) {
        if (reinterpret_cast<const Handle*>(device)->mig_slot >= 0 ||
            d.mig_enabled) {
          return NVML_ERROR_NOT_SUPPORTED;
        }
        if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
        // One sample per process, stamped "now" (epoch microseconds).
        unsigned long long now = static_cast<unsigned long long>(
            std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count());
        if (now <= last_seen || d.processes.empty())
          return NVML_ERROR_NOT_FOUND;
        unsigned n = static_cast<unsigned>(d.processes.size());
        if (samples == nullptr || *count < n) {
          *count = n;
          return NVML_ERROR_INSUFFICIENT_SIZE;
        }
        for (unsigned i = 0; i < n; ++i) {
          const auto& p = d.processes[i];
          samples[i] = nvmlProcessUtilizationSample_t{
              p.pid, now, p.sm_util, p.mem_util, 0, 0};
        }
        *count = n;
        return NVML_SUCCESS;
      });
}

FAKE_EXPORT nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t* set) {
  std::lock_guard<std::mutex> lock(FakeMutex());
  if (g_init_count == 0) return NVML_ERROR_UNINITIALIZED;
  *set = reinterpret_cast<nvmlEventSet_t>(new EventSet());
  return NVML_SUCCESS;
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t device,
                                                  unsigned long long types,
                                                  nvmlEventSet_t set) {
  return WithDevice(device, "nvmlDeviceRegisterEvents", [&](const FakeDevice&) {
    const Handle* h = reinterpret_cast<const Handle*>(device);
    if (set == nullptr || h->mig_slot >= 0) return NVML_ERROR_NOT_SUPPORTED;
    if (types & ~zimon::collect::nvml::kEventTypeXidCriticalError)
      return NVML_ERROR_NOT_SUPPORTED;
    reinterpret_cast<EventSet*>(set)->devices.insert(h->index);
    return NVML_SUCCESS;
  });
}

FAKE_EXPORT nvmlReturn_t
nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t* data,
                    unsigned /*timeout_ms: never blocks*/) {
  std::lock_guard<std::mutex> lock(FakeMutex());
  if (g_init_count == 0) return NVML_ERROR_UNINITIALIZED;
  if (set == nullptr || data == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  auto* es = reinterpret_cast<EventSet*>(set);
  const FakeState& s = CurrentState();
  for (unsigned index : es->devices) {
    if (index >= s.devices.size() || s.devices[index].lost) continue;
    for (const auto& x : s.devices[index].xid_events) {
      if (!es->delivered.emplace(index, x.id).second) continue;
      *data = nvmlEventData_t{ToDevice(HandleFor(index, -1)),
                              zimon::collect::nvml::kEventTypeXidCriticalError,
                              x.xid, 0xFFFFFFFFu, 0xFFFFFFFFu};
      return NVML_SUCCESS;
    }
  }
  return NVML_ERROR_TIMEOUT;
}

FAKE_EXPORT nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set) {
  std::lock_guard<std::mutex> lock(FakeMutex());
  delete reinterpret_cast<EventSet*>(set);
  return NVML_SUCCESS;
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device,
                                              unsigned* current,
                                              unsigned* pending) {
  return WithDevice(device, "nvmlDeviceGetMigMode", [&](const FakeDevice& d) {
    if (reinterpret_cast<const Handle*>(device)->mig_slot >= 0)
      return NVML_ERROR_NOT_SUPPORTED;
    *current = *pending = d.mig_enabled ? 1 : 0;
    return NVML_SUCCESS;
  });
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device,
                                                        unsigned* count) {
  return WithDevice(device, "nvmlDeviceGetMaxMigDeviceCount",
                    [&](const FakeDevice& d) {
                      *count = d.mig_enabled ? 7 : 0;
                      return NVML_SUCCESS;
                    });
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(
    nvmlDevice_t device, unsigned index, nvmlDevice_t* mig) {
  return WithDevice(
      device, "nvmlDeviceGetMigDeviceHandleByIndex", [&](const FakeDevice& d) {
        if (!d.mig_enabled) return NVML_ERROR_INVALID_ARGUMENT;
        for (const FakeDevice& m : d.mig_devices) {
          if (m.mig_slot == index) {
            *mig = ToDevice(
                HandleFor(reinterpret_cast<const Handle*>(device)->index,
                          static_cast<int>(index)));
            return NVML_SUCCESS;
          }
        }
        return NVML_ERROR_NOT_FOUND;
      });
}
