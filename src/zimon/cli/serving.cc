#include "zimon/cli/serving.h"

#include <pthread.h>

#include <cstdlib>
#include <thread>

#include "zimon/cli/cli.h"
#include "zimon/collect/local_collectors.h"
#include "zimon/common/build_info.h"
#include "zimon/common/logging.h"
#include "zimon/common/thread_name.h"
#include "zimon/http/metrics_handler.h"
#include "zimon/http/router.h"
#include "zimon/metrics/registry.h"

namespace zimon::cli {

StatusOr<Config> LoadStartupConfig(const std::string& path, Context& ctx) {
  StatusOr<Config> config = path.empty()
                                ? LoadConfigFromEnvironment(ctx.env)
                                : LoadConfigFile(path, ctx.fs, ctx.env);
  if (config.ok()) log::SetLevel(config->log.level);
  return config;
}

http::ServerOptions MakeServerOptions(const ServerConfig& server,
                                      const HostPort& listen) {
  http::ServerOptions options;
  options.host = listen.host == "0.0.0.0" ? "" : listen.host;
  options.port = listen.port;
  options.io_threads = server.io_threads;
  options.max_header_bytes = server.max_header_bytes;
  options.max_body_bytes = server.max_body_bytes;
  options.header_timeout = server.header_timeout;
  options.idle_timeout = server.idle_timeout;
  return options;
}

ShutdownSignals::ShutdownSignals(bool hangup) {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  if (hangup) sigaddset(&set_, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set_, &previous_);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &previous_pipe_);
}

ShutdownSignals::~ShutdownSignals() {
  sigaction(SIGPIPE, &previous_pipe_, nullptr);
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

int ShutdownSignals::Wait() {
  int signal = 0;
  while (sigwait(&set_, &signal) != 0) {
  }
  return signal;
}

void ShutdownSignals::ExitOnNextSignal(
    std::chrono::milliseconds repeat_window) {
  sigset_t stop_set;
  sigemptyset(&stop_set);
  sigaddset(&stop_set, SIGINT);
  sigaddset(&stop_set, SIGTERM);
  const auto repeats_until = std::chrono::steady_clock::now() + repeat_window;
  // Blocked in this thread already (the constructor's mask), so the new
  // thread inherits it and sigwait receives the next one.
  std::thread([stop_set, repeats_until] {
    SetThreadName("zimon-signals");
    int signal = 0;
    for (;;) {
      if (sigwait(&stop_set, &signal) != 0) continue;
      if (std::chrono::steady_clock::now() >= repeats_until) break;
      log::Info("stop signal repeated at once: the same graceful stop",
                {{"signal", signal}});
    }
    log::Warn(
        "second stop signal: exiting without finishing the graceful "
        "stop",
        {{"signal", signal}});
    std::_Exit(128 + signal);
  }).detach();
}

int ServeLocalMetrics(const Config& config, const HostPort& listen,
                      std::string_view command, Context& ctx,
                      const std::function<void()>& on_serving) {
  std::string prefix = "zimon " + std::string(command) + ": ";
  ShutdownSignals signals;  // before any thread starts
  metrics::Registry registry;
  registry
      .AddGauge("zimon_build_info", "zimon version that is running.",
                {"version"})
      .WithLabels({Version()})
      .Set(1);
  StatusOr<std::unique_ptr<collect::LocalCollectors>> collectors =
      collect::LocalCollectors::Start(config.agent, registry);
  if (!collectors.ok()) {
    ctx.err << prefix << collectors.status().message() << "\n";
    return kExitFailure;
  }
  collect::LocalCollectors& local = **collectors;

  auto router = std::make_shared<http::Router>();
  Status routes =
      router->HandleSync("GET", "/metrics", http::MetricsHandler(registry));
  if (routes.ok()) {
    routes = router->HandleSync("GET", "/healthz", [&local](http::Request&) {
      std::string body =
          std::string("{\"status\":\"ok\",\"collectors\":{\"host\":") +
          (local.host_up() ? "true" : "false") +
          ",\"gpu\":" + (local.gpu_up() ? "true" : "false") + "}}";
      return http::Response::Json(200, std::move(body));
    });
  }
  if (!routes.ok()) {
    ctx.err << prefix << routes.ToString() << "\n";
    return kExitFailure;
  }
  auto server = http::Server::Create(
      MakeServerOptions(config.server, listen),
      [router](http::Request& request) { return (*router)(request); });
  if (!server.ok()) {
    ctx.err << prefix << server.status().message() << "\n";
    return kExitFailure;
  }
  std::string url = "http://" +
                    (listen.host == "0.0.0.0" || listen.host.empty()
                         ? std::string("127.0.0.1")
                         : listen.host) +
                    ":" + std::to_string((*server)->port());
  ctx.out << prefix << "serving " << url << "/metrics and " << url << "/healthz"
          << std::endl;
  log::Info("metrics endpoint listening", {{"url", url}});
  if (on_serving) on_serving();

  int signal = signals.Wait();
  log::Info("shutting down", {{"signal", signal}});
  signals.ExitOnNextSignal();
  (*server)->Shutdown(config.server.shutdown_grace);
  return kExitOk;
}

}  // namespace zimon::cli
