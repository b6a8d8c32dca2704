// zimon check: validates a config file the way `zimon serve` would load it
// (environment overrides included), printing every problem.
#include <CLI/CLI.hpp>
#include <memory>
#include <string_view>

#include "zimon/cli/cli.h"
#include "zimon/cli/commands.h"
#include "zimon/common/config.h"

namespace zimon::cli {
namespace {

struct CheckOptions {
  std::string config;
};

int RunCheck(const CheckOptions& opts, Context& ctx) {
  StatusOr<Config> config = LoadConfigFile(opts.config, ctx.fs, ctx.env);
  if (config.ok()) {
    ctx.out << "OK: " << opts.config << "\n";
    return kExitOk;
  }
  // The loader's message is one problem per line already.
  ctx.err << config.status().message() << "\n";
  return kExitFailure;
}

}  // namespace

void RegisterCheckCommand(CLI::App& app, CommandTable& table) {
  auto opts = std::make_shared<CheckOptions>();
  CLI::App* sub = app.add_subcommand(
      "check", "Validate a config file and print one line per problem");
  sub->add_option("-c,--config", opts->config,
                  "Config file to validate (environment overrides apply)")
      ->required()
      ->type_name("FILE");
  sub->footer(
      "Exit status: 0 valid (prints \"OK: FILE\"), 1 invalid (problems on "
      "stderr as FILE:LINE: KEY: PROBLEM), 2 usage error.");
  table.Add(sub, [opts](Context& ctx) { return RunCheck(*opts, ctx); });
}

}  // namespace zimon::cli
