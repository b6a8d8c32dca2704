// The subset of the NVML C ABI that zimon uses, declared here so the project
// builds without nvml.h and loads libnvidia-ml.so.1 with dlopen. Layouts and
// values follow NVML's nvml.h (API 11.x-13.x, LP64); see
// /work/shared/reference/nvml.md for sources and version traps. Shared by the
// GPU collector and the fake library in src/zimon/testing/fake_nvml, and
// checked by the static_asserts at the bottom.
#ifndef ZIMON_COLLECT_NVML_TYPES_H_
#define ZIMON_COLLECT_NVML_TYPES_H_

#include <cstddef>

extern "C" {

typedef struct nvmlDevice_st* nvmlDevice_t;
typedef struct nvmlEventSet_st* nvmlEventSet_t;

typedef enum nvmlReturn_enum {
  NVML_SUCCESS = 0,
  NVML_ERROR_UNINITIALIZED = 1,
  NVML_ERROR_INVALID_ARGUMENT = 2,
  NVML_ERROR_NOT_SUPPORTED = 3,
  NVML_ERROR_NO_PERMISSION = 4,
  NVML_ERROR_NOT_FOUND = 6,
  NVML_ERROR_INSUFFICIENT_SIZE = 7,
  NVML_ERROR_DRIVER_NOT_LOADED = 9,
  NVML_ERROR_TIMEOUT = 10,
  NVML_ERROR_LIBRARY_NOT_FOUND = 12,
  NVML_ERROR_FUNCTION_NOT_FOUND = 13,
  NVML_ERROR_GPU_IS_LOST = 15,
  NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
  NVML_ERROR_UNKNOWN = 999
} nvmlReturn_t;

typedef enum nvmlTemperatureSensors_enum {
  NVML_TEMPERATURE_GPU = 0
} nvmlTemperatureSensors_t;
typedef enum nvmlClockType_enum {
  NVML_CLOCK_GRAPHICS = 0,
  NVML_CLOCK_SM = 1,
  NVML_CLOCK_MEM = 2
} nvmlClockType_t;
typedef enum nvmlMemoryErrorType_enum {
  NVML_MEMORY_ERROR_TYPE_CORRECTED = 0,
  NVML_MEMORY_ERROR_TYPE_UNCORRECTED = 1
} nvmlMemoryErrorType_t;
typedef enum nvmlEccCounterType_enum {
  NVML_VOLATILE_ECC = 0,
  NVML_AGGREGATE_ECC = 1
} nvmlEccCounterType_t;

typedef struct nvmlMemory_st {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;  // reserved + allocated
} nvmlMemory_t;

typedef struct nvmlMemory_v2_st {
  unsigned int version;  // must be nvmlMemory_v2 (0x02000028), not 2
  unsigned long long total;
  unsigned long long reserved;
  unsigned long long free;
  unsigned long long used;  // allocated only: what nvidia-smi shows
} nvmlMemory_v2_t;

typedef struct nvmlUtilization_st {
  unsigned int gpu;     // percent
  unsigned int memory;  // percent of time memory was read or written
} nvmlUtilization_t;

// The 24-byte entry of the _v2/_v3 running-process calls.
typedef struct nvmlProcessInfo_v2_st {
  unsigned int pid;
  unsigned long long usedGpuMemory;  // bytes, or NVML_VALUE_NOT_AVAILABLE
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
} nvmlProcessInfo_v2_t;

// The 16-byte entry of the unsuffixed (oldest) running-process calls.
typedef struct nvmlProcessInfo_v1_st {
  unsigned int pid;
  unsigned long long usedGpuMemory;
} nvmlProcessInfo_v1_t;

typedef struct nvmlProcessUtilizationSample_st {
  unsigned int pid;
  unsigned long long timeStamp;  // epoch microseconds
  unsigned int smUtil;
  unsigned int memUtil;
  unsigned int encUtil;
  unsigned int decUtil;
} nvmlProcessUtilizationSample_t;

typedef struct nvmlEventData_st {
  nvmlDevice_t device;
  unsigned long long eventType;
  unsigned long long eventData;  // the Xid for nvmlEventTypeXidCriticalError
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
} nvmlEventData_t;

}  // extern "C"

namespace zimon::collect::nvml {

inline constexpr unsigned int kMemoryV2Version =
    sizeof(nvmlMemory_v2_t) | (2u << 24);
inline constexpr unsigned long long kValueNotAvailable = ~0ull;
inline constexpr unsigned long long kEventTypeXidCriticalError = 0x8;
inline constexpr unsigned int kNameBufferSize =
    96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE
inline constexpr unsigned int kUuidBufferSize =
    96;  // NVML_DEVICE_UUID_V2_BUFFER_SIZE
inline constexpr unsigned int kNoInstance = 0xFFFFFFFFu;

// Function pointer types, named after the symbols they are looked up by.
extern "C" {
using InitFn = nvmlReturn_t (*)();
using ShutdownFn = nvmlReturn_t (*)();
using ErrorStringFn = const char* (*)(nvmlReturn_t);
using GetCountFn = nvmlReturn_t (*)(unsigned int*);
using GetHandleByIndexFn = nvmlReturn_t (*)(unsigned int, nvmlDevice_t*);
using GetStringFn = nvmlReturn_t (*)(nvmlDevice_t, char*, unsigned int);
using GetMemoryFn = nvmlReturn_t (*)(nvmlDevice_t, nvmlMemory_t*);
using GetMemoryV2Fn = nvmlReturn_t (*)(nvmlDevice_t, nvmlMemory_v2_t*);
using GetUtilizationFn = nvmlReturn_t (*)(nvmlDevice_t, nvmlUtilization_t*);
using GetTemperatureFn = nvmlReturn_t (*)(nvmlDevice_t,
                                          nvmlTemperatureSensors_t,
                                          unsigned int*);
using GetUintFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int*);
using GetClockFn = nvmlReturn_t (*)(nvmlDevice_t, nvmlClockType_t,
                                    unsigned int*);
using GetU64Fn = nvmlReturn_t (*)(nvmlDevice_t, unsigned long long*);
using GetEccFn = nvmlReturn_t (*)(nvmlDevice_t, nvmlMemoryErrorType_t,
                                  nvmlEccCounterType_t, unsigned long long*);
// The buffer is void*: its stride depends on the symbol and driver (16/24/32).
using GetProcessesFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int*, void*);
using GetProcessUtilizationFn =
    nvmlReturn_t (*)(nvmlDevice_t, nvmlProcessUtilizationSample_t*,
                     unsigned int*, unsigned long long);
using EventSetCreateFn = nvmlReturn_t (*)(nvmlEventSet_t*);
using RegisterEventsFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned long long,
                                          nvmlEventSet_t);
using EventSetWaitFn = nvmlReturn_t (*)(nvmlEventSet_t, nvmlEventData_t*,
                                        unsigned int);
using EventSetFreeFn = nvmlReturn_t (*)(nvmlEventSet_t);
using GetMigModeFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int*,
                                      unsigned int*);
using GetMigHandleFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int,
                                        nvmlDevice_t*);
}

static_assert(sizeof(nvmlReturn_t) == 4 && sizeof(nvmlDevice_t) == 8);
static_assert(sizeof(nvmlMemory_t) == 24);
static_assert(sizeof(nvmlMemory_v2_t) == 40 &&
              offsetof(nvmlMemory_v2_t, total) == 8 &&
              offsetof(nvmlMemory_v2_t, used) == 32);
static_assert(kMemoryV2Version == 0x02000028u);
static_assert(sizeof(nvmlUtilization_t) == 8);
static_assert(sizeof(nvmlProcessInfo_v1_t) == 16 &&
              offsetof(nvmlProcessInfo_v1_t, usedGpuMemory) == 8);
static_assert(sizeof(nvmlProcessInfo_v2_t) == 24 &&
              offsetof(nvmlProcessInfo_v2_t, gpuInstanceId) == 16 &&
              offsetof(nvmlProcessInfo_v2_t, computeInstanceId) == 20);
static_assert(sizeof(nvmlProcessUtilizationSample_t) == 32 &&
              offsetof(nvmlProcessUtilizationSample_t, timeStamp) == 8 &&
              offsetof(nvmlProcessUtilizationSample_t, smUtil) == 16);
static_assert(sizeof(nvmlEventData_t) == 32 &&
              offsetof(nvmlEventData_t, eventData) == 16 &&
              offsetof(nvmlEventData_t, gpuInstanceId) == 24);

}  // namespace zimon::collect::nvml

#endif  // ZIMON_COLLECT_NVML_TYPES_H_
