#include "zimon/sim/vllm_front.h"

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "zimon/common/logging.h"
#include "zimon/http/metrics_handler.h"
#include "zimon/sim/front_common.h"
#include "zimon/sim/vllm_front_request.h"

namespace zimon::sim {
namespace {

using nlohmann::json;

// The metric families, looked up once.
struct VllmMetrics {
  metrics::Gauge* running = nullptr;
  metrics::Gauge* waiting = nullptr;
  metrics::Counter* success_stop = nullptr;
  metrics::Counter* success_abort = nullptr;
  metrics::Histogram* e2e = nullptr;
};

std::string FileName(uint64_t seed, int index, int n) {
  char buf[48];
  if (n == 1) {
    std::snprintf(buf, sizeof(buf), "image_%08llx.png",
                  static_cast<unsigned long long>(seed & 0xffffffffull));
  } else {
    std::snprintf(buf, sizeof(buf), "image_%08llx_%d.png",
                  static_cast<unsigned long long>(seed & 0xffffffffull), index);
  }
  return buf;
}

boost::asio::awaitable<http::Response> Generate(SimContext& ctx,
                                                const VllmMetrics& m,
                                                http::Request& request) {
  auto start = std::chrono::steady_clock::now();
  VllmParseResult parsed = ParseVllmImageRequest(request.body);
  if (!parsed.request) co_return std::move(parsed.error);
  const VllmImageRequest& req = *parsed.request;

  ImageRequest image;
  image.prompt = req.prompt;
  image.size = req.size;
  image.steps = req.steps;
  image.n = req.n;
  image.seed = req.seed ? static_cast<uint64_t>(*req.seed) : RandomSeed();
  uint64_t seed = image.seed;
  StatusOr<ImageResult> result =
      co_await SubmitAndWait(ctx.engine, std::move(image), request.stop);
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!result.ok()) {
    m.success_abort->Inc();
    if (result.status().code() == StatusCode::kCancelled) {
      co_return VllmDetail(499, "client disconnected");  // never delivered
    }
    co_return VllmDetail(503, result.status().code() == StatusCode::kUnavailable
                                  ? "Diffusion engine not initialized. "
                                    "The server is not serving images."
                                  : result.status().message());
  }
  if (result->outcome != Outcome::kOk) {
    m.success_abort->Inc();
    m.e2e->Observe(elapsed);
    log::Error("image generation failed", {{"error_type", result->error_type},
                                           {"error", result->error},
                                           {"simulated", true}});
    co_return VllmDetail(500, result->error_type + ": " + result->error);
  }
  m.success_stop->Inc();
  m.e2e->Observe(elapsed);

  if (req.file) {
    http::Response r;
    if (result->images.size() == 1) {
      r.headers.Set("Content-Type", "image/png");
      r.headers.Set("Content-Disposition",
                    "attachment; filename=\"" + FileName(seed, 0, 1) + "\"");
      r.body = std::move(result->images[0]);
    } else {
      std::vector<std::pair<std::string, std::string>> files;
      int n = static_cast<int>(result->images.size());
      for (int i = 0; i < n; ++i) {
        files.emplace_back(FileName(seed, i, n), std::move(result->images[i]));
      }
      r.headers.Set("Content-Type", "application/zip");
      r.headers.Set("Content-Disposition",
                    "attachment; filename=\"images_" +
                        FileName(seed, 0, 1).substr(6, 8) + ".zip\"");
      r.body = StoredZip(files);
    }
    co_return r;
  }

  std::string body =
      "{\"created\":" + std::to_string(UnixSeconds()) + ",\"data\":[";
  for (size_t i = 0; i < result->images.size(); ++i) {
    if (i > 0) body += ',';
    body += "{\"b64_json\":\"";
    body += Base64Encode(result->images[i]);
    body += "\",\"url\":null,\"revised_prompt\":null}";
  }
  body += "],\"output_format\":\"png\",\"size\":\"" + req.size.ToString() +
          "\",\"metrics\":null}";
  co_return http::Response::Json(200, std::move(body));
}

}  // namespace

Status RegisterVllmOmniApi(http::Router& router, SimContext& ctx) {
  metrics::Registry& reg = ctx.metrics;
  auto m = std::make_shared<VllmMetrics>();
  std::string model = ctx.model_name;
  m->running =
      &reg.AddGauge("vllm_omni:num_requests_running",
                    "Number of requests currently running.", {"model_name"})
           .WithLabels({model});
  m->waiting = &reg.AddGauge("vllm_omni:num_requests_waiting",
                             "Number of requests waiting to be processed.",
                             {"model_name"})
                    .WithLabels({model});
  auto& success = reg.AddCounter("vllm_omni:requests_success_total",
                                 "Count of finished requests by reason.",
                                 {"model_name", "finished_reason"});
  m->success_stop = &success.WithLabels({model, "stop"});
  m->success_abort = &success.WithLabels({model, "abort"});
  m->e2e = &reg.AddHistogram(
                   "vllm_omni:e2e_request_latency_s",
                   "End-to-end request latency in seconds.", {"model_name"},
                   {0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300})
                .WithLabels({model});

  SimContext* c = &ctx;
  ZIMON_RETURN_IF_ERROR(router.Handle(
      "POST", "/v1/images/generations",
      [c, m](http::Request& request) { return Generate(*c, *m, request); }));
  ZIMON_RETURN_IF_ERROR(
      router.HandleSync("GET", "/v1/models", [c](http::Request&) {
        json model_card = {
            {"id", c->model_name},      {"object", "model"},
            {"created", UnixSeconds()}, {"owned_by", "vllm"},
            {"root", c->model_name},    {"parent", nullptr},
            {"max_model_len", nullptr}, {"permission", json::array()}};
        json body = {{"object", "list"}, {"data", json::array({model_card})}};
        return http::Response::Json(200, body.dump());
      }));
  http::SyncHandler exposition = http::MetricsHandler(reg);
  return router.HandleSync(
      "GET", "/metrics", [c, m, exposition](http::Request& request) {
        EngineStats stats = c->engine.Stats();
        m->running->Set(static_cast<double>(stats.running_requests));
        m->waiting->Set(static_cast<double>(stats.queue_depth));
        return exposition(request);
      });
}

}  // namespace zimon::sim
