#include "zimon/gateway/adapter_util.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <random>

#include "zimon/gateway/base64.h"

namespace zimon::gateway::adapter_internal {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxDetail = 500;

bool ContainsNoCase(std::string_view text, std::string_view needle) {
  auto it = std::search(text.begin(), text.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != text.end();
}

std::string Cut(std::string_view s) {
  if (s.size() <= kMaxDetail) return std::string(s);
  return std::string(s.substr(0, kMaxDetail)) + "...";
}

}  // namespace

bool LooksLikeOom(std::string_view text) {
  // "CUDA out of memory" (PyTorch), "CUDA error: out of memory" (the
  // runtime), "OutOfMemoryError" (the exception type), "Allocation on device"
  // and "ran out of memory" (ComfyUI's message and tip).
  for (std::string_view needle :
       {"out of memory", "OutOfMemoryError", "Allocation on device",
        "ran out of memory"}) {
    if (ContainsNoCase(text, needle)) return true;
  }
  return false;
}

std::string ErrorDetail(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    for (const char* key : {"detail", "error", "message"}) {
      auto it = j.find(key);
      if (it == j.end()) continue;
      if (it->is_string()) return Cut(it->get<std::string>());
      if (it->is_object()) {
        auto msg = it->find("message");
        if (msg != it->end() && msg->is_string()) {
          return Cut(msg->get<std::string>());
        }
      }
      return Cut(it->dump());
    }
  }
  return Cut(body);
}

UpstreamResult MakeResult(UpstreamOutcome outcome, Status status,
                          int http_status) {
  UpstreamResult r;
  r.outcome = outcome;
  r.status = std::move(status);
  r.http_status = http_status;
  return r;
}

UpstreamResult FromTransportError(const Status& status, std::string_view what) {
  std::string message =
      std::string(what) + ": " + std::string(status.message());
  switch (status.code()) {
    case StatusCode::kCancelled:
      return MakeResult(UpstreamOutcome::kCancelled, CancelledError(message));
    case StatusCode::kUnavailable:
      return MakeResult(UpstreamOutcome::kNotStarted,
                        UnavailableError(message));
    case StatusCode::kDeadlineExceeded:
      return MakeResult(UpstreamOutcome::kFailure,
                        DeadlineExceededError(message));
    default:
      return MakeResult(UpstreamOutcome::kFailure,
                        Status(status.code(), message));
  }
}

UpstreamResult FromHttpError(int http_status, std::string_view body,
                             std::string_view what) {
  std::string message = std::string(what) + " answered " +
                        std::to_string(http_status) + ": " + ErrorDetail(body);
  if (LooksLikeOom(body)) {
    return MakeResult(UpstreamOutcome::kOom, ResourceExhaustedError(message),
                      http_status);
  }
  if (http_status == 429 || http_status == 503) {
    return MakeResult(UpstreamOutcome::kNotStarted, UnavailableError(message),
                      http_status);
  }
  if (http_status >= 400 && http_status < 500) {
    return MakeResult(UpstreamOutcome::kClientError,
                      InvalidArgumentError(message), http_status);
  }
  return MakeResult(UpstreamOutcome::kFailure, InternalError(message),
                    http_status);
}

UpstreamResult ParseImagesResponse(std::string_view body, int n,
                                   std::string_view what) {
  auto malformed = [&](std::string_view why) {
    return MakeResult(UpstreamOutcome::kFailure,
                      DataLossError(std::string(what) +
                                    ": malformed answer: " + std::string(why)),
                      200);
  };
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return malformed("not a JSON object");
  auto data = j.find("data");
  if (data == j.end() || !data->is_array()) return malformed("no data array");
  UpstreamResult result;
  result.http_status = 200;
  for (const json& item : *data) {
    if (!item.is_object()) return malformed("data item is not an object");
    auto b64 = item.find("b64_json");
    if (b64 == item.end() || !b64->is_string()) {
      return malformed("data item without b64_json");
    }
    StatusOr<std::string> bytes =
        Base64Decode(b64->get_ref<const std::string&>());
    if (!bytes.ok()) return malformed(bytes.status().message());
    GeneratedImage image;
    image.media_type = std::string(SniffImageType(*bytes));
    image.bytes = std::move(*bytes);
    result.images.push_back(std::move(image));
  }
  if (static_cast<int>(result.images.size()) < n) {
    return malformed(std::to_string(result.images.size()) + " of " +
                     std::to_string(n) + " images");
  }
  result.images.resize(static_cast<size_t>(n));
  result.outcome = UpstreamOutcome::kSuccess;
  return result;
}

boost::asio::awaitable<UpstreamResult> PostImages(
    http::Client& client, std::string url, std::string body,
    std::string request_id, int n, Duration timeout, std::stop_token stop) {
  std::string what = "POST " + url;
  http::ClientRequest request("POST", std::move(url), std::move(body));
  request.headers.Set("Content-Type", "application/json");
  request.headers.Set("Accept", "application/json");
  if (!request_id.empty()) request.headers.Set("X-Request-Id", request_id);
  request.timeout = timeout;
  StatusOr<http::Response> response =
      co_await client.Send(std::move(request), stop);
  if (!response.ok()) co_return FromTransportError(response.status(), what);
  if (response->status != 200) {
    co_return FromHttpError(response->status, response->body, what);
  }
  co_return ParseImagesResponse(response->body, n, what);
}

boost::asio::awaitable<Status> GetHealth(http::Client& client, std::string url,
                                         Duration timeout,
                                         std::stop_token stop) {
  http::ClientRequest request(url);
  request.timeout = timeout;
  StatusOr<http::Response> response =
      co_await client.Send(std::move(request), stop);
  if (!response.ok()) {
    if (response.status().code() == StatusCode::kCancelled) {
      co_return response.status();
    }
    co_return UnavailableError("GET " + url + ": " +
                               std::string(response.status().message()));
  }
  if (response->status < 200 || response->status > 299) {
    co_return UnavailableError("GET " + url + " answered " +
                               std::to_string(response->status) + ": " +
                               ErrorDetail(response->body));
  }
  co_return OkStatus();
}

std::string JoinUrl(std::string_view base, std::string_view path) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + std::string(path);
}

uint64_t RandomU64() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine();
}

Deadline::Deadline(Duration timeout) {
  Clock::time_point now = Clock::now();
  at_ = timeout >= Clock::time_point::max() - now ? Clock::time_point::max()
                                                  : now + timeout;
}

Duration Deadline::Remaining() const {
  if (at_ == Clock::time_point::max()) return Duration::max();
  Duration left = at_ - Clock::now();
  return left > Duration::zero() ? left : Duration(1);
}

bool Deadline::Passed() const { return Clock::now() >= at_; }

}  // namespace zimon::gateway::adapter_internal
