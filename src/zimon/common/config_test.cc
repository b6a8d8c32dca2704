#include "zimon/common/config.h"

#include <gtest/gtest.h>

#include "zimon/testing/in_memory_file_system.h"

namespace zimon {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Config, EmptyFileGivesDefaults) {
  StatusOr<Config> c = LoadConfigString("", "zimon.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->log.level, log::Level::kInfo);
  EXPECT_EQ(c->log.format, "json");
  EXPECT_EQ(c->server.listen, (HostPort{"0.0.0.0", 8080}));
  EXPECT_EQ(c->server.io_threads, 0);
  EXPECT_EQ(c->server.max_header_bytes, 16u * 1024);
  EXPECT_EQ(c->server.max_body_bytes, 8u * 1024 * 1024);
  EXPECT_EQ(c->server.header_timeout, seconds(10));
  EXPECT_EQ(c->server.idle_timeout, seconds(60));
  EXPECT_EQ(c->server.shutdown_grace, seconds(10));
  EXPECT_EQ(c->agent.listen, (HostPort{"0.0.0.0", 9400}));
  EXPECT_EQ(c->agent.gpu_interval, seconds(5));
  EXPECT_EQ(c->agent.host_interval, seconds(10));
  EXPECT_EQ(c->agent.nvml_library, "libnvidia-ml.so.1");
  EXPECT_TRUE(c->agent.trim_code_after_start);
  EXPECT_EQ(c->gateway.max_concurrent, 2);
}

TEST(Config, ReadsEverySection) {
  StatusOr<Config> c = LoadConfigString(R"(
log:
  level: debug
  format: json
server:
  listen: 127.0.0.1:0
  io_threads: 4
  max_header_bytes: 32KiB
  max_body_bytes: 20MiB
  header_timeout: 5s
  idle_timeout: 2m
  shutdown_grace: 0s
agent:
  listen: :9500
  gpu_interval: 1s
  host_interval: 30s
  nvml_library: /opt/nvidia/libnvidia-ml.so
  trim_code_after_start: false
gateway:
  max_concurrent: 12
)",
                                        "zimon.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->log.level, log::Level::kDebug);
  EXPECT_EQ(c->server.listen, (HostPort{"127.0.0.1", 0}));
  EXPECT_EQ(c->server.io_threads, 4);
  EXPECT_EQ(c->server.max_header_bytes, 32u * 1024);
  EXPECT_EQ(c->server.max_body_bytes, 20u << 20);
  EXPECT_EQ(c->server.header_timeout, seconds(5));
  EXPECT_EQ(c->server.idle_timeout, seconds(120));
  EXPECT_EQ(c->server.shutdown_grace, milliseconds(0));
  EXPECT_EQ(c->agent.listen, (HostPort{"0.0.0.0", 9500}));
  EXPECT_EQ(c->agent.gpu_interval, seconds(1));
  EXPECT_EQ(c->agent.host_interval, seconds(30));
  EXPECT_EQ(c->agent.nvml_library, "/opt/nvidia/libnvidia-ml.so");
  EXPECT_FALSE(c->agent.trim_code_after_start);
  EXPECT_EQ(c->gateway.max_concurrent, 12);
}

TEST(Config, BadBodySizeNamesFileLineAndKey) {
  std::string yaml(10, '\n');
  yaml += "server:\n  max_body_bytes: lots\n";
  StatusOr<Config> c = LoadConfigString(yaml, "zimon.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(),
            "zimon.yaml:12: server.max_body_bytes: expected a size like 8MiB, "
            "got \"lots\"");
}

TEST(Config, IntervalsHaveAOneSecondFloor) {
  EXPECT_EQ(
      LoadConfigString("agent:\n  gpu_interval: 200ms\n", "z.yaml")
          .status()
          .message(),
      "z.yaml:2: agent.gpu_interval: must be between 1s and 1h, got 200ms");
}

TEST(Config, ReportsEveryProblemTogether) {
  StatusOr<Config> c = LoadConfigString(R"(log:
  level: verbose
server:
  io_threads: many
  idle_timeout: forever
  max_body: 1MiB
agent:
  nvml_library: ""
gateway:
  max_concurrent: 0
)",
                                        "zimon.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(
      c.status().message(),
      "zimon.yaml:2: log.level: expected one of debug, info, warn, error, "
      "off, got \"verbose\"\n"
      "zimon.yaml:4: server.io_threads: expected an integer, got \"many\"\n"
      "zimon.yaml:5: server.idle_timeout: expected a duration like 5s, "
      "1m30s or 250ms, got \"forever\"\n"
      "zimon.yaml:6: server.max_body: unknown key (did you mean "
      "\"max_body_bytes\"?)\n"
      "zimon.yaml:8: agent.nvml_library: must not be empty\n"
      "zimon.yaml:10: gateway.max_concurrent: must be between 1 and "
      "1024, got 0");
}

TEST(Config, UnknownSectionIsAnError) {
  EXPECT_EQ(
      LoadConfigString("sever:\n  listen: :80\n", "z.yaml").status().message(),
      "z.yaml:1: sever: unknown key (did you mean \"server\"?)");
}

TEST(Config, EnvironmentOverridesScalarKeys) {
  Environment env = {{"ZIMON_SERVER_LISTEN", "127.0.0.1:9999"},
                     {"ZIMON_SERVER_MAX_BODY_BYTES", "1MiB"},
                     {"ZIMON_LOG_LEVEL", "warn"},
                     {"ZIMON_AGENT_GPU_INTERVAL", "2s"},
                     {"ZIMON_AGENT_TRIM_CODE_AFTER_START", "false"}};
  StatusOr<Config> c =
      LoadConfigString("server:\n  listen: 0.0.0.0:1\n", "zimon.yaml", env);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->server.listen, (HostPort{"127.0.0.1", 9999}));
  EXPECT_EQ(c->server.max_body_bytes, 1u << 20);
  EXPECT_EQ(c->log.level, log::Level::kWarn);
  EXPECT_EQ(c->agent.gpu_interval, seconds(2));
  EXPECT_FALSE(c->agent.trim_code_after_start);
}

TEST(Config, MaxConcurrentRequestsSetsGatewayLimit) {
  StatusOr<Config> c =
      LoadConfigString("gateway:\n  max_concurrent: 4\n", "zimon.yaml",
                       {{"MAX_CONCURRENT_REQUESTS", "10"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->gateway.max_concurrent, 10);
  c = LoadConfigString("", "zimon.yaml",
                       {{"MAX_CONCURRENT_REQUESTS", "10"},
                        {"ZIMON_GATEWAY_MAX_CONCURRENT", "3"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->gateway.max_concurrent, 3);
  EXPECT_EQ(
      LoadConfigString("", "zimon.yaml", {{"MAX_CONCURRENT_REQUESTS", "0"}})
          .status()
          .message(),
      "$MAX_CONCURRENT_REQUESTS: gateway.max_concurrent: must be between "
      "1 and 1024, got 0");
}

TEST(Config, EnvironmentErrorsComeAfterFileErrors) {
  StatusOr<Config> c = LoadConfigString(
      "server:\n  io_threads: -1\n", "zimon.yaml",
      {{"ZIMON_AGENT_LISTEN", "nope"}, {"ZIMON_SERVER_IO_THREAD", "2"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(
      c.status().message(),
      "zimon.yaml:2: server.io_threads: must be between 0 and 1024, got -1\n"
      "$ZIMON_AGENT_LISTEN: agent.listen: expected host:port, e.g. "
      "0.0.0.0:8080, got \"nope\" (no port)\n"
      "$ZIMON_SERVER_IO_THREAD: does not name a config key (did you mean "
      "\"ZIMON_SERVER_IO_THREADS\"?)");
}

TEST(Config, NonMapTopLevel) {
  EXPECT_EQ(LoadConfigString("[1, 2]\n", "zimon.yaml").status().message(),
            "zimon.yaml:1: the top level must be a map of sections (like "
            "\"server:\"), got a list");
}

TEST(Config, YamlSyntaxErrorHasLine) {
  StatusOr<Config> c = LoadConfigString(
      "server:\n  listen: :80\n\tio_threads: 2\n", "zimon.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().rfind("zimon.yaml:3: invalid YAML: ", 0), 0u)
      << c.status().message();
}

TEST(Config, LoadFileReadsThroughFileSystem) {
  testing::InMemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/etc").ok());
  ASSERT_TRUE(
      fs.WriteFileAtomic("/etc/zimon.yaml", "gateway:\n  max_concurrent: 8\n")
          .ok());
  StatusOr<Config> c = LoadConfigFile("/etc/zimon.yaml", fs, {});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->gateway.max_concurrent, 8);
  StatusOr<Config> missing = LoadConfigFile("/etc/nope.yaml", fs, {});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "/etc/nope.yaml: No such file or directory");
}

TEST(Config, GatewayDefaults) {
  StatusOr<Config> c = LoadConfigString("", "zimon.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const GatewayConfig& g = c->gateway;
  EXPECT_EQ(g.queue_capacity, 256);
  EXPECT_EQ(g.request_timeout, seconds(60));
  EXPECT_EQ(g.max_request_timeout, seconds(600));
  EXPECT_EQ(g.health_interval, seconds(5));
  EXPECT_TRUE(g.api_keys.empty());
  EXPECT_EQ(g.image_dir, "zimon-images");
  EXPECT_EQ(g.image_retention, seconds(0));
  EXPECT_EQ(g.public_url, "");
  EXPECT_EQ(g.feedback_db, "zimon-feedback.db");
  EXPECT_TRUE(g.bad_image_is_failure);
  EXPECT_EQ(g.max_images, 10);
  EXPECT_EQ(g.min_side, 256);
  EXPECT_EQ(g.max_side, 2048);
  EXPECT_DOUBLE_EQ(g.retry_ratio, 0.2);
  EXPECT_DOUBLE_EQ(g.quality_sample, 1.0);
  EXPECT_TRUE(g.backends.empty());
}

TEST(Config, ReadsGatewaySectionAndBackends) {
  StatusOr<Config> c = LoadConfigString(R"(gateway:
  queue_capacity: 1000
  request_timeout: 30s
  max_request_timeout: 5m
  health_interval: 2s
  api_keys: [k1, k2]
  image_dir: /var/lib/zimon/images
  image_retention: 1d
  public_url: https://img.example.com/
  feedback_db: /var/lib/zimon/feedback.db
  bad_image_is_failure: false
  max_images: 4
  min_side: 512
  max_side: 1536
  retry_ratio: 0.5
  quality_sample: 0.25
  backends:
    - name: gpu0
      url: http://10.0.0.5:8000
      model: Tongyi-MAI/Z-Image-Turbo
    - name: sd.cpp-1
      url: http://[::1]:7860/
      adapter: sdcpp
      max_concurrent: 1
      sdcpp_api: jobs
    - name: comfy:a
      url: http://comfy
      adapter: comfyui
      workflow: /etc/zimon/workflow.json
      hold_abandoned: false
)",
                                        "zimon.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const GatewayConfig& g = c->gateway;
  EXPECT_EQ(g.queue_capacity, 1000);
  EXPECT_EQ(g.request_timeout, seconds(30));
  EXPECT_EQ(g.max_request_timeout, seconds(300));
  EXPECT_EQ(g.health_interval, seconds(2));
  EXPECT_EQ(g.api_keys, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(g.image_dir, "/var/lib/zimon/images");
  EXPECT_EQ(g.image_retention, hours(24));
  EXPECT_EQ(g.public_url, "https://img.example.com");
  EXPECT_EQ(g.feedback_db, "/var/lib/zimon/feedback.db");
  EXPECT_FALSE(g.bad_image_is_failure);
  EXPECT_EQ(g.max_images, 4);
  EXPECT_EQ(g.min_side, 512);
  EXPECT_EQ(g.max_side, 1536);
  EXPECT_DOUBLE_EQ(g.retry_ratio, 0.5);
  EXPECT_DOUBLE_EQ(g.quality_sample, 0.25);
  ASSERT_EQ(g.backends.size(), 3u);
  EXPECT_EQ(g.backends[0].name, "gpu0");
  EXPECT_EQ(g.backends[0].url, "http://10.0.0.5:8000");
  EXPECT_EQ(g.backends[0].adapter, "openai");
  EXPECT_EQ(g.backends[0].max_concurrent, 0);
  EXPECT_EQ(g.backends[0].model, "Tongyi-MAI/Z-Image-Turbo");
  EXPECT_EQ(g.backends[1].name, "sd.cpp-1");
  EXPECT_EQ(g.backends[1].url, "http://[::1]:7860");
  EXPECT_EQ(g.backends[1].adapter, "sdcpp");
  EXPECT_EQ(g.backends[1].max_concurrent, 1);
  EXPECT_EQ(g.backends[1].sdcpp_api, "jobs");
  EXPECT_EQ(g.backends[0].sdcpp_api, "openai");  // the default
  EXPECT_EQ(g.backends[2].url, "http://comfy");
  EXPECT_EQ(g.backends[2].adapter, "comfyui");
  EXPECT_EQ(g.backends[2].workflow, "/etc/zimon/workflow.json");
  // Held by default where the server goes on with abandoned work (sd-server),
  // not where it stops it (vLLM-Omni); a setting overrides the default.
  EXPECT_FALSE(HoldsAbandonedWork(g.backends[0]));
  EXPECT_TRUE(HoldsAbandonedWork(g.backends[1]));
  EXPECT_EQ(g.backends[2].hold_abandoned, false);
  EXPECT_FALSE(HoldsAbandonedWork(g.backends[2]));
}

TEST(Config, BadBackendsAreReportedWithLineAndIndex) {
  StatusOr<Config> c = LoadConfigString(R"(gateway:
  backends:
    - name: gpu0
      url: https://gpu0:8000
    - name: gpu0
      url: http://gpu1:8000
    - name: "bad name"
      url: http://gpu2:8000/v1/images/generations
      adapter: vllm
    - url: gpu3:8000
      max_concurrent: 2000
    - name: gpu4
      url: http://gpu4:8000
      workflow: w.json
    - name: gpu5
      url: http://gpu5:8000
      adapter: sdcpp
      sdcpp_api: async
    - name: gpu6
      url: http://gpu6:8000
      sdcpp_api: jobs
)",
                                        "zimon.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(
      c.status().message(),
      "zimon.yaml:4: gateway.backends[0].url: https is not supported yet; "
      "use http:// (e.g. a TLS sidecar)\n"
      "zimon.yaml:5: gateway.backends[1].name: duplicate backend name "
      "\"gpu0\"\n"
      "zimon.yaml:7: gateway.backends[2].name: must be 1 or more of A-Z a-z "
      "0-9 _ . : - (it becomes a metric label), got \"bad name\"\n"
      "zimon.yaml:8: gateway.backends[2].url: expected http://host:port with "
      "no path (the adapter adds it), got "
      "\"http://gpu2:8000/v1/images/generations\"\n"
      "zimon.yaml:9: gateway.backends[2].adapter: expected one of openai, "
      "sdcpp, comfyui, got \"vllm\"\n"
      "zimon.yaml:10: gateway.backends[3].name: required key is missing\n"
      "zimon.yaml:10: gateway.backends[3].url: expected http://host:port, "
      "e.g. http://127.0.0.1:8000, got \"gpu3:8000\"\n"
      "zimon.yaml:11: gateway.backends[3].max_concurrent: must be between 0 "
      "and 1024, got 2000\n"
      "zimon.yaml:14: gateway.backends[4].workflow: only used with adapter "
      "comfyui, not openai\n"
      "zimon.yaml:18: gateway.backends[5].sdcpp_api: expected one of openai, "
      "jobs, got \"async\"\n"
      "zimon.yaml:21: gateway.backends[6].sdcpp_api: only used with adapter "
      "sdcpp, not openai");
}

TEST(Config, BackendUrlMustHaveAHost) {
  for (const char* url : {"http://", "http://:8000", "http://host:0",
                          "http://host:http", "ftp://host:21"}) {
    StatusOr<Config> c = LoadConfigString(
        std::string("gateway:\n  backends:\n    - name: a\n      url: ") + url +
            "\n",
        "z.yaml");
    EXPECT_FALSE(c.ok()) << url;
    EXPECT_NE(c.status().message().find("z.yaml:4: gateway.backends[0].url: "),
              std::string::npos)
        << c.status().message();
  }
}

TEST(Config, GatewayCrossFieldChecks) {
  StatusOr<Config> c = LoadConfigString(R"(gateway:
  request_timeout: 2m
  max_request_timeout: 1m
  min_side: 1024
  max_side: 512
)",
                                        "zimon.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "zimon.yaml:3: gateway.max_request_timeout: must be at least "
            "request_timeout (2m), got 1m\n"
            "zimon.yaml:5: gateway.max_side: must be at least min_side "
            "(1024), got 512");
}

TEST(Config, GatewayRanges) {
  StatusOr<Config> c = LoadConfigString(R"(gateway:
  queue_capacity: 0
  request_timeout: 50ms
  max_images: 0
  min_side: 250
  max_side: 10000
  retry_ratio: 1.5
  image_dir: ""
  public_url: img.example.com
  api_keys: ["good", "", "a b"]
  quality_sample: -0.1
  image_retention: 30s
)",
                                        "zimon.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "zimon.yaml:2: gateway.queue_capacity: must be between 1 and "
            "1000000, got 0\n"
            "zimon.yaml:3: gateway.request_timeout: must be between 100ms and "
            "1d, got 50ms\n"
            "zimon.yaml:4: gateway.max_images: must be between 1 and 100, got "
            "0\n"
            "zimon.yaml:5: gateway.min_side: must be a multiple of 16, got "
            "250\n"
            "zimon.yaml:6: gateway.max_side: must be between 16 and 8192, got "
            "10000\n"
            "zimon.yaml:7: gateway.retry_ratio: must be between 0 and 1, got "
            "1.5\n"
            "zimon.yaml:8: gateway.image_dir: must not be empty\n"
            "zimon.yaml:9: gateway.public_url: expected an http:// or "
            "https:// URL, got \"img.example.com\"\n"
            "zimon.yaml:10: gateway.api_keys: item 2 is empty\n"
            "zimon.yaml:10: gateway.api_keys: item 3 contains whitespace\n"
            "zimon.yaml:11: gateway.quality_sample: must be between 0 and 1, "
            "got -0.1\n"
            "zimon.yaml:12: gateway.image_retention: must be 0 (keep images) "
            "or at least 1m, got 30s");
}

TEST(Config, ApiKeysFromEnvironmentAreCommaSeparated) {
  StatusOr<Config> c =
      LoadConfigString("gateway:\n  api_keys: [file-key]\n", "zimon.yaml",
                       {{"ZIMON_GATEWAY_API_KEYS", "sk-one, sk-two,,"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->gateway.api_keys,
            (std::vector<std::string>{"sk-one", "sk-two"}));
}

TEST(Config, GatewayScalarsFromEnvironment) {
  StatusOr<Config> c =
      LoadConfigString("", "zimon.yaml",
                       {{"ZIMON_GATEWAY_QUEUE_CAPACITY", "9"},
                        {"ZIMON_GATEWAY_REQUEST_TIMEOUT", "5s"},
                        {"ZIMON_GATEWAY_PUBLIC_URL", "http://h:1/"},
                        {"ZIMON_GATEWAY_RETRY_RATIO", "0"},
                        {"ZIMON_GATEWAY_QUALITY_SAMPLE", "0"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_DOUBLE_EQ(c->gateway.quality_sample, 0.0);
  EXPECT_EQ(c->gateway.queue_capacity, 9);
  EXPECT_EQ(c->gateway.request_timeout, seconds(5));
  EXPECT_EQ(c->gateway.public_url, "http://h:1");
  EXPECT_DOUBLE_EQ(c->gateway.retry_ratio, 0.0);
  EXPECT_EQ(LoadConfigString("", "zimon.yaml",
                             {{"ZIMON_GATEWAY_MAX_REQUEST_TIMEOUT", "10s"}})
                .status()
                .message(),
            "$ZIMON_GATEWAY_MAX_REQUEST_TIMEOUT: gateway.max_request_timeout: "
            "must be at least request_timeout (1m), got 10s");
}

TEST(ValidateGatewayConfig, AcceptsWhatTheReaderAccepts) {
  StatusOr<Config> c = LoadConfigString(
      "gateway:\n  backends:\n    - {name: a, url: \"http://h:1\"}\n",
      "z.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(ValidateGatewayConfig(c->gateway).ok());
  EXPECT_TRUE(ValidateGatewayConfig(GatewayConfig()).ok());
}

TEST(ValidateGatewayConfig, ReportsEveryBadBackend) {
  GatewayConfig g;
  g.backends.resize(4);
  g.backends[0] = {.name = "a", .url = "http://h:1/"};
  g.backends[1] = {.name = "a", .url = "https://h:2"};
  g.backends[2] = {.name = "b c", .url = "h:3", .adapter = "vllm"};
  g.backends[3] = {.name = "d",
                   .url = "http://h:4",
                   .adapter = "comfyui",
                   .max_concurrent = -1,
                   .workflow = ""};
  Status s = ValidateGatewayConfig(g);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "gateway.backends[1].name: duplicate backend name \"a\"\n"
            "gateway.backends[1].url: https is not supported yet; use "
            "http:// (e.g. a TLS sidecar)\n"
            "gateway.backends[2].name: must be 1 or more of A-Z a-z 0-9 _ . : "
            "- (it becomes a metric label), got \"b c\"\n"
            "gateway.backends[2].url: expected http://host:port, e.g. "
            "http://127.0.0.1:8000, got \"h:3\"\n"
            "gateway.backends[2].adapter: expected one of openai, sdcpp, "
            "comfyui, got \"vllm\"\n"
            "gateway.backends[3].max_concurrent: must be between 0 and 1024, "
            "got -1\n"
            "gateway.backends[3].workflow: must not be empty");
}

TEST(NormalizeBackendUrl, DropsTrailingSlash) {
  EXPECT_EQ(NormalizeBackendUrl("http://h:8000/").value(), "http://h:8000");
  EXPECT_EQ(NormalizeBackendUrl("http://h").value(), "http://h");
  EXPECT_EQ(NormalizeBackendUrl("https://h").status().code(),
            StatusCode::kUnimplemented);
  EXPECT_EQ(NormalizeBackendUrl("http://h/x").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Config, FromEnvironmentOnly) {
  StatusOr<Config> c =
      LoadConfigFromEnvironment({{"ZIMON_SERVER_IO_THREADS", "3"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->server.io_threads, 3);
}

}  // namespace
}  // namespace zimon
