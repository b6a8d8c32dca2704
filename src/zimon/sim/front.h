// The meeting point between the simulator's HTTP server (sim_server.h) and the
// API fronts that speak one real server's protocol: vLLM-Omni
// (vllm_front.h), stable-diffusion.cpp's sd-server (sdcpp_front.h) and
// ComfyUI (comfyui_front.h).
//
// A front is a registrar: a function that adds its routes to the router and
// keeps a reference to the SimContext for its handlers.
//
//   Status RegisterVllmOmniApi(http::Router& router, SimContext& ctx);
//   SimServerOptions opt;
//   opt.registrar = RegisterVllmOmniApi;
//   auto server = SimServer::Start(std::move(opt));
//
// When a registrar runs, every field of the context is set: the engine exists,
// the HTTP server is listening (base_url is final) and its executor runs the
// engine's event loop. The server answers 503 until registration is done.
//
// The server itself registers, for every flavour: GET /health (always says
// simulated), GET/POST /sim/faults, GET /sim/state. Fronts must not register
// those paths.
//
// Ownership: the SimServer owns the context, the engine, the loop and the
// metrics registry; all outlive every handler (the HTTP server is shut down
// first). Thread safety: the context is immutable after registration; the
// engine and registry are thread-safe; handlers run on any I/O thread.
#ifndef ZIMON_SIM_FRONT_H_
#define ZIMON_SIM_FRONT_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/asio/any_io_executor.hpp>
#include <string>
#include <string_view>

#include "zimon/common/status.h"
#include "zimon/http/router.h"
#include "zimon/metrics/registry.h"
#include "zimon/sim/engine.h"
#include "zimon/sim/event_loop.h"

namespace zimon::sim {

enum class ApiFlavour { kVllmOmni, kSdcpp, kComfyUi };

// "vllm-omni", "sdcpp", "comfyui".
std::string_view ApiFlavourName(ApiFlavour api);
// Inverse of ApiFlavourName; kInvalidArgument listing the valid names.
StatusOr<ApiFlavour> ParseApiFlavour(std::string_view name);

// What a front's handlers need. See the file comment for lifetime rules.
struct SimContext {
  SimEngine& engine;
  EventLoop& loop;  // the engine's loop: timers on the server's I/O threads
  boost::asio::any_io_executor executor;  // the HTTP server's executor
  // The registry this sim serves at its flavour's metrics endpoint (vLLM-Omni:
  // GET /metrics). Fronts add their families here when they register.
  metrics::Registry& metrics;
  ApiFlavour api = ApiFlavour::kVllmOmni;
  // The served model: vLLM-Omni's `model` and `model_name` label.
  std::string model_name = "Tongyi-MAI/Z-Image-Turbo";
  // "http://127.0.0.1:8000": for URLs in responses (ComfyUI /view, sd.cpp
  // poll_url are relative; use this where a real server gives absolute ones).
  std::string base_url;
  // Server-wide request queue limit (sd.cpp's limits.max_queue_size); the
  // engine enforces it too (SimOptions::max_queue, 0 = unbounded).
  size_t max_queue = 0;
};

// A front's entry point. Returns an error when a route cannot be registered.
using FrontRegistrar = Status (*)(http::Router& router, SimContext& ctx);

}  // namespace zimon::sim

#endif  // ZIMON_SIM_FRONT_H_
