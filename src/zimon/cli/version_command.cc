// zimon version: the version and how this binary was built.
#include <CLI/CLI.hpp>

#include "zimon/cli/cli.h"
#include "zimon/cli/commands.h"
#include "zimon/common/build_info.h"

namespace zimon::cli {

void RegisterVersionCommand(CLI::App& app, CommandTable& table) {
  CLI::App* sub =
      app.add_subcommand("version", "Print the version and build information");
  table.Add(sub, [](Context& ctx) {
    ctx.out << "zimon " << Version() << "\n"
            << "build: " << BuildInfo() << "\n";
    return kExitOk;
  });
}

}  // namespace zimon::cli
