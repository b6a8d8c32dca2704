#include "zimon/collect/nvml_library.h"

#include <dlfcn.h>

#include <initializer_list>

namespace zimon::collect {
namespace {

// The first symbol of `names` the library exports, or null.
template <typename Fn>
Fn Resolve(void* handle, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (void* sym = ::dlsym(handle, name)) return reinterpret_cast<Fn>(sym);
  }
  return nullptr;
}

}  // namespace

StatusOr<std::unique_ptr<NvmlLibrary>> NvmlLibrary::Load(
    const std::string& path) {
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = ::dlerror();
    return NotFoundError("cannot load NVML library " + path + ": " +
                         (err ? err : "unknown"));
  }
  NvmlApi a;
  a.init = Resolve<nvml::InitFn>(handle, {"nvmlInit_v2", "nvmlInit"});
  a.shutdown = Resolve<nvml::ShutdownFn>(handle, {"nvmlShutdown"});
  a.get_count = Resolve<nvml::GetCountFn>(
      handle, {"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"});
  a.get_handle_by_index = Resolve<nvml::GetHandleByIndexFn>(
      handle, {"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"});
  if (!a.init || !a.shutdown || !a.get_count || !a.get_handle_by_index) {
    ::dlclose(handle);
    return FailedPreconditionError(
        path +
        " lacks nvmlInit/nvmlShutdown/nvmlDeviceGetCount/"
        "nvmlDeviceGetHandleByIndex; not an NVML library");
  }
  a.error_string = Resolve<nvml::ErrorStringFn>(handle, {"nvmlErrorString"});
  a.get_name = Resolve<nvml::GetStringFn>(handle, {"nvmlDeviceGetName"});
  a.get_uuid = Resolve<nvml::GetStringFn>(handle, {"nvmlDeviceGetUUID"});
  a.get_memory_v2 =
      Resolve<nvml::GetMemoryV2Fn>(handle, {"nvmlDeviceGetMemoryInfo_v2"});
  a.get_memory =
      Resolve<nvml::GetMemoryFn>(handle, {"nvmlDeviceGetMemoryInfo"});
  a.get_utilization = Resolve<nvml::GetUtilizationFn>(
      handle, {"nvmlDeviceGetUtilizationRates"});
  a.get_temperature =
      Resolve<nvml::GetTemperatureFn>(handle, {"nvmlDeviceGetTemperature"});
  a.get_power_usage =
      Resolve<nvml::GetUintFn>(handle, {"nvmlDeviceGetPowerUsage"});
  a.get_clock = Resolve<nvml::GetClockFn>(handle, {"nvmlDeviceGetClockInfo"});
  a.get_clock_reasons = Resolve<nvml::GetU64Fn>(
      handle, {"nvmlDeviceGetCurrentClocksEventReasons",
               "nvmlDeviceGetCurrentClocksThrottleReasons"});
  a.get_total_ecc =
      Resolve<nvml::GetEccFn>(handle, {"nvmlDeviceGetTotalEccErrors"});

  // Running processes: _v3 wrote 32-byte entries on R535 before 535.104.05,
  // recognisable by ConfComputeMemSizeInfo without RunningProcessDetailList.
  if ((a.get_compute_processes = Resolve<nvml::GetProcessesFn>(
           handle, {"nvmlDeviceGetComputeRunningProcesses_v3"}))) {
    a.get_graphics_processes = Resolve<nvml::GetProcessesFn>(
        handle, {"nvmlDeviceGetGraphicsRunningProcesses_v3"});
    bool r535 =
        ::dlsym(handle, "nvmlDeviceGetConfComputeMemSizeInfo") != nullptr &&
        ::dlsym(handle, "nvmlDeviceGetRunningProcessDetailList") == nullptr;
    a.process_stride = r535 ? 32 : 24;
  } else if ((a.get_compute_processes = Resolve<nvml::GetProcessesFn>(
                  handle, {"nvmlDeviceGetComputeRunningProcesses_v2"}))) {
    a.get_graphics_processes = Resolve<nvml::GetProcessesFn>(
        handle, {"nvmlDeviceGetGraphicsRunningProcesses_v2"});
    a.process_stride = 24;
  } else {
    a.get_compute_processes = Resolve<nvml::GetProcessesFn>(
        handle, {"nvmlDeviceGetComputeRunningProcesses"});
    a.get_graphics_processes = Resolve<nvml::GetProcessesFn>(
        handle, {"nvmlDeviceGetGraphicsRunningProcesses"});
    a.process_stride = 16;
  }
  a.get_process_utilization = Resolve<nvml::GetProcessUtilizationFn>(
      handle, {"nvmlDeviceGetProcessUtilization"});
  a.event_set_create =
      Resolve<nvml::EventSetCreateFn>(handle, {"nvmlEventSetCreate"});
  a.register_events =
      Resolve<nvml::RegisterEventsFn>(handle, {"nvmlDeviceRegisterEvents"});
  // The unsuffixed wait writes 24 bytes; our 32-byte buffer holds either.
  a.event_set_wait = Resolve<nvml::EventSetWaitFn>(
      handle, {"nvmlEventSetWait_v2", "nvmlEventSetWait"});
  a.event_set_free =
      Resolve<nvml::EventSetFreeFn>(handle, {"nvmlEventSetFree"});
  a.get_mig_mode =
      Resolve<nvml::GetMigModeFn>(handle, {"nvmlDeviceGetMigMode"});
  a.get_max_mig_count =
      Resolve<nvml::GetUintFn>(handle, {"nvmlDeviceGetMaxMigDeviceCount"});
  a.get_mig_handle = Resolve<nvml::GetMigHandleFn>(
      handle, {"nvmlDeviceGetMigDeviceHandleByIndex"});
  return std::unique_ptr<NvmlLibrary>(new NvmlLibrary(handle, a));
}

NvmlLibrary::~NvmlLibrary() {
  if (handle_ != nullptr) ::dlclose(handle_);
}

std::string NvmlLibrary::ErrorString(nvmlReturn_t rc) const {
  const char* text = api_.error_string ? api_.error_string(rc) : nullptr;
  return std::string(text ? text : "NVML error") + " (" +
         std::to_string(static_cast<int>(rc)) + ")";
}

}  // namespace zimon::collect
