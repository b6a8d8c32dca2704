#include "tests/integration/agent_harness.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "zimon/http/client.h"

#ifndef ZIMON_BINARY
#error "ZIMON_BINARY must name the zimon executable"
#endif
#ifndef ZIMON_FAKE_NVML_PATH
#error "ZIMON_FAKE_NVML_PATH must name the fake libnvidia-ml.so.1"
#endif

namespace zimon::integration {

using metrics::ExpositionFormat;
using metrics::ParsedExposition;
using testing::Subprocess;
using testing::SubprocessOptions;

namespace {

// What Prometheus 2.42 sends, and a plain 0.0.4 request.
constexpr char kOpenMetricsAccept[] =
    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";
constexpr char kTextAccept[] = "text/plain;version=0.0.4";

}  // namespace

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
  out.close();
  ASSERT_TRUE(out.good()) << path;
}

void ReplaceFile(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  WriteFile(tmp, content);
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0) << path;
}

std::string SelfComm() {
  std::ifstream in("/proc/self/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

std::string TwoGpuState(bool gpu1_lost) {
  std::ostringstream s;
  s << R"({
  "driver_version": "550.54.15",
  "devices": [
    {
      "name": "NVIDIA H200",
      "uuid": "GPU-aaaaaaaa-0000-0000-0000-000000000000",
      "memory": {"total": 151397597184, "used": 42949672960, "reserved": 536870912},
      "utilization": {"gpu": 87, "memory": 41},
      "temperature_c": 61,
      "power_mw": 512345,
      "sm_clock_mhz": 1980,
      "clock_event_reasons": 4,
      "ecc": {"corrected": 3, "uncorrected": 0},
      "processes": [
        {"pid": )"
    << ::getpid()
    << R"(, "used_memory": 32212254720, "sm_util": 80, "mem_util": 30}
      ],
      "xid_events": [{"id": 1, "xid": 79}]
    },
    {
      "name": "NVIDIA H200",
      "uuid": "GPU-bbbbbbbb-0000-0000-0000-000000000001",
      "memory": {"total": 151397597184, "used": 1073741824},
      "utilization": {"gpu": 5, "memory": 2},
      "temperature_c": 35,
      "power_mw": 90000,
      "sm_clock_mhz": 345,
      "clock_event_reasons": 1,
      "ecc": {"corrected": 0, "uncorrected": 0},
      "lost": )"
    << (gpu1_lost ? "true" : "false") << R"(
    }
  ]
})";
  return s.str();
}

RunningAgent::RunningAgent(const AgentSetup& setup) {
  config_path_ = dir_.Join("zimon.yaml");
  state_path_ = dir_.Join("nvml.json");
  ReplaceFile(state_path_,
              setup.state.empty() ? TwoGpuState(false) : setup.state);
  std::ostringstream config;
  config << "server:\n"
         << "  shutdown_grace: " << kGrace.count() << "s\n"
         << "agent:\n"
         << "  nvml_library: \""
         << (setup.nvml_library.empty() ? ZIMON_FAKE_NVML_PATH
                                        : setup.nvml_library)
         << "\"\n"
         << "  gpu_interval: 1s\n"
         << "  host_interval: 1s\n"
         << "  processes: [\"" << ::getpid() << "\", \"" << SelfComm()
         << "\"]\n";
  WriteFile(config_path_, config.str());

  SubprocessOptions options;
  options.args = {"agent", "--config", config_path_, "--listen", setup.listen};
  options.env_set = {{"ZIMON_FAKE_NVML_STATE", state_path_}};
  StatusOr<std::unique_ptr<Subprocess>> child =
      Subprocess::Start(ZIMON_BINARY, options);
  if (!child.ok()) {
    start_error_ = child.status().ToString();
    return;
  }
  child_ = std::move(*child);
  // "zimon agent: serving http://127.0.0.1:PORT/metrics and ..."
  const std::string prefix = "zimon agent: serving ";
  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    StatusOr<std::string> line = child_->ReadLine(kStartTimeout);
    if (!line.ok()) {
      start_error_ = line.status().ToString();
      return;
    }
    if (line->rfind(prefix, 0) != 0) continue;
    size_t end = line->find("/metrics", prefix.size());
    if (end == std::string::npos) continue;
    base_url_ = line->substr(prefix.size(), end - prefix.size());
    return;
  }
  start_error_ = "no \"serving\" line on stdout";
}

std::string RunningAgent::StartError() const {
  if (started()) return "";
  return start_error_ +
         "; stderr: " + (child_ ? child_->StderrSoFar() : std::string());
}

StatusOr<http::Response> RunningAgent::Get(const std::string& path,
                                           const std::string& accept) const {
  http::ClientRequest request(base_url_ + path);
  request.headers.Set("Accept", accept);
  request.timeout = std::chrono::seconds(10);
  return http::Fetch(request);
}

ParsedExposition RunningAgent::Scrape(ExpositionFormat format,
                                      std::string* body,
                                      std::string* content_type) const {
  StatusOr<http::Response> r = Get(
      "/metrics", format == ExpositionFormat::kOpenMetrics ? kOpenMetricsAccept
                                                           : kTextAccept);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ(r->status, 200);
  if (body) *body = r->body;
  if (content_type) {
    *content_type = std::string(r->headers.GetOr("Content-Type", ""));
  }
  StatusOr<ParsedExposition> parsed = metrics::ParseExposition(r->body, format);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? std::move(*parsed) : ParsedExposition{};
}

bool RunningAgent::ScrapeUntil(
    const std::function<bool(const ParsedExposition&)>& done,
    ParsedExposition* last) const {
  auto deadline = std::chrono::steady_clock::now() + kChangeTimeout;
  do {
    *last = Scrape(ExpositionFormat::kPrometheusText);
    if (done(*last)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // poll
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

Subprocess::Output RunZimon(std::vector<std::string> args) {
  SubprocessOptions options;
  options.args = std::move(args);
  StatusOr<std::unique_ptr<Subprocess>> child =
      Subprocess::Start(ZIMON_BINARY, options);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  if (!child.ok()) return {};
  StatusOr<Subprocess::Output> out = (*child)->Finish(kStartTimeout);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? std::move(*out) : Subprocess::Output{};
}

}  // namespace zimon::integration
