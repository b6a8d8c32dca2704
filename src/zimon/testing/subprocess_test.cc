#include "zimon/testing/subprocess.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <fstream>

#include "zimon/testing/temp_dir.h"

namespace zimon::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::unique_ptr<Subprocess> StartShell(const std::string& script,
                                       SubprocessOptions options = {}) {
  options.args = {"-c", script};
  StatusOr<std::unique_ptr<Subprocess>> child =
      Subprocess::Start("/bin/sh", options);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  return child.ok() ? std::move(*child) : nullptr;
}

TEST(Subprocess, ReadsStdoutLinesThenEnd) {
  auto child = StartShell("echo one; printf 'two\\nthree'");
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->ReadLine(seconds(10)).value(), "one");
  EXPECT_EQ(child->ReadLine(seconds(10)).value(), "two");
  EXPECT_EQ(child->ReadLine(seconds(10)).value(), "three");
  EXPECT_EQ(child->ReadLine(seconds(10)).status().code(),
            StatusCode::kOutOfRange);
  StatusOr<ExitStatus> exit = child->Wait(seconds(10));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(exit->success()) << exit->ToString();
}

TEST(Subprocess, ReportsExitCodeAndStderr) {
  auto child = StartShell("echo oops >&2; echo out; exit 3");
  ASSERT_NE(child, nullptr);
  StatusOr<Subprocess::Output> out = child->Finish(seconds(10));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->status.exited);
  EXPECT_EQ(out->status.code, 3);
  EXPECT_EQ(out->status.ToString(), "exit 3");
  EXPECT_EQ(out->out, "out\n");
  EXPECT_EQ(out->err, "oops\n");
}

TEST(Subprocess, ReadLineAndWaitTimeOutWhileChildIsQuiet) {
  auto child = StartShell("exec sleep 30");
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->ReadLine(milliseconds(50)).status().code(),
            StatusCode::kDeadlineExceeded);
  EXPECT_EQ(child->Wait(milliseconds(20)).status().code(),
            StatusCode::kDeadlineExceeded);
}

TEST(Subprocess, StdinIsDevNullByDefault) {
  auto child = StartShell("cat; echo done");
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->ReadLine(seconds(10)).value(), "done");
}

TEST(Subprocess, SignalKillsChildAndWaitReportsIt) {
  auto child = StartShell("exec sleep 30");
  ASSERT_NE(child, nullptr);
  ASSERT_TRUE(child->Signal(SIGTERM).ok());
  StatusOr<ExitStatus> exit = child->Wait(seconds(10));
  ASSERT_TRUE(exit.ok());
  EXPECT_FALSE(exit->exited);
  EXPECT_EQ(exit->signal, SIGTERM);
  EXPECT_EQ(child->Signal(SIGTERM).code(), StatusCode::kFailedPrecondition);
}

TEST(Subprocess, PassesEnvironmentChanges) {
  SubprocessOptions options;
  options.env_set = {{"ZIMON_SUBPROCESS_TEST", "hello"}};
  options.env_unset = {"HOME"};
  auto child =
      StartShell("echo \"$ZIMON_SUBPROCESS_TEST:${HOME-unset}\"", options);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->ReadLine(seconds(10)).value(), "hello:unset");
}

TEST(Subprocess, FeedsStdinFromFile) {
  TempDir dir;
  std::string input = dir.Join("in.txt");
  std::ofstream(input) << "abc\n";
  SubprocessOptions options;
  options.stdin_path = input;
  auto child = StartShell("tr a-z A-Z", options);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->ReadLine(seconds(10)).value(), "ABC");
}

TEST(Subprocess, MissingBinaryIsAnError) {
  TempDir dir;
  StatusOr<std::unique_ptr<Subprocess>> child =
      Subprocess::Start(dir.Join("no-such-binary"), {});
  EXPECT_FALSE(child.ok());
}

TEST(Subprocess, DestructorKillsRunningChild) {
  pid_t pid;
  {
    auto child = StartShell("exec sleep 30");
    ASSERT_NE(child, nullptr);
    pid = child->pid();
  }
  // Killed and reaped by the destructor: no longer our child.
  errno = 0;
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

}  // namespace
}  // namespace zimon::testing
