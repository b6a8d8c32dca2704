#include "zimon/common/config.h"

#include <gtest/gtest.h>

#include "zimon/testing/in_memory_file_system.h"

namespace zimon {
namespace {

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
                     {"ZIMON_AGENT_GPU_INTERVAL", "2s"}};
  StatusOr<Config> c =
      LoadConfigString("server:\n  listen: 0.0.0.0:1\n", "zimon.yaml", env);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->server.listen, (HostPort{"127.0.0.1", 9999}));
  EXPECT_EQ(c->server.max_body_bytes, 1u << 20);
  EXPECT_EQ(c->log.level, log::Level::kWarn);
  EXPECT_EQ(c->agent.gpu_interval, seconds(2));
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

TEST(Config, FromEnvironmentOnly) {
  StatusOr<Config> c =
      LoadConfigFromEnvironment({{"ZIMON_SERVER_IO_THREADS", "3"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->server.io_threads, 3);
}

}  // namespace
}  // namespace zimon
