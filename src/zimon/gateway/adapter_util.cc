#include "zimon/gateway/adapter_util.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <vector>

#include "zimon/common/clock.h"
#include "zimon/common/logging.h"
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

// kFailure (kDataLoss) for a 200 answer that cannot be used.
UpstreamResult Malformed(std::string_view what, std::string_view why) {
  return MakeResult(UpstreamOutcome::kFailure,
                    DataLossError(std::string(what) +
                                  ": malformed answer: " + std::string(why)),
                    200);
}

// kSuccess with the first `n` of `images`, or kFailure when there are fewer.
UpstreamResult FirstImages(std::vector<GeneratedImage> images, int n,
                           std::string_view what) {
  if (static_cast<int>(images.size()) < n) {
    return Malformed(what, std::to_string(images.size()) + " of " +
                               std::to_string(n) + " images");
  }
  images.resize(static_cast<size_t>(n));
  UpstreamResult result;
  result.http_status = 200;
  result.outcome = UpstreamOutcome::kSuccess;
  result.images = std::move(images);
  return result;
}

std::string Cut(std::string_view s) {
  if (s.size() <= kMaxDetail) return std::string(s);
  return std::string(s.substr(0, kMaxDetail)) + "...";
}

// Reads an OpenAI images answer without building a JSON tree: the b64_json
// strings (most of the body) are checked for canonical base64 and their
// closing quote found in one SIMD pass. Anything it does not fully understand
// (an escape or a non-ASCII byte in a string, a duplicate key, a missing
// b64_json, deep nesting, a syntax error) makes Scan() give nullopt, and
// the caller falls back to nlohmann, which parses exactly as before.
class ImagesScanner {
 public:
  explicit ImagesScanner(std::string_view text) : s_(text) {}

  // The b64_json values of data[], in order.
  std::optional<std::vector<std::string_view>> Scan() {
    std::vector<std::string_view> images;
    bool seen_data = false;
    if (!Eat('{')) return std::nullopt;
    if (!Eat('}')) {
      do {
        std::string_view key;
        if (!Key(key)) return std::nullopt;
        if (key == "data") {
          if (seen_data || !Data(images)) return std::nullopt;
          seen_data = true;
        } else if (!SkipValue(0)) {
          return std::nullopt;
        }
      } while (Eat(','));
      if (!Eat('}')) return std::nullopt;
    }
    SkipSpace();
    if (p_ != s_.size() || !seen_data) return std::nullopt;
    return images;
  }

 private:
  static constexpr int kMaxDepth = 32;

  void SkipSpace() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\n' ||
                              s_[p_] == '\r' || s_[p_] == '\t')) {
      ++p_;
    }
  }
  bool Eat(char c) {
    SkipSpace();
    if (p_ < s_.size() && s_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }
  // A string of printable ASCII without escapes: its contents.
  bool PlainString(std::string_view& out) {
    if (!Eat('"')) return false;
    size_t start = p_;
    for (; p_ < s_.size(); ++p_) {
      auto c = static_cast<unsigned char>(s_[p_]);
      if (c == '"') {
        out = s_.substr(start, p_ - start);
        ++p_;
        return true;
      }
      if (c < 0x20 || c >= 0x80 || c == '\\') return false;
    }
    return false;
  }
  bool Key(std::string_view& key) { return PlainString(key) && Eat(':'); }
  // data: [ {"b64_json": "...", other keys skipped}, ... ]
  bool Data(std::vector<std::string_view>& images) {
    if (!Eat('[')) return false;
    if (Eat(']')) return true;
    do {
      if (!Eat('{')) return false;
      std::optional<std::string_view> b64;
      if (!Eat('}')) {
        do {
          std::string_view key;
          if (!Key(key)) return false;
          if (key == "b64_json") {
            if (b64 || !Eat('"')) return false;
            b64 = Base64String();
            if (!b64) return false;
          } else if (!SkipValue(1)) {
            return false;
          }
        } while (Eat(','));
        if (!Eat('}')) return false;
      }
      if (!b64) return false;
      images.push_back(*b64);
    } while (Eat(','));
    return Eat(']');
  }
  // After the opening quote: a string of base64 alphabet characters and up
  // to two '=' (anything else, an escape included, fails); its contents.
  std::optional<std::string_view> Base64String() {
    size_t start = p_;
    size_t end = start + Base64AlphabetPrefix(s_.substr(start));
    for (int k = 0; k < 2 && end < s_.size() && s_[end] == '='; ++k) ++end;
    if (end >= s_.size() || s_[end] != '"') return std::nullopt;
    p_ = end + 1;
    return s_.substr(start, end - start);
  }
  bool SkipValue(int depth) {
    if (depth > kMaxDepth) return false;
    SkipSpace();
    if (p_ >= s_.size()) return false;
    char c = s_[p_];
    if (c == '"') {
      std::string_view ignored;
      return PlainString(ignored);
    }
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++p_;
      if (Eat(close)) return true;
      do {
        std::string_view key;
        if (c == '{' && !Key(key)) return false;
        if (!SkipValue(depth + 1)) return false;
      } while (Eat(','));
      return Eat(close);
    }
    for (std::string_view word : {"true", "false", "null"}) {
      if (s_.substr(p_, word.size()) == word) {
        p_ += word.size();
        return true;
      }
    }
    return Number();
  }
  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool Number() {
    auto digits = [&] {
      size_t start = p_;
      while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
      return p_ > start;
    };
    if (p_ < s_.size() && s_[p_] == '-') ++p_;
    if (p_ < s_.size() && s_[p_] == '0') {
      ++p_;
    } else if (!digits()) {
      return false;
    }
    if (p_ < s_.size() && s_[p_] == '.') {
      ++p_;
      if (!digits()) return false;
    }
    if (p_ < s_.size() && (s_[p_] == 'e' || s_[p_] == 'E')) {
      ++p_;
      if (p_ < s_.size() && (s_[p_] == '+' || s_[p_] == '-')) ++p_;
      if (!digits()) return false;
    }
    return true;
  }

  std::string_view s_;
  size_t p_ = 0;
};

// The images of a well-formed answer whose b64_json values are canonical
// base64, kept as text; nullopt when the slow path must decide.
std::optional<std::vector<GeneratedImage>> ScanImages(
    const std::shared_ptr<const std::string>& body) {
  std::optional<std::vector<std::string_view>> texts =
      ImagesScanner(*body).Scan();
  if (!texts) return std::nullopt;
  std::vector<GeneratedImage> images(texts->size());
  for (size_t i = 0; i < texts->size(); ++i) {
    std::string_view text = (*texts)[i];
    // The scanner let only the alphabet and final '=' through: what is left
    // to check is the length and the last four characters.
    if (text.size() % 4 != 0 ||
        (!text.empty() && !IsCanonicalBase64(text.substr(text.size() - 4)))) {
      return std::nullopt;
    }
    images[i].b64 = http::SharedText(body, text);  // shared, not copied
    // 16 characters are 12 bytes: enough for every signature sniffed.
    StatusOr<std::string> head = Base64Decode(text.substr(0, 16));
    if (!head.ok()) return std::nullopt;
    images[i].media_type = std::string(SniffImageType(*head));
  }
  return images;
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

void JsonObjectWriter::Key(std::string_view key) {
  if (out_.empty()) {
    // Room for a request body with a long prompt, in one allocation.
    out_.reserve(512);
    out_ += '{';
  } else {
    out_ += ',';
  }
  log::AppendJsonString(out_, key);
  out_ += ':';
}

JsonObjectWriter& JsonObjectWriter::Add(std::string_view key,
                                        std::string_view value) {
  Key(key);
  log::AppendJsonString(out_, value);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::Add(std::string_view key, int64_t value) {
  Key(key);
  out_ += std::to_string(value);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::Add(std::string_view key, double value) {
  Key(key);
  if (!std::isfinite(value)) {
    out_ += "null";
    return *this;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  std::string_view text(buf, static_cast<size_t>(end - buf));
  out_ += text;
  // "7" would read back as an integer: keep it a JSON number with a fraction,
  // as Python's json.dumps and nlohmann write doubles.
  if (text.find_first_of(".e") == std::string_view::npos) out_ += ".0";
  return *this;
}

std::string JsonObjectWriter::Finish() {
  if (out_.empty()) out_ += '{';
  out_ += '}';
  return std::move(out_);
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
  return ParseImagesResponse(std::make_shared<const std::string>(body), n,
                             what);
}

UpstreamResult ParseImagesResponse(
    const std::shared_ptr<const std::string>& shared_body, int n,
    std::string_view what) {
  if (std::optional<std::vector<GeneratedImage>> fast =
          ScanImages(shared_body)) {
    // The usual answer: the base64 text is kept for the client as it came.
    return FirstImages(std::move(*fast), n, what);
  }
  json j = json::parse(*shared_body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Malformed(what, "not a JSON object");
  auto data = j.find("data");
  if (data == j.end() || !data->is_array()) {
    return Malformed(what, "no data array");
  }
  return DecodeImageItems(*data, n, what);
}

UpstreamResult DecodeImageItems(const nlohmann::json& items, int n,
                                std::string_view what) {
  std::vector<GeneratedImage> images;
  for (const json& item : items) {
    if (!item.is_object())
      return Malformed(what, "image item is not an object");
    auto b64 = item.find("b64_json");
    if (b64 == item.end() || !b64->is_string()) {
      return Malformed(what, "image item without b64_json");
    }
    StatusOr<std::string> bytes =
        Base64Decode(b64->get_ref<const std::string&>());
    if (!bytes.ok()) return Malformed(what, bytes.status().message());
    GeneratedImage image;
    image.media_type = std::string(SniffImageType(*bytes));
    image.bytes = std::move(*bytes);
    images.push_back(std::move(image));
  }
  return FirstImages(std::move(images), n, what);
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
  if (!response.ok()) {
    UpstreamResult failed = FromTransportError(response.status(), what);
    // Left by the client or timed out with the request sent: neither API has
    // a way to stop the server, which may go on with the image.
    failed.may_still_run =
        failed.outcome == UpstreamOutcome::kCancelled ||
        failed.status.code() == StatusCode::kDeadlineExceeded;
    co_return failed;
  }
  if (response->status != 200) {
    co_return FromHttpError(response->status, response->body, what);
  }
  // The answer is kept whole and its images' base64 point into it: the
  // text reaches the client without a copy.
  co_return ParseImagesResponse(
      std::make_shared<const std::string>(std::move(response->body)), n, what);
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

std::string StringAt(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string JoinUrl(std::string_view base, std::string_view path) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + std::string(path);
}

uint64_t RandomU64() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine();
}

Deadline::Deadline(Duration timeout)
    : at_(SaturatingAdd(Clock::now(), timeout)) {}

Duration Deadline::Remaining() const {
  if (at_ == Clock::time_point::max()) return Duration::max();
  Duration left = at_ - Clock::now();
  return left > Duration::zero() ? left : Duration(1);
}

bool Deadline::Passed() const { return Clock::now() >= at_; }

}  // namespace zimon::gateway::adapter_internal
