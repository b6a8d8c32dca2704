#include "zimon/gateway/sdcpp_adapter.h"

#include <nlohmann/json.hpp>

#include "zimon/gateway/adapter_util.h"

namespace zimon::gateway {

using nlohmann::json;
namespace internal = adapter_internal;

SdcppAdapter::SdcppAdapter(std::string base_url, http::Client& client)
    : base_url_(std::move(base_url)), client_(client) {}

std::string SdcppAdapter::RequestBody(const ImageRequest& request) {
  double cfg = request.guidance_scale.value_or(kDefaultCfg);
  if (!(cfg >= 1.0)) cfg = 1.0;  // below 1 (or NaN): guidance off
  json extra = {
      {"seed", request.seed.value_or(-1)},
      {"sample_params",
       {{"sample_steps", request.steps.value_or(kDefaultSteps)},
        {"guidance", {{"txt_cfg", cfg}}}}},
  };
  if (!request.negative_prompt.empty()) {
    extra["negative_prompt"] = request.negative_prompt;
  }
  constexpr auto kReplace = json::error_handler_t::replace;
  std::string prompt = request.prompt + "<sd_cpp_extra_args>" +
                       extra.dump(-1, ' ', false, kReplace) +
                       "</sd_cpp_extra_args>";
  json body = {{"prompt", std::move(prompt)},
               {"n", request.n},
               {"size", request.SizeString()},
               {"output_format", "png"}};
  return body.dump(-1, ' ', false, kReplace);
}

boost::asio::awaitable<UpstreamResult> SdcppAdapter::Generate(
    const ImageRequest& request, std::chrono::steady_clock::duration timeout,
    std::stop_token stop) {
  std::string url = internal::JoinUrl(base_url_, "/v1/images/generations");
  std::string body = RequestBody(request);
  UpstreamResult result = co_await internal::PostImages(
      client_, std::move(url), std::move(body), request.request_id, request.n,
      timeout, std::move(stop));
  co_return result;
}

boost::asio::awaitable<Status> SdcppAdapter::CheckHealth(
    std::chrono::steady_clock::duration timeout, std::stop_token stop) {
  std::string url = internal::JoinUrl(base_url_, "/v1/models");
  Status status =
      co_await internal::GetHealth(client_, std::move(url), timeout, stop);
  co_return status;
}

}  // namespace zimon::gateway
