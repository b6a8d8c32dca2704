#include "zimon/sim/sdcpp_front.h"

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "zimon/common/logging.h"
#include "zimon/sim/front_common.h"
#include "zimon/sim/sdcpp_front_jobs.h"
#include "zimon/sim/sdcpp_front_params.h"

namespace zimon::sim {
namespace {

using nlohmann::json;

http::Response Error(int status, std::string_view message) {
  return http::Response::Json(status, json{{"error", message}}.dump());
}

http::Response ServerError(std::string_view what) {
  return http::Response::Json(
      500, json{{"error", "server_error"}, {"message", what}}.dump());
}

// A parsed synchronous request, or the answer to send instead.
struct Parsed {
  std::optional<SdcppGenParams> params;
  json body;  // the request, echoed by txt2img as "parameters"
  http::Response error;
};

bool ValidOutputFormat(const std::string& format) {
  return format == "png" || format == "jpeg" || format == "webp";
}

// The steps both synchronous routes share once the prompt is in `p`: sd.cpp's
// extra arguments from the prompt, validation, and the parsed result.
void FinishParams(SdcppGenParams p, json body, Parsed& out) {
  std::string extra = ExtractSdcppExtraArgs(p.prompt);
  if (!extra.empty() && !ApplySdcppJsonText(extra, p)) {
    out.error = Error(400, "invalid sd_cpp_extra_args");
    return;
  }
  if (!ValidateSdcppParams(p).ok()) {
    out.error = Error(400, "invalid params");
    return;
  }
  out.params = std::move(p);
  out.body = std::move(body);
}

// POST /v1/images/generations. Like sd-server, json::value() throws on a
// mistyped field, which the route answers with 500 server_error.
Parsed ParseOpenAi(const std::string& text) {
  Parsed out;
  if (text.empty()) {
    out.error = Error(400, "empty body");
    return out;
  }
  try {
    json j = json::parse(text);
    SdcppGenParams p;
    std::string prompt = j.value("prompt", "");
    int n = std::max(1, j.value("n", 1));
    std::string size = j.value("size", "");
    std::string format = j.value("output_format", "png");
    (void)j.value("output_compression", 100);
    if (!size.empty()) {
      size_t x = size.find('x');
      if (x != std::string::npos) {
        try {
          p.width = std::stoi(size.substr(0, x));
          p.height = std::stoi(size.substr(x + 1));
        } catch (const std::exception&) {
        }
      }
    }
    if (prompt.empty()) {
      out.error = Error(400, "prompt required");
      return out;
    }
    if (!ValidOutputFormat(format)) {
      out.error = Error(400, "invalid output_format: " + format);
      return out;
    }
    p.prompt = std::move(prompt);
    p.batch_count = n;
    FinishParams(std::move(p), std::move(j), out);
  } catch (const std::exception& e) {
    out.error = ServerError(e.what());
  }
  return out;
}

// POST /sdapi/v1/txt2img (A1111 shape).
Parsed ParseTxt2Img(const std::string& text) {
  Parsed out;
  if (text.empty()) {
    out.error = Error(400, "empty body");
    return out;
  }
  try {
    json j = json::parse(text);
    SdcppGenParams p;
    std::string prompt = j.value("prompt", "");
    p.negative_prompt = j.value("negative_prompt", "");
    p.width = j.value("width", 512);
    p.height = j.value("height", 512);
    p.steps = j.value("steps", p.steps);
    p.cfg = j.value("cfg_scale", p.cfg);
    p.seed = j.value("seed", int64_t{-1});
    p.batch_count = j.value("batch_size", 1);
    (void)j.value("clip_skip", -1);
    (void)j.value("sampler_name", "");
    (void)j.value("scheduler", "");
    if (p.width <= 0 || p.height <= 0) {
      out.error = Error(400, "width and height must be positive");
      return out;
    }
    if (prompt.empty()) {
      out.error = Error(400, "prompt required");
      return out;
    }
    p.prompt = std::move(prompt);
    FinishParams(std::move(p), std::move(j), out);
  } catch (const std::exception& e) {
    out.error = ServerError(e.what());
  }
  return out;
}

// Runs the request; base64 images, or the response to send instead.
boost::asio::awaitable<std::optional<std::vector<std::string>>> Run(
    SimContext& ctx, const SdcppGenParams& params, std::stop_token stop,
    http::Response& error) {
  ImageRequest request = ToImageRequest(params);
  StatusOr<ImageResult> result = co_await SubmitAndWait(
      ctx.engine, std::move(request), stop, OnClientGone::kFinish);
  if (!result.ok()) {
    error = result.status().code() == StatusCode::kCancelled
                ? Error(499, "client disconnected")  // never delivered
                : ServerError(result.status().message());
    co_return std::nullopt;
  }
  if (result->outcome != Outcome::kOk) {
    log::Error("generate_image failed", {{"error_type", result->error_type},
                                         {"error", result->error},
                                         {"simulated", true}});
    error = Error(500, "generate_image returned no results");
    co_return std::nullopt;
  }
  std::vector<std::string> images;
  images.reserve(result->images.size());
  for (const std::string& png : result->images) {
    images.push_back(Base64Encode(png));
  }
  co_return images;
}

boost::asio::awaitable<http::Response> OpenAiGenerate(SimContext& ctx,
                                                      http::Request& request) {
  Parsed parsed = ParseOpenAi(request.body);
  if (!parsed.params) co_return std::move(parsed.error);
  http::Response error;
  std::optional<std::vector<std::string>> images =
      co_await Run(ctx, *parsed.params, request.stop, error);
  if (!images) co_return error;
  std::string body =
      "{\"created\":" + std::to_string(UnixSeconds()) + ",\"data\":[";
  for (size_t i = 0; i < images->size(); ++i) {
    if (i > 0) body += ',';
    body += "{\"b64_json\":\"" + (*images)[i] + "\"}";
  }
  body += "],\"output_format\":\"png\"}";
  co_return http::Response::Json(200, std::move(body));
}

boost::asio::awaitable<http::Response> Txt2Img(SimContext& ctx,
                                               http::Request& request) {
  Parsed parsed = ParseTxt2Img(request.body);
  if (!parsed.params) co_return std::move(parsed.error);
  http::Response error;
  std::optional<std::vector<std::string>> images =
      co_await Run(ctx, *parsed.params, request.stop, error);
  if (!images) co_return error;
  json out = {{"images", std::move(*images)},
              {"parameters", std::move(parsed.body)},
              {"info", ""}};
  co_return http::Response::Json(200, out.dump());
}

}  // namespace

Status RegisterSdcppApi(http::Router& router, SimContext& ctx) {
  SimContext* c = &ctx;
  ZIMON_RETURN_IF_ERROR(router.Handle(
      "POST", "/v1/images/generations",
      [c](http::Request& request) { return OpenAiGenerate(*c, request); }));
  ZIMON_RETURN_IF_ERROR(router.Handle(
      "POST", "/sdapi/v1/txt2img",
      [c](http::Request& request) { return Txt2Img(*c, request); }));
  ZIMON_RETURN_IF_ERROR(
      router.HandleSync("GET", "/v1/models", [](http::Request&) {
        json body = {{"data", json::array({{{"id", "sd-cpp-local"},
                                            {"object", "model"},
                                            {"owned_by", "local"}}})}};
        return http::Response::Json(200, body.dump());
      }));
  return RegisterSdcppJobRoutes(router, ctx);
}

}  // namespace zimon::sim
