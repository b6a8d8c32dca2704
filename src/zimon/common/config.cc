#include "zimon/common/config.h"

namespace zimon {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;

LogConfig ReadLogConfig(ConfigNode node) {
  LogConfig c;
  std::string level = node.Enum("level", log::LevelName(c.level),
                                {"debug", "info", "warn", "error", "off"});
  c.level = log::ParseLevel(level).value_or(c.level);
  c.format = node.Enum("format", c.format, {"json"});
  return c;
}

ServerConfig ReadServerConfig(ConfigNode node) {
  ServerConfig c;
  c.listen = node.Address("listen", c.listen);
  c.io_threads =
      static_cast<int>(node.Int("io_threads", c.io_threads, 0, 1024));
  c.max_header_bytes =
      node.Bytes("max_header_bytes", c.max_header_bytes, kKiB, kMiB);
  c.max_body_bytes = node.Bytes("max_body_bytes", c.max_body_bytes, kKiB, kGiB);
  c.header_timeout = node.Duration("header_timeout", c.header_timeout,
                                   milliseconds(100), hours(1));
  c.idle_timeout =
      node.Duration("idle_timeout", c.idle_timeout, seconds(1), hours(24));
  c.shutdown_grace = node.Duration("shutdown_grace", c.shutdown_grace,
                                   milliseconds(0), minutes(10));
  return c;
}

AgentConfig ReadAgentConfig(ConfigNode node) {
  AgentConfig c;
  c.listen = node.Address("listen", c.listen);
  c.gpu_interval =
      node.Duration("gpu_interval", c.gpu_interval, seconds(1), hours(1));
  c.host_interval =
      node.Duration("host_interval", c.host_interval, seconds(1), hours(1));
  c.nvml_library = node.String("nvml_library", c.nvml_library);
  if (c.nvml_library.empty()) {
    node.Error("nvml_library", "must not be empty");
    c.nvml_library = AgentConfig().nvml_library;
  }
  c.processes = node.StringList("processes", c.processes);
  c.procfs = node.String("procfs", c.procfs);
  c.sysfs = node.String("sysfs", c.sysfs);
  c.rootfs = node.String("rootfs", c.rootfs);
  c.disk_partitions = node.Bool("disk_partitions", c.disk_partitions);
  c.disk_exclude = node.String("disk_exclude", c.disk_exclude);
  return c;
}

GatewayConfig ReadGatewayConfig(ConfigNode node) {
  GatewayConfig c;
  c.max_concurrent =
      static_cast<int>(node.Int("max_concurrent", c.max_concurrent, 1, 1024));
  return c;
}

}  // namespace

const EnvAliases& ConfigEnvAliases() {
  static const EnvAliases* aliases = new EnvAliases{
      {"gateway.max_concurrent", {"MAX_CONCURRENT_REQUESTS"}},
  };
  return *aliases;
}

Config ReadConfig(ConfigNode root) {
  Config c;
  c.log = ReadLogConfig(root.Map("log"));
  c.server = ReadServerConfig(root.Map("server"));
  c.agent = ReadAgentConfig(root.Map("agent"));
  c.gateway = ReadGatewayConfig(root.Map("gateway"));
  return c;
}

StatusOr<Config> LoadConfigString(std::string_view yaml,
                                  std::string_view file_name,
                                  const Environment& env) {
  Config config;
  ZIMON_RETURN_IF_ERROR(ReadConfigDocument(
      yaml, file_name, env, ConfigEnvAliases(),
      [&config](ConfigNode root) { config = ReadConfig(root); }));
  return config;
}

StatusOr<Config> LoadConfigFile(const std::string& path, FileSystem& fs,
                                const Environment& env) {
  ZIMON_ASSIGN_OR_RETURN(std::string text, fs.ReadFile(path));
  return LoadConfigString(text, path, env);
}

StatusOr<Config> LoadConfigFromEnvironment(const Environment& env) {
  return LoadConfigString("", "<environment>", env);
}

}  // namespace zimon
