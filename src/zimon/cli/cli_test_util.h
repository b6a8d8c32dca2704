// Runs the CLI in-process for tests, with an empty environment and an
// in-memory file system, and captures what it prints.
#ifndef ZIMON_CLI_CLI_TEST_UTIL_H_
#define ZIMON_CLI_CLI_TEST_UTIL_H_

#include <sstream>
#include <string>
#include <vector>

#include "zimon/cli/cli.h"
#include "zimon/testing/in_memory_file_system.h"

namespace zimon::cli {

struct RunResult {
  int code;
  std::string out;
  std::string err;
};

inline RunResult RunArgs(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  Environment env;
  testing::InMemoryFileSystem fs;
  Context ctx{out, err, env, fs};
  int code = Run(args, ctx);
  return {code, out.str(), err.str()};
}

}  // namespace zimon::cli

#endif  // ZIMON_CLI_CLI_TEST_UTIL_H_
