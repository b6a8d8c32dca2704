// The `zimon` command line: parses arguments and runs one subcommand.
//
//   int main(int argc, char** argv) {
//     return zimon::cli::Run(argc, argv, std::cout, std::cerr);
//   }
//
// Exit codes: 0 success (and --help), 1 the command ran and failed (e.g. an
// invalid config for `check`), 2 usage error (unknown command or option, bad
// option value) or a command not available in this build.
//
// Thread safety: Run() is meant for the main thread; it does not touch global
// state other than what the command itself does.
#ifndef ZIMON_CLI_CLI_H_
#define ZIMON_CLI_CLI_H_

#include <ostream>
#include <string>
#include <vector>

#include "zimon/cli/command.h"

namespace zimon::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// argv[0] is the program name and is ignored. Uses the process environment
// and the local file system.
int Run(int argc, char** argv, std::ostream& out, std::ostream& err);

// args without the program name; environment and file system from ctx.
int Run(const std::vector<std::string>& args, Context& ctx);

}  // namespace zimon::cli

#endif  // ZIMON_CLI_CLI_H_
