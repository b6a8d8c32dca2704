#include "zimon/cli/serving.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>

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

// After the first stop signal, the next one ends the process at once.
TEST(ShutdownSignalsDeathTest, ASecondStopSignalExits) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ShutdownSignals signals(/*hangup=*/true);
        ASSERT_EQ(kill(getpid(), SIGINT), 0);
        if (signals.Wait() != SIGINT) std::_Exit(1);
        signals.ExitOnNextSignal(std::chrono::milliseconds(0));
        ASSERT_EQ(kill(getpid(), SIGHUP), 0);  // still not a way out
        ASSERT_EQ(kill(getpid(), SIGTERM), 0);
        sleep(10);  // the graceful stop, taking its time
        std::_Exit(2);
      },
      ::testing::ExitedWithCode(128 + SIGTERM), "second stop signal");
}

// The same stop delivered twice at once (timeout(1) signals the process and
// its process group) leaves the graceful stop running.
TEST(ShutdownSignalsDeathTest, ARepeatAtOnceIsTheSameStop) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ShutdownSignals signals;
        ASSERT_EQ(kill(getpid(), SIGTERM), 0);
        if (signals.Wait() != SIGTERM) std::_Exit(1);
        signals.ExitOnNextSignal(std::chrono::seconds(30));
        ASSERT_EQ(kill(getpid(), SIGTERM), 0);
        sleep(1);       // time for the signal thread to act on it
        std::_Exit(3);  // the graceful stop's own end
      },
      ::testing::ExitedWithCode(3), "stop signal repeated at once");
}

// Past the window, a repeat is a second stop again.
TEST(ShutdownSignalsDeathTest, ASignalAfterTheRepeatWindowExits) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ShutdownSignals signals;
        ASSERT_EQ(kill(getpid(), SIGINT), 0);
        if (signals.Wait() != SIGINT) std::_Exit(1);
        signals.ExitOnNextSignal(std::chrono::seconds(1));
        ASSERT_EQ(kill(getpid(), SIGINT), 0);  // within the window: ignored
        usleep(1500 * 1000);
        ASSERT_EQ(kill(getpid(), SIGINT), 0);
        sleep(10);
        std::_Exit(2);
      },
      ::testing::ExitedWithCode(128 + SIGINT),
      "repeated at once.*second stop signal");
}

}  // namespace
}  // namespace zimon::cli
