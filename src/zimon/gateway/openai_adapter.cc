#include "zimon/gateway/openai_adapter.h"

#include <nlohmann/json.hpp>

#include "zimon/gateway/adapter_util.h"

namespace zimon::gateway {

using nlohmann::json;
namespace internal = adapter_internal;

OpenAiAdapter::OpenAiAdapter(std::string base_url, std::string model,
                             http::Client& client)
    : base_url_(std::move(base_url)),
      model_(std::move(model)),
      client_(client) {}

std::string OpenAiAdapter::RequestBody(const ImageRequest& request) const {
  json body = {{"prompt", request.prompt},
               {"n", request.n},
               {"size", request.SizeString()},
               {"response_format", "b64_json"}};
  if (!model_.empty()) {
    body["model"] = model_;
  } else if (!request.model.empty()) {
    body["model"] = request.model;
  }
  if (request.seed) body["seed"] = *request.seed;
  if (request.steps) body["num_inference_steps"] = *request.steps;
  if (request.guidance_scale) body["guidance_scale"] = *request.guidance_scale;
  if (!request.negative_prompt.empty()) {
    body["negative_prompt"] = request.negative_prompt;
  }
  // The prompt is client text: replace invalid UTF-8 rather than throw.
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

boost::asio::awaitable<UpstreamResult> OpenAiAdapter::Generate(
    const ImageRequest& request, std::chrono::steady_clock::duration timeout,
    std::stop_token stop) {
  std::string url = internal::JoinUrl(base_url_, "/v1/images/generations");
  std::string body = RequestBody(request);
  UpstreamResult result = co_await internal::PostImages(
      client_, std::move(url), std::move(body), request.request_id, request.n,
      timeout, std::move(stop));
  co_return result;
}

boost::asio::awaitable<Status> OpenAiAdapter::CheckHealth(
    std::chrono::steady_clock::duration timeout, std::stop_token stop) {
  std::string url = internal::JoinUrl(base_url_, "/health");
  Status status =
      co_await internal::GetHealth(client_, std::move(url), timeout, stop);
  co_return status;
}

}  // namespace zimon::gateway
