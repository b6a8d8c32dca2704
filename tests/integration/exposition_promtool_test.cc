// Serves a registry with every metric type, label-escaping cases and
// histograms over HTTP on port 0, and feeds the body to the real
// `promtool check metrics` (Debian's prometheus package).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "zimon/collect/local_collectors.h"
#include "zimon/common/config.h"
#include "zimon/http/client.h"
#include "zimon/http/metrics_handler.h"
#include "zimon/http/router.h"
#include "zimon/http/server.h"
#include "zimon/metrics/exposition.h"
#include "zimon/metrics/parser.h"
#include "zimon/metrics/registry.h"
#include "zimon/testing/temp_dir.h"

namespace zimon {
namespace {

struct PromtoolResult {
  int exit_code = -1;
  std::string output;
};

PromtoolResult PromtoolCheckMetrics(const std::string& body) {
  testing::TempDir dir;
  std::string in = dir.Join("metrics.txt");
  std::string out = dir.Join("promtool.out");
  std::ofstream(in) << body;
  std::string cmd =
      "promtool check metrics < '" + in + "' > '" + out + "' 2>&1";
  int rc = std::system(cmd.c_str());
  PromtoolResult r;
  r.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  std::stringstream ss;
  ss << std::ifstream(out).rdbuf();
  r.output = ss.str();
  return r;
}

void FillRegistry(metrics::Registry& registry) {
  auto& requests = registry.AddCounter("zimon_requests_total",
                                       "Requests by backend and outcome.",
                                       {"backend", "outcome"});
  requests.WithLabels({"gpu-0", "success"}).Inc(41);
  requests.WithLabels({"gpu-0", "oom"}).Inc();
  // Escaping: backslash, double quote, newline, and non-ASCII text.
  requests.WithLabels({"C:\\models\\\"z\"\nturbo", "client_error"}).Inc(2);
  requests.WithLabels({"显卡-1", "success"}).Inc(0.5);

  auto& depth = registry.AddGauge("zimon_queue_depth",
                                  "Requests waiting.\nSecond \\ line.");
  depth.WithLabels({}).Set(7);
  auto& mem = registry.AddGauge("zimon_gpu_memory_used_bytes",
                                "GPU memory in use.", {"gpu", "uuid", "name"});
  mem.WithLabels({"0", "GPU-1", "NVIDIA H100 (simulated)"}).Set(17.5e9);
  mem.WithLabels({"1", "GPU-2", "x"})
      .Set(std::numeric_limits<double>::quiet_NaN());
  auto& temp = registry.AddGauge("zimon_gpu_temperature_celsius",
                                 "Temperature.", {"gpu"});
  temp.WithLabels({"0"}).Set(-std::numeric_limits<double>::infinity());
  temp.WithLabels({"1"}).Set(1e-9);

  auto& latency = registry.AddHistogram("zimon_request_duration_seconds",
                                        "End-to-end latency.", {"backend"},
                                        metrics::DefaultLatencyBuckets());
  for (double v : {0.004, 0.5, 0.9, 1.0, 2.5, 120.0})
    latency.WithLabels({"gpu-0"}).Observe(v);
  latency.WithLabels({"gpu-1"});  // a histogram with no observations yet
  auto& rating = registry.AddHistogram("zimon_user_rating", "User ratings 1-5.",
                                       {}, metrics::LinearBuckets(1, 1, 5));
  rating.WithLabels({}).Observe(5);
}

class ExpositionOverHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    FillRegistry(registry_);
    auto router = std::make_shared<http::Router>();
    ASSERT_TRUE(
        router->HandleSync("GET", "/metrics", http::MetricsHandler(registry_))
            .ok());
    http::ServerOptions options;
    options.io_threads = 1;
    auto server = http::Server::Create(
        options, [router](http::Request& r) { return (*router)(r); });
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }

  http::Response Scrape(std::string accept) {
    http::ClientRequest request(server_->base_url() + "/metrics");
    request.headers.Set("Accept", accept);
    StatusOr<http::Response> response = http::Fetch(request);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : http::Response{};
  }

  metrics::Registry registry_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(ExpositionOverHttp, PrometheusTextPassesPromtool) {
  http::Response response = Scrape("text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.GetOr("Content-Type", ""),
            metrics::kPrometheusTextContentType);
  EXPECT_NE(response.body.find(R"(backend="C:\\models\\\"z\"\nturbo")"),
            std::string::npos)
      << response.body;
  EXPECT_NE(response.body.find("zimon_request_duration_seconds_bucket{backend="
                               "\"gpu-0\",le=\"+Inf\"} 6"),
            std::string::npos);
  PromtoolResult check = PromtoolCheckMetrics(response.body);
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n--- body ---\n"
                                << response.body;
}

TEST_F(ExpositionOverHttp, OpenMetricsIsChosenByAcceptAndParsesBack) {
  http::Response response = Scrape(
      "application/openmetrics-text;version=1.0.0;q=0.75,text/"
      "plain;version=0.0.4;q=0.5,*/*;q=0.1");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.GetOr("Content-Type", ""),
            metrics::kOpenMetricsContentType);
  ASSERT_GE(response.body.size(), 6u);
  EXPECT_EQ(response.body.substr(response.body.size() - 6), "# EOF\n");
  auto parsed = metrics::ParseExposition(
      response.body, metrics::ExpositionFormat::kOpenMetrics);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
}

TEST_F(ExpositionOverHttp, BrokenExpositionIsRejectedByPromtool) {
  // The check above must be able to fail: promtool rejects a duplicate series.
  PromtoolResult check = PromtoolCheckMetrics("# TYPE x gauge\nx 1\nx 2\n");
  EXPECT_NE(check.exit_code, 0) << check.output;
}

TEST(LiveAgentMetrics, HostAndGpuCollectorsPassPromtool) {
  // The local collectors on this machine, with no NVML library: the GPU
  // collector is down, host metrics flow, and the whole body is valid.
  metrics::Registry registry;
  AgentConfig config;
  config.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  config.processes = {"1"};
  auto collectors = collect::LocalCollectors::Start(config, registry);
  ASSERT_TRUE(collectors.ok()) << collectors.status().ToString();
  EXPECT_TRUE((*collectors)->host_up());
  EXPECT_FALSE((*collectors)->gpu_up());
  std::string body;
  metrics::WritePrometheusText(registry.Collect(), body);
  EXPECT_NE(body.find("zimon_collector_up{collector=\"gpu\"} 0"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("zimon_host_cpu_seconds_total{"), std::string::npos);
  PromtoolResult check = PromtoolCheckMetrics(body);
  EXPECT_EQ(check.exit_code, 0) << check.output;
}

}  // namespace
}  // namespace zimon
