#include "zimon/collect/gpu_collector.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "zimon/collect/gpu_families.h"
#include "zimon/collect/read_file.h"
#include "zimon/common/logging.h"

namespace zimon::collect {
namespace {

using metrics::FamilySnapshot;
using metrics::Labels;
using metrics::MetricType;

// Clock-event reason bits and their nvidia-smi names.
constexpr std::pair<unsigned long long, const char*> kReasons[] = {
    {0x1, "gpu_idle"},
    {0x2, "applications_clocks_setting"},
    {0x4, "sw_power_cap"},
    {0x8, "hw_slowdown"},
    {0x10, "sync_boost"},
    {0x20, "sw_thermal_slowdown"},
    {0x40, "hw_thermal_slowdown"},
    {0x80, "hw_power_brake_slowdown"},
    {0x100, "display_clock_setting"},
};

constexpr unsigned kMaxMigDevices = 64;

Labels DeviceLabelSet(const std::string& gpu, const std::string& uuid,
                      const std::string& name) {
  return {{"gpu", gpu}, {"uuid", uuid}, {"name", name}};
}

}  // namespace

StatusOr<std::unique_ptr<GpuCollector>> GpuCollector::Create(
    GpuCollectorOptions options) {
  if (options.library_path.empty())
    return InvalidArgumentError("NVML library path is empty");
  return std::unique_ptr<GpuCollector>(new GpuCollector(std::move(options)));
}

GpuCollector::GpuCollector(GpuCollectorOptions options)
    : options_(std::move(options)) {
  auto library = NvmlLibrary::Load(options_.library_path);
  if (!library.ok()) {
    log::Warn(
        "NVML not available; GPU metrics are off "
        "(zimon_collector_up{collector=\"gpu\"} 0)",
        {{"library", options_.library_path}, {"error", library.status()}});
    uptime_logged_ = true;
    return;
  }
  library_ = std::move(library).value();
}

GpuCollector::~GpuCollector() {
  if (library_ && initialized_) {
    if (event_set_ && library_->api().event_set_free)
      library_->api().event_set_free(event_set_);
    library_->api().shutdown();
  }
}

bool GpuCollector::Check(const char* call, nvmlReturn_t rc, bool* lost) {
  if (rc == NVML_SUCCESS) return true;
  if (rc == NVML_ERROR_NOT_SUPPORTED) return false;
  ++errors_;
  if (rc == NVML_ERROR_GPU_IS_LOST && lost) *lost = true;
  if (logged_.emplace(call, static_cast<int>(rc)).second) {
    log::Warn("NVML call failed",
              {{"call", call}, {"error", library_->ErrorString(rc)}});
  }
  return false;
}

bool GpuCollector::EnsureInit() {
  if (initialized_) return true;
  if (!Check("nvmlInit", library_->api().init())) return false;
  initialized_ = true;
  const NvmlApi& api = library_->api();
  if (api.event_set_create && api.register_events && api.event_set_wait) {
    if (!Check("nvmlEventSetCreate", api.event_set_create(&event_set_)))
      event_set_ = nullptr;
  }
  return true;
}

RefreshResult GpuCollector::Refresh() {
  errors_ = 0;
  if (!library_) return RefreshResult{false, 0};
  if (!EnsureInit()) return RefreshResult{false, errors_};
  const NvmlApi& api = library_->api();

  unsigned count = 0;
  if (!Check("nvmlDeviceGetCount", api.get_count(&count))) {
    published_.Publish({});
    return RefreshResult{false, errors_};
  }
  if (count == 0) {
    if (!uptime_logged_) {
      log::Warn("NVML found no GPU; GPU metrics are off");
      uptime_logged_ = true;
    }
    published_.Publish({});
    return RefreshResult{false, errors_};
  }

  Families f;
  for (unsigned i = 0; i < count; ++i) {
    std::string gpu = std::to_string(i);
    bool lost = false;
    nvmlDevice_t device = nullptr;
    DeviceLabels labels =
        known_.count(gpu) ? known_[gpu] : DeviceLabels{gpu, "", ""};
    if (Check("nvmlDeviceGetHandleByIndex", api.get_handle_by_index(i, &device),
              &lost)) {
      labels = Describe(device, gpu, &lost);
      if (!lost) {
        gpu_of_handle_[device] = gpu;
        if (event_set_ && !registered_.count(device)) {
          nvmlReturn_t rc = api.register_events(
              device, nvml::kEventTypeXidCriticalError, event_set_);
          if (rc == NVML_SUCCESS || rc == NVML_ERROR_NOT_SUPPORTED)
            registered_.insert(device);
          Check("nvmlDeviceRegisterEvents", rc, &lost);
        }
        CollectDevice(device, labels, false, f, &lost);
      }
    }
    if (lost && logged_.emplace("lost:" + gpu, 0).second) {
      log::Error(
          "GPU is lost (fell off the bus); other GPUs are still collected",
          {{"gpu", gpu}, {"uuid", labels.uuid}});
    }
    if (!lost) logged_.erase({"lost:" + gpu, 0});
    AddPoint(f.lost, DeviceLabelSet(gpu, labels.uuid, labels.name),
             lost ? 1 : 0);
    if (!lost) xid_counts_.try_emplace(gpu, 0);

    // MIG instances are their own devices: "0/mig1".
    unsigned current = 0, pending = 0, max_mig = 0;
    if (!lost && device && api.get_mig_mode && api.get_max_mig_count &&
        api.get_mig_handle &&
        Check("nvmlDeviceGetMigMode",
              api.get_mig_mode(device, &current, &pending), &lost) &&
        current == 1 &&
        Check("nvmlDeviceGetMaxMigDeviceCount",
              api.get_max_mig_count(device, &max_mig), &lost)) {
      for (unsigned m = 0; m < std::min(max_mig, kMaxMigDevices) && !lost;
           ++m) {
        nvmlDevice_t mig = nullptr;
        nvmlReturn_t rc = api.get_mig_handle(device, m, &mig);
        if (rc == NVML_ERROR_NOT_FOUND) continue;  // empty slot
        if (!Check("nvmlDeviceGetMigDeviceHandleByIndex", rc, &lost)) continue;
        std::string mig_gpu = gpu + "/mig" + std::to_string(m);
        DeviceLabels mig_labels = Describe(mig, mig_gpu, &lost);
        CollectDevice(mig, mig_labels, true, f, &lost);
      }
    }
  }
  DrainEvents();
  for (const auto& [gpu, n] : xid_counts_) {
    const DeviceLabels& l = known_[gpu];
    AddPoint(f.xid, DeviceLabelSet(gpu, l.uuid, l.name), n);
  }
  published_.Publish(f.Take());
  return RefreshResult{true, errors_};
}

void GpuCollector::Collect(std::vector<metrics::FamilySnapshot>& out) const {
  published_.AppendTo(out);
}

GpuCollector::DeviceLabels GpuCollector::Describe(nvmlDevice_t device,
                                                  const std::string& gpu,
                                                  bool* lost) {
  const NvmlApi& api = library_->api();
  DeviceLabels labels =
      known_.count(gpu) ? known_[gpu] : DeviceLabels{gpu, "", ""};
  char buf[nvml::kNameBufferSize] = {};
  if (api.get_name && Check("nvmlDeviceGetName",
                            api.get_name(device, buf, sizeof(buf)), lost)) {
    labels.name.assign(buf, strnlen(buf, sizeof(buf)));
  }
  char uuid[nvml::kUuidBufferSize] = {};
  if (!*lost && api.get_uuid &&
      Check("nvmlDeviceGetUUID", api.get_uuid(device, uuid, sizeof(uuid)),
            lost)) {
    labels.uuid.assign(uuid, strnlen(uuid, sizeof(uuid)));
  }
  known_[gpu] = labels;
  return labels;
}

void GpuCollector::CollectDevice(nvmlDevice_t device, const DeviceLabels& l,
                                 bool is_mig, Families& f, bool* lost) {
  const NvmlApi& api = library_->api();
  const Labels labels = DeviceLabelSet(l.gpu, l.uuid, l.name);

  // Memory: v2 (allocated only, what nvidia-smi shows), else v1.
  bool have_memory = false;
  unsigned long long total = 0, used = 0;
  if (api.get_memory_v2 && memory_v2_usable_) {
    nvmlMemory_v2_t m{};
    m.version = nvml::kMemoryV2Version;
    nvmlReturn_t rc = api.get_memory_v2(device, &m);
    if (rc == NVML_ERROR_FUNCTION_NOT_FOUND ||
        rc == NVML_ERROR_ARGUMENT_VERSION_MISMATCH) {
      memory_v2_usable_ = false;
      log::Info(
          "nvmlDeviceGetMemoryInfo_v2 rejected; using nvmlDeviceGetMemoryInfo",
          {{"error", library_->ErrorString(rc)}});
    } else if (Check("nvmlDeviceGetMemoryInfo_v2", rc, lost)) {
      have_memory = true;
      total = m.total;
      used = m.used;
    }
  }
  if (!have_memory && !*lost && api.get_memory &&
      !(api.get_memory_v2 && memory_v2_usable_)) {
    nvmlMemory_t m{};
    if (Check("nvmlDeviceGetMemoryInfo", api.get_memory(device, &m), lost)) {
      have_memory = true;
      total = m.total;
      used = m.used;
    }
  }
  if (have_memory) {
    AddPoint(f.memory_used, labels, static_cast<double>(used));
    AddPoint(f.memory_total, labels, static_cast<double>(total));
  }
  if (*lost) return;

  // MIG instances do not report utilization, clocks, power or ECC.
  if (!is_mig) {
    nvmlUtilization_t u{};
    if (api.get_utilization && Check("nvmlDeviceGetUtilizationRates",
                                     api.get_utilization(device, &u), lost)) {
      AddPoint(f.utilization, labels, u.gpu / 100.0);
      AddPoint(f.bandwidth, labels, u.memory / 100.0);
    }
    unsigned value = 0;
    if (!*lost && api.get_temperature &&
        Check("nvmlDeviceGetTemperature",
              api.get_temperature(device, NVML_TEMPERATURE_GPU, &value),
              lost)) {
      AddPoint(f.temperature, labels, value);
    }
    if (!*lost && api.get_power_usage &&
        Check("nvmlDeviceGetPowerUsage", api.get_power_usage(device, &value),
              lost)) {
      AddPoint(f.power, labels, value / 1000.0);
    }
    if (!*lost && api.get_clock &&
        Check("nvmlDeviceGetClockInfo",
              api.get_clock(device, NVML_CLOCK_SM, &value), lost)) {
      AddPoint(f.sm_clock, labels, value * 1e6);
    }
    unsigned long long reasons = 0;
    if (!*lost && api.get_clock_reasons &&
        Check("nvmlDeviceGetCurrentClocksEventReasons",
              api.get_clock_reasons(device, &reasons), lost)) {
      for (const auto& [bit, reason] : kReasons) {
        Labels with_reason = labels;
        with_reason.push_back({"reason", reason});
        AddPoint(f.throttled, std::move(with_reason), (reasons & bit) ? 1 : 0);
      }
    }
    const std::pair<nvmlMemoryErrorType_t, const char*> ecc_types[] = {
        {NVML_MEMORY_ERROR_TYPE_CORRECTED, "corrected"},
        {NVML_MEMORY_ERROR_TYPE_UNCORRECTED, "uncorrected"}};
    for (const auto& [type, type_name] : ecc_types) {
      unsigned long long n = 0;
      if (*lost || !api.get_total_ecc ||
          !Check("nvmlDeviceGetTotalEccErrors",
                 api.get_total_ecc(device, type, NVML_VOLATILE_ECC, &n),
                 lost)) {
        break;
      }
      Labels with_type = labels;
      with_type.push_back({"type", type_name});
      // Volatile counts reset when the driver reloads; key by UUID.
      AddPoint(f.ecc, std::move(with_type),
               ecc_.Update(l.uuid + "/" + l.gpu + "/" + type_name,
                           static_cast<double>(n)));
    }
  }
  if (!*lost && options_.processes)
    CollectProcesses(device, l.gpu, is_mig, f, lost);
}

}  // namespace zimon::collect
