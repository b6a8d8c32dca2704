// SdcppAdapter: the BackendAdapter (adapter.h) for stable-diffusion.cpp's
// sd-server (reference zimage-turbo.md §8.4). Two of its route families:
//
// SdcppApi::kOpenAi (the default; every build has it):
//
//   POST {url}/v1/images/generations
//     {"prompt": "<prompt><sd_cpp_extra_args>{...}</sd_cpp_extra_args>",
//      "n", "size": "WxH", "output_format": "png"}
//   -> 200 {"data": [{"b64_json": "<PNG>"}, ...]}
//
// sd-server reads its native parameters from the JSON inside the tag:
//   {"seed": S, "sample_params": {"sample_steps": N,
//    "guidance": {"txt_cfg": C}}, "negative_prompt"?: "..."}
// sd-server's synchronous route answers a failed generation, OOM included,
// with 500 {"error": "generate_image returned no results"} and logs the CUDA
// text, so an OOM there is a kFailure unless the body names it. A full queue
// is 429 (kNotStarted). A request whose client left still runs to its end:
// the route has no way to stop it (may_still_run). Health: GET {url}/v1/models
// answers 200.
//
// SdcppApi::kJobs (the native job API of recent builds):
//
//   POST {url}/sdcpp/v1/img_gen {"prompt", "negative_prompt"?, "width",
//     "height", "seed", "batch_count", "sample_params": {...},
//     "output_format": "png"}
//   -> 202 {"id": "job_...", ...}; 429 when its queue is full (kNotStarted);
//      404 from a build without the API (kFailure, saying so)
//   GET {url}/sdcpp/v1/jobs/{id}, every poll_interval, until "status" is
//     completed ({"result": {"images": [{"b64_json"}, ...]}}), failed
//     ({"error": {"code", "message"}}) or cancelled
//   on stop or deadline: POST {url}/sdcpp/v1/jobs/{id}/cancel; 200 for a job
//     still queued, which then never runs, so nothing is left to hold; 409
//     for one generating, which sd-server cannot stop (may_still_run).
// Health: GET {url}/sdcpp/v1/capabilities answers 200.
//
// Both send every parameter, because sd-server's server-wide defaults (20
// steps, cfg 7, seed 42) are wrong for Z-Image-Turbo: steps default to 8
// (sd.cpp runs N forwards for N steps; §1.1), cfg to 1 (no classifier-free
// guidance; a guidance_scale below 1, the diffusers way of saying "off", is
// sent as 1), and an unset seed as -1 (random), not sd-server's fixed 42.
//
// Ownership and thread safety: see adapter.h.
#ifndef ZIMON_GATEWAY_SDCPP_ADAPTER_H_
#define ZIMON_GATEWAY_SDCPP_ADAPTER_H_

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "zimon/gateway/adapter.h"

namespace zimon::gateway {

enum class SdcppApi { kOpenAi, kJobs };

struct SdcppAdapterOptions {
  SdcppApi api = SdcppApi::kOpenAi;
  // kJobs: time between two looks at a job. An image waits for at most one
  // interval after it is done.
  std::chrono::milliseconds poll_interval{50};
};

class SdcppAdapter : public BackendAdapter {
 public:
  static constexpr int kDefaultSteps = 8;
  static constexpr double kDefaultCfg = 1.0;

  SdcppAdapter(std::string base_url, http::Client& client,
               SdcppAdapterOptions options = {});

  std::string_view kind() const override { return "sdcpp"; }
  boost::asio::awaitable<UpstreamResult> Generate(
      const ImageRequest& request, std::chrono::steady_clock::duration timeout,
      std::stop_token stop) override;
  boost::asio::awaitable<Status> CheckHealth(
      std::chrono::steady_clock::duration timeout,
      std::stop_token stop) override;

  // The JSON bodies Generate() sends (for tests): to the OpenAI-compatible
  // route, and to the job API.
  static std::string RequestBody(const ImageRequest& request);
  static std::string JobBody(const ImageRequest& request);

 private:
  boost::asio::awaitable<UpstreamResult> GenerateJob(
      const ImageRequest& request, std::chrono::steady_clock::duration timeout,
      std::stop_token stop);
  // The result of a job seen in a state that ends it (`status`, the job's
  // "status").
  static UpstreamResult FromFinishedJob(const nlohmann::json& job,
                                        const std::string& status, int n,
                                        const std::string& what);
  // Cancels a job that was left (stop or deadline): true when it will not
  // run (cancelled while queued, or already gone), false when it may still
  // be generating (logged unless sd-server said so with 409).
  boost::asio::awaitable<bool> CancelJob(const std::string& id);

  std::string base_url_;
  http::Client& client_;
  SdcppAdapterOptions options_;
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_SDCPP_ADAPTER_H_
