#include "zimon/cli/cli.h"

#include <gtest/gtest.h>

#include <sstream>

#include "zimon/cli/cli_test_util.h"
#include "zimon/common/build_info.h"

namespace zimon::cli {
namespace {

using Result = RunResult;

const char* const kCommands[] = {"serve",  "agent",  "sim",   "demo",   "bench",
                                 "report", "export", "check", "version"};

TEST(Cli, HelpListsEveryCommandWithDescription) {
  Result r = RunArgs({"--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.err, "");
  for (const char* cmd : kCommands) {
    EXPECT_NE(r.out.find(std::string("  ") + cmd + " "), std::string::npos)
        << cmd << " missing from:\n"
        << r.out;
  }
  EXPECT_NE(r.out.find("Validate a config file"), std::string::npos);
  EXPECT_NE(r.out.find("simulated Z-Image-Turbo"), std::string::npos);
}

TEST(Cli, HelpWordPrintsHelpToo) {
  Result r = RunArgs({"help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_NE(r.out.find("version"), std::string::npos);
}

TEST(Cli, EachCommandHasHelpWithItsOptions) {
  struct Case {
    const char* cmd;
    std::vector<const char*> options;
  } cases[] = {
      {"serve", {"--config", "--listen", "--backend"}},
      {"agent", {"--listen", "--config"}},
      {"sim", {"--api", "--profile", "--listen", "--seed"}},
      {"demo", {"--listen", "--workers", "--no-load"}},
      {"bench",
       {"--target", "--mode", "--concurrency", "--rate", "--duration"}},
      {"report", {"--source", "--range", "--format", "--output"}},
      {"export", {"--output", "--config"}},
      {"check", {"--config"}},
      {"version", {}},
  };
  for (const Case& c : cases) {
    Result r = RunArgs({c.cmd, "--help"});
    EXPECT_EQ(r.code, kExitOk) << c.cmd;
    for (const char* opt : c.options) {
      EXPECT_NE(r.out.find(opt), std::string::npos)
          << c.cmd << " help lacks " << opt << ":\n"
          << r.out;
    }
  }
}

TEST(Cli, VersionPrintsVersionAndBuild) {
  Result r = RunArgs({"version"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "zimon " + std::string(Version()) +
                       "\nbuild: " + BuildInfo() + "\n");
  Result flag = RunArgs({"--version"});
  EXPECT_EQ(flag.code, kExitOk);
  EXPECT_EQ(flag.out, std::string(Version()) + "\n");
}

TEST(Cli, UnknownCommandIsUsageError) {
  Result r = RunArgs({"frobnicate"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "zimon: unknown command \"frobnicate\" (commands: serve, agent, "
            "sim, demo, bench, report, export, check, version)\n"
            "Run 'zimon --help' for usage.\n");
}

TEST(Cli, NoCommandIsUsageError) {
  Result r = RunArgs({});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("zimon: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Run 'zimon --help' for usage."), std::string::npos);
}

TEST(Cli, UnknownOptionIsUsageError) {
  Result r = RunArgs({"version", "--bogus"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
}

TEST(Cli, BadOptionValueIsUsageError) {
  Result r = RunArgs({"sim", "--api", "tensorflow"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("tensorflow"), std::string::npos) << r.err;
}

TEST(Cli, CommandsNotBuiltYetSaySoAndExitTwo) {
  for (const char* cmd : {"bench", "report", "export"}) {
    Result r = RunArgs({cmd});
    EXPECT_EQ(r.code, kExitUsage) << cmd;
    EXPECT_EQ(r.err, std::string("zimon ") + cmd +
                         ": not available in this build yet\n");
    EXPECT_EQ(r.out, "");
  }
}

TEST(Cli, ServeWithoutBackendsSaysHowToListThem) {
  Result r = RunArgs({"serve", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("no backends"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--backend"), std::string::npos) << r.err;
}

TEST(Cli, ServeRejectsABadBackendFlag) {
  Result https = RunArgs({"serve", "--backend", "https://10.0.0.1:8000"});
  EXPECT_EQ(https.code, kExitUsage);
  EXPECT_NE(https.err.find("https is not supported"), std::string::npos)
      << https.err;
  Result twice = RunArgs({"serve", "--backend", "a=http://127.0.0.1:1",
                          "--backend", "a=http://127.0.0.1:2"});
  EXPECT_EQ(twice.code, kExitUsage);
  EXPECT_NE(twice.err.find("\"a\""), std::string::npos) << twice.err;
  Result adapter =
      RunArgs({"serve", "--backend", "http://127.0.0.1:1", "--adapter", "x"});
  EXPECT_EQ(adapter.code, kExitUsage);
}

TEST(Cli, ArgcArgvEntryPoint) {
  std::ostringstream out, err;
  char prog[] = "zimon";
  char cmd[] = "version";
  char* argv[] = {prog, cmd, nullptr};
  EXPECT_EQ(cli::Run(2, argv, out, err), kExitOk);
  EXPECT_EQ(out.str().rfind("zimon ", 0), 0u);
}

}  // namespace
}  // namespace zimon::cli
