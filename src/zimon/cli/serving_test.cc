#include "zimon/cli/serving.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace zimon::cli {
namespace {

// The current disposition of `signal`.
void (*Disposition(int signal))(int) {
  struct sigaction current {};
  sigaction(signal, nullptr, &current);
  return current.sa_handler;
}

TEST(ShutdownSignals, WaitReturnsTheSignalThatCame) {
  ShutdownSignals signals;
  ASSERT_EQ(raise(SIGTERM), 0);  // blocked: pending until Wait()
  EXPECT_EQ(signals.Wait(), SIGTERM);
}

TEST(ShutdownSignals, HangupIsWaitedForOnlyWhenAskedFor) {
  ShutdownSignals signals(/*hangup=*/true);
  ASSERT_EQ(raise(SIGHUP), 0);
  EXPECT_EQ(signals.Wait(), SIGHUP);
}

// A closed log reader must not kill a server: the write fails instead.
TEST(ShutdownSignals, AWriteToAClosedPipeFailsInsteadOfKilling) {
  const auto before = Disposition(SIGPIPE);
  {
    ShutdownSignals signals;
    EXPECT_EQ(Disposition(SIGPIPE), SIG_IGN);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    close(fds[0]);
    errno = 0;
    EXPECT_EQ(write(fds[1], "x", 1), -1);
    EXPECT_EQ(errno, EPIPE);
    close(fds[1]);
  }
  EXPECT_EQ(Disposition(SIGPIPE), before);
}

}  // namespace
}  // namespace zimon::cli
