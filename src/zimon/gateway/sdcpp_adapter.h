// SdcppAdapter: the BackendAdapter (adapter.h) for stable-diffusion.cpp's
// sd-server (reference zimage-turbo.md §8.4), through its OpenAI-compatible
// route:
//
//   POST {url}/v1/images/generations
//     {"prompt": "<prompt><sd_cpp_extra_args>{...}</sd_cpp_extra_args>",
//      "n", "size": "WxH", "output_format": "png"}
//   -> 200 {"data": [{"b64_json": "<PNG>"}, ...]}
//
// sd-server reads its native parameters from the JSON inside the tag:
//   {"seed": S, "sample_params": {"sample_steps": N,
//    "guidance": {"txt_cfg": C}}, "negative_prompt"?: "..."}
// Its server-wide defaults (20 steps, cfg 7, seed 42) are wrong for
// Z-Image-Turbo, so every field is always sent: steps default to 8 (sd.cpp
// runs N forwards for N steps; §1.1), cfg to 1 (no classifier-free guidance;
// a guidance_scale below 1, the diffusers way of saying "off", is sent as 1),
// and an unset seed as -1 (random), not sd-server's fixed 42.
//
// sd-server's synchronous route answers a failed generation, OOM included,
// with 500 {"error": "generate_image returned no results"} and logs the CUDA
// text, so an OOM there is a kFailure unless the body names it. A full queue
// is 429 (kNotStarted). Health: GET {url}/v1/models answers 200.
//
// Ownership and thread safety: see adapter.h.
#ifndef ZIMON_GATEWAY_SDCPP_ADAPTER_H_
#define ZIMON_GATEWAY_SDCPP_ADAPTER_H_

#include <string>

#include "zimon/gateway/adapter.h"

namespace zimon::gateway {

class SdcppAdapter : public BackendAdapter {
 public:
  static constexpr int kDefaultSteps = 8;
  static constexpr double kDefaultCfg = 1.0;

  SdcppAdapter(std::string base_url, http::Client& client);

  std::string_view kind() const override { return "sdcpp"; }
  boost::asio::awaitable<UpstreamResult> Generate(
      const ImageRequest& request, std::chrono::steady_clock::duration timeout,
      std::stop_token stop) override;
  boost::asio::awaitable<Status> CheckHealth(
      std::chrono::steady_clock::duration timeout,
      std::stop_token stop) override;

  // The JSON body Generate() sends (for tests).
  static std::string RequestBody(const ImageRequest& request);

 private:
  std::string base_url_;
  http::Client& client_;
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_SDCPP_ADAPTER_H_
