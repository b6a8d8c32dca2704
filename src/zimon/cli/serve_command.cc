// zimon serve: the gateway (OpenAI-compatible image API in front of the model
// servers) with this host's collectors on /metrics.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "zimon/cli/cli.h"
#include "zimon/cli/commands.h"
#include "zimon/cli/gateway_runner.h"
#include "zimon/cli/serving.h"
#include "zimon/common/logging.h"

namespace zimon::cli {
namespace {

// Allocations up to this size come from the heap, not their own mapping: a
// 2048x2048 image as base64 is about 16 MiB.
constexpr int kLargeAllocationBytes = 32 * 1024 * 1024;

struct ServeOptions {
  std::string config;
  std::string listen;                 // overrides server.listen when set
  std::vector<std::string> backends;  // [NAME=]URL, adds to gateway.backends
  std::string adapter = "openai";     // adapter of --backend entries
  std::string access_log = "-";
};

// "[NAME=]URL" → a backend named NAME (default backend-<index>).
BackendConfig BackendFromFlag(const std::string& flag, size_t index,
                              const std::string& adapter) {
  BackendConfig b;
  size_t eq = flag.find('=');
  if (eq != std::string::npos && flag.find("://") > eq) {
    b.name = flag.substr(0, eq);
    b.url = flag.substr(eq + 1);
  } else {
    b.name = "backend-" + std::to_string(index);
    b.url = flag;
  }
  b.adapter = adapter;
  return b;
}

int RunServe(const ServeOptions& opts, Context& ctx) {
  StatusOr<Config> config = LoadStartupConfig(opts.config, ctx);
  if (!config.ok()) {
    ctx.err << config.status().message() << "\n";
    return kExitFailure;
  }
  HostPort listen = config->server.listen;
  if (!opts.listen.empty()) {
    StatusOr<HostPort> parsed = ParseHostPort(opts.listen);
    if (!parsed.ok()) {
      ctx.err << "zimon serve: --listen: " << parsed.status().message() << "\n";
      return kExitUsage;
    }
    listen = *parsed;
  }
  for (const std::string& flag : opts.backends) {
    config->gateway.backends.push_back(
        BackendFromFlag(flag, config->gateway.backends.size(), opts.adapter));
  }
  Status valid = ValidateGatewayConfig(config->gateway);
  if (!valid.ok()) {
    ctx.err << "zimon serve: " << valid.message() << "\n";
    return kExitUsage;
  }
  if (config->gateway.backends.empty()) {
    ctx.err << "zimon serve: no backends: list them under gateway.backends "
               "in the config file or pass --backend URL\n";
    return kExitUsage;
  }

  ShutdownSignals signals(/*hangup=*/true);  // before any thread starts
  // Images pass through as megabyte strings. With glibc's defaults each one
  // is mapped fresh and unmapped or trimmed when freed, so every answer pays
  // page faults and zeroing on pages it then overwrites. Keep them in the
  // heap and keep freed heap for the next answer; the cost is that the
  // process holds on to its peak of images in flight. (These tune glibc's
  // malloc. Where the binary switched operator new to mimalloc,
  // apps/zimon/allocator.h, the strings go there, and it reuses freed pages
  // by itself.)
  mallopt(M_MMAP_THRESHOLD, kLargeAllocationBytes);
  mallopt(M_TRIM_THRESHOLD, 2 * kLargeAllocationBytes);
  GatewayRunnerOptions runner_options;
  runner_options.config = std::move(*config);
  runner_options.listen = listen;
  runner_options.access_log = opts.access_log;
  StatusOr<std::unique_ptr<GatewayRunner>> runner =
      GatewayRunner::Start(std::move(runner_options));
  if (!runner.ok()) {
    ctx.err << "zimon serve: " << runner.status().message() << "\n";
    return kExitFailure;
  }
  std::string url = (*runner)->base_url();
  ctx.out << "zimon serve: image API " << url
          << "/v1/images/generations, metrics " << url << "/metrics, health "
          << url << "/healthz" << std::endl;
  int signal = (*runner)->WaitForStop(signals);
  log::Info("shutting down", {{"signal", signal}});
  signals.ExitOnNextSignal();
  (*runner)->Shutdown();
  return kExitOk;
}

}  // namespace

void RegisterServeCommand(CLI::App& app, CommandTable& table) {
  auto opts = std::make_shared<ServeOptions>();
  CLI::App* sub = app.add_subcommand(
      "serve", "Run the gateway (OpenAI image API) in front of model servers");
  sub->add_option("-c,--config", opts->config, "Config file (zimon.yaml)")
      ->type_name("FILE");
  sub->add_option("--listen", opts->listen,
                  "Address to serve on, overrides server.listen "
                  "(default 0.0.0.0:8080; port 0 picks a free port)")
      ->type_name("HOST:PORT");
  sub->add_option("--backend", opts->backends,
                  "Model server base URL, optionally named (gpu-0=URL); "
                  "repeat for several; added to gateway.backends")
      ->type_name("[NAME=]URL");
  sub->add_option("--adapter", opts->adapter,
                  "API of the --backend servers: openai (vLLM-Omni and other "
                  "OpenAI-compatible servers), sdcpp, comfyui")
      ->check(CLI::IsMember({"openai", "sdcpp", "comfyui"}))
      ->capture_default_str();
  sub->add_option("--access-log", opts->access_log,
                  "Where JSON access-log lines go: - (stdout), a file, or "
                  "'' for none")
      ->capture_default_str();
  sub->footer(
      "Routes: POST /v1/images/generations, GET /images/<id>.png, "
      "POST|GET /v1/feedback, GET /v1/backends, GET /metrics, GET /healthz. "
      "Per-backend concurrency: gateway.max_concurrent or "
      "MAX_CONCURRENT_REQUESTS (default 2). See docs/gateway.md. Stops "
      "gracefully on SIGINT/SIGTERM (a second one, 0.2 s or more after the "
      "first, exits at once); SIGHUP "
      "reopens the --access-log file (log rotation).");
  table.Add(sub, [opts](Context& ctx) { return RunServe(*opts, ctx); });
}

}  // namespace zimon::cli
