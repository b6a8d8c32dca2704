// OpenAiAdapter: the BackendAdapter (adapter.h) for vLLM-Omni and other
// servers with the OpenAI images API (reference zimage-turbo.md §8.1, §8.2).
//
//   POST {url}/v1/images/generations
//     {"prompt", "n", "size": "WxH", "response_format": "b64_json",
//      "model"?, "seed"?, "num_inference_steps"?, "guidance_scale"?,
//      "negative_prompt"?}
//   -> 200 {"data": [{"b64_json": "<PNG>"}, ...]}
//
// "model" is BackendConfig::model when set, else the client's, else absent.
// Optional fields are sent only when the request sets them, so the server's
// model profile supplies the defaults (vLLM-Omni: 9 steps, guidance forced
// to 0 for Z-Image-Turbo). Health: GET {url}/health answers 200.
//
// Ownership and thread safety: see adapter.h.
#ifndef ZIMON_GATEWAY_OPENAI_ADAPTER_H_
#define ZIMON_GATEWAY_OPENAI_ADAPTER_H_

#include <string>

#include "zimon/gateway/adapter.h"

namespace zimon::gateway {

class OpenAiAdapter : public BackendAdapter {
 public:
  // `base_url` is "http://host:port" (an optional path prefix is kept).
  OpenAiAdapter(std::string base_url, std::string model, http::Client& client);

  std::string_view kind() const override { return "openai"; }
  boost::asio::awaitable<UpstreamResult> Generate(
      const ImageRequest& request, std::chrono::steady_clock::duration timeout,
      std::stop_token stop) override;
  boost::asio::awaitable<Status> CheckHealth(
      std::chrono::steady_clock::duration timeout,
      std::stop_token stop) override;

  // The JSON body Generate() sends (for tests).
  std::string RequestBody(const ImageRequest& request) const;

 private:
  std::string base_url_;
  std::string generations_url_;  // base_url_ + /v1/images/generations
  std::string model_;
  http::Client& client_;
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_OPENAI_ADAPTER_H_
