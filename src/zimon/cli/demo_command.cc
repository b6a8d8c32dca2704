// zimon demo: serve + simulated workers + light background load on one
// machine; prints the dashboard URL.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "zimon/cli/cli.h"
#include "zimon/cli/commands.h"
#include "zimon/cli/serving.h"

namespace zimon::cli {
namespace {

struct DemoOptions {
  std::string listen = "127.0.0.1:8080";
  int workers = 3;
  bool no_load = false;
};

// Until the gateway and the simulated fleet can be started from here, the demo
// runs what exists, this host's collectors on /metrics, and says what is
// missing.
int RunDemo(const DemoOptions& opts, Context& ctx) {
  StatusOr<HostPort> listen = ParseHostPort(opts.listen);
  if (!listen.ok()) {
    ctx.err << "zimon demo: --listen: " << listen.status().message() << "\n";
    return kExitUsage;
  }
  StatusOr<Config> config = LoadStartupConfig("", ctx);
  if (!config.ok()) {
    ctx.err << config.status().message() << "\n";
    return kExitFailure;
  }
  ctx.out
      << "zimon demo: the gateway (zimon serve) and the dashboard are not "
         "built yet; "
         "starting what exists: this host's GPU and host metrics.\n"
         "zimon demo: simulated GPU servers run on their own for now: "
         "`zimon sim --api vllm-omni --listen 127.0.0.1:8000` (see zimon sim "
         "--help). Stop with Ctrl-C.\n";
  return ServeLocalMetrics(*config, *listen, "demo", ctx);
}

}  // namespace

void RegisterDemoCommand(CLI::App& app, CommandTable& table) {
  auto opts = std::make_shared<DemoOptions>();
  CLI::App* sub = app.add_subcommand(
      "demo",
      "Run gateway, simulated workers and background load; print the "
      "dashboard URL");
  sub->add_option("--listen", opts->listen, "Gateway and dashboard address")
      ->type_name("HOST:PORT")
      ->capture_default_str();
  sub->add_option("--workers", opts->workers, "Simulated workers to start")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  sub->add_flag("--no-load", opts->no_load, "Do not generate background load");
  table.Add(sub, [opts](Context& ctx) { return RunDemo(*opts, ctx); });
}

}  // namespace zimon::cli
