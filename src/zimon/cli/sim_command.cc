// zimon sim: a simulated Z-Image-Turbo server (same HTTP APIs, latency, VRAM
// and failure behaviour), always labelled as simulated.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "zimon/cli/cli.h"
#include "zimon/cli/commands.h"
#include "zimon/cli/serving.h"
#include "zimon/common/logging.h"
#include "zimon/common/units.h"
#include "zimon/sim/comfyui_front.h"
#include "zimon/sim/front.h"
#include "zimon/sim/profiles.h"
#include "zimon/sim/sdcpp_front.h"
#include "zimon/sim/sim_server.h"
#include "zimon/sim/vllm_front.h"

namespace zimon::cli {
namespace {

// The exit status of a sim whose crash fault fired (EX_SOFTWARE).
constexpr int kExitSimCrash = 70;

struct SimFlags {
  std::string config;
  std::string api = "vllm-omni";
  std::string profile = "h100";
  std::string listen;      // default: the real server's port for the API
  std::string vram;        // e.g. "16GiB": another card size
  double cold_start = -1;  // seconds; -1: the profile's
  std::string model_name = "Tongyi-MAI/Z-Image-Turbo";
  int io_threads = 1;
  int max_batch = 1;
  int batch_wait_ms = 0;
  bool parallel = false;
  bool offload = false;
  bool leak = false;
  long max_queue = -1;  // -1: the API's default
  uint64_t seed = 1;
  double jitter = 0.05;
  double error_rate = 0, black_rate = 0, spike_rate = 0, spike_factor = 10,
         hang_rate = 0, crash_rate = 0, slow_start = 0;
  std::string neighbour_bytes;
  double neighbour_share = 0;
  std::string nvml_state;
  int gpu_index = 0;
  bool preload = false, no_preload = false;
};

int Usage(Context& ctx, const std::string& line) {
  ctx.err << "zimon sim: " << line << "\n";
  return kExitUsage;
}

// Builds the server options from the flags; a usage error fills `error`.
bool BuildOptions(const SimFlags& f, sim::SimServerOptions& o,
                  std::string& error) {
  StatusOr<sim::ApiFlavour> api = sim::ParseApiFlavour(f.api);
  if (!api.ok()) {
    error = "--api: " + api.status().message();
    return false;
  }
  o.api = *api;
  StatusOr<sim::GpuProfile> profile = sim::FindProfile(f.profile);
  if (!profile.ok()) {
    error = "--profile: " + profile.status().message();
    return false;
  }
  o.engine.profile = *profile;
  if (!f.vram.empty()) {
    StatusOr<uint64_t> vram = ParseByteSize(f.vram);
    if (!vram.ok() || *vram == 0) {
      error = "--vram: " + (vram.ok() ? std::string("must be positive")
                                      : vram.status().message());
      return false;
    }
    o.engine.profile.vram_bytes = *vram;
  }
  if (f.cold_start >= 0) o.engine.profile.cold_start_seconds = f.cold_start;
  uint16_t default_port = o.api == sim::ApiFlavour::kSdcpp     ? 1234
                          : o.api == sim::ApiFlavour::kComfyUi ? 8188
                                                               : 8000;
  StatusOr<HostPort> listen =
      f.listen.empty() ? StatusOr<HostPort>(HostPort{"127.0.0.1", default_port})
                       : ParseHostPort(f.listen);
  if (!listen.ok()) {
    error = "--listen: " + listen.status().message();
    return false;
  }
  o.http.host = listen->host;
  o.http.port = listen->port;
  o.http.io_threads = f.io_threads;
  o.model_name = f.model_name;

  sim::SimOptions& e = o.engine;
  e.gpu_index = f.gpu_index;
  e.pid = static_cast<uint32_t>(getpid());
  e.mode =
      f.parallel ? sim::SchedulingMode::kParallel : sim::SchedulingMode::kQueue;
  e.max_batch = f.max_batch;
  e.batch_wait = std::chrono::milliseconds(f.batch_wait_ms);
  e.offload = f.offload;
  e.jitter_sigma = f.jitter;
  e.seed = f.seed;
  // sd-server's async queue (limits.max_queue_size) is the front's; its
  // synchronous routes wait on a mutex, unbounded. vLLM-Omni and ComfyUI
  // queue without limit unless told.
  if (o.api == sim::ApiFlavour::kSdcpp) {
    e.max_queue = 0;
    o.front_max_queue = f.max_queue < 0 ? 64 : static_cast<size_t>(f.max_queue);
  } else {
    e.max_queue = f.max_queue < 0 ? 0 : static_cast<size_t>(f.max_queue);
    o.front_max_queue = e.max_queue;
  }
  // vLLM-Omni and sd-server load the model before serving; ComfyUI on the
  // first prompt.
  e.preload = o.api != sim::ApiFlavour::kComfyUi;
  if (f.preload) e.preload = true;
  if (f.no_preload) e.preload = false;

  sim::Faults& faults = e.faults;
  faults.error_rate = f.error_rate;
  faults.black_rate = f.black_rate;
  faults.spike_rate = f.spike_rate;
  faults.spike_factor = f.spike_factor;
  faults.hang_rate = f.hang_rate;
  faults.crash_rate = f.crash_rate;
  faults.slow_start_seconds = f.slow_start;
  faults.leak = f.leak;
  if (!f.neighbour_bytes.empty() || f.neighbour_share > 0) {
    sim::NoisyNeighbour n;
    if (!f.neighbour_bytes.empty()) {
      StatusOr<uint64_t> bytes = ParseByteSize(f.neighbour_bytes);
      if (!bytes.ok()) {
        error = "--noisy-neighbour-bytes: " + bytes.status().message();
        return false;
      }
      n.memory_bytes = *bytes;
    }
    n.compute_share = f.neighbour_share;
    faults.noisy_neighbour = n;
  }
  Status valid = sim::ValidateFaults(faults);
  if (valid.ok()) valid = sim::SimEngine::ValidateOptions(e);
  if (!valid.ok()) {
    error = valid.message();
    return false;
  }
  o.nvml_state_path = f.nvml_state;
  switch (o.api) {
    case sim::ApiFlavour::kVllmOmni:
      o.registrar = sim::RegisterVllmOmniApi;
      break;
    case sim::ApiFlavour::kSdcpp:
      o.registrar = sim::RegisterSdcppApi;
      break;
    case sim::ApiFlavour::kComfyUi:
      o.registrar = sim::RegisterComfyUiApi;
      break;
  }
  return true;
}

int RunSim(const SimFlags& flags, Context& ctx) {
  sim::SimServerOptions options;
  std::string error;
  if (!BuildOptions(flags, options, error)) return Usage(ctx, error);
  StatusOr<Config> config = LoadStartupConfig(flags.config, ctx);
  if (!config.ok()) {
    ctx.err << "zimon sim: " << config.status().message() << "\n";
    return kExitFailure;
  }
  options.engine.on_crash = [](const std::string& reason) {
    log::Error("simulated server crashed; exiting",
               {{"reason", reason},
                {"exit_code", kExitSimCrash},
                {"simulated", true}});
    std::cout.flush();
    std::fflush(nullptr);
    std::_Exit(kExitSimCrash);
  };

  ShutdownSignals signals;  // before any thread starts
  StatusOr<std::unique_ptr<sim::SimServer>> server =
      sim::SimServer::Start(std::move(options));
  if (!server.ok()) {
    ctx.err << "zimon sim: " << server.status().message() << "\n";
    return kExitFailure;
  }
  sim::SimServer& sim = **server;
  ctx.out << "zimon sim: serving " << sim.base_url() << " ("
          << sim::ApiFlavourName(sim.context().api) << " API, "
          << sim.engine().Gpu().name << ")" << std::endl;

  int signal = signals.Wait();
  log::Info("shutting down", {{"signal", signal}, {"simulated", true}});
  signals.ExitOnNextSignal();
  sim.Shutdown(config->server.shutdown_grace);
  return kExitOk;
}

}  // namespace

void RegisterSimCommand(CLI::App& app, CommandTable& table) {
  auto f = std::make_shared<SimFlags>();
  CLI::App* sub = app.add_subcommand(
      "sim", "Run a simulated Z-Image-Turbo GPU server (for demos and tests)");
  sub->add_option("-c,--config", f->config, "Config file (log level, grace)")
      ->type_name("FILE");
  sub->add_option("--api", f->api,
                  "HTTP API to speak: vllm-omni, sdcpp or comfyui")
      ->capture_default_str();
  sub->add_option("--profile", f->profile,
                  "GPU profile: h100, h800, rtx5090, l20, rtx3090ti, t4")
      ->capture_default_str();
  sub->add_option("--listen", f->listen,
                  "Address to serve on; port 0 picks a free port (default: "
                  "127.0.0.1 and the real server's port: 8000, 1234, 8188)")
      ->type_name("HOST:PORT");
  sub->add_option("--vram", f->vram, "Simulate another card size, e.g. 16GiB");
  sub->add_option("--cold-start", f->cold_start,
                  "Cold start in seconds (default: the profile's)");
  sub->add_option("--model-name", f->model_name, "Served model name")
      ->capture_default_str();
  sub->add_option("--io-threads", f->io_threads, "HTTP I/O threads")
      ->capture_default_str();
  sub->add_option("--max-batch", f->max_batch,
                  "Batch up to N same-size requests (vLLM-Omni --max-num-seqs)")
      ->capture_default_str();
  sub->add_option("--batch-wait-ms", f->batch_wait_ms,
                  "How long a batch head waits for company")
      ->capture_default_str();
  sub->add_flag("--parallel", f->parallel,
                "Run every request at once (a naive web wrapper)");
  sub->add_flag("--offload", f->offload, "CPU offload: less VRAM, more time");
  sub->add_flag("--leak", f->leak, "Never free activation memory (leak fault)");
  sub->add_option("--max-queue", f->max_queue,
                  "Queue limit (sdcpp default 64, others unbounded)");
  sub->add_option("--seed", f->seed, "Random seed, for repeatable runs")
      ->capture_default_str();
  sub->add_option("--jitter", f->jitter,
                  "Sigma of the log-normal latency jitter")
      ->capture_default_str();
  sub->add_option("--error-rate", f->error_rate,
                  "Share of requests failing with a CUDA error");
  sub->add_option("--black-rate", f->black_rate,
                  "Share of images that come out black");
  sub->add_option("--spike-rate", f->spike_rate,
                  "Share of requests slowed down");
  sub->add_option("--spike-factor", f->spike_factor, "Slowdown of a spike")
      ->capture_default_str();
  sub->add_option("--hang-rate", f->hang_rate,
                  "Share of requests never answered");
  sub->add_option("--crash-rate", f->crash_rate,
                  "Share of requests that crash the server (exit 70)");
  sub->add_option("--slow-start", f->slow_start, "Extra cold-start seconds");
  sub->add_option("--noisy-neighbour-bytes", f->neighbour_bytes,
                  "VRAM held by another process, e.g. 6GiB");
  sub->add_option("--noisy-neighbour-share", f->neighbour_share,
                  "Share of GPU time another process takes (0..0.95)");
  sub->add_option("--nvml-state", f->nvml_state,
                  "Write the simulated GPU to this fake NVML state file")
      ->type_name("FILE");
  sub->add_option("--gpu-index", f->gpu_index, "This GPU's index in that file")
      ->capture_default_str();
  sub->add_flag("--preload", f->preload,
                "Load the model before the first request");
  sub->add_flag("--no-preload", f->no_preload, "Load on the first request");
  sub->footer(
      "Prints the URL it serves on. Every flavour also serves GET /health, "
      "GET|POST /sim/faults and GET /sim/state. The GPU name ends in "
      "\"(simulated)\". Stops gracefully on SIGINT/SIGTERM (a second one, "
      "0.2 s or more after the first, exits at once); a crash fault exits "
      "with status 70.");
  table.Add(sub, [f](Context& ctx) { return RunSim(*f, ctx); });
}

}  // namespace zimon::cli
