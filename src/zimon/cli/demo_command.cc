// zimon demo: serve + simulated workers + light background load on one
// machine; prints the dashboard URL.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "zimon/cli/commands.h"

namespace zimon::cli {
namespace {

struct DemoOptions {
  std::string listen = "127.0.0.1:8080";
  int workers = 3;
  bool no_load = false;
};

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
  table.Add(sub, [](Context& ctx) { return NotAvailable(ctx, "demo"); });
}

}  // namespace zimon::cli
