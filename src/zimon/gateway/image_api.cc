#include "zimon/gateway/image_api.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "zimon/common/logging.h"
#include "zimon/common/units.h"
#include "zimon/gateway/admission.h"
#include "zimon/gateway/base64.h"
#include "zimon/gateway/json_members.h"

namespace zimon::gateway {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

ApiError MakeError(int http_status, std::string type, std::string message,
                   std::string param, std::string code) {
  return MakeApiError(http_status, std::move(type), std::move(message),
                      std::move(code), std::move(param));
}

// ---- Request body ------------------------------------------------------

// JSON type names as a client would write them.
std::string TypeName(const json& v) {
  if (v.is_number_integer()) return "an integer";
  if (v.is_number_float()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return "null";
}

// The top-level members a request may have that the gateway reads; others
// are accepted and ignored (docs/gateway.md, "API").
constexpr std::string_view kRequestFields[] = {"prompt",
                                               "negative_prompt",
                                               "model",
                                               "n",
                                               "size",
                                               "response_format",
                                               "output_format",
                                               "seed",
                                               "num_inference_steps",
                                               "guidance_scale"};

// The values of kRequestFields in a request body (null when absent).
struct RequestFields {
  std::array<json, std::size(kRequestFields)> values;
};

// The index of `name` in kRequestFields, found while compiling (a name not
// there does not compile), so that reading a field costs no search.
consteval size_t Member(std::string_view name) {
  for (size_t i = 0; i < std::size(kRequestFields); ++i) {
    if (kRequestFields[i] == name) return i;
  }
  throw "not one of kRequestFields";
}

// A field's name, for messages (kRequestFields are literals: NUL-ended).
const char* NameOf(size_t member) { return kRequestFields[member].data(); }

// The field, unless absent or null (both mean "use the default"). Not
// const: strings are moved out of it.
json* Field(RequestFields& obj, size_t member) {
  json& value = obj.values[member];
  return value.is_null() ? nullptr : &value;
}

ApiError WrongType(const char* field, const char* want, const json& got) {
  return InvalidRequest(std::string("Invalid type for '") + field +
                            "': expected " + want + ", got " + TypeName(got) +
                            ".",
                        field, "invalid_type");
}

ApiError BadValue(const char* field, std::string problem) {
  return InvalidRequest(
      std::string("Invalid value for '") + field + "': " + problem + ".", field,
      "invalid_value");
}

std::optional<ApiError> ReadString(RequestFields& obj, size_t member,
                                   std::string& out) {
  json* v = Field(obj, member);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) return WrongType(NameOf(member), "a string", *v);
  out = std::move(v->get_ref<std::string&>());
  return std::nullopt;
}

// An integer in [min, max]; 3.0 and "3" are rejected.
std::optional<ApiError> ReadInt(RequestFields& obj, size_t member, int64_t min,
                                int64_t max, std::optional<int64_t>& out) {
  const char* field = NameOf(member);
  const json* v = Field(obj, member);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer()) return WrongType(field, "an integer", *v);
  // Compare in 64 bits before narrowing so huge values cannot wrap.
  if (v->is_number_unsigned() &&
      v->get<uint64_t>() > static_cast<uint64_t>(max)) {
    return BadValue(field, "must be from " + std::to_string(min) + " to " +
                               std::to_string(max) + ", got " + v->dump());
  }
  const int64_t value = v->get<int64_t>();
  if (value < min || value > max) {
    return BadValue(field, "must be from " + std::to_string(min) + " to " +
                               std::to_string(max) + ", got " +
                               std::to_string(value));
  }
  out = value;
  return std::nullopt;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// A positive decimal integer of at most 5 digits.
std::optional<int> ParseSide(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  int value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

std::optional<ApiError> ReadSize(RequestFields& obj,
                                 const ImageApiLimits& limits,
                                 ImageRequest& req) {
  // "auto": the model's native 1024x1024, within the configured range.
  const int native = std::clamp(1024, limits.min_side, limits.max_side);
  req.width = req.height = native;
  const json* v = Field(obj, Member("size"));
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) return WrongType("size", "a string", *v);
  const std::string& text = v->get_ref<const std::string&>();
  if (text == "auto") return std::nullopt;
  const size_t x = text.find_first_of("xX");
  std::optional<int> w, h;
  if (x != std::string::npos) {
    w = ParseSide(std::string_view(text).substr(0, x));
    h = ParseSide(std::string_view(text).substr(x + 1));
  }
  if (!w || !h) {
    return BadValue("size",
                    "expected \"WIDTHxHEIGHT\" (e.g. \"1024x1024\") or "
                    "\"auto\", got " +
                        Dump(*v));
  }
  for (int side : {*w, *h}) {
    if (side < limits.min_side || side > limits.max_side || side % 16 != 0) {
      return BadValue("size", "each side must be a multiple of 16 from " +
                                  std::to_string(limits.min_side) + " to " +
                                  std::to_string(limits.max_side) + ", got " +
                                  text);
    }
  }
  req.width = *w;
  req.height = *h;
  return std::nullopt;
}

std::optional<ApiError> ReadPrompts(RequestFields& obj, ImageRequest& req) {
  json* prompt = Field(obj, Member("prompt"));
  if (prompt == nullptr) {
    return InvalidRequest("Missing required parameter: 'prompt'.", "prompt",
                          "missing_required_parameter");
  }
  if (!prompt->is_string()) return WrongType("prompt", "a string", *prompt);
  req.prompt = std::move(prompt->get_ref<std::string&>());
  if (Trim(req.prompt).empty()) return BadValue("prompt", "must not be empty");
  if (req.prompt.size() > kMaxPromptBytes) {
    return BadValue("prompt",
                    "must be at most " + std::to_string(kMaxPromptBytes) +
                        " bytes, got " + std::to_string(req.prompt.size()));
  }
  if (auto e =
          ReadString(obj, Member("negative_prompt"), req.negative_prompt)) {
    return e;
  }
  if (req.negative_prompt.size() > kMaxPromptBytes) {
    return BadValue("negative_prompt",
                    "must be at most " + std::to_string(kMaxPromptBytes) +
                        " bytes, got " +
                        std::to_string(req.negative_prompt.size()));
  }
  return std::nullopt;
}

std::optional<ApiError> ReadFormat(RequestFields& obj, ImageRequest& req) {
  std::string format;
  if (auto e = ReadString(obj, Member("response_format"), format)) return e;
  if (format == "url") {
    req.response_format = ResponseFormat::kUrl;
  } else if (format.empty() || format == "b64_json") {
    req.response_format = ResponseFormat::kB64Json;
  } else {
    return BadValue("response_format",
                    "expected \"b64_json\" or \"url\", got " + Dump(format));
  }
  std::string output_format;
  if (auto e = ReadString(obj, Member("output_format"), output_format))
    return e;
  if (!output_format.empty() && output_format != "png") {
    return BadValue("output_format",
                    "only \"png\" is supported, got " + Dump(output_format));
  }
  return std::nullopt;
}

std::optional<ApiError> ReadSampling(RequestFields& obj, ImageRequest& req) {
  std::optional<int64_t> value;
  // -1 is the "random seed" of sd.cpp and the webuis: the same as no seed.
  if (auto e = ReadInt(obj, Member("seed"), -1,
                       std::numeric_limits<int64_t>::max(), value)) {
    return e;
  }
  if (value && *value >= 0) req.seed = *value;
  value.reset();
  if (auto e = ReadInt(obj, Member("num_inference_steps"), 1, 100, value))
    return e;
  if (value) req.steps = static_cast<int>(*value);
  if (const json* g = Field(obj, Member("guidance_scale"))) {
    if (!g->is_number()) return WrongType("guidance_scale", "a number", *g);
    const double scale = g->get<double>();
    if (!(scale >= 0 && scale <= 30)) {
      return BadValue("guidance_scale",
                      "must be from 0 to 30, got " + g->dump());
    }
    req.guidance_scale = scale;
  }
  return std::nullopt;
}

void AppendBase64(std::string_view bytes, std::string& out) {
  const size_t at = out.size();
  out.resize(at + Base64EncodedSize(bytes.size()));
  Base64EncodeTo(bytes, out.data() + at);
}

// ---- Headers -----------------------------------------------------------

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Seconds as "30" or "2.5": digits with at most one '.', no sign.
std::optional<milliseconds> ParseDecimalSeconds(std::string_view s) {
  if (s.empty() || s.size() > 32) return std::nullopt;
  int dots = 0;
  for (char c : s) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return std::nullopt;
    }
  }
  if (dots > 1 || s == ".") return std::nullopt;
  double seconds = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
  if (ec == std::errc::result_out_of_range) {
    return milliseconds::max();
  }
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  // Beyond a year is "as long as allowed"; the caller caps it.
  if (seconds > 365.0 * 86400) return milliseconds::max();
  return milliseconds(static_cast<int64_t>(std::llround(seconds * 1000)));
}

}  // namespace

std::string OpenAiErrorJson(std::string_view message, std::string_view type,
                            std::optional<std::string_view> param,
                            std::optional<std::string_view> code) {
  // OpenAI's own key order, for people comparing the two by eye.
  using ordered = nlohmann::ordered_json;
  ordered error = ordered::object();
  error["message"] = std::string(message);
  error["type"] = std::string(type);
  error["param"] = param ? ordered(std::string(*param)) : ordered(nullptr);
  error["code"] = code ? ordered(std::string(*code)) : ordered(nullptr);
  ordered doc = ordered::object();
  doc["error"] = std::move(error);
  return doc.dump(-1, ' ', false, ordered::error_handler_t::replace);
}

std::string ErrorJson(const ApiError& e) {
  auto opt = [](const std::string& s) -> std::optional<std::string_view> {
    if (s.empty()) return std::nullopt;
    return s;
  };
  return OpenAiErrorJson(e.message, e.type, opt(e.param), opt(e.code));
}

ApiError MakeApiError(int http_status, std::string type, std::string message,
                      std::string code, std::string param) {
  ApiError e;
  e.http_status = http_status;
  e.type = std::move(type);
  e.message = std::move(message);
  e.param = std::move(param);
  e.code = std::move(code);
  return e;
}

ApiError InvalidRequest(std::string message, std::string param,
                        std::string code) {
  return MakeError(400, "invalid_request_error", std::move(message),
                   std::move(param), std::move(code));
}

ApiError InvalidHeader(const Status& status) {
  return InvalidRequest(status.message(), "", "invalid_header");
}

ApiError Unauthorized() {
  return MakeError(401, "authentication_error",
                   "Incorrect or missing API key. Send the header "
                   "'Authorization: Bearer <key>'.",
                   "", "invalid_api_key");
}

ApiError RequestTooLarge(uint64_t max_body_bytes) {
  return MakeError(
      413, "invalid_request_error",
      "Request body is larger than " + FormatByteSize(max_body_bytes) + ".", "",
      "request_too_large");
}

ApiError HeaderTooLarge(uint64_t max_header_bytes) {
  return MakeError(
      431, "invalid_request_error",
      "Request header is larger than " + FormatByteSize(max_header_bytes) + ".",
      "", "request_header_too_large");
}

ApiError QueueFull(std::chrono::seconds retry_after) {
  ApiError e = MakeError(429, "requests",
                         "The gateway's queue is full. Retry after " +
                             std::to_string(retry_after.count()) + "s.",
                         "", "rate_limit_exceeded");
  e.retry_after = retry_after;
  return e;
}

ApiError NoHealthyBackend(std::chrono::seconds retry_after) {
  ApiError e = MakeError(503, "server_error",
                         "No healthy backend is available. Retry after " +
                             std::to_string(retry_after.count()) + "s.",
                         "", "no_healthy_backend");
  e.retry_after = retry_after;
  return e;
}

ApiError Timeout(milliseconds deadline) {
  return MakeError(504, "server_error",
                   "The request did not finish within its deadline of " +
                       FormatDuration(deadline) + ".",
                   "", "timeout");
}

ApiError BackendError(std::string message) {
  return MakeError(502, "server_error", std::move(message), "",
                   "backend_error");
}

ApiError InternalServerError(std::string message) {
  return MakeError(500, "server_error", std::move(message), "",
                   "internal_error");
}

ApiError ApiErrorFromStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return InvalidRequest(status.message());
    case StatusCode::kUnauthenticated:
      return Unauthorized();
    case StatusCode::kResourceExhausted:
      return MakeError(429, "requests", status.message(), "",
                       "rate_limit_exceeded");
    case StatusCode::kUnavailable:
      return MakeError(503, "server_error", status.message(), "",
                       "no_healthy_backend");
    case StatusCode::kDeadlineExceeded:
      return MakeError(504, "server_error", status.message(), "", "timeout");
    case StatusCode::kInternal:
      return InternalServerError(status.message());
    default:
      break;
  }
  const int http = HttpStatusFor(status.code());
  if (http >= 400 && http < 500) {
    std::string code(StatusCodeName(status.code()));
    std::transform(code.begin(), code.end(), code.begin(), [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return MakeError(http, "invalid_request_error", status.message(), "",
                     std::move(code));
  }
  return BackendError(status.message());
}

ApiError ServerError(int http_status, const Status& status,
                     uint64_t max_body_bytes, uint64_t max_header_bytes) {
  if (http_status == 413) return RequestTooLarge(max_body_bytes);
  if (http_status == 431) return HeaderTooLarge(max_header_bytes);
  if (http_status == 405) {
    return MakeError(405, "invalid_request_error", status.message(), "",
                     "method_not_allowed");
  }
  return ApiErrorFromStatus(status);
}

namespace {

// host[:port], as the comment on ImageUrlBase says: what ParseHostPort takes
// for a listen address, with the port optional and the host required.
bool ValidAuthority(std::string_view s) {
  if (s.empty() || s.size() > 255 || s.front() == ':') return false;
  const size_t close = s.front() == '[' ? s.find(']') : 0;
  if (close == std::string_view::npos) return false;
  const bool has_port = s.find(':', close) != std::string_view::npos;
  return ParseHostPort(std::string(s) + (has_port ? "" : ":80")).ok();
}

}  // namespace

StatusOr<std::string> ImageUrlBase(std::string_view public_url,
                                   std::optional<std::string_view> host) {
  if (!public_url.empty()) return std::string(public_url);
  if (!host) return std::string("http://localhost");
  if (!ValidAuthority(*host)) {
    return InvalidArgumentError(
        "Invalid Host header for a url response: expected host[:port], got " +
        Dump(std::string(*host)) +
        ". Send the gateway's own host, or set gateway.public_url.");
  }
  return "http://" + std::string(*host);
}

ImageApiLimits LimitsFrom(const GatewayConfig& config) {
  return {config.max_images, config.min_side, config.max_side};
}

ApiError ParsedImageRequest::error() const {
  return InvalidRequest(status.message(), param, code);
}

std::span<const std::string_view> ImageRequestFields() {
  return kRequestFields;
}

ParsedImageRequest ParseImageRequest(std::string_view body,
                                     const ImageApiLimits& limits) {
  ParsedImageRequest result;
  auto fail = [&result](ApiError e) {
    result.status = InvalidArgumentError(std::move(e.message));
    result.param = std::move(e.param);
    result.code = std::move(e.code);
    return std::move(result);
  };
  RequestFields fields;
  StatusOr<json::value_t> type =
      ReadJsonMembers(body, kRequestFields, fields.values);
  if (!type.ok()) {
    return fail(
        InvalidRequest("We could not parse the JSON body of your request: " +
                           type.status().message(),
                       "", "invalid_json"));
  }
  if (*type != json::value_t::object) {
    return fail(InvalidRequest("The request body must be a JSON object, got " +
                                   TypeName(json(*type)) + ".",
                               "", "invalid_json"));
  }
  ImageRequest& req = result.request;
  std::optional<int64_t> n;
  // quality, style, user, background, moderation and output_compression are
  // accepted and ignored, as are fields OpenAI does not define.
  if (auto e = ReadPrompts(fields, req)) return fail(std::move(*e));
  if (auto e = ReadString(fields, Member("model"), req.model))
    return fail(std::move(*e));
  if (auto e = ReadInt(fields, Member("n"), 1, limits.max_images, n)) {
    return fail(std::move(*e));
  }
  if (n) req.n = static_cast<int>(*n);
  if (auto e = ReadSize(fields, limits, req)) return fail(std::move(*e));
  if (auto e = ReadFormat(fields, req)) return fail(std::move(*e));
  if (auto e = ReadSampling(fields, req)) return fail(std::move(*e));
  return result;
}

std::vector<http::SharedText> RenderImagesResponseParts(
    int64_t created_unix, const std::vector<RenderedImage>& images) {
  // Shorter base64 texts are copied: a part of their own would cost more.
  constexpr size_t kSharedPartBytes = 16 * 1024;
  std::vector<http::SharedText> parts;
  std::string out;
  auto reserve = [&](size_t more) { out.reserve(out.size() + more); };
  // The usual answer (base64 text copied in) in one allocation.
  size_t first = 64;
  for (const RenderedImage& image : images) {
    if (image.b64.size() >= kSharedPartBytes) break;
    first += 32 + image.b64.size() + Base64EncodedSize(image.bytes.size()) +
             2 * (image.url.size() + image.revised_prompt.size());
  }
  reserve(first);
  out += "{\"created\":";
  out += std::to_string(created_unix);
  out += ",\"data\":[";
  for (size_t i = 0; i < images.size(); ++i) {
    const RenderedImage& image = images[i];
    if (i > 0) out += ',';
    if (image.url.empty()) {
      out += "{\"b64_json\":\"";
      if (image.b64.size() >= kSharedPartBytes) {
        parts.emplace_back(std::move(out));
        parts.push_back(image.b64);  // passed through; base64 needs no escapes
        out = std::string();
        reserve(64);
      } else if (!image.b64.empty()) {
        out += image.b64.view();
      } else {
        reserve(Base64EncodedSize(image.bytes.size()) + 64);
        AppendBase64(image.bytes, out);
      }
      out += '"';
    } else {
      reserve(image.url.size() * 2 + 16);
      out += "{\"url\":";
      log::AppendJsonString(out, image.url);
    }
    if (!image.revised_prompt.empty()) {
      reserve(image.revised_prompt.size() * 2 + 32);
      out += ",\"revised_prompt\":";
      log::AppendJsonString(out, image.revised_prompt);
    }
    out += '}';
  }
  out += "]}";
  parts.emplace_back(std::move(out));
  return parts;
}

std::string RenderImagesResponse(int64_t created_unix,
                                 const std::vector<RenderedImage>& images) {
  std::vector<http::SharedText> parts =
      RenderImagesResponseParts(created_unix, images);
  if (parts.size() == 1) return std::string(parts[0].view());
  size_t size = 0;
  for (const http::SharedText& part : parts) size += part.size();
  std::string out;
  out.reserve(size);
  for (const http::SharedText& part : parts) out += part.view();
  return out;
}

bool Authorized(std::string_view authorization,
                const std::vector<std::string>& keys) {
  if (keys.empty()) return true;
  const std::string_view h = Trim(authorization);
  constexpr std::string_view kBearer = "bearer";
  if (h.size() <= kBearer.size() ||
      !EqualsIgnoreCase(h.substr(0, kBearer.size()), kBearer) ||
      !IsSpace(h[kBearer.size()])) {
    return false;
  }
  const std::string_view token = Trim(h.substr(kBearer.size()));
  if (token.empty()) return false;
  // Every key is compared over its whole length with no early exit, so the
  // time taken says nothing about how much of a key a guess got right.
  unsigned match = 0;
  for (const std::string& key : keys) {
    unsigned diff = key.size() != token.size() ? 1u : 0u;
    for (size_t i = 0; i < key.size(); ++i) {
      diff |= static_cast<unsigned char>(key[i]) ^
              static_cast<unsigned char>(token[i % token.size()]);
    }
    match |= static_cast<unsigned>(diff == 0);
  }
  return match != 0;
}

StatusOr<milliseconds> ParseRequestTimeout(
    std::optional<std::string_view> header, milliseconds def,
    milliseconds max) {
  if (!header) return std::min(def, max);
  const std::string_view text = Trim(*header);
  std::optional<milliseconds> value = ParseDecimalSeconds(text);
  if (!value) {
    StatusOr<milliseconds> d = ParseDuration(text);
    if (d.ok()) value = *d;
  }
  if (!value || *value <= milliseconds(0)) {
    return InvalidArgumentError(
        "Invalid X-Request-Timeout header: expected a positive number of "
        "seconds (\"30\", \"2.5\") or a duration (\"90s\", \"1m30s\", "
        "\"500ms\"), got " +
        Dump(std::string(text)) + ".");
  }
  return std::min(*value, max);
}

StatusOr<int> ParsePriority(std::optional<std::string_view> header) {
  if (!header) return kDefaultPriority;
  const std::string_view text = Trim(*header);
  int value = -1;
  auto [ptr, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() ||
      value < kMinPriority || value > kMaxPriority) {
    return InvalidArgumentError(
        "Invalid X-Priority header: expected an integer from " +
        std::to_string(kMinPriority) + " to " + std::to_string(kMaxPriority) +
        ", got " + Dump(std::string(text)) + ".");
  }
  return value;
}

StatusOr<RequestHeaders> ParseRequestHeaders(const http::Headers& headers,
                                             milliseconds def_timeout,
                                             milliseconds max_timeout) {
  RequestHeaders out;
  ZIMON_ASSIGN_OR_RETURN(out.timeout,
                         ParseRequestTimeout(headers.Get("X-Request-Timeout"),
                                             def_timeout, max_timeout));
  ZIMON_ASSIGN_OR_RETURN(out.priority,
                         ParsePriority(headers.Get("X-Priority")));
  return out;
}

}  // namespace zimon::gateway
