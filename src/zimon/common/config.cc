#include "zimon/common/config.h"

#include <set>
#include <string>
#include <utility>

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
  c.trim_code_after_start =
      node.Bool("trim_code_after_start", c.trim_code_after_start);
  return c;
}

// A backend name becomes the `backend` label and a log field: keep it to
// characters that need no escaping anywhere.
bool IsLabelSafe(std::string_view name) {
  if (name.empty()) return false;
  for (char ch : name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
                    ch == ':' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

// Checks a backend URL, "http://host[:port]" with an optional trailing "/";
// returns it without the trailing "/", or an error message.
StatusOr<std::string> NormalizeUrl(std::string_view url) {
  constexpr std::string_view kHttp = "http://";
  if (url.starts_with("https://")) {
    return UnimplementedError(
        "https is not supported yet; use http:// (e.g. a TLS sidecar)");
  }
  if (!url.starts_with(kHttp)) {
    return InvalidArgumentError(
        "expected http://host:port, e.g. http://127.0.0.1:8000, got \"" +
        std::string(url) + "\"");
  }
  std::string_view rest = url.substr(kHttp.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find_first_of("/?#@ ") != std::string_view::npos) {
    return InvalidArgumentError(
        "expected http://host:port with no path (the adapter adds it), got "
        "\"" +
        std::string(url) + "\"");
  }
  const bool has_port = !rest.empty() && rest.back() != ']' &&
                        rest.rfind(':') != std::string_view::npos;
  if (has_port) {
    StatusOr<HostPort> hp = ParseHostPort(rest);
    if (!hp.ok() || hp->host.empty() || hp->port == 0 || rest.front() == ':') {
      return InvalidArgumentError("expected http://host:port, got \"" +
                                  std::string(url) + "\"");
    }
  } else if (rest.empty() || rest == "[]") {
    return InvalidArgumentError("expected http://host:port, got \"" +
                                std::string(url) + "\"");
  }
  return std::string(kHttp) + std::string(rest);
}

BackendConfig ReadBackendConfig(ConfigNode node) {
  BackendConfig c;
  if (node.Require("name")) c.name = node.String("name", "");
  if (node.Has("name") && !IsLabelSafe(c.name)) {
    node.Error("name",
               "must be 1 or more of A-Z a-z 0-9 _ . : - (it becomes a "
               "metric label), got \"" +
                   c.name + "\"");
  }
  if (node.Require("url")) {
    std::string url = node.String("url", "");
    StatusOr<std::string> normal = NormalizeUrl(url);
    if (normal.ok()) {
      c.url = *normal;
    } else {
      node.Error("url", normal.status().message());
    }
  }
  c.adapter = node.Enum("adapter", c.adapter, {"openai", "sdcpp", "comfyui"});
  c.max_concurrent =
      static_cast<int>(node.Int("max_concurrent", c.max_concurrent, 0, 1024));
  if (node.Has("workflow")) {
    c.workflow = node.String("workflow", c.workflow);
    if (c.adapter != "comfyui") {
      node.Error("workflow",
                 "only used with adapter comfyui, not " + c.adapter);
    } else if (c.workflow.empty()) {
      node.Error("workflow", "must not be empty");
      c.workflow = BackendConfig().workflow;
    }
  }
  c.model = node.String("model", c.model);
  if (node.Has("sdcpp_api")) {
    c.sdcpp_api = node.Enum("sdcpp_api", c.sdcpp_api, {"openai", "jobs"});
    if (c.adapter != "sdcpp") {
      node.Error("sdcpp_api", "only used with adapter sdcpp, not " + c.adapter);
    }
  }
  if (node.Has("hold_abandoned")) {
    c.hold_abandoned = node.Bool("hold_abandoned", false);
  }
  return c;
}

// side must be a multiple of 16 (the VAE works on 16-pixel blocks).
int ReadSide(ConfigNode node, std::string_view key, int def) {
  int side = static_cast<int>(node.Int(key, def, 16, 8192));
  if (side % 16 != 0) {
    node.Error(key, "must be a multiple of 16, got " + std::to_string(side));
    return def;
  }
  return side;
}

// A non-empty string; an empty one is an error and gives def.
std::string ReadNonEmpty(ConfigNode node, std::string_view key,
                         const std::string& def) {
  std::string value = node.String(key, def);
  if (value.empty()) {
    node.Error(key, "must not be empty");
    return def;
  }
  return value;
}

GatewayConfig ReadGatewayConfig(ConfigNode node) {
  GatewayConfig c;
  c.max_concurrent =
      static_cast<int>(node.Int("max_concurrent", c.max_concurrent, 1, 1024));
  c.queue_capacity = static_cast<int>(
      node.Int("queue_capacity", c.queue_capacity, 1, 1'000'000));
  c.request_timeout = node.Duration("request_timeout", c.request_timeout,
                                    milliseconds(100), hours(24));
  c.max_request_timeout =
      node.Duration("max_request_timeout", c.max_request_timeout,
                    milliseconds(100), hours(24));
  if (c.max_request_timeout < c.request_timeout) {
    node.Error("max_request_timeout",
               "must be at least request_timeout (" +
                   FormatDuration(c.request_timeout) + "), got " +
                   FormatDuration(c.max_request_timeout));
    c.max_request_timeout = c.request_timeout;
  }
  c.health_interval = node.Duration("health_interval", c.health_interval,
                                    milliseconds(100), hours(1));
  c.api_keys = node.StringList("api_keys", c.api_keys);
  for (size_t i = 0; i < c.api_keys.size(); ++i) {
    const std::string& key = c.api_keys[i];
    const std::string item = "item " + std::to_string(i + 1);
    if (key.empty()) {
      node.Error("api_keys", item + " is empty");
    } else if (key.find_first_of(" \t\r\n") != std::string::npos) {
      node.Error("api_keys", item + " contains whitespace");
    }
  }
  std::erase_if(c.api_keys, [](const std::string& k) {
    return k.empty() || k.find_first_of(" \t\r\n") != std::string::npos;
  });
  c.image_dir = ReadNonEmpty(node, "image_dir", c.image_dir);
  c.image_retention = node.Duration("image_retention", c.image_retention,
                                    milliseconds(0), hours(24 * 3650));
  if (c.image_retention > milliseconds(0) &&
      c.image_retention < std::chrono::minutes(1)) {
    node.Error("image_retention",
               "must be 0 (keep images) or at least 1m, got " +
                   FormatDuration(c.image_retention));
    c.image_retention = milliseconds(0);
  }
  c.public_url = node.String("public_url", c.public_url);
  if (!c.public_url.empty() && !c.public_url.starts_with("http://") &&
      !c.public_url.starts_with("https://")) {
    node.Error("public_url", "expected an http:// or https:// URL, got \"" +
                                 c.public_url + "\"");
    c.public_url.clear();
  }
  while (c.public_url.ends_with('/')) c.public_url.pop_back();
  c.feedback_db = ReadNonEmpty(node, "feedback_db", c.feedback_db);
  c.bad_image_is_failure =
      node.Bool("bad_image_is_failure", c.bad_image_is_failure);
  c.max_images = static_cast<int>(node.Int("max_images", c.max_images, 1, 100));
  c.min_side = ReadSide(node, "min_side", c.min_side);
  c.max_side = ReadSide(node, "max_side", c.max_side);
  if (c.min_side > c.max_side) {
    node.Error("max_side", "must be at least min_side (" +
                               std::to_string(c.min_side) + "), got " +
                               std::to_string(c.max_side));
    c.max_side = c.min_side;
  }
  c.retry_ratio = node.Double("retry_ratio", c.retry_ratio, 0.0, 1.0);
  c.quality_sample = node.Double("quality_sample", c.quality_sample, 0.0, 1.0);

  std::set<std::string> names;
  for (ConfigNode backend : node.List("backends")) {
    BackendConfig b = ReadBackendConfig(backend);
    if (!b.name.empty() && !names.insert(b.name).second) {
      backend.Error("name", "duplicate backend name \"" + b.name + "\"");
      continue;
    }
    c.backends.push_back(std::move(b));
  }
  return c;
}

}  // namespace

bool HoldsAbandonedWork(const BackendConfig& backend) {
  return backend.hold_abandoned.value_or(backend.adapter != "openai");
}

StatusOr<std::string> NormalizeBackendUrl(std::string_view url) {
  return NormalizeUrl(url);
}

Status ValidateGatewayConfig(const GatewayConfig& config) {
  std::string problems;
  auto add = [&problems](const std::string& key, std::string_view message) {
    if (!problems.empty()) problems += '\n';
    problems += "gateway." + key + ": ";
    problems += message;
  };
  if (config.max_request_timeout < config.request_timeout) {
    add("max_request_timeout", "must be at least request_timeout (" +
                                   FormatDuration(config.request_timeout) +
                                   "), got " +
                                   FormatDuration(config.max_request_timeout));
  }
  if (config.min_side > config.max_side) {
    add("max_side", "must be at least min_side (" +
                        std::to_string(config.min_side) + "), got " +
                        std::to_string(config.max_side));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < config.backends.size(); ++i) {
    const BackendConfig& b = config.backends[i];
    const std::string at = "backends[" + std::to_string(i) + "].";
    if (!IsLabelSafe(b.name)) {
      add(at + "name",
          "must be 1 or more of A-Z a-z 0-9 _ . : - (it becomes a metric "
          "label), got \"" +
              b.name + "\"");
    } else if (!names.insert(b.name).second) {
      add(at + "name", "duplicate backend name \"" + b.name + "\"");
    }
    if (StatusOr<std::string> url = NormalizeUrl(b.url); !url.ok()) {
      add(at + "url", url.status().message());
    }
    if (b.adapter != "openai" && b.adapter != "sdcpp" &&
        b.adapter != "comfyui") {
      add(at + "adapter",
          "expected one of openai, sdcpp, comfyui, got \"" + b.adapter + "\"");
    }
    if (b.max_concurrent < 0 || b.max_concurrent > 1024) {
      add(at + "max_concurrent", "must be between 0 and 1024, got " +
                                     std::to_string(b.max_concurrent));
    }
    if (b.adapter == "comfyui" && b.workflow.empty()) {
      add(at + "workflow", "must not be empty");
    }
    if (b.sdcpp_api != "openai" && b.sdcpp_api != "jobs") {
      add(at + "sdcpp_api",
          "expected one of openai, jobs, got \"" + b.sdcpp_api + "\"");
    } else if (b.sdcpp_api == "jobs" && b.adapter != "sdcpp") {
      add(at + "sdcpp_api", "only used with adapter sdcpp, not " + b.adapter);
    }
  }
  if (problems.empty()) return OkStatus();
  return InvalidArgumentError(std::move(problems));
}

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
