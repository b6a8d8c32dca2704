// zimon bench: load generator and capacity finder.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "zimon/cli/commands.h"

namespace zimon::cli {
namespace {

struct BenchOptions {
  std::string target = "http://127.0.0.1:8080";
  std::string mode = "closed";
  int concurrency = 8;
  double rate = 1.0;
  std::string duration = "1m";
  std::string size = "512x512";
  bool find_capacity = false;
  std::string output;
};

}  // namespace

void RegisterBenchCommand(CLI::App& app, CommandTable& table) {
  auto opts = std::make_shared<BenchOptions>();
  CLI::App* sub = app.add_subcommand(
      "bench", "Generate load against a gateway or server and find capacity");
  sub->add_option("--target", opts->target, "Base URL of the image API")
      ->type_name("URL")
      ->capture_default_str();
  sub->add_option("--mode", opts->mode,
                  "closed: fixed concurrency; open: fixed arrival rate")
      ->check(CLI::IsMember({"closed", "open"}))
      ->capture_default_str();
  sub->add_option("--concurrency", opts->concurrency,
                  "Requests in flight (closed loop)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  sub->add_option("--rate", opts->rate, "Requests per second (open loop)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--duration", opts->duration, "How long to run, e.g. 1m30s")
      ->capture_default_str();
  sub->add_option("--size", opts->size, "Image size, WIDTHxHEIGHT")
      ->capture_default_str();
  sub->add_flag("--find-capacity", opts->find_capacity,
                "Step the load up to find the highest rate within the SLO");
  sub->add_option("-o,--output", opts->output, "Write results as JSON here")
      ->type_name("FILE");
  table.Add(sub, [](Context& ctx) { return NotAvailable(ctx, "bench"); });
}

}  // namespace zimon::cli
