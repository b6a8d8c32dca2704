// zimon export: Grafana dashboards, Prometheus rules and scrape config,
// Kubernetes/KEDA manifests and systemd units.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "zimon/cli/commands.h"

namespace zimon::cli {
namespace {

struct ExportOptions {
  std::string what = "all";
  std::string output = ".";
  std::string config;
};

}  // namespace

void RegisterExportCommand(CLI::App& app, CommandTable& table) {
  auto opts = std::make_shared<ExportOptions>();
  CLI::App* sub = app.add_subcommand(
      "export",
      "Write Grafana dashboards, Prometheus rules, Kubernetes and systemd "
      "files");
  sub->add_option("what", opts->what, "What to export")
      ->check(CLI::IsMember(
          {"all", "grafana", "prometheus", "kubernetes", "systemd"}))
      ->capture_default_str();
  sub->add_option("-o,--output", opts->output, "Directory to write into")
      ->type_name("DIR")
      ->capture_default_str();
  sub->add_option("-c,--config", opts->config,
                  "Config file whose settings the exported files follow")
      ->type_name("FILE");
  table.Add(sub, [](Context& ctx) { return NotAvailable(ctx, "export"); });
}

}  // namespace zimon::cli
