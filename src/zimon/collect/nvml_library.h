// libnvidia-ml.so.1 opened with dlopen and its functions resolved with dlsym,
// preferring the newest versioned symbol and tolerating absent optional ones
// (a null pointer means "this driver does not have it").
//
// Ownership: owns the dlopen handle; the function pointers are valid for the
// object's lifetime. The caller initialises and shuts NVML down; destroy this
// object only after nvmlShutdown.
// Thread safety: immutable after Load; NVML itself is thread-safe.
#ifndef ZIMON_COLLECT_NVML_LIBRARY_H_
#define ZIMON_COLLECT_NVML_LIBRARY_H_

#include <cstddef>
#include <memory>
#include <string>

#include "zimon/collect/nvml_types.h"
#include "zimon/common/status.h"

namespace zimon::collect {

struct NvmlApi {
  // Required: Load fails without them.
  nvml::InitFn init = nullptr;  // nvmlInit_v2, else nvmlInit
  nvml::ShutdownFn shutdown = nullptr;
  nvml::GetCountFn get_count = nullptr;  // _v2, else unsuffixed
  nvml::GetHandleByIndexFn get_handle_by_index =
      nullptr;  // _v2, else unsuffixed
  // Optional.
  nvml::ErrorStringFn error_string = nullptr;
  nvml::GetStringFn get_name = nullptr;
  nvml::GetStringFn get_uuid = nullptr;
  nvml::GetMemoryV2Fn get_memory_v2 = nullptr;
  nvml::GetMemoryFn get_memory = nullptr;
  nvml::GetUtilizationFn get_utilization = nullptr;
  nvml::GetTemperatureFn get_temperature = nullptr;
  nvml::GetUintFn get_power_usage = nullptr;
  nvml::GetClockFn get_clock = nullptr;
  nvml::GetU64Fn get_clock_reasons =
      nullptr;  // ...ClocksEventReasons, else ...ThrottleReasons
  nvml::GetEccFn get_total_ecc = nullptr;
  nvml::GetProcessesFn get_compute_processes = nullptr;
  nvml::GetProcessesFn get_graphics_processes = nullptr;
  size_t process_stride =
      24;  // bytes per entry the process calls write (16, 24 or 32)
  nvml::GetProcessUtilizationFn get_process_utilization = nullptr;
  nvml::EventSetCreateFn event_set_create = nullptr;
  nvml::RegisterEventsFn register_events = nullptr;
  nvml::EventSetWaitFn event_set_wait =
      nullptr;  // _v2 (32-byte data), else unsuffixed
  nvml::EventSetFreeFn event_set_free = nullptr;
  nvml::GetMigModeFn get_mig_mode = nullptr;
  nvml::GetUintFn get_max_mig_count = nullptr;
  nvml::GetMigHandleFn get_mig_handle = nullptr;
};

class NvmlLibrary {
 public:
  // `path` is a soname ("libnvidia-ml.so.1") or an absolute path. NotFound
  // when it cannot be opened (no driver); FailedPrecondition when a required
  // symbol is missing (not an NVML library).
  static StatusOr<std::unique_ptr<NvmlLibrary>> Load(const std::string& path);
  ~NvmlLibrary();
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  const NvmlApi& api() const { return api_; }
  // "GPU is lost (15)"; works without nvmlErrorString.
  std::string ErrorString(nvmlReturn_t rc) const;

 private:
  NvmlLibrary(void* handle, NvmlApi api) : handle_(handle), api_(api) {}
  void* handle_;
  NvmlApi api_;
};

}  // namespace zimon::collect

#endif  // ZIMON_COLLECT_NVML_LIBRARY_H_
