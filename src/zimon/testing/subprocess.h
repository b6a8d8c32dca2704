// Subprocess: runs a binary for an end-to-end test and talks to it the way a
// shell or systemd would: arguments and environment in, stdout lines and
// stderr text out, signals, and an exit status with a deadline.
//
//   SubprocessOptions options;
//   options.args = {"agent", "--listen", "127.0.0.1:0"};
//   options.env_set = {{"ZIMON_FAKE_NVML_STATE", state_path}};
//   ZIMON_ASSIGN_OR_RETURN(auto child, Subprocess::Start(zimon_path, options));
//   StatusOr<std::string> line = child->ReadLine(std::chrono::seconds(10));
//   child->Signal(SIGTERM);
//   StatusOr<ExitStatus> exit = child->Wait(std::chrono::seconds(10));
//
// The child gets stdin from `stdin_path` (default /dev/null) and its stdout
// and stderr on pipes that two reader threads drain continuously, so a chatty
// child never blocks on a full pipe.
//
// Ownership: owns the child. The destructor kills a child still running
// (SIGKILL) and reaps it, so a failing test leaves no process behind.
// Thread safety: all methods are thread-safe; ReadLine is meant for one
// reader at a time.
#ifndef ZIMON_TESTING_SUBPROCESS_H_
#define ZIMON_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "zimon/common/status.h"

namespace zimon::testing {

struct SubprocessOptions {
  std::vector<std::string> args;  // after argv[0], which is the binary path
  bool inherit_env = true;        // start from this process's environment
  std::map<std::string, std::string> env_set;  // added or replaced
  std::vector<std::string> env_unset;          // removed
  std::string stdin_path = "/dev/null";
};

// How a child ended.
struct ExitStatus {
  bool exited = false;  // exited normally (then `code` is set)
  int code = -1;
  int signal = 0;  // the signal that killed it, when !exited

  bool success() const { return exited && code == 0; }
  // "exit 0", "exit 1", "killed by signal 9".
  std::string ToString() const;
};

class Subprocess {
 public:
  // Spawns `binary` (a path; no PATH search unless it has no '/').
  // Unavailable when the binary cannot be started, with errno's message.
  static StatusOr<std::unique_ptr<Subprocess>> Start(
      const std::string& binary, const SubprocessOptions& options);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // The next complete stdout line, without its '\n'. DeadlineExceeded when
  // no line arrives within `timeout`; OutOfRange once stdout is closed and
  // every line has been read (a last line without '\n' is still returned).
  StatusOr<std::string> ReadLine(std::chrono::milliseconds timeout);

  // Sends `signal` to the child. FailedPrecondition once it has been reaped.
  Status Signal(int signal);

  // Waits up to `timeout` for the child to exit and reaps it; later calls
  // return the same status. DeadlineExceeded when it is still running.
  StatusOr<ExitStatus> Wait(std::chrono::milliseconds timeout);

  // Waits for the child and for both pipes to close, then returns
  // everything it wrote to stdout that ReadLine has not taken, and to stderr.
  // For a child expected to exit on its own (a failing start, a tool).
  struct Output {
    ExitStatus status;
    std::string out;
    std::string err;
  };
  StatusOr<Output> Finish(std::chrono::milliseconds timeout);

  // Everything written to stderr so far.
  std::string StderrSoFar() const;

 private:
  Subprocess(pid_t pid, int out_fd, int err_fd);
  void ReadPipe(int fd, std::string* buffer, bool* closed);

  pid_t pid_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::string out_;  // guarded by mu_: stdout not yet returned by ReadLine
  std::string err_;  // guarded by mu_
  bool out_closed_ = false;
  bool err_closed_ = false;
  std::optional<ExitStatus> exit_;  // guarded by mu_, set once reaped
  std::thread out_reader_;
  std::thread err_reader_;
};

}  // namespace zimon::testing

#endif  // ZIMON_TESTING_SUBPROCESS_H_
