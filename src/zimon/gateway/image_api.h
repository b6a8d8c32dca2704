// The OpenAI Images API front of `zimon serve` (POST /v1/images/generations),
// as pure functions so that the HTTP route is a thin wrapper and every rule
// is unit-tested (docs/gateway.md, "API"):
//
//   if (!Authorized(req.headers.GetOr("Authorization", ""), keys))
//     return Reply(Unauthorized());
//   StatusOr<RequestHeaders> headers = ParseRequestHeaders(req.headers, ...);
//   if (!headers.ok()) return Reply(InvalidHeader(headers.status()));
//   ParsedImageRequest parsed = ParseImageRequest(req.body, limits);
//   if (!parsed.ok()) return Reply(parsed.error());
//   ...
//   reply 200, RenderImagesResponse(now_unix, images)
//
// where Reply(e) answers e.http_status with ErrorJson(e), plus Retry-After
// when e.retry_after is set.
//
// Thread safety: free functions on values; safe from any thread.
#ifndef ZIMON_GATEWAY_IMAGE_API_H_
#define ZIMON_GATEWAY_IMAGE_API_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/config.h"
#include "zimon/common/status.h"
#include "zimon/gateway/image_request.h"
#include "zimon/http/headers.h"
#include "zimon/http/message.h"

namespace zimon::gateway {

// An error as the client sees it: the HTTP status and OpenAI's error object
// {"error": {"message", "type", "param", "code"}}.
struct ApiError {
  int http_status = 500;
  std::string type;     // "invalid_request_error", "server_error", ...
  std::string message;  // for people
  std::string param;    // the request field or header at fault; empty: null
  std::string code;     // machine-readable; empty: null
  // 429 and 503: the Retry-After header to send, in whole seconds.
  std::optional<std::chrono::seconds> retry_after;

  friend bool operator==(const ApiError&, const ApiError&) = default;
};

// {"error":{"message":...,"type":...,"param":...,"code":...}}; an absent
// param or code is null. Invalid UTF-8 is replaced, never thrown on.
std::string OpenAiErrorJson(std::string_view message, std::string_view type,
                            std::optional<std::string_view> param,
                            std::optional<std::string_view> code);
// OpenAiErrorJson of e (empty param and code are null).
std::string ErrorJson(const ApiError& e);

// Any error of the API; the constructors below give the usual ones.
ApiError MakeApiError(int http_status, std::string type, std::string message,
                      std::string code, std::string param = "");

// The errors of the API, one constructor per row of the table in
// docs/gateway.md.
// 400 invalid_request_error; param names the field or header at fault.
ApiError InvalidRequest(std::string message, std::string param = "",
                        std::string code = "");
// 400 for a bad X-Request-Timeout or X-Priority (ParseRequestHeaders'
// status): code invalid_header.
ApiError InvalidHeader(const Status& status);
// 401 authentication_error, code invalid_api_key.
ApiError Unauthorized();
// 413 invalid_request_error, code request_too_large.
ApiError RequestTooLarge(uint64_t max_body_bytes);
// 431 invalid_request_error, code request_header_too_large.
ApiError HeaderTooLarge(uint64_t max_header_bytes);
// 429 type requests, code rate_limit_exceeded (OpenAI's own answer), with
// Retry-After.
ApiError QueueFull(std::chrono::seconds retry_after);
// 503 server_error, code no_healthy_backend, with Retry-After.
ApiError NoHealthyBackend(std::chrono::seconds retry_after);
// 504 server_error, code timeout.
ApiError Timeout(std::chrono::milliseconds deadline);
// 502 server_error, code backend_error; message says what the backend did.
ApiError BackendError(std::string message);
// 500 server_error, code internal_error.
ApiError InternalServerError(std::string message);

// The error for a failed Status, by HttpStatusFor (status.h):
// kInvalidArgument -> InvalidRequest, kUnauthenticated -> Unauthorized,
// kResourceExhausted -> 429 (no Retry-After), kUnavailable -> 503,
// kDeadlineExceeded -> 504, kInternal -> 500, other 4xx ->
// invalid_request_error with the status code's name as code, anything else
// (an upstream failure) -> 502 backend_error.
ApiError ApiErrorFromStatus(const Status& status);

// The error for an answer the HTTP server or its router gives itself, with
// its status (a request it cannot read: 400, 413, 431; a handler past its
// deadline: 504; no route: 404; a method the path does not take: 405,
// code method_not_allowed): 413 and 431 by their constructors, 405 as
// invalid_request_error, the rest by ApiErrorFromStatus.
ApiError ServerError(int http_status, const Status& status,
                     uint64_t max_body_bytes, uint64_t max_header_bytes);

// Limits on one request, from the gateway config.
struct ImageApiLimits {
  int max_images = 10;
  int min_side = 256;
  int max_side = 2048;
};
ImageApiLimits LimitsFrom(const GatewayConfig& config);

// Longest prompt and negative_prompt accepted, in bytes.
inline constexpr size_t kMaxPromptBytes = 32 * 1024;

// The result of ParseImageRequest: a valid request, or the 400 to answer.
struct ParsedImageRequest {
  ImageRequest request;  // valid when status is OK
  Status status;         // kInvalidArgument: what is wrong, for people
  std::string param;     // the field at fault; empty: the body as a whole
  std::string code;      // invalid_json, missing_required_parameter,
                         // invalid_type or invalid_value

  bool ok() const { return status.ok(); }
  // The 400 invalid_request_error with message, param and code.
  ApiError error() const;
};

// The top-level members of a body that ParseImageRequest reads; others are
// accepted and ignored.
std::span<const std::string_view> ImageRequestFields();

// Parses and validates an OpenAI Images API body (docs/gateway.md lists every
// field). request_id is left empty (it comes from X-Request-Id). The first
// problem found is reported.
ParsedImageRequest ParseImageRequest(std::string_view body,
                                     const ImageApiLimits& limits);

// One image of a response: its bytes (sent base64-encoded as b64_json) when
// url is empty, else the url. When b64 is set it is sent as b64_json as it
// is (it must be base64 text: it is not escaped) and bytes is ignored.
struct RenderedImage {
  std::string bytes;
  http::SharedText b64;
  std::string url;
  std::string revised_prompt;  // empty: omitted
};

// {"created":<created_unix>,"data":[{"b64_json":"..."}|{"url":"..."},...]},
// built in one pass (no JSON tree), so a 3 MB image costs one base64 pass.
std::string RenderImagesResponse(int64_t created_unix,
                                 const std::vector<RenderedImage>& images);
// The same text as parts for http::Response::body_parts: a b64 of 16 KiB or
// more is a part of its own, shared, not copied (a 1 MB image passed through
// costs no copy at all); the JSON around it is gathered into small parts.
std::vector<http::SharedText> RenderImagesResponseParts(
    int64_t created_unix, const std::vector<RenderedImage>& images);

// True when keys is empty (no authentication), or authorization is
// "Bearer <key>" (scheme case-insensitive) for one of keys. The comparison
// takes the same time wherever the first differing byte is.
bool Authorized(std::string_view authorization,
                const std::vector<std::string>& keys);

// X-Request-Timeout: seconds ("30", "2.5") or a duration ("90s", "1m30s",
// "500ms"). Absent: def. Larger than max: max. Zero, negative or malformed:
// kInvalidArgument naming the header.
StatusOr<std::chrono::milliseconds> ParseRequestTimeout(
    std::optional<std::string_view> header, std::chrono::milliseconds def,
    std::chrono::milliseconds max);

// X-Priority: an integer 0..3, higher served first. Absent: 1, which leaves
// 0 for background work. Anything else: kInvalidArgument naming the header.
inline constexpr int kDefaultPriority = 1;
StatusOr<int> ParsePriority(std::optional<std::string_view> header);

// The per-request headers of the image API.
struct RequestHeaders {
  std::chrono::milliseconds timeout{0};  // queueing and generation
  int priority = kDefaultPriority;
};
// X-Request-Timeout and X-Priority from headers, as above.
StatusOr<RequestHeaders> ParseRequestHeaders(
    const http::Headers& headers, std::chrono::milliseconds def_timeout,
    std::chrono::milliseconds max_timeout);

// The base of `url` images' URLs: public_url when set, else "http://" +
// the Host header ("http://localhost" without one). A Host that is not
// host[:port] (a name of letters, digits, '-', '.', '_', or an IP literal
// in brackets; a port 0 to 65535, as ParseHostPort takes) is
// kInvalidArgument: the URL would not name this gateway.
StatusOr<std::string> ImageUrlBase(std::string_view public_url,
                                   std::optional<std::string_view> host);

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_IMAGE_API_H_
