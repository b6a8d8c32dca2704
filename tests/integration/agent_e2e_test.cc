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
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "tests/integration/agent_harness.h"
#include "zimon/metrics/exposition.h"
#include "zimon/metrics/parser.h"
#include "zimon/testing/subprocess.h"
#include "zimon/testing/temp_dir.h"

namespace zimon::integration {
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

TEST(AgentE2E, ServesGpuHostProcessAndSelfMetrics) {
  RunningAgent agent({});
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
  EXPECT_EQ(
      Find(m, "zimon_gpu_throttled", {{"gpu", "1"}, {"reason", "gpu_idle"}}),
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
    EXPECT_GT(
        Find(m, "zimon_process_resident_memory_bytes", {{"process", spec}})
            .value_or(0),
        0);
    EXPECT_TRUE(Find(m, "zimon_process_cpu_seconds_total", {{"process", spec}})
                    .has_value());
  }

  // Self metrics.
  for (const char* collector : {"host", "gpu"}) {
    SCOPED_TRACE(collector);
    EXPECT_EQ(Find(m, "zimon_collector_up", {{"collector", collector}}), 1);
    EXPECT_TRUE(
        Find(m, "zimon_collector_duration_seconds", {{"collector", collector}})
            .has_value());
    EXPECT_TRUE(
        Find(m, "zimon_collector_errors_total", {{"collector", collector}})
            .has_value());
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
  StatusOr<http::Response> health = agent.Get("/healthz", "*/*");
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body,
            R"({"status":"ok","collectors":{"host":true,"gpu":true}})");
}

TEST(AgentE2E, OutputPassesPromtoolCheckMetrics) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool is not on PATH (Debian package prometheus)";
  }
  RunningAgent agent({});
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
  EXPECT_TRUE(out->status.success()) << out->status.ToString() << "\n"
                                     << out->out << out->err;
}

TEST(AgentE2E, ReportsLostGpuWhileHostMetricsKeepFlowing) {
  RunningAgent agent({});
  ASSERT_TRUE(agent.started()) << agent.StartError();
  ParsedExposition m = agent.Scrape(ExpositionFormat::kPrometheusText);
  ASSERT_EQ(Find(m, "zimon_gpu_lost", {{"gpu", "1"}}), 0);
  double host_success =
      *Find(m, "zimon_collector_last_success_timestamp_seconds",
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
  EXPECT_EQ(Find(m, "zimon_gpu_memory_used_bytes", {{"gpu", "0"}}),
            42949672960.0);
  EXPECT_FALSE(
      Find(m, "zimon_gpu_memory_used_bytes", {{"gpu", "1"}}).has_value());
  EXPECT_EQ(Find(m, "zimon_gpu_lost",
                 {{"gpu", "1"},
                  {"uuid", "GPU-bbbbbbbb-0000-0000-0000-000000000001"}}),
            1);
  EXPECT_GT(Find(m, "zimon_collector_errors_total", {{"collector", "gpu"}})
                .value_or(0),
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
        std::optional<double> lost = Find(p, "zimon_gpu_lost", {{"gpu", "1"}});
        return lost.value_or(-1) == 0 &&
               Find(p, "zimon_gpu_memory_used_bytes", {{"gpu", "1"}})
                   .has_value();
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
  RunningAgent agent(setup);
  ASSERT_TRUE(agent.started()) << agent.StartError();
  ParsedExposition m = agent.Scrape(ExpositionFormat::kPrometheusText);
  EXPECT_EQ(Find(m, "zimon_collector_up", {{"collector", "gpu"}}), 0);
  EXPECT_EQ(Find(m, "zimon_collector_up", {{"collector", "host"}}), 1);
  EXPECT_EQ(Count(m, "zimon_gpu_memory_used_bytes"), 0u);
  EXPECT_GT(Count(m, "zimon_host_cpu_seconds_total"), 0u);
  EXPECT_TRUE(Find(m, "zimon_host_memory_total_bytes").has_value());
  StatusOr<http::Response> health = agent.Get("/healthz", "*/*");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  EXPECT_NE(health->body.find(R"("gpu":false)"), std::string::npos)
      << health->body;
  // One clear log line names the library.
  EXPECT_NE(
      agent.process().StderrSoFar().find("/nonexistent/libnvidia-ml.so.1"),
      std::string::npos)
      << agent.process().StderrSoFar();
}

TEST(AgentE2E, NoGpuInStateReportsGpuDown) {
  AgentSetup setup;
  setup.state = R"({"devices": []})";
  RunningAgent agent(setup);
  ASSERT_TRUE(agent.started()) << agent.StartError();
  ParsedExposition m = agent.Scrape(ExpositionFormat::kPrometheusText);
  EXPECT_EQ(Find(m, "zimon_collector_up", {{"collector", "gpu"}}), 0);
  EXPECT_GT(Count(m, "zimon_host_cpu_seconds_total"), 0u);
}

TEST(AgentE2E, SigtermExitsZeroWithinGrace) {
  RunningAgent agent({});
  ASSERT_TRUE(agent.started()) << agent.StartError();
  ASSERT_TRUE(agent.Get("/metrics", "*/*").ok());
  ASSERT_TRUE(agent.process().Signal(SIGTERM).ok());
  StatusOr<ExitStatus> exit = agent.process().Wait(kGrace);
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_TRUE(exit->success()) << exit->ToString() << "\n"
                               << agent.process().StderrSoFar();
}

TEST(AgentE2E, SigintExitsZero) {
  RunningAgent agent({});
  ASSERT_TRUE(agent.started()) << agent.StartError();
  ASSERT_TRUE(agent.process().Signal(SIGINT).ok());
  StatusOr<ExitStatus> exit = agent.process().Wait(kGrace);
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_TRUE(exit->success()) << exit->ToString();
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

// A loopback port held by a listening socket, for servers to find in use.
class BusyPort {
 public:
  BusyPort() { Open(); }
  BusyPort(const BusyPort&) = delete;
  BusyPort& operator=(const BusyPort&) = delete;
  ~BusyPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  // "127.0.0.1:PORT"; empty when the socket could not be set up.
  const std::string& listen() const { return listen_; }

 private:
  void Open() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ASSERT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(fd_, 1), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    listen_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  }

  int fd_ = -1;
  std::string listen_;
};

TEST(AgentE2E, PortInUseExitsOneWithClearMessage) {
  BusyPort busy;
  ASSERT_FALSE(busy.listen().empty());
  const std::string& listen = busy.listen();

  TempDir dir;
  std::string config = dir.Join("zimon.yaml");
  WriteFile(config,
            "agent:\n"
            "  nvml_library: /nonexistent/libnvidia-ml.so.1\n");
  Subprocess::Output out =
      RunZimon({"agent", "--config", config, "--listen", listen});
  EXPECT_EQ(out.status.ToString(), "exit 1") << out.err;
  EXPECT_NE(out.err.find("cannot listen on " + listen), std::string::npos)
      << out.err;
  EXPECT_NE(out.err.find("in use"), std::string::npos) << out.err;
}

// Every server names the busy address once: "cannot listen on X: ...".
TEST(AgentE2E, EveryServerNamesABusyPortOnce) {
  BusyPort busy;
  ASSERT_FALSE(busy.listen().empty());
  const std::string& listen = busy.listen();

  TempDir dir;
  std::string config = dir.Join("zimon.yaml");
  WriteFile(config,
            "agent:\n"
            "  nvml_library: /nonexistent/libnvidia-ml.so.1\n"
            "gateway:\n"
            "  feedback_db: " +
                dir.Join("feedback.db") +
                "\n  image_dir: " + dir.Join("images") + "\n");
  const std::vector<std::vector<std::string>> commands = {
      {"agent", "--config", config, "--listen", listen},
      {"serve", "--config", config, "--listen", listen, "--backend",
       "http://127.0.0.1:1"},
      {"sim", "--config", config, "--listen", listen}};
  for (const std::vector<std::string>& args : commands) {
    Subprocess::Output out = RunZimon(args);
    EXPECT_EQ(out.status.ToString(), "exit 1") << args[0] << ": " << out.err;
    const std::string line = "zimon " + args[0] + ": cannot listen on " +
                             listen + ": Address already in use\n";
    EXPECT_NE(out.err.find(line), std::string::npos) << out.err;
    EXPECT_EQ(out.err.find("listen on"), out.err.rfind("listen on")) << out.err;
  }
}

TEST(AgentE2E, BadListenFlagIsAUsageError) {
  Subprocess::Output out = RunZimon({"agent", "--listen", "nonsense"});
  EXPECT_TRUE(out.status.exited);
  EXPECT_NE(out.status.code, 0);
  EXPECT_NE(out.err.find("--listen"), std::string::npos) << out.err;
}

}  // namespace
}  // namespace zimon::integration
