// zimon demo: the gateway in front of simulated Z-Image-Turbo workers, with
// light background load, on one machine.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "zimon/cli/cli.h"
#include "zimon/cli/commands.h"
#include "zimon/cli/gateway_runner.h"
#include "zimon/cli/serving.h"
#include "zimon/common/logging.h"
#include "zimon/common/thread_name.h"
#include "zimon/http/client.h"
#include "zimon/sim/profiles.h"
#include "zimon/sim/sim_server.h"
#include "zimon/sim/vllm_front.h"

namespace zimon::cli {
namespace {

struct DemoOptions {
  std::string listen = "127.0.0.1:8080";
  int workers = 3;
  std::string profile = "h100";
  double rate = 0.5;  // background requests per second
  bool no_load = false;
  std::string data_dir = "zimon-demo";
};

constexpr const char* kPrompts[] = {
    "a red fox in fresh snow, golden hour",
    "a lighthouse on a cliff during a storm, oil painting",
    "macro photo of a dew drop on a leaf",
    "a cyberpunk street market at night, neon signs",
    "a bowl of ramen, studio lighting",
    "watercolor of a mountain lake at dawn",
};

// Sends requests at about `rate` per second until stopped; a few get a
// rating, so every panel of the demo has data.
void BackgroundLoad(std::string base_url, double rate, std::stop_token stop) {
  std::mt19937_64 rng(std::random_device{}());
  std::exponential_distribution<double> gap(rate);
  std::uniform_int_distribution<int> pick(0, 99);
  while (!stop.stop_requested()) {
    auto wait = std::chrono::duration<double>(gap(rng));
    auto until = std::chrono::steady_clock::now() +
                 std::chrono::duration_cast<std::chrono::milliseconds>(wait);
    while (!stop.stop_requested() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (stop.stop_requested()) return;
    int p = pick(rng);
    std::string size = p < 60 ? "1024x1024" : (p < 85 ? "768x768" : "512x512");
    std::string body = std::string("{\"prompt\":\"") +
                       kPrompts[p % std::size(kPrompts)] + "\",\"size\":\"" +
                       size + "\",\"response_format\":\"url\"}";
    http::ClientRequest request("POST", base_url + "/v1/images/generations",
                                body);
    request.headers.Set("Content-Type", "application/json");
    StatusOr<http::Response> response = http::Fetch(request, {}, stop);
    if (!response.ok() || response->status != 200 || p % 4 != 0) continue;
    auto id = response->headers.Get("X-Request-Id");
    if (!id) continue;
    std::string feedback = "{\"request_id\":\"" + std::string(*id) +
                           "\",\"rating\":" + std::to_string(3 + p % 3) + "}";
    http::ClientRequest rate_request("POST", base_url + "/v1/feedback",
                                     feedback);
    rate_request.headers.Set("Content-Type", "application/json");
    (void)http::Fetch(rate_request, {}, stop);
  }
}

int RunDemo(const DemoOptions& opts, Context& ctx) {
  StatusOr<HostPort> listen = ParseHostPort(opts.listen);
  if (!listen.ok()) {
    ctx.err << "zimon demo: --listen: " << listen.status().message() << "\n";
    return kExitUsage;
  }
  StatusOr<sim::GpuProfile> profile = sim::FindProfile(opts.profile);
  if (!profile.ok()) {
    ctx.err << "zimon demo: --profile: " << profile.status().message() << "\n";
    return kExitUsage;
  }
  StatusOr<Config> config = LoadStartupConfig("", ctx);
  if (!config.ok()) {
    ctx.err << config.status().message() << "\n";
    return kExitFailure;
  }
  ShutdownSignals signals(/*hangup=*/true);  // before any thread starts

  std::vector<std::unique_ptr<sim::SimServer>> sims;
  for (int i = 0; i < opts.workers; ++i) {
    sim::SimServerOptions o;
    o.engine.profile = *profile;
    o.engine.gpu_index = i;
    o.engine.seed = static_cast<uint64_t>(i) + 1;
    o.engine.preload = true;
    // A real cold start takes a minute or more (docs/sim.md); the demo
    // staggers short ones so the gateway is seen routing around workers
    // that are still loading.
    o.engine.profile.cold_start_seconds =
        std::min(o.engine.profile.cold_start_seconds, 2.0 + 2.0 * i);
    o.api = sim::ApiFlavour::kVllmOmni;
    o.registrar = sim::RegisterVllmOmniApi;
    StatusOr<std::unique_ptr<sim::SimServer>> started =
        sim::SimServer::Start(std::move(o));
    if (!started.ok()) {
      ctx.err << "zimon demo: cannot start simulated worker " << i << ": "
              << started.status().message() << "\n";
      return kExitFailure;
    }
    BackendConfig b;
    b.name = "sim-" + std::to_string(i);
    b.url = (*started)->base_url();
    config->gateway.backends.push_back(b);
    sims.push_back(std::move(*started));
  }
  config->gateway.image_dir = opts.data_dir + "/images";
  config->gateway.feedback_db = opts.data_dir + "/feedback.db";
  config->gateway.health_interval = std::chrono::seconds(2);
  Status made = ctx.fs.CreateDirs(config->gateway.image_dir);
  if (!made.ok()) {
    ctx.err << "zimon demo: " << made.message() << "\n";
    return kExitFailure;
  }

  GatewayRunnerOptions runner_options;
  runner_options.config = std::move(*config);
  runner_options.listen = *listen;
  runner_options.access_log = opts.data_dir + "/access.log";
  StatusOr<std::unique_ptr<GatewayRunner>> runner =
      GatewayRunner::Start(std::move(runner_options));
  if (!runner.ok()) {
    ctx.err << "zimon demo: " << runner.status().message() << "\n";
    return kExitFailure;
  }
  std::string url = (*runner)->base_url();
  ctx.out << "zimon demo: " << opts.workers << " simulated "
          << profile->display_name << " workers (vLLM-Omni API), gateway at "
          << url << "\n"
          << "  image API   " << url << "/v1/images/generations\n"
          << "  backends    " << url << "/v1/backends\n"
          << "  metrics     " << url << "/metrics\n"
          << "  feedback    " << url << "/v1/feedback\n"
          << "  access log  " << opts.data_dir << "/access.log\n"
          << "Try: curl -s " << url
          << "/v1/images/generations -d '{\"prompt\":\"a cat\","
             "\"response_format\":\"url\"}'\n";
  if (!opts.no_load) {
    ctx.out << "Background load: about " << opts.rate << " requests/s. ";
  }
  ctx.out << "Stop with Ctrl-C (twice to skip the graceful stop)." << std::endl;
  std::jthread load;
  if (!opts.no_load && opts.rate > 0) {
    load = std::jthread([url, rate = opts.rate](std::stop_token stop) {
      BackgroundLoad(url, rate, stop);
    });
    SetThreadName(load.native_handle(), "zimon-demo-load");
  }
  int signal = (*runner)->WaitForStop(signals);
  log::Info("shutting down", {{"signal", signal}});
  signals.ExitOnNextSignal();
  if (load.joinable()) {
    load.request_stop();
    load.join();
  }
  (*runner)->Shutdown();
  for (auto& s : sims) s->Shutdown(std::chrono::seconds(2));
  return kExitOk;
}

}  // namespace

void RegisterDemoCommand(CLI::App& app, CommandTable& table) {
  auto opts = std::make_shared<DemoOptions>();
  CLI::App* sub = app.add_subcommand(
      "demo",
      "Run the gateway in front of simulated GPU workers with background "
      "load; print the URLs");
  sub->add_option("--listen", opts->listen, "Gateway address")
      ->type_name("HOST:PORT")
      ->capture_default_str();
  sub->add_option("--workers", opts->workers, "Simulated workers to start")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  sub->add_option("--profile", opts->profile,
                  "GPU profile of the workers: h100, h800, rtx5090, l20, "
                  "rtx3090ti, t4")
      ->capture_default_str();
  sub->add_option("--rate", opts->rate, "Background requests per second")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  sub->add_flag("--no-load", opts->no_load, "Do not generate background load");
  sub->add_option("--data-dir", opts->data_dir,
                  "Where images, the feedback database and the access log go")
      ->capture_default_str();
  table.Add(sub, [opts](Context& ctx) { return RunDemo(*opts, ctx); });
}

}  // namespace zimon::cli
