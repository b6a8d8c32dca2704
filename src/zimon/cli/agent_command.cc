// zimon agent: GPU, host and process metrics of this machine on /metrics.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "zimon/cli/cli.h"
#include "zimon/cli/commands.h"
#include "zimon/cli/serving.h"
#include "zimon/collect/code_trim.h"
#include "zimon/common/logging.h"

namespace zimon::cli {
namespace {

constexpr int kAgentIoThreads = 1;  // when server.io_threads is 0 (auto)

struct AgentOptions {
  std::string config;
  std::string listen;        // overrides agent.listen when set
  std::string nvml_library;  // overrides agent.nvml_library when set
  bool trim_code_after_start = true;
  CLI::Option* trim_flag = nullptr;  // given on the command line?
};

// Start-up is over: page out the code that ran only for it (docs/agent.md,
// "Memory"). Failing is harmless; the agent just keeps more resident.
void TrimStartupCode() {
  StatusOr<collect::CodeTrimResult> trimmed = collect::TrimCodePages();
  if (!trimmed.ok()) {
    log::Warn("cannot page out start-up code", {{"error", trimmed.status()}});
    return;
  }
  log::Info("paged out start-up code",
            {{"mappings", trimmed->mappings},
             {"rss_before_bytes", trimmed->rss_before},
             {"rss_after_bytes", trimmed->rss_after}});
}

int RunAgent(const AgentOptions& opts, Context& ctx) {
  StatusOr<Config> config = LoadStartupConfig(opts.config, ctx);
  if (!config.ok()) {
    ctx.err << config.status().message() << "\n";
    return kExitFailure;
  }
  HostPort listen = config->agent.listen;
  if (!opts.listen.empty()) {
    StatusOr<HostPort> parsed = ParseHostPort(opts.listen);
    if (!parsed.ok()) {
      ctx.err << "zimon agent: --listen: " << parsed.status().message() << "\n";
      return kExitUsage;
    }
    listen = *parsed;
  }
  if (!opts.nvml_library.empty())
    config->agent.nvml_library = opts.nvml_library;
  // A scrape copies snapshots, so one I/O thread serves the agent; "one per
  // core" (server.io_threads: 0) would be a hundred idle threads on a large
  // GPU host.
  if (config->server.io_threads == 0)
    config->server.io_threads = kAgentIoThreads;

  // Three threads (main, collectors, I/O) allocate a few kilobytes a scrape;
  // one malloc arena serves them without contention worth measuring, where
  // glibc's default would give each thread its own arena and its own pages.
  mallopt(M_ARENA_MAX, 1);

  bool trim = config->agent.trim_code_after_start;
  if (opts.trim_flag != nullptr && opts.trim_flag->count() > 0) {
    trim = opts.trim_code_after_start;
  }
  if (!trim) return ServeLocalMetrics(*config, listen, "agent", ctx);
  return ServeLocalMetrics(*config, listen, "agent", ctx, TrimStartupCode);
}

}  // namespace

void RegisterAgentCommand(CLI::App& app, CommandTable& table) {
  auto opts = std::make_shared<AgentOptions>();
  CLI::App* sub = app.add_subcommand(
      "agent", "Export this host's GPU, host and process metrics on /metrics");
  sub->add_option("-c,--config", opts->config, "Config file (zimon.yaml)")
      ->type_name("FILE");
  sub->add_option("--listen", opts->listen,
                  "Address to serve /metrics on, overrides agent.listen "
                  "(default 0.0.0.0:9400; port 0 picks a free port)")
      ->type_name("HOST:PORT");
  sub->add_option("--nvml-library", opts->nvml_library,
                  "NVML library to load, overrides agent.nvml_library "
                  "(default libnvidia-ml.so.1)")
      ->type_name("PATH");
  opts->trim_flag =
      sub->add_option("--trim-code-after-start", opts->trim_code_after_start,
                      "Page out start-up code once serving, to keep less "
                      "resident; overrides agent.trim_code_after_start "
                      "(default true)")
          ->type_name("BOOL");
  sub->footer(
      "Serves /metrics (Prometheus text 0.0.4 or OpenMetrics, by Accept "
      "header) and "
      "/healthz. GPU metrics come from NVML (agent.nvml_library); without a "
      "GPU or "
      "driver the agent keeps serving host metrics and reports "
      "zimon_collector_up{collector=\"gpu\"} 0. Stops gracefully on "
      "SIGINT/SIGTERM; a second one, 0.2 s or more after the first, exits "
      "at once.");
  table.Add(sub, [opts](Context& ctx) { return RunAgent(*opts, ctx); });
}

}  // namespace zimon::cli
