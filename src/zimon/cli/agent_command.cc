// zimon agent: GPU, host and process metrics of this machine on /metrics.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "zimon/cli/commands.h"

namespace zimon::cli {
namespace {

struct AgentOptions {
  std::string config;
  std::string listen;  // overrides agent.listen when set
};

}  // namespace

void RegisterAgentCommand(CLI::App& app, CommandTable& table) {
  auto opts = std::make_shared<AgentOptions>();
  CLI::App* sub = app.add_subcommand(
      "agent", "Export this host's GPU, host and process metrics on /metrics");
  sub->add_option("-c,--config", opts->config, "Config file (zimon.yaml)")
      ->type_name("FILE");
  sub->add_option("--listen", opts->listen,
                  "Address to serve /metrics on, overrides agent.listen "
                  "(default 0.0.0.0:9400)")
      ->type_name("HOST:PORT");
  table.Add(sub, [](Context& ctx) { return NotAvailable(ctx, "agent"); });
}

}  // namespace zimon::cli
