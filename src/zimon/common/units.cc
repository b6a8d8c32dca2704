#include "zimon/common/units.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace zimon {
namespace {

std::string Quote(std::string_view s) {
  std::string out = "\"";
  out.append(s);
  out += '"';
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

struct DurationUnit {
  std::string_view name;
  int64_t ms;
};
// Largest first; "ms" before "m" so the longer name wins when matching.
constexpr DurationUnit kDurationUnits[] = {
    {"d", 86'400'000}, {"h", 3'600'000}, {"ms", 1}, {"m", 60'000}, {"s", 1000},
};

}  // namespace

StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return InvalidArgumentError(
        "expected a duration like 5s, 1m30s or 250ms, got " + Quote(text));
  };
  if (text == "0") return std::chrono::milliseconds(0);
  if (text.empty()) return bad();
  int64_t total = 0;
  int64_t last_unit = std::numeric_limits<int64_t>::max();
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t digits = 0;
    while (digits < rest.size() &&
           std::isdigit(static_cast<unsigned char>(rest[digits]))) {
      ++digits;
    }
    if (digits == 0) return bad();
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + digits, value);
    if (ec != std::errc()) return bad();
    rest.remove_prefix(digits);
    const DurationUnit* unit = nullptr;
    for (const DurationUnit& u : kDurationUnits) {
      if (rest.substr(0, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return bad();
    rest.remove_prefix(unit->name.size());
    if (unit->ms >= last_unit) return bad();  // units must shrink: 1m30s
    last_unit = unit->ms;
    if (value > (std::numeric_limits<int64_t>::max() - total) / unit->ms) {
      return InvalidArgumentError("duration " + Quote(text) + " is too long");
    }
    total += value * unit->ms;
  }
  return std::chrono::milliseconds(total);
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (const DurationUnit& u :
       {kDurationUnits[0], kDurationUnits[1], kDurationUnits[3],
        kDurationUnits[4], kDurationUnits[2]}) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms);
      out += u.name;
      ms %= u.ms;
    }
  }
  return out;
}

StatusOr<uint64_t> ParseByteSize(std::string_view text) {
  auto bad = [&] {
    return InvalidArgumentError("expected a size like 8MiB, got " +
                                Quote(text));
  };
  size_t i = 0;
  while (
      i < text.size() &&
      (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  std::string_view number = text.substr(0, i);
  std::string_view unit = text.substr(i);
  if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  if (number.empty() || number.front() == '.' || number.back() == '.') {
    return bad();
  }
  struct SizeUnit {
    std::string_view name;
    uint64_t factor;
  };
  static constexpr SizeUnit kUnits[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"MB", 1000'000},
      {"GB", 1000'000'000},
      {"TB", 1000'000'000'000},
      {"KiB", uint64_t{1} << 10},
      {"MiB", uint64_t{1} << 20},
      {"GiB", uint64_t{1} << 30},
      {"TiB", uint64_t{1} << 40},
  };
  uint64_t factor = 0;
  for (const SizeUnit& u : kUnits) {
    if (EqualsIgnoreCase(unit, u.name)) factor = u.factor;
  }
  if (factor == 0) return bad();
  if (number.find('.') == std::string_view::npos) {
    uint64_t value = 0;
    auto [ptr, ec] =
        std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc() || ptr != number.data() + number.size()) {
      return ec == std::errc::result_out_of_range
                 ? InvalidArgumentError("size " + Quote(text) + " is too large")
                 : bad();
    }
    if (value > std::numeric_limits<uint64_t>::max() / factor) {
      return InvalidArgumentError("size " + Quote(text) + " is too large");
    }
    return value * factor;
  }
  double value = 0;
  auto [ptr, ec] =
      std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || ptr != number.data() + number.size()) return bad();
  long double bytes = static_cast<long double>(value) * factor;
  if (bytes >= 18446744073709551615.0L) {
    return InvalidArgumentError("size " + Quote(text) + " is too large");
  }
  return static_cast<uint64_t>(std::floor(bytes));
}

std::string FormatByteSize(uint64_t bytes) {
  static constexpr std::pair<uint64_t, std::string_view> kUnits[] = {
      {uint64_t{1} << 40, "TiB"},
      {uint64_t{1} << 30, "GiB"},
      {uint64_t{1} << 20, "MiB"},
      {uint64_t{1} << 10, "KiB"},
  };
  for (const auto& [factor, name] : kUnits) {
    if (bytes != 0 && bytes % factor == 0) {
      return std::to_string(bytes / factor) + std::string(name);
    }
  }
  return std::to_string(bytes) + "B";
}

std::string HostPort::ToString() const {
  std::string out;
  if (host.find(':') != std::string::npos) {
    out = "[" + host + "]";
  } else {
    out = host;
  }
  out += ':';
  out += std::to_string(port);
  return out;
}

StatusOr<HostPort> ParseHostPort(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("expected host:port, e.g. 0.0.0.0:8080, got " +
                                Quote(text) + std::string(why));
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad(" (no port)");
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad("");
    host = host.substr(1, host.size() - 2);
    for (char c : host) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' &&
          c != '.') {
        return bad(" (bad IPv6 address)");
      }
    }
  } else {
    for (char c : host) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' &&
          c != '-' && c != '_') {
        return bad(host.find(':') != std::string_view::npos
                       ? " (put an IPv6 address in brackets)"
                       : " (bad host name)");
      }
    }
  }
  unsigned value = 0;
  auto [ptr, ec] =
      std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() ||
      value > 65535) {
    return bad(" (port must be 0..65535)");
  }
  HostPort out;
  out.host = host.empty() ? "0.0.0.0" : std::string(host);
  out.port = static_cast<uint16_t>(value);
  return out;
}

}  // namespace zimon
