// How subcommands plug into the dispatcher.
//
// Each command lives in its own file, cli/<name>_command.cc, with one
// function
//
//   void RegisterCheckCommand(CLI::App& app, CommandTable& table);
//
// that adds a CLI11 subcommand with its options (their values captured in a
// shared struct) and registers the function to run when that subcommand was
// given. The dispatcher (cli.cc) lists the Register functions in commands.h;
// adding a command is a new file plus one line there.
//
// CLI11 is only included by the .cc files of this module.
//
// Thread safety: single-threaded, used while parsing.
#ifndef ZIMON_CLI_COMMAND_H_
#define ZIMON_CLI_COMMAND_H_

#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "zimon/common/config_node.h"
#include "zimon/common/file_system.h"

namespace CLI {
class App;
}  // namespace CLI

namespace zimon::cli {

// What a running command may use instead of process globals, so commands
// can be tested with an in-memory file system and a made-up environment.
struct Context {
  std::ostream& out;
  std::ostream& err;
  const Environment& env;
  FileSystem& fs;
};

// The handler of a command: returns the process exit code (see cli.h).
using CommandHandler = std::function<int(Context& ctx)>;

class CommandTable {
 public:
  // handler runs when subcommand (owned by the CLI::App) was parsed.
  void Add(CLI::App* subcommand, CommandHandler handler) {
    entries_.emplace_back(subcommand, std::move(handler));
  }
  const std::vector<std::pair<CLI::App*, CommandHandler>>& entries() const {
    return entries_;
  }

 private:
  std::vector<std::pair<CLI::App*, CommandHandler>> entries_;
};

// Prints "zimon <name>: not available in this build yet" to ctx.err and
// returns kExitUsage: the handler of commands that are registered (so their
// help shows) but not built yet.
int NotAvailable(Context& ctx, const std::string& name);

}  // namespace zimon::cli

#endif  // ZIMON_CLI_COMMAND_H_
