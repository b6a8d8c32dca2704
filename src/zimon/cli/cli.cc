#include "zimon/cli/cli.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "zimon/cli/commands.h"
#include "zimon/common/build_info.h"
#include "zimon/common/posix_file_system.h"

namespace zimon::cli {
namespace {

constexpr char kUsageHint[] = "Run 'zimon --help' for usage.\n";

void RegisterAll(CLI::App& app, CommandTable& table) {
  RegisterServeCommand(app, table);
  RegisterAgentCommand(app, table);
  RegisterSimCommand(app, table);
  RegisterDemoCommand(app, table);
  RegisterBenchCommand(app, table);
  RegisterReportCommand(app, table);
  RegisterExportCommand(app, table);
  RegisterCheckCommand(app, table);
  RegisterVersionCommand(app, table);
}

}  // namespace

int NotAvailable(Context& ctx, const std::string& name) {
  ctx.err << "zimon " << name << ": not available in this build yet\n";
  return kExitUsage;
}

int Run(const std::vector<std::string>& args, Context& ctx) {
  CLI::App app(
      "zimon fronts, monitors and scales fleets of Z-Image-Turbo "
      "image-generation servers.",
      "zimon");
  app.set_version_flag("--version", std::string(Version()));
  app.require_subcommand(1);
  app.failure_message([](const CLI::App* a, const CLI::Error& e) {
    std::string cmd = "zimon";
    for (const CLI::App* sub : a->get_subcommands())
      cmd += " " + sub->get_name();
    return cmd + ": " + e.what() + "\nRun '" + cmd + " --help' for usage.\n";
  });
  CommandTable table;
  RegisterAll(app, table);

  // A clear message for a mistyped command, rather than CLI11's "arguments
  // were not expected".
  if (!args.empty() && !args[0].empty() && args[0][0] != '-') {
    bool known = false;
    std::string names;
    for (const auto& [sub, handler] : table.entries()) {
      known = known || sub->get_name() == args[0];
      names += names.empty() ? "" : ", ";
      names += sub->get_name();
    }
    if (args[0] == "help") {
      ctx.out << app.help();
      return kExitOk;
    }
    if (!known) {
      ctx.err << "zimon: unknown command \"" << args[0]
              << "\" (commands: " << names << ")\n"
              << kUsageHint;
      return kExitUsage;
    }
  }

  std::vector<const char*> argv = {"zimon"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, ctx.out, ctx.err);
    return code == 0 ? kExitOk : kExitUsage;
  }
  for (const auto& [sub, handler] : table.entries()) {
    if (sub->parsed()) return handler(ctx);
  }
  ctx.err << "zimon: a command is required\n" << kUsageHint;
  return kExitUsage;
}

int Run(int argc, char** argv, std::ostream& out, std::ostream& err) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  Environment env = ProcessEnvironment();
  Context ctx{out, err, env, LocalFileSystem()};
  return Run(args, ctx);
}

}  // namespace zimon::cli
