// zimon.yaml: the top-level configuration and how it is loaded.
//
//   StatusOr<Config> config = LoadConfigFile("zimon.yaml");
//   if (!config.ok()) { print config.status().message(), one problem a line }
//
// Every key, default, range and environment override is documented in
// docs/configuration.md; keep the two in step.
//
// Adding a section: add a struct with its defaults below, a field in Config,
// and a reader in config.cc (`c.store = ReadStoreConfig(root.Map("store"))`)
// that asks the ConfigNode for every key with its range. Unknown keys,
// environment overrides and error messages then work for it unchanged.
//
// Config is a plain value; copies are independent. Loading is thread-safe
// (it reads the environment once, at the call).
#ifndef ZIMON_COMMON_CONFIG_H_
#define ZIMON_COMMON_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/config_node.h"
#include "zimon/common/file_system.h"
#include "zimon/common/logging.h"
#include "zimon/common/status.h"
#include "zimon/common/units.h"

namespace zimon {

struct LogConfig {
  log::Level level = log::Level::kInfo;
  std::string format = "json";  // the only format so far
};

// The HTTP server of `zimon serve`.
struct ServerConfig {
  HostPort listen{"0.0.0.0", 8080};
  int io_threads = 0;  // 0: one per core
  uint64_t max_header_bytes = 16 * 1024;
  uint64_t max_body_bytes = 8 * 1024 * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds shutdown_grace{10'000};
};

// `zimon agent`.
struct AgentConfig {
  HostPort listen{"0.0.0.0", 9400};
  std::chrono::milliseconds gpu_interval{5'000};
  std::chrono::milliseconds host_interval{10'000};
  std::string nvml_library = "libnvidia-ml.so.1";
  // Processes whose CPU and memory are exported: a pid or a command name.
  std::vector<std::string> processes;
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  std::string rootfs = "/";
  bool disk_partitions = false;  // export partitions too, not only whole disks
  std::string disk_exclude = "(loop|ram|zram|fd)\\d+";  // regex on device names
  // Page out start-up code once serving (docs/agent.md, "Memory").
  bool trim_code_after_start = true;
};

// One model server behind the gateway (gateway.backends[]).
struct BackendConfig {
  std::string name;                // unique; the `backend` metric label
  std::string url;                 // "http://host:port", no path
  std::string adapter = "openai";  // openai | sdcpp | comfyui
  int max_concurrent = 0;          // 0: gateway.max_concurrent
  // comfyui: the workflow template (JSON graph in ComfyUI's API format).
  std::string workflow = "deploy/comfyui/zimage_turbo_workflow.json";
  // openai: the "model" field sent upstream; empty: the client's, if any.
  std::string model;
  // sdcpp: which of sd-server's routes to use: "openai" (its
  // OpenAI-compatible /v1/images/generations, in every build) or "jobs" (its
  // native job API, /sdcpp/v1/img_gen, in recent builds; a queued job whose
  // client left is cancelled there instead of run).
  std::string sdcpp_api = "openai";
  // Whether the server goes on with a request whose client left or whose
  // deadline passed, so that its slot stays taken until the work would be
  // done (its typical service time from when it was sent). Unset: the
  // adapter's default, HoldsAbandonedWork().
  std::optional<bool> hold_abandoned;
};

// hold_abandoned, or the adapter's default: true for sdcpp (sd-server runs
// every request to the end) and comfyui (only when its interrupt failed);
// false for openai (vLLM-Omni aborts a disconnected request).
bool HoldsAbandonedWork(const BackendConfig& backend);

struct GatewayConfig {
  // Requests in flight per backend (MAX_CONCURRENT_REQUESTS).
  int max_concurrent = 2;
  // Requests waiting for a backend; beyond it clients get 429.
  int queue_capacity = 256;
  // Deadline of a request without an X-Request-Timeout header, and the
  // largest one a header may ask for.
  std::chrono::milliseconds request_timeout{60'000};
  std::chrono::milliseconds max_request_timeout{600'000};
  // Active health checks of every backend.
  std::chrono::milliseconds health_interval{5'000};
  // Bearer keys; empty: no authentication.
  std::vector<std::string> api_keys;
  // Where response_format=url images are written and served from.
  std::string image_dir = "zimon-images";
  // Image files older than this are deleted (their URLs then answer 404);
  // zero keeps them until removed by hand.
  std::chrono::milliseconds image_retention{0};
  // Base of the URLs handed out ("https://img.example.com"); empty: taken
  // from the request's Host header.
  std::string public_url;
  // SQLite file of user feedback (and the image ids it refers to).
  std::string feedback_db = "zimon-feedback.db";
  // Black or blank images count as failures (outcome bad_image).
  bool bad_image_is_failure = true;
  // Largest n per request, and the image side limits (multiples of 16).
  int max_images = 10;
  int min_side = 256;
  int max_side = 2048;
  // Retries on another backend: max(3, retry_ratio * requests) per 10 s.
  double retry_ratio = 0.2;
  // Share of delivered images given a quality score (docs/quality.md), 0..1;
  // 0 turns scoring off.
  double quality_sample = 1.0;
  std::vector<BackendConfig> backends;
};

struct Config {
  LogConfig log;
  ServerConfig server;
  AgentConfig agent;
  GatewayConfig gateway;
};

// The aliases of the top-level schema: MAX_CONCURRENT_REQUESTS ->
// gateway.max_concurrent.
const EnvAliases& ConfigEnvAliases();

// Checks a GatewayConfig built or changed in code (backends from command-line
// flags) by the rules the reader applies to the file: each backend's name
// (label-safe, unique), url, adapter, max_concurrent and workflow, and the
// cross-field rules. kInvalidArgument, one problem per line:
// "gateway.backends[1].url: https is not supported yet; ...".
Status ValidateGatewayConfig(const GatewayConfig& config);

// A backend url "http://host[:port]" (optional trailing "/") without the
// trailing "/"; kInvalidArgument saying what is wrong, kUnimplemented for
// https.
StatusOr<std::string> NormalizeBackendUrl(std::string_view url);

// Reads the whole schema from root (used by the loaders below).
Config ReadConfig(ConfigNode root);

// Parses yaml (named file_name in messages) with env applied. Errors are
// kInvalidArgument, one problem per line: "file:line: key: problem".
StatusOr<Config> LoadConfigString(std::string_view yaml,
                                  std::string_view file_name = "<string>",
                                  const Environment& env = {});

// Reads path through fs; a missing or unreadable file is an error with the
// path in the message.
StatusOr<Config> LoadConfigFile(const std::string& path,
                                FileSystem& fs = LocalFileSystem(),
                                const Environment& env = ProcessEnvironment());

// Defaults with only the environment applied (no file).
StatusOr<Config> LoadConfigFromEnvironment(
    const Environment& env = ProcessEnvironment());

}  // namespace zimon

#endif  // ZIMON_COMMON_CONFIG_H_
