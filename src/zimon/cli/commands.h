// The Register functions of all subcommands, one per cli/<name>_command.cc,
// in the order `zimon --help` lists them.
#ifndef ZIMON_CLI_COMMANDS_H_
#define ZIMON_CLI_COMMANDS_H_

#include "zimon/cli/command.h"

namespace zimon::cli {

void RegisterServeCommand(CLI::App& app, CommandTable& table);
void RegisterAgentCommand(CLI::App& app, CommandTable& table);
void RegisterSimCommand(CLI::App& app, CommandTable& table);
void RegisterDemoCommand(CLI::App& app, CommandTable& table);
void RegisterBenchCommand(CLI::App& app, CommandTable& table);
void RegisterReportCommand(CLI::App& app, CommandTable& table);
void RegisterExportCommand(CLI::App& app, CommandTable& table);
void RegisterCheckCommand(CLI::App& app, CommandTable& table);
void RegisterVersionCommand(CLI::App& app, CommandTable& table);

}  // namespace zimon::cli

#endif  // ZIMON_CLI_COMMANDS_H_
