// zimon report: performance analysis report from stored metrics.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "zimon/cli/commands.h"

namespace zimon::cli {
namespace {

struct ReportOptions {
  std::string config;
  std::string source;  // data directory or Prometheus URL
  std::string range = "24h";
  std::string format = "html";
  std::string output;
};

}  // namespace

void RegisterReportCommand(CLI::App& app, CommandTable& table) {
  auto opts = std::make_shared<ReportOptions>();
  CLI::App* sub = app.add_subcommand(
      "report", "Write a performance analysis report from stored metrics");
  sub->add_option("-c,--config", opts->config, "Config file (zimon.yaml)")
      ->type_name("FILE");
  sub->add_option("--source", opts->source,
                  "Metrics store directory, or a Prometheus base URL")
      ->type_name("DIR|URL");
  sub->add_option("--range", opts->range, "Time range to analyse, e.g. 24h")
      ->capture_default_str();
  sub->add_option("--format", opts->format, "Report format")
      ->check(CLI::IsMember({"html", "json"}))
      ->capture_default_str();
  sub->add_option("-o,--output", opts->output,
                  "Output file (default: standard output)")
      ->type_name("FILE");
  table.Add(sub, [](Context& ctx) { return NotAvailable(ctx, "report"); });
}

}  // namespace zimon::cli
