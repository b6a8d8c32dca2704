// GatewayRunner: a running `zimon serve` — the gateway's routes, this host's
// collectors and /metrics, /healthz on one HTTP server. `serve` and `demo`
// both start one.
//
//   ZIMON_ASSIGN_OR_RETURN(auto runner, GatewayRunner::Start(config, listen));
//   std::cout << runner->base_url();
//   ... wait for a signal ...
//   runner->Shutdown();
//
// Ownership: owns the registry, collectors, gateway and server.
// Thread safety: Start and Shutdown from one thread (not an I/O thread).
#ifndef ZIMON_CLI_GATEWAY_RUNNER_H_
#define ZIMON_CLI_GATEWAY_RUNNER_H_

#include <memory>
#include <string>

#include "zimon/common/config.h"
#include "zimon/common/status.h"
#include "zimon/common/units.h"

namespace zimon::cli {

class ShutdownSignals;

struct GatewayRunnerOptions {
  Config config;
  HostPort listen;
  std::string access_log = "-";  // see gateway::GatewayOptions
  bool local_collectors = true;  // this host's GPU and host metrics
};

class GatewayRunner {
 public:
  // Errors name what failed (config key, file, address in use); nothing
  // keeps running after an error.
  static StatusOr<std::unique_ptr<GatewayRunner>> Start(
      GatewayRunnerOptions options);
  ~GatewayRunner();
  GatewayRunner(const GatewayRunner&) = delete;
  GatewayRunner& operator=(const GatewayRunner&) = delete;

  // "http://host:port", with 127.0.0.1 for a wildcard listen address.
  std::string base_url() const;
  // See gateway::Gateway::ReopenAccessLog.
  Status ReopenAccessLog();
  // Serves until SIGINT or SIGTERM arrives and returns it. A SIGHUP (log
  // rotation moved the access log away: logrotate's postrotate) reopens the
  // access log and serving goes on; a failed reopen is logged and the old
  // file kept. `signals` must have been made with hangup.
  int WaitForStop(ShutdownSignals& signals);
  // Stops accepting, tells queued requests to leave, lets running ones finish
  // within server.shutdown_grace. Idempotent.
  void Shutdown();

  struct State;

 private:
  explicit GatewayRunner(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace zimon::cli

#endif  // ZIMON_CLI_GATEWAY_RUNNER_H_
