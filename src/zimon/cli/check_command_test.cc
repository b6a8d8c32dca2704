#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "zimon/cli/cli.h"
#include "zimon/common/posix_file_system.h"
#include "zimon/testing/in_memory_file_system.h"
#include "zimon/testing/temp_dir.h"

namespace zimon::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result RunCheck(FileSystem& fs, const std::string& path,
                const Environment& env = {}) {
  std::ostringstream out, err;
  Context ctx{out, err, env, fs};
  int code = Run({"check", "--config", path}, ctx);
  return {code, out.str(), err.str()};
}

TEST(CheckCommand, ValidFileOnDiskPrintsOk) {
  testing::TempDir dir;
  const std::string path = dir.Join("zimon.yaml");
  ASSERT_TRUE(LocalFileSystem()
                  .WriteFileAtomic(path, "server:\n  listen: 127.0.0.1:0\n")
                  .ok());
  Result r = RunCheck(LocalFileSystem(), path);
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "OK: " + path + "\n");
  EXPECT_EQ(r.err, "");
}

TEST(CheckCommand, InvalidFilePrintsOneLinePerProblem) {
  testing::TempDir dir;
  const std::string path = dir.Join("bad.yaml");
  ASSERT_TRUE(LocalFileSystem()
                  .WriteFileAtomic(path,
                                   "server:\n"
                                   "  max_body_bytes: lots\n"
                                   "  idle_timout: 5s\n"
                                   "agent:\n"
                                   "  gpu_interval: 100ms\n")
                  .ok());
  Result r = RunCheck(LocalFileSystem(), path);
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(
      r.err,
      path +
          ":2: server.max_body_bytes: expected a size like 8MiB, got "
          "\"lots\"\n" +
          path +
          ":3: server.idle_timout: unknown key (did you mean "
          "\"idle_timeout\"?)\n" +
          path +
          ":5: agent.gpu_interval: must be between 1s and 1h, got 100ms\n");
}

TEST(CheckCommand, MissingFileIsFailureWithPath) {
  testing::TempDir dir;
  const std::string path = dir.Join("absent.yaml");
  Result r = RunCheck(LocalFileSystem(), path);
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_EQ(r.err, path + ": No such file or directory\n");
}

TEST(CheckCommand, EnvironmentOverridesAreValidatedToo) {
  testing::InMemoryFileSystem fs;
  ASSERT_TRUE(fs.WriteFileAtomic("zimon.yaml", "").ok());
  Result r = RunCheck(fs, "zimon.yaml", {{"MAX_CONCURRENT_REQUESTS", "many"}});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_EQ(r.err,
            "$MAX_CONCURRENT_REQUESTS: gateway.max_concurrent: expected an "
            "integer, got \"many\"\n");
}

TEST(CheckCommand, BadBackendIsReported) {
  testing::InMemoryFileSystem fs;
  ASSERT_TRUE(fs.WriteFileAtomic("zimon.yaml",
                                 "gateway:\n"
                                 "  backends:\n"
                                 "    - name: gpu0\n"
                                 "      url: https://gpu0:8000\n"
                                 "      adapter: comfyui\n"
                                 "    - name: gpu0\n"
                                 "      url: http://gpu1:8000\n")
                  .ok());
  Result r = RunCheck(fs, "zimon.yaml");
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "zimon.yaml:4: gateway.backends[0].url: https is not supported "
            "yet; use http:// (e.g. a TLS sidecar)\n"
            "zimon.yaml:6: gateway.backends[1].name: duplicate backend name "
            "\"gpu0\"\n");
}

TEST(CheckCommand, MissingConfigOptionIsUsageError) {
  std::ostringstream out, err;
  Environment env;
  testing::InMemoryFileSystem fs;
  Context ctx{out, err, env, fs};
  EXPECT_EQ(cli::Run({"check"}, ctx), kExitUsage);
  EXPECT_NE(err.str().find("zimon check FILE (or --config FILE)"),
            std::string::npos)
      << err.str();
}

// `zimon check FILE`, as promtool and nginx -t users type it.
TEST(CheckCommand, TheFileMayBeGivenWithoutTheFlag) {
  testing::TempDir dir;
  const std::string path = dir.Join("zimon.yaml");
  ASSERT_TRUE(
      LocalFileSystem().WriteFileAtomic(path, "gatway:\n  x: 1\n").ok());
  std::ostringstream out, err;
  Environment env;
  Context ctx{out, err, env, LocalFileSystem()};
  EXPECT_EQ(cli::Run({"check", path}, ctx), kExitFailure);
  EXPECT_NE(err.str().find("gatway: unknown key"), std::string::npos)
      << err.str();
}

TEST(CheckCommand, TheFlagAndAPositionalFileTogetherAreAUsageError) {
  std::ostringstream out, err;
  Environment env;
  testing::InMemoryFileSystem fs;
  Context ctx{out, err, env, fs};
  EXPECT_EQ(cli::Run({"check", "--config", "a.yaml", "b.yaml"}, ctx),
            kExitUsage);
}

// `zimon serve` reads a comfyui backend's workflow template at start; so
// does check, so that "OK" means serve will start.
TEST(CheckCommand, ComfyUiWorkflowTemplatesAreChecked) {
  testing::TempDir dir;
  const std::string path = dir.Join("zimon.yaml");
  const std::string broken = dir.Join("broken.json");
  ASSERT_TRUE(LocalFileSystem().WriteFileAtomic(broken, "{}").ok());
  const std::string missing = dir.Join("missing.json");
  ASSERT_TRUE(
      LocalFileSystem()
          .WriteFileAtomic(path, std::string("gateway:\n  backends:\n") +
                                     "    - {name: a, url: \"http://h:1\", "
                                     "adapter: comfyui, workflow: \"" +
                                     ZIMON_WORKFLOW_TEMPLATE + "\"}\n" +
                                     "    - {name: b, url: \"http://h:2\", "
                                     "adapter: comfyui, workflow: \"" +
                                     missing + "\"}\n" +
                                     "    - {name: c, url: \"http://h:3\", "
                                     "adapter: comfyui, workflow: \"" +
                                     broken + "\"}\n")
          .ok());
  Result r = RunCheck(LocalFileSystem(), path);
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr(path +
                               ": gateway.backends[1].workflow: "
                               "comfyui workflow template " +
                               missing));
  EXPECT_THAT(r.err, HasSubstr(path +
                               ": gateway.backends[2].workflow: "
                               "comfyui workflow template " +
                               broken));
  EXPECT_THAT(r.err, Not(HasSubstr("backends[0]"))) << r.err;
}

TEST(CheckCommand, ShippedExampleConfigIsValid) {
  Result r = RunCheck(LocalFileSystem(), ZIMON_EXAMPLE_CONFIG);
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, std::string("OK: ") + ZIMON_EXAMPLE_CONFIG + "\n");
}

}  // namespace
}  // namespace zimon::cli
