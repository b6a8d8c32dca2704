#include "zimon/testing/fake_nvml/fake_state.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace zimon::testing::fake_nvml {
namespace {

using nlohmann::json;

struct FileId {
  std::string path;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = -1;
  long long mtime_ns = -1;
  bool operator==(const FileId&) const = default;
};

FakeProcess ParseProcess(const json& j) {
  FakeProcess p;
  p.pid = j.at("pid").get<unsigned>();
  if (j.contains("used_memory") && j["used_memory"].is_null()) {
    p.used_memory = ~0ull;  // NVML_VALUE_NOT_AVAILABLE
  } else {
    p.used_memory = j.value("used_memory", 0ull);
  }
  p.graphics = j.value("type", std::string("compute")) == "graphics";
  p.sm_util = j.value("sm_util", 0u);
  p.mem_util = j.value("mem_util", 0u);
  return p;
}

FakeDevice ParseDevice(const json& j, size_t index) {
  FakeDevice d;
  d.name = j.value("name", d.name);
  char uuid[64];
  std::snprintf(uuid, sizeof(uuid), "GPU-00000000-0000-0000-0000-%012zu",
                index);
  d.uuid = j.value("uuid", std::string(uuid));
  if (j.contains("memory")) {
    const json& m = j["memory"];
    d.memory_total = m.value("total", 0ull);
    d.memory_used = m.value("used", 0ull);
    d.memory_reserved = m.value("reserved", 0ull);
  }
  if (j.contains("utilization")) {
    d.utilization_gpu = j["utilization"].value("gpu", 0u);
    d.utilization_memory = j["utilization"].value("memory", 0u);
  }
  d.temperature_c = j.value("temperature_c", 0u);
  d.power_mw = j.value("power_mw", 0u);
  d.sm_clock_mhz = j.value("sm_clock_mhz", 0u);
  d.clock_event_reasons = j.value("clock_event_reasons", 0ull);
  if (j.contains("ecc")) {
    if (j["ecc"].is_null()) {
      d.ecc_supported = false;
    } else {
      d.ecc_corrected = j["ecc"].value("corrected", 0ull);
      d.ecc_uncorrected = j["ecc"].value("uncorrected", 0ull);
    }
  }
  d.lost = j.value("lost", false);
  if (j.contains("errors")) {
    for (const auto& [call, code] : j["errors"].items())
      d.errors[call] = code.get<int>();
  }
  for (const json& p : j.value("processes", json::array()))
    d.processes.push_back(ParseProcess(p));
  for (const json& x : j.value("xid_events", json::array())) {
    d.xid_events.push_back(FakeXid{x.at("id").get<long long>(),
                                   x.at("xid").get<unsigned long long>()});
  }
  if (j.contains("mig")) {
    d.mig_enabled = j["mig"].value("enabled", false);
    size_t n = 0;
    for (const json& m : j["mig"].value("devices", json::array())) {
      FakeDevice md = ParseDevice(m, index * 100 + 1 + n++);
      md.mig_slot = m.at("slot").get<unsigned>();
      d.mig_devices.push_back(std::move(md));
    }
  }
  return d;
}

FakeState Parse(const std::string& text) {
  json j = json::parse(text);
  FakeState s;
  s.loaded = true;
  s.init_error = j.value("init_error", 0);
  s.driver_version = j.value("driver_version", s.driver_version);
  size_t i = 0;
  for (const json& d : j.value("devices", json::array()))
    s.devices.push_back(ParseDevice(d, i++));
  return s;
}

}  // namespace

std::mutex& FakeMutex() {
  static std::mutex mu;
  return mu;
}

const FakeState& CurrentState() {
  static FakeState state;
  static FileId last;
  static std::string last_error;
  const char* path = std::getenv("ZIMON_FAKE_NVML_STATE");
  FileId now;
  now.path = path ? path : "";
  struct stat st;
  if (path && ::stat(path, &st) == 0) {
    now.dev = st.st_dev;
    now.ino = st.st_ino;
    now.size = st.st_size;
    now.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL +
                   st.st_mtim.tv_nsec;
  }
  if (now == last) return state;
  last = now;
  if (now.size < 0) {
    state = FakeState{};  // no file: behaves like a machine without a driver
    return state;
  }
  std::ifstream in(now.path);
  std::stringstream text;
  text << in.rdbuf();
  try {
    state = Parse(text.str());
    last_error.clear();
  } catch (const std::exception& e) {
    if (last_error != e.what()) {
      last_error = e.what();
      std::fprintf(stderr, "fake NVML: cannot parse %s: %s\n", now.path.c_str(),
                   e.what());
    }
    // Re-read next time: the writer may be mid-way.
    last = FileId{};
  }
  return state;
}

}  // namespace zimon::testing::fake_nvml
