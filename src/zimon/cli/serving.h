// What the long-running commands (agent, serve, sim, demo) share: loading the
// config they start from, server options from it, and waiting for SIGINT or
// SIGTERM (and SIGHUP, for serve).
//
// Thread safety: ShutdownSignals must be created on the main thread before any
// other thread starts (threads inherit its signal mask); the rest is pure.
#ifndef ZIMON_CLI_SERVING_H_
#define ZIMON_CLI_SERVING_H_

#include <chrono>
#include <csignal>
#include <functional>
#include <string>
#include <string_view>

#include "zimon/cli/command.h"
#include "zimon/common/config.h"
#include "zimon/common/status.h"
#include "zimon/http/server.h"

namespace zimon::cli {

// The config file at `path` with environment overrides, or the defaults with
// environment overrides when `path` is empty. Sets the log level from it.
StatusOr<Config> LoadStartupConfig(const std::string& path, Context& ctx);

http::ServerOptions MakeServerOptions(const ServerConfig& server,
                                      const HostPort& listen);

// Runs this host's collectors (agent config) and serves /metrics and /healthz
// on `listen` until SIGINT or SIGTERM; prints the URLs on ctx.out. Returns the
// exit code. `command` names the caller in messages. `on_serving`, when set,
// runs once on this thread after the first readings are taken and the server
// is listening (start-up is over).
int ServeLocalMetrics(const Config& config, const HostPort& listen,
                      std::string_view command, Context& ctx,
                      const std::function<void()>& on_serving = {});

// Blocks SIGINT and SIGTERM in this thread (and the threads it starts) so
// that Wait() receives them instead of the default handler killing the
// process before a graceful shutdown. With `hangup`, SIGHUP too (a command
// that reopens its log files on it).
//
// It also ignores SIGPIPE while it lives: a server whose log reader went
// away (a closed pipe on stdout or stderr) must keep serving; the write
// fails with EPIPE instead, and the access log counts the lines it lost.
// (Sockets never raise it: their sends use MSG_NOSIGNAL.)
class ShutdownSignals {
 public:
  explicit ShutdownSignals(bool hangup = false);
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Waits for SIGINT or SIGTERM (or SIGHUP, when asked for); returns the
  // signal number.
  int Wait();

  // A stop signal this soon after the first is the same stop delivered
  // twice, not a second one: timeout(1), for one, signals the process and
  // then its process group, which holds the process too. A person's second
  // Ctrl-C comes later than this.
  static constexpr std::chrono::milliseconds kRepeatWindow{200};

  // Call once the graceful stop has begun: from then on, another SIGINT or
  // SIGTERM (a second Ctrl-C, an impatient supervisor) ends the process at
  // once with status 128 + signal, after a log line saying so, instead of
  // being ignored until the stop completes (which can take the whole
  // shutdown grace, or longer on a stalled disk). One within
  // `repeat_window` of this call is logged and ignored. SIGHUP is still
  // ignored. Starts a thread that outlives this object.
  void ExitOnNextSignal(
      std::chrono::milliseconds repeat_window = kRepeatWindow);

 private:
  sigset_t set_;
  sigset_t previous_;
  struct sigaction previous_pipe_ {};
};

}  // namespace zimon::cli

#endif  // ZIMON_CLI_SERVING_H_
