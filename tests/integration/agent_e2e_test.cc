// End-to-end tests of the real `zimon agent` binary: started as a child
// process with a config file and the fake NVML library, scraped over HTTP,
// checked with promtool, signalled, and started wrongly on purpose.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "zimon/http/client.h"
#include "zimon/metrics/exposition.h"
#include "zimon/metrics/parser.h"
#include "zimon/testing/subprocess.h"
#include "zimon/testing/temp_dir.h"

#ifndef ZIMON_BINARY
#error "ZIMON_BINARY must name the zimon executable"
#endif
#ifndef ZIMON_FAKE_NVML_PATH
#error "ZIMON_FAKE_NVML_PATH must name the fake libnvidia-ml.so.1"
#endif

namespace zimon {
namespace {

using metrics::ExpositionFormat;
using metrics::Labels;
using metrics::ParsedExposition;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::ExitStatus;
using testing::Subprocess;
using testing::SubprocessOptions;
using testing::TempDir;

// Generous for a debug build on a loaded machine; only reached on failure.
constexpr seconds kStartTimeout{30};
constexpr seconds kChangeTimeout{20};
// server.shutdown_grace in the test config; SIGTERM must end the agent
// within it.
constexpr seconds kGrace{5};

constexpr char kOpenMetricsAccept[] =
    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";
constexpr char kTextAccept[] = "text/plain;version=0.0.4";

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

// As docs/fake-nvml.md asks of writers: a new file renamed over the old one.
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

// Two GPUs. GPU 0 runs this test process (30 GiB) as "another process on the
// serving GPU" and has one Xid event; GPU 1 is lost when `gpu1_lost`.
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
    << ::getpid() << R"(, "used_memory": 32212254720, "sm_util": 80, "mem_util": 30}
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

// The value of the first sample named `name` whose labels include `want`.
std::optional<double> Find(const ParsedExposition& parsed,
                           const std::string& name, const Labels& want = {}) {
  for (const metrics::ParsedSample& s : parsed.samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const metrics::Label& w : want) {
      bool found = false;
      for (const metrics::Label& l : s.labels) {
        if (l.name == w.name && l.value == w.value) found = true;
      }
      match = match && found;
    }
    if (match) return s.value;
  }
  return std::nullopt;
}

size_t Count(const ParsedExposition& parsed, const std::string& name) {
  size_t n = 0;
  for (const metrics::ParsedSample& s : parsed.samples) n += s.name == name;
  return n;
}

struct AgentSetup {
  std::string nvml_library = ZIMON_FAKE_NVML_PATH;
  std::string listen = "127.0.0.1:0";
  std::string state;  // fake NVML state JSON; empty: TwoGpuState(false)
};

// A running `zimon agent` with its temp config and fake NVML state file.
class Agent {
 public:
  explicit Agent(const AgentSetup& setup) {
    config_path_ = dir_.Join("zimon.yaml");
    state_path_ = dir_.Join("nvml.json");
    ReplaceFile(state_path_,
                setup.state.empty() ? TwoGpuState(false) : setup.state);
    WriteFile(config_path_,
              "server:\n"
              "  shutdown_grace: " + std::to_string(kGrace.count()) + "s\n"
              "agent:\n"
              "  nvml_library: \"" + setup.nvml_library + "\"\n"
              "  gpu_interval: 1s\n"
              "  host_interval: 1s\n"
              "  processes: [\"" + std::to_string(::getpid()) + "\", \"" +
                  SelfComm() + "\"]\n");
    SubprocessOptions options;
    options.args = {"agent", "--config", config_path_, "--listen",
                    setup.listen};
    options.env_set = {{"ZIMON_FAKE_NVML_STATE", state_path_}};
    StatusOr<std::unique_ptr<Subprocess>> child =
        Subprocess::Start(ZIMON_BINARY, options);
    if (!child.ok()) {
      start_error_ = child.status().ToString();
      return;
    }
    child_ = std::move(*child);
    // "zimon agent: serving http://127.0.0.1:PORT/metrics and ..."
    auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      StatusOr<std::string> line = child_->ReadLine(kStartTimeout);
      if (!line.ok()) {
        start_error_ = line.status().ToString();
        break;
      }
      const std::string prefix = "zimon agent: serving ";
      if (line->rfind(prefix, 0) != 0) continue;
      size_t end = line->find("/metrics", prefix.size());
      if (end == std::string::npos) continue;
      base_url_ = line->substr(prefix.size(), end - prefix.size());
      return;
    }
    if (start_error_.empty()) start_error_ = "no \"serving\" line";
  }

  // Empty when the agent announced its URL; else why not, with its stderr.
  std::string StartError() const {
    if (!start_error_.empty() || base_url_.empty()) {
      return start_error_ + "; stderr: " +
             (child_ ? child_->StderrSoFar() : std::string());
    }
    return "";
  }
  bool started() const { return !base_url_.empty(); }

  StatusOr<http::Response> Get(const std::string& path,
                               const std::string& accept = kTextAccept) const {
    http::ClientRequest request(base_url_ + path);
    request.headers.Set("Accept", accept);
    request.timeout = seconds(10);
    return http::Fetch(request);
  }

  // Scrapes /metrics in `format` and parses it; fails the test on error.
  ParsedExposition Scrape(ExpositionFormat format, std::string* body = nullptr,
                          std::string* content_type = nullptr) const {
    StatusOr<http::Response> r =
        Get("/metrics", format == ExpositionFormat::kOpenMetrics
                            ? kOpenMetricsAccept
                            : kTextAccept);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    EXPECT_EQ(r->status, 200);
    if (body) *body = r->body;
    if (content_type) *content_type = std::string(r->headers.GetOr("Content-Type", ""));
    StatusOr<ParsedExposition> parsed = metrics::ParseExposition(r->body, format);
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    return parsed.ok() ? std::move(*parsed) : ParsedExposition{};
  }

  // Scrapes until `done` holds for a scrape or kChangeTimeout passes.
  bool ScrapeUntil(const std::function<bool(const ParsedExposition&)>& done,
                   ParsedExposition* last) const {
    auto deadline = std::chrono::steady_clock::now() + kChangeTimeout;
    do {
      *last = Scrape(ExpositionFormat::kPrometheusText);
      if (done(*last)) return true;
      std::this_thread::sleep_for(milliseconds(100));  // poll interval
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  }

  const std::string& state_path() const { return state_path_; }
  Subprocess& process() { return *child_; }

 private:
  TempDir dir_;
  std::string config_path_;
  std::string state_path_;
  std::unique_ptr<Subprocess> child_;
  std::string base_url_;
  std::string start_error_;
};

TEST(AgentE2E, ServesGpuHostProcessAndSelfMetrics) {
  Agent agent({});
  ASSERT_TRUE(agent.started()) << agent.StartError();
  std::string content_type;
  ParsedExposition m =
      agent.Scrape(ExpositionFormat::kPrometheusText, nullptr, &content_type);
  EXPECT_EQ(content_type, metrics::kPrometheusTextContentType);

  // Both GPUs, with the values of the state file, in base units.
  for (const char* gpu : {"0", "1"}) {
    SCOPED_TRACE(gpu);
    for (const char* name :
         {"zimon_gpu_memory_used_bytes", "zimon_gpu_memory_total_bytes",
          "zimon_gpu_utilization_ratio",
          "zimon_gpu_memory_bandwidth_utilization_ratio",
          "zimon_gpu_temperature_celsius", "zimon_gpu_power_watts",
          "zimon_gpu_sm_clock_hertz", "zimon_gpu_ecc_errors_total",
          "zimon_gpu_xid_errors_total", "zimon_gpu_lost"}) {
      EXPECT_TRUE(Find(m, name, {{"gpu", gpu}}).has_value()) << name;
    }
  }
  Labels gpu0 = {{"gpu", "0"},
                 {"uuid", "GPU-aaaaaaaa-0000-0000-0000-000000000000"},
                 {"name", "NVIDIA H200"}};
  EXPECT_EQ(Find(m, "zimon_gpu_memory_used_bytes", gpu0), 42949672960.0);
  EXPECT_EQ(Find(m, "zimon_gpu_memory_total_bytes", gpu0), 151397597184.0);
  EXPECT_DOUBLE_EQ(*Find(m, "zimon_gpu_utilization_ratio", gpu0), 0.87);
  EXPECT_DOUBLE_EQ(*Find(m, "zimon_gpu_power_watts", gpu0), 512.345);
  EXPECT_EQ(Find(m, "zimon_gpu_sm_clock_hertz", gpu0), 1.98e9);
  EXPECT_EQ(Find(m, "zimon_gpu_temperature_celsius", {{"gpu", "1"}}), 35);
  EXPECT_EQ(Find(m, "zimon_gpu_throttled",
                 {{"gpu", "0"}, {"reason", "sw_power_cap"}}),
            1);
  EXPECT_EQ(Find(m, "zimon_gpu_throttled", {{"gpu", "1"}, {"reason", "gpu_idle"}}),
            1);
  EXPECT_EQ(Find(m, "zimon_gpu_lost", {{"gpu", "1"}}), 0);
  EXPECT_EQ(Find(m, "zimon_gpu_xid_errors_total", {{"gpu", "0"}}), 1);
  // This test process holds memory on GPU 0, named from /proc.
  EXPECT_EQ(Find(m, "zimon_gpu_process_memory_used_bytes",
                 {{"gpu", "0"},
                  {"pid", std::to_string(::getpid())},
                  {"process", SelfComm()}}),
            32212254720.0);

  // Host families.
  EXPECT_GT(Count(m, "zimon_host_cpu_seconds_total"), 0u);
  EXPECT_GT(Find(m, "zimon_host_memory_total_bytes").value_or(0), 0);
  EXPECT_TRUE(Find(m, "zimon_host_memory_available_bytes").has_value());
  EXPECT_TRUE(Find(m, "zimon_host_load1").has_value());
  EXPECT_TRUE(Find(m, "zimon_host_load15").has_value());
  EXPECT_GT(Count(m, "zimon_host_network_receive_bytes_total"), 0u);
  EXPECT_GT(Count(m, "zimon_host_filesystem_size_bytes"), 0u);
  // Disks: only when the machine shows any whole disk to this process.
  if (Count(m, "zimon_host_disk_read_bytes_total") > 0) {
    EXPECT_GT(Count(m, "zimon_host_disk_io_time_seconds_total"), 0u);
  }

  // The configured processes: this test, by pid and by name.
  for (const std::string& spec : {std::to_string(::getpid()), SelfComm()}) {
    SCOPED_TRACE(spec);
    EXPECT_GT(Find(m, "zimon_process_resident_memory_bytes", {{"process", spec}})
                  .value_or(0),
              0);
    EXPECT_TRUE(
        Find(m, "zimon_process_cpu_seconds_total", {{"process", spec}}).has_value());
  }

  // Self metrics.
  for (const char* collector : {"host", "gpu"}) {
    SCOPED_TRACE(collector);
    EXPECT_EQ(Find(m, "zimon_collector_up", {{"collector", collector}}), 1);
    EXPECT_TRUE(Find(m, "zimon_collector_duration_seconds", {{"collector", collector}})
                    .has_value());
    EXPECT_TRUE(
        Find(m, "zimon_collector_errors_total", {{"collector", collector}}).has_value());
    EXPECT_GT(Find(m, "zimon_collector_last_success_timestamp_seconds",
                   {{"collector", collector}})
                  .value_or(0),
              1.6e9);
  }
  EXPECT_EQ(Count(m, "zimon_build_info"), 1u);
  EXPECT_EQ(Find(m, "zimon_build_info"), 1);

  // The same content as OpenMetrics.
  std::string om_body;
  ParsedExposition om =
      agent.Scrape(ExpositionFormat::kOpenMetrics, &om_body, &content_type);
  EXPECT_EQ(content_type, metrics::kOpenMetricsContentType);
  EXPECT_TRUE(om_body.ends_with("# EOF\n"));
  EXPECT_EQ(Find(om, "zimon_gpu_memory_total_bytes", gpu0), 151397597184.0);
  EXPECT_TRUE(Find(om, "zimon_host_load1").has_value());
  EXPECT_EQ(Find(om, "zimon_build_info"), 1);

  // /healthz.
  StatusOr<http::Response> health = agent.Get("/healthz");
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body,
            R"({"status":"ok","collectors":{"host":true,"gpu":true}})");
}

TEST(AgentE2E, OutputPassesPromtoolCheckMetrics) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool is not on PATH (Debian package prometheus)";
  }
  Agent agent({});
  ASSERT_TRUE(agent.started()) << agent.StartError();
  std::string body;
  agent.Scrape(ExpositionFormat::kPrometheusText, &body);
  ASSERT_FALSE(body.empty());
  TempDir dir;
  std::string input = dir.Join("metrics.txt");
  WriteFile(input, body);
  SubprocessOptions options;
  options.args = {"check", "metrics"};
  options.stdin_path = input;
  StatusOr<std::unique_ptr<Subprocess>> promtool =
      Subprocess::Start("promtool", options);
  ASSERT_TRUE(promtool.ok()) << promtool.status().ToString();
  StatusOr<Subprocess::Output> out = (*promtool)->Finish(seconds(60));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->status.success())
      << out->status.ToString() << "\n" << out->out << out->err;
}

TEST(AgentE2E, ReportsLostGpuWhileHostMetricsKeepFlowing) {
  Agent agent({});
  ASSERT_TRUE(agent.started()) << agent.StartError();
  ParsedExposition m = agent.Scrape(ExpositionFormat::kPrometheusText);
  ASSERT_EQ(Find(m, "zimon_gpu_lost", {{"gpu", "1"}}), 0);
  double host_success = *Find(m, "zimon_collector_last_success_timestamp_seconds",
                              {{"collector", "host"}});

  ReplaceFile(agent.state_path(), TwoGpuState(/*gpu1_lost=*/true));
  ASSERT_TRUE(agent.ScrapeUntil(
      [](const ParsedExposition& p) {
        return Find(p, "zimon_gpu_lost", {{"gpu", "1"}}) == 1;
      },
      &m))
      << "GPU 1 never reported lost";
  // GPU 0 is still collected, GPU 1 keeps its identity but has no readings.
  EXPECT_EQ(Find(m, "zimon_gpu_lost", {{"gpu", "0"}}), 0);
  EXPECT_EQ(Find(m, "zimon_gpu_memory_used_bytes", {{"gpu", "0"}}), 42949672960.0);
  EXPECT_FALSE(Find(m, "zimon_gpu_memory_used_bytes", {{"gpu", "1"}}).has_value());
  EXPECT_EQ(Find(m, "zimon_gpu_lost",
                 {{"gpu", "1"}, {"uuid", "GPU-bbbbbbbb-0000-0000-0000-000000000001"}}),
            1);
  EXPECT_GT(Find(m, "zimon_collector_errors_total", {{"collector", "gpu"}}).value_or(0),
            0);

  // Host metrics keep flowing: a later host refresh succeeds.
  ASSERT_TRUE(agent.ScrapeUntil(
      [&](const ParsedExposition& p) {
        return Find(p, "zimon_collector_last_success_timestamp_seconds",
                    {{"collector", "host"}})
                   .value_or(0) > host_success;
      },
      &m))
      << "host collector stopped refreshing";
  EXPECT_EQ(Find(m, "zimon_collector_up", {{"collector", "host"}}), 1);
  EXPECT_GT(Count(m, "zimon_host_cpu_seconds_total"), 0u);

  // And the GPU comes back.
  ReplaceFile(agent.state_path(), TwoGpuState(/*gpu1_lost=*/false));
  EXPECT_TRUE(agent.ScrapeUntil(
      [](const ParsedExposition& p) {
        return Find(p, "zimon_gpu_lost", {{"gpu", "1"}}) == 0 &&
               Find(p, "zimon_gpu_memory_used_bytes", {{"gpu", "1"}}).has_value();
      },
      &m))
      << "GPU 1 never came back";
  ASSERT_TRUE(agent.process().Wait(milliseconds(0)).status().code() ==
              StatusCode::kDeadlineExceeded)
      << "the agent exited";
}

TEST(AgentE2E, MissingLibraryReportsGpuDownAndServesHost) {
  AgentSetup setup;
  setup.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  Agent agent(setup);
  ASSERT_TRUE(agent.started()) << agent.StartError();
  ParsedExposition m = agent.Scrape(ExpositionFormat::kPrometheusText);
  EXPECT_EQ(Find(m, "zimon_collector_up", {{"collector", "gpu"}}), 0);
  EXPECT_EQ(Find(m, "zimon_collector_up", {{"collector", "host"}}), 1);
  EXPECT_EQ(Count(m, "zimon_gpu_memory_used_bytes"), 0u);
  EXPECT_GT(Count(m, "zimon_host_cpu_seconds_total"), 0u);
  EXPECT_TRUE(Find(m, "zimon_host_memory_total_bytes").has_value());
  StatusOr<http::Response> health = agent.Get("/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  EXPECT_NE(health->body.find(R"("gpu":false)"), std::string::npos) << health->body;
  // One clear log line names the library.
  EXPECT_NE(agent.process().StderrSoFar().find("/nonexistent/libnvidia-ml.so.1"),
            std::string::npos)
      << agent.process().StderrSoFar();
}

TEST(AgentE2E, NoGpuInStateReportsGpuDown) {
  AgentSetup setup;
  setup.state = R"({"devices": []})";
  Agent agent(setup);
  ASSERT_TRUE(agent.started()) << agent.StartError();
  ParsedExposition m = agent.Scrape(ExpositionFormat::kPrometheusText);
  EXPECT_EQ(Find(m, "zimon_collector_up", {{"collector", "gpu"}}), 0);
  EXPECT_GT(Count(m, "zimon_host_cpu_seconds_total"), 0u);
}

TEST(AgentE2E, SigtermExitsZeroWithinGrace) {
  Agent agent({});
  ASSERT_TRUE(agent.started()) << agent.StartError();
  ASSERT_TRUE(agent.Get("/metrics").ok());
  ASSERT_TRUE(agent.process().Signal(SIGTERM).ok());
  StatusOr<ExitStatus> exit = agent.process().Wait(kGrace);
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_TRUE(exit->success()) << exit->ToString() << "\n"
                               << agent.process().StderrSoFar();
}

TEST(AgentE2E, SigintExitsZero) {
  Agent agent({});
  ASSERT_TRUE(agent.started()) << agent.StartError();
  ASSERT_TRUE(agent.process().Signal(SIGINT).ok());
  StatusOr<ExitStatus> exit = agent.process().Wait(kGrace);
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_TRUE(exit->success()) << exit->ToString();
}

// Runs `zimon args...` to completion.
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

TEST(AgentE2E, BadConfigExitsOneWithFileAndLine) {
  TempDir dir;
  std::string config = dir.Join("zimon.yaml");
  WriteFile(config,
            "agent:\n"
            "  listen: 127.0.0.1:0\n"
            "  gpu_interval: 200ms\n");
  Subprocess::Output out = RunZimon({"agent", "--config", config});
  EXPECT_EQ(out.status.ToString(), "exit 1") << out.err;
  EXPECT_NE(out.err.find(config + ":3: agent.gpu_interval:"), std::string::npos)
      << out.err;
  EXPECT_EQ(out.out.find("serving"), std::string::npos);
}

TEST(AgentE2E, PortInUseExitsOneWithClearMessage) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::string listen = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  TempDir dir;
  std::string config = dir.Join("zimon.yaml");
  WriteFile(config,
            "agent:\n"
            "  nvml_library: /nonexistent/libnvidia-ml.so.1\n");
  Subprocess::Output out = RunZimon({"agent", "--config", config, "--listen", listen});
  ::close(fd);
  EXPECT_EQ(out.status.ToString(), "exit 1") << out.err;
  EXPECT_NE(out.err.find("cannot listen on " + listen), std::string::npos)
      << out.err;
  EXPECT_NE(out.err.find("in use"), std::string::npos) << out.err;
}

TEST(AgentE2E, BadListenFlagIsAUsageError) {
  Subprocess::Output out = RunZimon({"agent", "--listen", "nonsense"});
  EXPECT_TRUE(out.status.exited);
  EXPECT_NE(out.status.code, 0);
  EXPECT_NE(out.err.find("--listen"), std::string::npos) << out.err;
}

}  // namespace
}  // namespace zimon
