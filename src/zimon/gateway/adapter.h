// BackendAdapter: how the gateway talks to one kind of model server.
//
//   StatusOr<std::unique_ptr<BackendAdapter>> a =
//       MakeAdapter(backend_config, client);
//   UpstreamResult r = co_await (*a)->Generate(request, remaining, stop);
//   switch (r.outcome) { case UpstreamOutcome::kSuccess: r.images ... }
//
// Kinds (BackendConfig::adapter):
//   openai   vLLM-Omni and other OpenAI-compatible servers:
//            POST /v1/images/generations with response_format b64_json.
//   sdcpp    stable-diffusion.cpp's sd-server: POST /v1/images/generations with
//            steps, seed and cfg in
//            "<sd_cpp_extra_args>{...}</sd_cpp_extra_args>" appended to the
//            prompt (its own defaults are 20 steps, cfg 7).
//   comfyui  ComfyUI: the workflow template (BackendConfig::workflow) with the
//            prompt, seed, size and steps injected, POST /prompt, follow /ws
//            (or poll /history), then GET /view for each output image.
//
// Outcome classification (what admission, ejection and retries act on):
//   kSuccess     every requested image came back (UpstreamResult::images)
//   kNotStarted  generation never started: connection refused, 503, 429 —
//                safe to retry on another backend
//   kOom         the server reported running out of GPU memory (PyTorch's
//                "CUDA out of memory", ComfyUI's OOM execution_error, ...)
//   kFailure     anything else that went wrong after the request was sent:
//                5xx, malformed answer (kDataLoss), connection closed or
//                reset mid-generation (kAborted), the timeout passed
//                (kDeadlineExceeded; a connect timeout too). sd-server
//                reports an OOM only in its log, so there it is a kFailure.
//   kCancelled   `stop` was requested (the client left); the upstream call
//                was abandoned (and, where the API has one, cancelled)
//   kClientError the server rejected the request as invalid (4xx other than
//                429): the request, not the backend, is at fault
//
// Ownership: an adapter keeps a reference to the http::Client it was made
// with; the client must outlive it. Generate() keeps a reference to `request`
// until it completes.
// Thread safety: Generate() and CheckHealth() may run concurrently from any
// I/O thread.
#ifndef ZIMON_GATEWAY_ADAPTER_H_
#define ZIMON_GATEWAY_ADAPTER_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/config.h"
#include "zimon/common/file_system.h"
#include "zimon/common/status.h"
#include "zimon/gateway/backend_state.h"
#include "zimon/gateway/image_request.h"
#include "zimon/http/client.h"

namespace zimon::gateway {

struct GeneratedImage {
  // The encoded image as the server sent it. Adapters of base64 APIs may
  // leave it empty and hold the image in `b64` instead (DecodeImage() fills
  // it when the bytes are needed: scoring, files).
  std::string bytes;
  // The image as canonical base64 text (RFC 4648 alphabet, '=' padded, no
  // whitespace), checked to decode, so that it can go to the client as
  // b64_json without a decode and re-encode. Usually a slice of the backend's
  // answer, shared rather than copied. Empty when `bytes` holds the image.
  http::SharedText b64;
  std::string media_type;  // "image/png", "image/jpeg", "image/webp"; from
                           // the bytes' signature, "" when unrecognised
};

// Fills image.bytes from image.b64 when only the base64 text is held (a
// no-op otherwise); b64 is kept. kDataLoss when b64 does not decode.
Status DecodeImage(GeneratedImage& image);

struct UpstreamResult {
  UpstreamOutcome outcome = UpstreamOutcome::kFailure;
  Status status;        // OK with kSuccess; otherwise what went wrong
  int http_status = 0;  // the server's last HTTP status; 0 when none
  std::vector<GeneratedImage> images;
  // The call was abandoned (`stop`, or the timeout passed) after the request
  // went out, and nothing made the server stop: it may still be generating.
  // The gateway then keeps the backend's slot taken for the time the work
  // would take (BackendConfig::hold_abandoned).
  bool may_still_run = false;
};

class BackendAdapter {
 public:
  virtual ~BackendAdapter() = default;

  // "openai", "sdcpp" or "comfyui".
  virtual std::string_view kind() const = 0;

  // Generates request.n images. `timeout` bounds the whole call (the
  // request's remaining deadline); `stop` abandons it.
  virtual boost::asio::awaitable<UpstreamResult> Generate(
      const ImageRequest& request, std::chrono::steady_clock::duration timeout,
      std::stop_token stop) = 0;

  // Active health check: OK when the server answers its health endpoint and
  // can take work; kUnavailable (with the reason) otherwise.
  virtual boost::asio::awaitable<Status> CheckHealth(
      std::chrono::steady_clock::duration timeout, std::stop_token stop) = 0;
};

// Builds the adapter named by config.adapter. kInvalidArgument for an unknown
// kind or a bad URL; for comfyui, the workflow template is read through `fs`
// and validated here (kNotFound / kInvalidArgument naming the file).
StatusOr<std::unique_ptr<BackendAdapter>> MakeAdapter(
    const BackendConfig& config, http::Client& client,
    FileSystem& fs = LocalFileSystem());

// The media type of an encoded image from its first bytes, "" if unknown.
std::string_view SniffImageType(std::string_view bytes);

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_ADAPTER_H_
