#include "zimon/http/byte_range.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <string>
#include <system_error>

#include "zimon/http/headers.h"

namespace zimon::http {
namespace {

// Digits only, at least one; saturates at the largest uint64_t.
std::optional<uint64_t> ParseCount(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ptr != end) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    return std::numeric_limits<uint64_t>::max();
  }
  return value;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

RangeAnswer ResolveRange(std::string_view range, uint64_t size) {
  using Kind = RangeAnswer::Kind;
  range = TrimSpaces(range);
  constexpr std::string_view kUnit = "bytes=";
  if (!EqualsIgnoreCase(range.substr(0, kUnit.size()), kUnit)) return {};
  std::string_view spec = TrimSpaces(range.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return {};  // several ranges
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  const std::string_view first_text = spec.substr(0, dash);
  const std::string_view last_text = spec.substr(dash + 1);
  if (first_text.empty()) {  // "-N": the last N bytes
    std::optional<uint64_t> suffix = ParseCount(last_text);
    if (!suffix) return {};
    if (*suffix == 0 || size == 0) return {Kind::kUnsatisfiable};
    return {Kind::kPartial, *suffix < size ? size - *suffix : 0, size - 1};
  }
  std::optional<uint64_t> first = ParseCount(first_text);
  if (!first) return {};
  uint64_t last = std::numeric_limits<uint64_t>::max();
  if (!last_text.empty()) {
    std::optional<uint64_t> parsed = ParseCount(last_text);
    if (!parsed || *parsed < *first) return {};  // invalid: ignored
    last = *parsed;
  }
  if (*first >= size) return {Kind::kUnsatisfiable};
  return {Kind::kPartial, *first, std::min(last, size - 1)};
}

void ApplyRange(const Request& request, Response& response) {
  if (response.status != 200) return;
  response.headers.Set("Accept-Ranges", "bytes");
  std::optional<std::string_view> range = request.headers.Get("Range");
  if (!range || request.headers.Has("If-Range")) return;
  const uint64_t size = response.body.size();
  RangeAnswer answer = ResolveRange(*range, size);
  switch (answer.kind) {
    case RangeAnswer::Kind::kWhole:
      return;
    case RangeAnswer::Kind::kUnsatisfiable:
      response.status = 416;
      response.headers.Set("Content-Range", "bytes */" + std::to_string(size));
      response.body.clear();
      return;
    case RangeAnswer::Kind::kPartial:
      response.status = 206;
      response.headers.Set("Content-Range",
                           "bytes " + std::to_string(answer.first) + "-" +
                               std::to_string(answer.last) + "/" +
                               std::to_string(size));
      response.body = response.body.substr(
          static_cast<size_t>(answer.first),
          static_cast<size_t>(answer.last - answer.first + 1));
      return;
  }
}

}  // namespace zimon::http
