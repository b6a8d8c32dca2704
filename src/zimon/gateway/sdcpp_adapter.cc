#include "zimon/gateway/sdcpp_adapter.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "zimon/common/logging.h"
#include "zimon/gateway/adapter_util.h"
#include "zimon/http/async.h"
#include "zimon/http/message.h"

namespace zimon::gateway {

using nlohmann::json;
namespace internal = adapter_internal;
using Duration = std::chrono::steady_clock::duration;
using namespace std::chrono_literals;

namespace {

constexpr auto kReplace = json::error_handler_t::replace;
constexpr Duration kCancelTimeout = 2s;

// The native parameters both routes take: seed, steps and cfg always (so
// sd-server's defaults never apply), the negative prompt when there is one.
json NativeParams(const ImageRequest& request) {
  double cfg = request.guidance_scale.value_or(SdcppAdapter::kDefaultCfg);
  if (!(cfg >= 1.0)) cfg = 1.0;  // below 1 (or NaN): guidance off
  json params = {
      {"seed", request.seed.value_or(-1)},
      {"sample_params",
       {{"sample_steps", request.steps.value_or(SdcppAdapter::kDefaultSteps)},
        {"guidance", {{"txt_cfg", cfg}}}}},
  };
  if (!request.negative_prompt.empty()) {
    params["negative_prompt"] = request.negative_prompt;
  }
  return params;
}

}  // namespace

SdcppAdapter::SdcppAdapter(std::string base_url, http::Client& client,
                           SdcppAdapterOptions options)
    : base_url_(std::move(base_url)), client_(client), options_(options) {}

std::string SdcppAdapter::RequestBody(const ImageRequest& request) {
  std::string prompt = request.prompt + "<sd_cpp_extra_args>" +
                       NativeParams(request).dump(-1, ' ', false, kReplace) +
                       "</sd_cpp_extra_args>";
  json body = {{"prompt", std::move(prompt)},
               {"n", request.n},
               {"size", request.SizeString()},
               {"output_format", "png"}};
  return body.dump(-1, ' ', false, kReplace);
}

std::string SdcppAdapter::JobBody(const ImageRequest& request) {
  json body = NativeParams(request);
  body["prompt"] = request.prompt;
  body["width"] = request.width;
  body["height"] = request.height;
  body["batch_count"] = request.n;
  body["output_format"] = "png";
  return body.dump(-1, ' ', false, kReplace);
}

boost::asio::awaitable<UpstreamResult> SdcppAdapter::Generate(
    const ImageRequest& request, std::chrono::steady_clock::duration timeout,
    std::stop_token stop) {
  if (options_.api == SdcppApi::kJobs) {
    UpstreamResult result =
        co_await GenerateJob(request, timeout, std::move(stop));
    co_return result;
  }
  std::string url = internal::JoinUrl(base_url_, "/v1/images/generations");
  std::string body = RequestBody(request);
  UpstreamResult result = co_await internal::PostImages(
      client_, std::move(url), std::move(body), request.request_id, request.n,
      timeout, std::move(stop));
  co_return result;
}

boost::asio::awaitable<UpstreamResult> SdcppAdapter::GenerateJob(
    const ImageRequest& request, std::chrono::steady_clock::duration timeout,
    std::stop_token stop) {
  internal::Deadline deadline(timeout);
  const std::string submit_url =
      internal::JoinUrl(base_url_, "/sdcpp/v1/img_gen");
  const std::string what = "POST " + submit_url;
  http::ClientRequest submit("POST", submit_url, JobBody(request));
  submit.headers.Set("Content-Type", "application/json");
  if (!request.request_id.empty()) {
    submit.headers.Set("X-Request-Id", request.request_id);
  }
  submit.timeout = deadline.Remaining();
  StatusOr<http::Response> submitted =
      co_await client_.Send(std::move(submit), stop);
  if (!submitted.ok()) {
    UpstreamResult failed =
        internal::FromTransportError(submitted.status(), what);
    // The job may have been queued, and without its id it cannot be
    // cancelled.
    failed.may_still_run = failed.outcome != UpstreamOutcome::kNotStarted;
    co_return failed;
  }
  if (submitted->status == 404 || submitted->status == 405) {
    co_return internal::MakeResult(
        UpstreamOutcome::kFailure,
        FailedPreconditionError(
            what + " answered " + std::to_string(submitted->status) +
            ": this sd-server has no job API (builds before it have only /v1 "
            "and /sdapi); set the backend's sdcpp_api to openai"),
        submitted->status);
  }
  if (submitted->status != 202 && submitted->status != 200) {
    co_return internal::FromHttpError(submitted->status, submitted->body, what);
  }
  const std::string id = internal::StringAt(
      json::parse(submitted->body, nullptr, /*allow_exceptions=*/false), "id");
  if (id.empty()) {
    co_return internal::MakeResult(
        UpstreamOutcome::kFailure,
        DataLossError(what + ": no job id in the answer"), submitted->status);
  }

  const std::string job_url =
      internal::JoinUrl(base_url_, "/sdcpp/v1/jobs/" + http::PercentEncode(id));
  const std::string poll_what = "GET " + job_url;
  while (!stop.stop_requested() && !deadline.Passed()) {
    (void)co_await http::SleepFor(
        std::min<Duration>(options_.poll_interval, deadline.Remaining()), stop);
    if (stop.stop_requested() || deadline.Passed()) break;
    http::ClientRequest get(job_url);
    get.timeout = deadline.Remaining();
    StatusOr<http::Response> polled =
        co_await client_.Send(std::move(get), stop);
    if (!polled.ok()) {
      if (stop.stop_requested() || deadline.Passed()) break;
      // The job was accepted: whatever broke, it is no longer "not started".
      // A refused connection means the server went away (kAborted, which the
      // gateway takes for a lost connection).
      co_return internal::MakeResult(
          UpstreamOutcome::kFailure,
          Status(polled.status().code() == StatusCode::kUnavailable
                     ? StatusCode::kAborted
                     : polled.status().code(),
                 poll_what + ": " + std::string(polled.status().message())));
    }
    if (polled->status != 200) {
      // 404 or 410: the job is gone (the server restarted, or it expired).
      UpstreamResult lost =
          internal::FromHttpError(polled->status, polled->body, poll_what);
      lost.outcome = UpstreamOutcome::kFailure;
      co_return lost;
    }
    json job = json::parse(polled->body, nullptr, /*allow_exceptions=*/false);
    const std::string status = internal::StringAt(job, "status");
    if (status == "queued" || status == "generating") continue;
    co_return FromFinishedJob(job, status, request.n, poll_what);
  }

  const bool cancelled = co_await CancelJob(id);
  UpstreamResult abandoned =
      stop.stop_requested()
          ? internal::MakeResult(
                UpstreamOutcome::kCancelled,
                CancelledError("sd-server job " + id + " cancelled"))
          : internal::MakeResult(
                UpstreamOutcome::kFailure,
                DeadlineExceededError("sd-server job " + id +
                                      " did not finish in time"));
  abandoned.may_still_run = !cancelled;
  co_return abandoned;
}

UpstreamResult SdcppAdapter::FromFinishedJob(const nlohmann::json& job,
                                             const std::string& status, int n,
                                             const std::string& what) {
  if (status == "completed") {
    const json* images = nullptr;
    if (job.contains("result") && job["result"].is_object() &&
        job["result"].contains("images") &&
        job["result"]["images"].is_array()) {
      images = &job["result"]["images"];
    }
    if (images == nullptr) {
      return internal::MakeResult(
          UpstreamOutcome::kFailure,
          DataLossError(what + ": malformed answer: completed job without "
                               "result.images"),
          200);
    }
    return internal::DecodeImageItems(*images, n, what);
  }
  const json& error = job.contains("error") ? job["error"] : json();
  std::string message = internal::StringAt(error, "message");
  if (status == "failed") {
    std::string text = what + ": job failed: " + message;
    if (internal::LooksLikeOom(message)) {
      return internal::MakeResult(UpstreamOutcome::kOom,
                                  ResourceExhaustedError(text), 200);
    }
    return internal::MakeResult(UpstreamOutcome::kFailure, InternalError(text),
                                200);
  }
  if (status == "cancelled") {
    return internal::MakeResult(
        UpstreamOutcome::kFailure,
        AbortedError(what + ": job cancelled on the server: " + message), 200);
  }
  return internal::MakeResult(
      UpstreamOutcome::kFailure,
      DataLossError(what + ": malformed answer: job status \"" + status + "\""),
      200);
}

boost::asio::awaitable<bool> SdcppAdapter::CancelJob(const std::string& id) {
  const std::string url = internal::JoinUrl(
      base_url_, "/sdcpp/v1/jobs/" + http::PercentEncode(id) + "/cancel");
  http::ClientRequest cancel("POST", url, "");
  cancel.timeout = kCancelTimeout;
  StatusOr<http::Response> answer = co_await client_.Send(std::move(cancel));
  // 200: cancelled while queued. 404 or 410: finished and forgotten. 409:
  // generating, which sd-server cannot stop.
  if (answer.ok() && (answer->status == 200 || answer->status == 404 ||
                      answer->status == 410)) {
    co_return true;
  }
  if (!answer.ok() || answer->status != 409) {
    log::Warn(
        "sd-server job not cancelled",
        {{"backend", base_url_},
         {"job", id},
         {"error", answer.ok() ? "POST " + url + " answered " +
                                     std::to_string(answer->status) + ": " +
                                     internal::ErrorDetail(answer->body)
                               : answer.status().ToString()}});
  }
  co_return false;
}

boost::asio::awaitable<Status> SdcppAdapter::CheckHealth(
    std::chrono::steady_clock::duration timeout, std::stop_token stop) {
  std::string url = internal::JoinUrl(base_url_, options_.api == SdcppApi::kJobs
                                                     ? "/sdcpp/v1/capabilities"
                                                     : "/v1/models");
  Status status =
      co_await internal::GetHealth(client_, std::move(url), timeout, stop);
  co_return status;
}

}  // namespace zimon::gateway
