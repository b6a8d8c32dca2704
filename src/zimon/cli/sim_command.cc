// zimon sim: a simulated Z-Image-Turbo server (same HTTP APIs, latency, VRAM
// and failure behaviour), always labelled as simulated.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "zimon/cli/commands.h"

namespace zimon::cli {
namespace {

struct SimOptions {
  std::string api = "vllm-omni";
  std::string profile = "default";
  std::string listen = "127.0.0.1:8000";
  uint64_t seed = 1;
};

}  // namespace

void RegisterSimCommand(CLI::App& app, CommandTable& table) {
  auto opts = std::make_shared<SimOptions>();
  CLI::App* sub = app.add_subcommand(
      "sim", "Run a simulated Z-Image-Turbo GPU server (for demos and tests)");
  sub->add_option("--api", opts->api, "HTTP API to speak")
      ->check(CLI::IsMember({"vllm-omni", "sdcpp", "comfyui"}))
      ->capture_default_str();
  sub->add_option("--profile", opts->profile,
                  "Calibration profile: latency, VRAM and failure behaviour")
      ->capture_default_str();
  sub->add_option("--listen", opts->listen, "Address to serve on")
      ->type_name("HOST:PORT")
      ->capture_default_str();
  sub->add_option("--seed", opts->seed, "Random seed, for repeatable runs")
      ->capture_default_str();
  table.Add(sub, [](Context& ctx) { return NotAvailable(ctx, "sim"); });
}

}  // namespace zimon::cli
