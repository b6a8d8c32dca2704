// SimServer: one running simulated Z-Image-Turbo server: an http::Server, the
// SimEngine on an AsioEventLoop that shares the server's I/O threads, the
// metrics registry, the API front chosen by the caller and, optionally, the
// fake NVML state publisher.
//
//   SimServerOptions opt;
//   opt.engine.profile = *FindProfile("h100");
//   opt.api = ApiFlavour::kVllmOmni;
//   opt.registrar = RegisterVllmOmniApi;  // vllm_front.h
//   ZIMON_ASSIGN_OR_RETURN(auto sim, SimServer::Start(std::move(opt)));
//   std::cout << sim->base_url();
//
// Routes every flavour has (see front.h): GET /health, GET and POST
// /sim/faults, GET /sim/state. Until the front is registered every request is
// answered 503 (the server listens before the engine exists, because the
// engine's event loop runs on the server's executor).
//
// Ownership: owns everything above. Shutdown order: HTTP server (drains
// handlers, joins threads), publisher, engine, loop, then the io_context.
// Thread safety: the accessors are thread-safe; Shutdown() and the destructor
// must not run on one of the server's I/O threads (engine callbacks included).
#ifndef ZIMON_SIM_SIM_SERVER_H_
#define ZIMON_SIM_SIM_SERVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "zimon/common/status.h"
#include "zimon/http/server.h"
#include "zimon/metrics/registry.h"
#include "zimon/sim/engine.h"
#include "zimon/sim/front.h"

namespace zimon::sim {

struct SimServerOptions {
  http::ServerOptions http;  // host, port (0: any), io_threads (0: one)
  SimOptions engine;         // engine.on_crash: what a crash fault does
  ApiFlavour api = ApiFlavour::kVllmOmni;
  FrontRegistrar registrar = nullptr;  // required
  std::string model_name = "Tongyi-MAI/Z-Image-Turbo";
  // The front's own queue limit (sd.cpp's async job queue); 0 = unbounded.
  size_t front_max_queue = 64;
  // When set, the simulated GPU is written to this fake NVML state file.
  std::string nvml_state_path;
  std::chrono::milliseconds nvml_interval{1000};
};

class SimServer {
 public:
  // kInvalidArgument for bad engine options or a missing registrar; the
  // server's errors (address in use ...) as http::Server::Create gives them;
  // the registrar's error.
  static StatusOr<std::unique_ptr<SimServer>> Start(SimServerOptions options);

  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:<port>"
  SimEngine& engine();
  metrics::Registry& metrics();
  const SimContext& context() const;

  // Stops serving (see http::Server::Shutdown) and then the engine. Idempotent.
  void Shutdown(std::chrono::steady_clock::duration grace);

  struct State;

 private:
  explicit SimServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace zimon::sim

#endif  // ZIMON_SIM_SIM_SERVER_H_
