#include "zimon/cli/gateway_runner.h"

#include "zimon/cli/serving.h"
#include "zimon/collect/local_collectors.h"
#include "zimon/common/build_info.h"
#include "zimon/common/logging.h"
#include "zimon/gateway/gateway.h"
#include "zimon/gateway/image_api.h"
#include "zimon/http/metrics_handler.h"
#include "zimon/http/router.h"
#include "zimon/http/server.h"
#include "zimon/metrics/registry.h"

namespace zimon::cli {

struct GatewayRunner::State {
  Config config;
  // Declaration order is destruction order in reverse: the server goes after
  // the gateway (whose HTTP client lives on the server's io_context), the
  // registry last.
  metrics::Registry registry;
  std::unique_ptr<collect::LocalCollectors> collectors;
  std::unique_ptr<gateway::Gateway> gateway;
  std::unique_ptr<http::Server> server;
  std::string base_url;
  std::string access_log;
  bool stopped = false;

  ~State() {
    if (!stopped && server) {
      server->BeginShutdown();
      if (gateway) gateway->Stop();
      server->Shutdown(config.server.shutdown_grace);
    }
    gateway.reset();  // before the server's io_context goes
    server.reset();
  }
};

GatewayRunner::GatewayRunner(std::unique_ptr<State> state)
    : state_(std::move(state)) {}
GatewayRunner::~GatewayRunner() = default;

StatusOr<std::unique_ptr<GatewayRunner>> GatewayRunner::Start(
    GatewayRunnerOptions options) {
  auto state = std::make_unique<State>();
  state->config = std::move(options.config);
  const Config& config = state->config;
  state->registry
      .AddGauge("zimon_build_info", "zimon version that is running.",
                {"version"})
      .WithLabels({Version()})
      .Set(1);
  if (options.local_collectors) {
    ZIMON_ASSIGN_OR_RETURN(
        state->collectors,
        collect::LocalCollectors::Start(config.agent, state->registry));
  }
  gateway::GatewayOptions gateway_options;
  gateway_options.config = config.gateway;
  gateway_options.access_log = options.access_log;
  state->access_log = options.access_log;
  ZIMON_ASSIGN_OR_RETURN(
      state->gateway,
      gateway::Gateway::Create(std::move(gateway_options), state->registry));

  // Errors the HTTP server and the router answer themselves speak the image
  // API's format too.
  auto api_error = [max_body = config.server.max_body_bytes,
                    max_header = config.server.max_header_bytes](
                       int http_status, const Status& status) {
    return http::Response::Json(
        http_status, gateway::ErrorJson(gateway::ServerError(
                         http_status, status, max_body, max_header)));
  };
  auto router = std::make_shared<http::Router>();
  router->SetErrorResponse(api_error);
  ZIMON_RETURN_IF_ERROR(state->gateway->AddRoutes(*router));
  ZIMON_RETURN_IF_ERROR(router->HandleSync(
      "GET", "/metrics", http::MetricsHandler(state->registry)));
  gateway::Gateway* gw = state->gateway.get();
  ZIMON_RETURN_IF_ERROR(
      router->HandleSync("GET", "/healthz", [gw](http::Request&) {
        int up = 0;
        std::vector<gateway::BackendView> backends = gw->Backends();
        for (const gateway::BackendView& b : backends) {
          if (b.healthy && !b.ejected && !b.removed) ++up;
        }
        std::string body =
            "{\"status\":\"" + std::string(up > 0 ? "ok" : "degraded") +
            "\",\"backends_up\":" + std::to_string(up) +
            ",\"backends\":" + std::to_string(backends.size()) + "}";
        return http::Response::Json(up > 0 ? 200 : 503, std::move(body));
      }));

  http::ServerOptions server_options =
      MakeServerOptions(config.server, options.listen);
  server_options.max_body_bytes = config.server.max_body_bytes;
  server_options.error_response = api_error;
  StatusOr<std::unique_ptr<http::Server>> server = http::Server::Create(
      server_options,
      [router](http::Request& request) { return (*router)(request); });
  if (!server.ok()) return server.status();  // "cannot listen on ...: ..."
  state->server = std::move(*server);
  ZIMON_RETURN_IF_ERROR(state->gateway->Start(
      state->server->executor(), state->server->stats().io_threads == 1));
  std::string host = options.listen.host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  state->base_url =
      "http://" + host + ":" + std::to_string(state->server->port());
  log::Info(
      "gateway listening",
      {{"url", state->base_url},
       {"backends", static_cast<int64_t>(config.gateway.backends.size())}});
  return std::unique_ptr<GatewayRunner>(new GatewayRunner(std::move(state)));
}

std::string GatewayRunner::base_url() const { return state_->base_url; }

Status GatewayRunner::ReopenAccessLog() {
  return state_->gateway->ReopenAccessLog();
}

int GatewayRunner::WaitForStop(ShutdownSignals& signals) {
  int signal;
  while ((signal = signals.Wait()) == SIGHUP) {
    Status reopened = ReopenAccessLog();
    if (reopened.ok()) {
      log::Info("access log reopened", {{"path", state_->access_log}});
    } else {
      log::Error("cannot reopen the access log; still writing the old file",
                 {{"error", reopened}});
    }
  }
  return signal;
}

void GatewayRunner::Shutdown() {
  State& s = *state_;
  if (s.stopped) return;
  s.stopped = true;
  s.server->BeginShutdown();
  s.gateway->Stop();
  s.server->Shutdown(s.config.server.shutdown_grace);
}

}  // namespace zimon::cli
