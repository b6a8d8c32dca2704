#include "zimon/sim/sim_server.h"

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "zimon/common/logging.h"
#include "zimon/sim/asio_event_loop.h"
#include "zimon/sim/faults.h"
#include "zimon/sim/front_common.h"
#include "zimon/sim/nvml_state.h"

namespace zimon::sim {
namespace {

// Lets requests in before the router exists: they get 503 until it is set.
struct Gate {
  std::atomic<const http::Router*> router{nullptr};
};

boost::asio::awaitable<http::Response> NotReady() {
  co_return http::Response::Json(503,
                                 R"({"status":"starting","simulated":true})");
}

std::string JsonError(std::string_view message) {
  return nlohmann::json{{"error", message}}.dump();
}

}  // namespace

struct SimServer::State {
  SimServerOptions options;
  std::unique_ptr<metrics::Registry> registry =
      std::make_unique<metrics::Registry>();
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();
  std::unique_ptr<http::Server> server;  // destroyed last (owns io_context)
  std::unique_ptr<http::Router> router;
  std::unique_ptr<AsioEventLoop> loop;
  std::unique_ptr<SimEngine> engine;
  std::unique_ptr<SimContext> ctx;
  std::unique_ptr<NvmlStatePublisher> publisher;
  bool shut_down = false;

  ~State() {
    // Stop the I/O threads before anything they may touch goes away (also
    // when Start fails half-way), then members that reference the
    // io_context or each other.
    if (server) server->Shutdown(std::chrono::seconds(0));
    publisher.reset();
    engine.reset();
    loop.reset();
    server.reset();
    router.reset();
  }

  Status AddCommonRoutes();
};

Status SimServer::State::AddCommonRoutes() {
  SimContext& c = *ctx;
  bool preload = options.engine.preload;
  ZIMON_RETURN_IF_ERROR(
      router->HandleSync("GET", "/health", [&c, preload](http::Request&) {
        EngineStats stats = c.engine.Stats();
        bool loading = preload && stats.load_state != LoadState::kWarm;
        bool healthy = !stats.crashed && !loading;
        nlohmann::json body = {
            {"status",
             stats.crashed ? "crashed" : (loading ? "loading" : "ok")},
            {"simulated", true},
            {"api", ApiFlavourName(c.api)},
            {"model", c.model_name},
            {"gpu", c.engine.Gpu().name},
            {"load_state", LoadStateName(stats.load_state)},
        };
        http::Response r =
            http::Response::Json(healthy ? 200 : 503, body.dump());
        r.headers.Set("X-Zimon-Simulated", "true");
        return r;
      }));
  ZIMON_RETURN_IF_ERROR(
      router->HandleSync("GET", "/sim/faults", [&c](http::Request&) {
        return http::Response::Json(200, FaultsToJson(c.engine.faults()));
      }));
  ZIMON_RETURN_IF_ERROR(
      router->HandleSync("POST", "/sim/faults", [&c](http::Request& req) {
        StatusOr<Faults> faults = ParseFaultsJson(req.body, c.engine.faults());
        Status set =
            faults.ok() ? c.engine.SetFaults(*faults) : faults.status();
        if (!set.ok()) {
          return http::Response::Json(400, JsonError(set.message()));
        }
        // The engine logs the change.
        return http::Response::Json(200, FaultsToJson(c.engine.faults()));
      }));
  ZIMON_RETURN_IF_ERROR(
      router->HandleSync("GET", "/sim/state", [&c](http::Request&) {
        return http::Response::Json(
            200, SimStateJson(c.engine, ApiFlavourName(c.api)));
      }));
  return Status();
}

StatusOr<std::unique_ptr<SimServer>> SimServer::Start(
    SimServerOptions options) {
  if (options.registrar == nullptr) {
    return InvalidArgumentError("sim server: no API front to register");
  }
  ZIMON_RETURN_IF_ERROR(SimEngine::ValidateOptions(options.engine));
  if (options.http.io_threads <= 0) options.http.io_threads = 1;
  // Unless the caller chose a name: `zimon demo` runs simulators and a
  // gateway in one process.
  if (options.http.thread_name == http::ServerOptions().thread_name) {
    options.http.thread_name = "zimon-sim-io";
  }

  auto state = std::make_unique<State>();
  state->options = std::move(options);
  const SimServerOptions& opt = state->options;

  std::shared_ptr<Gate> gate = state->gate;
  ZIMON_ASSIGN_OR_RETURN(
      state->server,
      http::Server::Create(opt.http,
                           [gate](http::Request& request)
                               -> boost::asio::awaitable<http::Response> {
                             const http::Router* router =
                                 gate->router.load(std::memory_order_acquire);
                             if (router == nullptr) return NotReady();
                             return (*router)(request);
                           }));
  state->loop = std::make_unique<AsioEventLoop>(state->server->executor());
  ZIMON_ASSIGN_OR_RETURN(state->engine,
                         SimEngine::Create(opt.engine, *state->loop));

  std::string host = opt.http.host;
  if (host.empty() || host == "0.0.0.0" || host == "::") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  state->ctx.reset(new SimContext{
      .engine = *state->engine,
      .loop = *state->loop,
      .executor = state->server->executor(),
      .metrics = *state->registry,
      .api = opt.api,
      .model_name = opt.model_name,
      .base_url =
          "http://" + host + ":" + std::to_string(state->server->port()),
      .max_queue = opt.front_max_queue,
  });

  state->router = std::make_unique<http::Router>();
  ZIMON_RETURN_IF_ERROR(state->AddCommonRoutes());
  ZIMON_RETURN_IF_ERROR(opt.registrar(*state->router, *state->ctx));

  if (!opt.nvml_state_path.empty()) {
    state->publisher = std::make_unique<NvmlStatePublisher>(
        *state->engine, *state->loop, opt.nvml_state_path,
        std::chrono::duration_cast<EventLoop::Duration>(opt.nvml_interval));
  }
  state->gate->router.store(state->router.get(), std::memory_order_release);
  log::Info("sim serving", {{"url", state->ctx->base_url},
                            {"api", ApiFlavourName(opt.api)},
                            {"gpu", state->engine->Gpu().name},
                            {"simulated", true}});
  return std::unique_ptr<SimServer>(new SimServer(std::move(state)));
}

SimServer::SimServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

SimServer::~SimServer() { Shutdown(std::chrono::seconds(0)); }

uint16_t SimServer::port() const { return state_->server->port(); }
std::string SimServer::base_url() const { return state_->ctx->base_url; }
SimEngine& SimServer::engine() { return *state_->engine; }
metrics::Registry& SimServer::metrics() { return *state_->registry; }
const SimContext& SimServer::context() const { return *state_->ctx; }

void SimServer::Shutdown(std::chrono::steady_clock::duration grace) {
  if (state_->shut_down) return;
  state_->shut_down = true;
  state_->server->Shutdown(grace);
  state_->publisher.reset();
}

}  // namespace zimon::sim
