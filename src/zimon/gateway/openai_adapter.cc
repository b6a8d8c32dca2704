#include "zimon/gateway/openai_adapter.h"

#include "zimon/gateway/adapter_util.h"

namespace zimon::gateway {

namespace internal = adapter_internal;

OpenAiAdapter::OpenAiAdapter(std::string base_url, std::string model,
                             http::Client& client)
    : base_url_(std::move(base_url)),
      generations_url_(internal::JoinUrl(base_url_, "/v1/images/generations")),
      model_(std::move(model)),
      client_(client) {}

std::string OpenAiAdapter::RequestBody(const ImageRequest& request) const {
  // Written directly (this is on every request's path); the writer replaces
  // invalid UTF-8 in client text rather than failing.
  internal::JsonObjectWriter body;
  body.Add("prompt", request.prompt)
      .Add("n", int64_t{request.n})
      .Add("size", request.SizeString())
      .Add("response_format", "b64_json");
  if (!model_.empty()) {
    body.Add("model", model_);
  } else if (!request.model.empty()) {
    body.Add("model", request.model);
  }
  if (request.seed) body.Add("seed", *request.seed);
  if (request.steps) body.Add("num_inference_steps", int64_t{*request.steps});
  if (request.guidance_scale) {
    body.Add("guidance_scale", *request.guidance_scale);
  }
  if (!request.negative_prompt.empty()) {
    body.Add("negative_prompt", request.negative_prompt);
  }
  return body.Finish();
}

// Not a coroutine itself: the exchange's own is the whole call (one frame
// fewer per request). client_ is a member, and the gateway keeps its adapters
// for its lifetime.
boost::asio::awaitable<UpstreamResult> OpenAiAdapter::Generate(
    const ImageRequest& request, std::chrono::steady_clock::duration timeout,
    std::stop_token stop) {
  return internal::PostImages(client_, generations_url_, RequestBody(request),
                              request.request_id, request.n, timeout,
                              std::move(stop));
}

boost::asio::awaitable<Status> OpenAiAdapter::CheckHealth(
    std::chrono::steady_clock::duration timeout, std::stop_token stop) {
  std::string url = internal::JoinUrl(base_url_, "/health");
  Status status =
      co_await internal::GetHealth(client_, std::move(url), timeout, stop);
  co_return status;
}

}  // namespace zimon::gateway
