// The fake NVML library's world: devices, values, processes, injected errors
// and Xid events, read from the JSON file named by ZIMON_FAKE_NVML_STATE and
// re-read whenever that file changes (device, inode, size or mtime). The
// format is documented in docs/fake-nvml.md.
//
// Thread safety: callers hold FakeMutex() around every use.
#ifndef ZIMON_TESTING_FAKE_NVML_FAKE_STATE_H_
#define ZIMON_TESTING_FAKE_NVML_FAKE_STATE_H_

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace zimon::testing::fake_nvml {

struct FakeProcess {
  unsigned pid = 0;
  unsigned long long used_memory = 0;  // bytes; ~0ull means "not available"
  bool graphics = false;  // in the graphics list instead of compute
  unsigned sm_util = 0;   // percent
  unsigned mem_util = 0;
};

struct FakeXid {
  long long id = 0;  // delivered once per event set and id
  unsigned long long xid = 0;
};

struct FakeDevice {
  std::string name = "NVIDIA Fake GPU";
  std::string uuid;
  unsigned long long memory_total = 0, memory_used = 0, memory_reserved = 0;
  unsigned utilization_gpu = 0, utilization_memory = 0;
  unsigned temperature_c = 0, power_mw = 0, sm_clock_mhz = 0;
  unsigned long long clock_event_reasons = 0;
  unsigned long long ecc_corrected = 0, ecc_uncorrected = 0;
  bool ecc_supported = true;
  bool lost = false;
  std::map<std::string, int> errors;  // symbol name -> nvmlReturn_t it returns
  std::vector<FakeProcess> processes;
  std::vector<FakeXid> xid_events;
  bool mig_enabled = false;
  std::vector<FakeDevice> mig_devices;  // each with `slot`
  unsigned mig_slot = 0;
};

struct FakeState {
  bool loaded = false;  // a state file was read successfully
  int init_error = 0;   // what nvmlInit_v2 returns
  std::string driver_version = "550.54.15";
  std::vector<FakeDevice> devices;
};

std::mutex& FakeMutex();
// The current state, re-reading the file if it changed. Keeps the last good
// state when the file is missing or malformed (the error goes to stderr once).
const FakeState& CurrentState();

}  // namespace zimon::testing::fake_nvml

#endif  // ZIMON_TESTING_FAKE_NVML_FAKE_STATE_H_
