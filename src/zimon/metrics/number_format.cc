#include "zimon/metrics/number_format.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace zimon::metrics {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

// Returns false for NaN/Inf after writing their names.
bool AppendSpecial(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (v == std::numeric_limits<double>::infinity()) {
    out += "+Inf";
  } else if (v == -std::numeric_limits<double>::infinity()) {
    out += "-Inf";
  } else {
    return false;
  }
  return true;
}

}  // namespace

void AppendDouble(std::string& out, double v) {
  if (AppendSpecial(out, v)) return;
  char buf[32];
  // Whole numbers (most counter values) take the integer path when the
  // shortest form is the plain one: to_chars(double) picks scientific
  // notation only when it is strictly shorter (1e+05 vs 100000).
  if (v > -1e15 && v < 1e15 &&
      v == static_cast<double>(static_cast<int64_t>(v)) &&
      !(v == 0 && std::signbit(v))) {
    auto n = static_cast<int64_t>(v);
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), n);
    int digits = static_cast<int>(end - buf) - (n < 0 ? 1 : 0);
    int zeros = 0;
    while (zeros < digits - 1 && end[-1 - zeros] == '0') ++zeros;
    int mantissa = digits - zeros;
    int scientific = mantissa + (mantissa > 1 ? 1 : 0) + 4;  // d[.ddd]e+XX
    if (digits <= scientific) {
      out.append(buf, end);
      return;
    }
  }
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, end);
}

void AppendCanonicalDouble(std::string& out, double v) {
  if (AppendSpecial(out, v)) return;
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  std::string_view text(buf, end - buf);
  out += text;
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, end);
}

void AppendUint(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, end);
}

void AppendSecondsFromMillis(std::string& out, int64_t ms) {
  uint64_t magnitude = ms < 0 ? uint64_t{0} - static_cast<uint64_t>(ms)
                              : static_cast<uint64_t>(ms);
  if (ms < 0) out += '-';
  AppendUint(out, magnitude / 1000);
  unsigned frac = static_cast<unsigned>(magnitude % 1000);
  if (frac == 0) return;
  char digits[4] = {'.', static_cast<char>('0' + frac / 100),
                    static_cast<char>('0' + frac / 10 % 10),
                    static_cast<char>('0' + frac % 10)};
  size_t len = 4;
  while (digits[len - 1] == '0') --len;
  out.append(digits, len);
}

std::optional<double> ParseDouble(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool negative = false;
  std::string_view body = text;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.empty()) return std::nullopt;
  char first = body[0];
  if (!((first >= '0' && first <= '9') || first == '.')) {
    if (EqualsIgnoreCase(body, "inf") || EqualsIgnoreCase(body, "infinity")) {
      return negative ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
    }
    if (EqualsIgnoreCase(body, "nan")) {
      return std::numeric_limits<double>::quiet_NaN();
    }
    return std::nullopt;
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  // Out-of-range values saturate, as Go's ParseFloat does.
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves v untouched; decide by the exponent's sign.
    size_t e = body.find_first_of("eE");
    bool tiny = e != std::string_view::npos && e + 1 < body.size() &&
                body[e + 1] == '-';
    v = tiny ? 0.0 : std::numeric_limits<double>::infinity();
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  if (ptr != body.data() + body.size()) return std::nullopt;
  return negative ? -v : v;
}

std::optional<int64_t> ParseInt64(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  if (text.empty() || text[0] == '+') return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size())
    return std::nullopt;
  return v;
}

std::optional<int64_t> ParseSecondsAsMillis(std::string_view text) {
  std::optional<double> seconds = ParseDouble(text);
  if (!seconds || !std::isfinite(*seconds)) return std::nullopt;
  double ms = std::round(*seconds * 1000.0);
  if (!(std::fabs(ms) < 9.2e18)) return std::nullopt;
  return static_cast<int64_t>(ms);
}

}  // namespace zimon::metrics
