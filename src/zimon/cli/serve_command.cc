// zimon serve: the gateway (OpenAI-compatible image API in front of the model
// servers) plus, by default, the embedded monitor.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "zimon/cli/commands.h"

namespace zimon::cli {
namespace {

struct ServeOptions {
  std::string config;
  std::string listen;                 // overrides server.listen when set
  std::vector<std::string> backends;  // model server URLs
};

}  // namespace

void RegisterServeCommand(CLI::App& app, CommandTable& table) {
  auto opts = std::make_shared<ServeOptions>();
  CLI::App* sub = app.add_subcommand(
      "serve",
      "Run the gateway in front of model servers, with the embedded monitor");
  sub->add_option("-c,--config", opts->config, "Config file (zimon.yaml)")
      ->type_name("FILE");
  sub->add_option("--listen", opts->listen,
                  "Address to serve on, overrides server.listen")
      ->type_name("HOST:PORT");
  sub->add_option("--backend", opts->backends,
                  "Model server base URL; repeat for several")
      ->type_name("URL");
  table.Add(sub, [](Context& ctx) { return NotAvailable(ctx, "serve"); });
}

}  // namespace zimon::cli
