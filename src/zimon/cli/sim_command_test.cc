// `zimon sim`: flag errors in process; a real process for serving, signals
// and the crash fault.
#include <gtest/gtest.h>

#include <csignal>
#include <sstream>

#include "zimon/cli/cli.h"
#include "zimon/cli/cli_test_util.h"
#include "zimon/http/client.h"
#include "zimon/testing/subprocess.h"

namespace zimon::cli {
namespace {

using Result = RunResult;

TEST(SimCommand, BadApiIsAUsageError) {
  Result r = RunArgs({"sim", "--api", "triton", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("zimon sim: --api: unknown API \"triton\""),
            std::string::npos)
      << r.err;
}

TEST(SimCommand, BadProfileIsAUsageError) {
  Result r = RunArgs({"sim", "--profile", "gtx480", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("zimon sim: --profile:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("h100"), std::string::npos) << r.err;  // lists names
}

TEST(SimCommand, BadListenVramAndFaultsAreUsageErrors) {
  EXPECT_EQ(RunArgs({"sim", "--listen", "nowhere"}).code, kExitUsage);
  Result vram = RunArgs({"sim", "--vram", "lots", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(vram.code, kExitUsage);
  EXPECT_NE(vram.err.find("--vram"), std::string::npos);
  Result rate =
      RunArgs({"sim", "--error-rate", "2", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(rate.code, kExitUsage);
  EXPECT_NE(rate.err.find("error_rate"), std::string::npos) << rate.err;
  Result batch =
      RunArgs({"sim", "--max-batch", "0", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(batch.code, kExitUsage);
}

#ifdef ZIMON_BINARY
// Starts `zimon sim` and returns its URL (from the first stdout line).
std::string StartSim(std::unique_ptr<testing::Subprocess>& child,
                     std::vector<std::string> extra) {
  testing::SubprocessOptions opt;
  opt.args = {"sim",  "--listen", "127.0.0.1:0", "--profile",
              "h100", "--api",    "vllm-omni",   "--no-preload"};
  opt.args.insert(opt.args.end(), extra.begin(), extra.end());
  auto started = testing::Subprocess::Start(ZIMON_BINARY, opt);
  EXPECT_TRUE(started.ok()) << started.status().ToString();
  if (!started.ok()) return "";
  child = std::move(*started);
  StatusOr<std::string> line = child->ReadLine(std::chrono::seconds(20));
  EXPECT_TRUE(line.ok()) << child->StderrSoFar();
  if (!line.ok()) return "";
  size_t at = line->find("http://");
  EXPECT_NE(at, std::string::npos) << *line;
  EXPECT_NE(line->find("(simulated)"), std::string::npos) << *line;
  return line->substr(at, line->find(' ', at) - at);
}

TEST(SimCommand, ServesUntilSigterm) {
  std::unique_ptr<testing::Subprocess> child;
  std::string url = StartSim(child, {});
  ASSERT_FALSE(url.empty());
  auto health = http::Fetch(url + "/health");
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 200);
  EXPECT_NE(health->body.find("\"simulated\":true"), std::string::npos);
  ASSERT_TRUE(child->Signal(SIGTERM).ok());
  auto exit = child->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(exit->success()) << exit->ToString();
}

TEST(SimCommand, CrashFaultExitsWithStatus70) {
  std::unique_ptr<testing::Subprocess> child;
  std::string url = StartSim(child, {});
  ASSERT_FALSE(url.empty());
  http::ClientRequest req("POST", url + "/sim/faults", R"({"crash_now":true})");
  (void)http::Fetch(req);  // the process may die before it answers
  auto exit = child->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(exit->exited);
  EXPECT_EQ(exit->code, 70);
  EXPECT_NE(child->StderrSoFar().find("crashed"), std::string::npos);
}
#endif  // ZIMON_BINARY

}  // namespace
}  // namespace zimon::cli
