// Pieces the backend adapters share (adapter.h): error classification, the
// OpenAI-shaped images call that vLLM-Omni and sd-server both answer, and
// deadlines. Internal to the gateway; not part of its API.
//
// Thread safety: pure functions and coroutines without shared state.
#ifndef ZIMON_GATEWAY_ADAPTER_UTIL_H_
#define ZIMON_GATEWAY_ADAPTER_UTIL_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <stop_token>
#include <string>
#include <string_view>

#include "zimon/common/status.h"
#include "zimon/gateway/adapter.h"
#include "zimon/http/client.h"

namespace zimon::gateway::adapter_internal {

using Duration = std::chrono::steady_clock::duration;

// True when `text` is a known out-of-GPU-memory message: PyTorch's
// "CUDA out of memory" / torch.OutOfMemoryError, the CUDA runtime's "out of
// memory", ComfyUI's "Allocation on device" and its "ran out of memory on your
// GPU" tip (reference zimage-turbo.md §7.1). Case-insensitive.
bool LooksLikeOom(std::string_view text);

// The human-readable part of an error body: "detail" (FastAPI), "error" (a
// string, or an object's "message"), or "message"; else the body itself.
// Cut to 500 bytes.
std::string ErrorDetail(std::string_view body);

// Writes a flat JSON object, member by member: `{"prompt":"...","n":1}`.
// Strings that are not valid UTF-8 get U+FFFD for each bad sequence (as
// nlohmann's error_handler_t::replace does), so client text never breaks a
// request body.
class JsonObjectWriter {
 public:
  JsonObjectWriter& Add(std::string_view key, std::string_view value);
  JsonObjectWriter& Add(std::string_view key, int64_t value);
  // Shortest text that reads back as the same double; NaN and infinities,
  // which JSON cannot hold, are written as null.
  JsonObjectWriter& Add(std::string_view key, double value);
  // The object; the writer is empty afterwards.
  std::string Finish();

 private:
  void Key(std::string_view key);
  std::string out_;
};

// A result without images.
UpstreamResult MakeResult(UpstreamOutcome outcome, Status status,
                          int http_status = 0);

// Classifies a failed http::Client call (the request never got an answer):
// kCancelled -> kCancelled; kUnavailable (refused, unreachable, connect
// timed out, not sent) -> kNotStarted; kDeadlineExceeded, kAborted (reset
// after sending) and the rest -> kFailure.
UpstreamResult FromTransportError(const Status& status, std::string_view what);

// Classifies a non-2xx answer: an OOM text in the body -> kOom; 429 and 503 ->
// kNotStarted; other 4xx -> kClientError; the rest -> kFailure.
UpstreamResult FromHttpError(int http_status, std::string_view body,
                             std::string_view what);

// Parses an OpenAI images response ({"data": [{"b64_json": ...}, ...]}) that
// should hold `n` images: kSuccess with the images, or kFailure (kDataLoss)
// when the body is malformed, a b64_json does not decode, or it holds fewer
// images. The usual answer (plain JSON, canonical base64) is scanned without
// a JSON tree and its images keep their base64 text (GeneratedImage::b64,
// bytes empty: DecodeImage() decodes them); anything else is parsed with
// nlohmann and decoded (GeneratedImage::bytes), with the same verdicts.
UpstreamResult ParseImagesResponse(std::string_view body, int n,
                                   std::string_view what);
// The same for an answer held in a shared buffer: the images' b64 are slices
// of it (no copy).
UpstreamResult ParseImagesResponse(
    const std::shared_ptr<const std::string>& body, int n,
    std::string_view what);

// The images of a JSON array of {"b64_json": ...} objects (an OpenAI
// answer's "data", sd-server's job "result.images"), decoded, with the same
// verdicts as ParseImagesResponse.
UpstreamResult DecodeImageItems(const nlohmann::json& items, int n,
                                std::string_view what);

// POSTs `body` (JSON) to `url` and classifies the answer as above; a 200 is
// parsed with ParseImagesResponse. A call abandoned after the request went
// out (kCancelled, or kDeadlineExceeded) has may_still_run set.
boost::asio::awaitable<UpstreamResult> PostImages(
    http::Client& client, std::string url, std::string body,
    std::string request_id, int n, Duration timeout, std::stop_token stop);

// GET `url`; OK on a 2xx answer, kUnavailable naming the problem otherwise
// (kCancelled when `stop` was requested).
boost::asio::awaitable<Status> GetHealth(http::Client& client, std::string url,
                                         Duration timeout,
                                         std::stop_token stop);

// The string at j[key] when j is an object that has one, else "".
std::string StringAt(const nlohmann::json& j, const char* key);

// `base` + `path` with a trailing '/' of base dropped.
std::string JoinUrl(std::string_view base, std::string_view path);

// A fresh random 64-bit value (seeds, client ids).
uint64_t RandomU64();

// A point `timeout` from now, saturating (duration::max() never expires).
class Deadline {
 public:
  explicit Deadline(Duration timeout);
  // Time left; one tick once passed (never zero, which ClientRequest::timeout
  // reads as "the client's default").
  Duration Remaining() const;
  bool Passed() const;
  std::chrono::steady_clock::time_point at() const { return at_; }

 private:
  std::chrono::steady_clock::time_point at_;
};

}  // namespace zimon::gateway::adapter_internal

#endif  // ZIMON_GATEWAY_ADAPTER_UTIL_H_
