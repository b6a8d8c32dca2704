// zimon check: validates a config file the way `zimon serve` would load it
// (environment overrides included, and the ComfyUI workflow templates it
// names), printing every problem.
#include <CLI/CLI.hpp>
#include <memory>
#include <string_view>
#include <vector>

#include "zimon/cli/cli.h"
#include "zimon/cli/commands.h"
#include "zimon/common/config.h"
#include "zimon/gateway/comfyui_workflow_template.h"

namespace zimon::cli {
namespace {

struct CheckOptions {
  std::string config;
};

int RunCheck(const CheckOptions& opts, Context& ctx) {
  if (opts.config.empty()) {
    ctx.err << "zimon check: a config file is required: zimon check FILE "
               "(or --config FILE)\n"
               "Run 'zimon check --help' for usage.\n";
    return kExitUsage;
  }
  StatusOr<Config> config = LoadConfigFile(opts.config, ctx.fs, ctx.env);
  if (!config.ok()) {
    // The loader's message is one problem per line already.
    ctx.err << config.status().message() << "\n";
    return kExitFailure;
  }
  // What `zimon serve` reads besides the config: ComfyUI workflow templates.
  bool ok = true;
  const std::vector<BackendConfig>& backends = config->gateway.backends;
  for (size_t i = 0; i < backends.size(); ++i) {
    if (backends[i].adapter != "comfyui") continue;
    StatusOr<gateway::ComfyWorkflowTemplate> workflow =
        gateway::ComfyWorkflowTemplate::Load(backends[i].workflow, ctx.fs);
    if (!workflow.ok()) {
      ctx.err << opts.config << ": gateway.backends[" << i
              << "].workflow: " << workflow.status().message() << "\n";
      ok = false;
    }
  }
  if (!ok) return kExitFailure;
  ctx.out << "OK: " << opts.config << "\n";
  return kExitOk;
}

}  // namespace

void RegisterCheckCommand(CLI::App& app, CommandTable& table) {
  auto opts = std::make_shared<CheckOptions>();
  CLI::App* sub = app.add_subcommand(
      "check", "Validate a config file and print one line per problem");
  CLI::Option* flag =
      sub->add_option("-c,--config", opts->config,
                      "Config file to validate (environment overrides apply)")
          ->type_name("FILE");
  sub->add_option("file", opts->config, "The config file, as --config")
      ->type_name("FILE")
      ->excludes(flag);
  sub->footer(
      "zimon check FILE and zimon check --config FILE are the same. Exit "
      "status: 0 valid (prints \"OK: FILE\"), 1 invalid (problems on "
      "stderr as FILE:LINE: KEY: PROBLEM), 2 usage error.");
  table.Add(sub, [opts](Context& ctx) { return RunCheck(*opts, ctx); });
}

}  // namespace zimon::cli
