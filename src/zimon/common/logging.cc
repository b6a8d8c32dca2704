#include "zimon/common/logging.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "zimon/common/ascii_words.h"

namespace zimon::log {
namespace internal {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
}  // namespace internal

namespace {

std::mutex& SinkMutex() {
  static std::mutex m;
  return m;
}
std::function<void(std::string_view)>& SinkSlot() {
  static std::function<void(std::string_view)> sink;
  return sink;
}

void AppendTimestamp(std::string& out) {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                    now.time_since_epoch())
                    .count() %
                1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  out += buf;
}

}  // namespace

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
    case Level::kOff:
      return "off";
  }
  return "info";
}

StatusOr<Level> ParseLevel(std::string_view name) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError,
                  Level::kOff}) {
    if (name == LevelName(l)) return l;
  }
  if (name == "warning") return Level::kWarn;
  return InvalidArgumentError("unknown log level \"" + std::string(name) +
                              "\" (want debug, info, warn, error or off)");
}

namespace {

// Length of the valid UTF-8 sequence at the start of `s`, 0 if invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](size_t i) {
    return i < s.size() && (b(i) & 0xc0) == 0x80;
  };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xe0 && b(1) < 0xa0) return 0;   // overlong
    if (c == 0xed && b(1) >= 0xa0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xf0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xf4 && b(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (PlainJsonAscii(static_cast<char>(c))) {
      size_t j = i + 1;
      while (s.size() - j >= 8 && PlainJsonAscii8(s.data() + j)) j += 8;
      while (j < s.size() && PlainJsonAscii(s[j])) ++j;
      out.append(s.data() + i, j - i);
      i = j;
      continue;
    }
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default: {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        }
      }
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(s.substr(i));
    if (n == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  out += '"';
}

Field::Field(std::string_view key, std::string_view value) : key_(key) {
  AppendJsonString(json_value_, value);
}
Field::Field(std::string_view key, bool value)
    : key_(key), json_value_(value ? "true" : "false") {}
Field::Field(std::string_view key, double value) : key_(key) {
  if (!std::isfinite(value)) {
    AppendJsonString(json_value_,
                     std::isnan(value) ? "NaN" : (value > 0 ? "+Inf" : "-Inf"));
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", value);
  json_value_ = buf;
}
Field::Field(std::string_view key, const Status& status) : key_(key) {
  AppendJsonString(json_value_, status.ToString());
}

void SetLevel(Level level) { internal::g_level.store(static_cast<int>(level)); }
Level GetLevel() { return static_cast<Level>(internal::g_level.load()); }

void SetSink(std::function<void(std::string_view)> sink) {
  std::lock_guard lock(SinkMutex());
  SinkSlot() = std::move(sink);
}

void Log(Level level, std::string_view msg, Fields fields) {
  if (!Enabled(level)) return;
  std::string line;
  line.reserve(96 + msg.size());
  line += "{\"ts\":\"";
  AppendTimestamp(line);
  line += "\",\"level\":\"";
  line += LevelName(level);
  line += "\",\"msg\":";
  AppendJsonString(line, msg);
  for (const Field& f : fields) {
    line += ',';
    AppendJsonString(line, f.key());
    line += ':';
    line += f.json_value();
  }
  line += '}';
  std::lock_guard lock(SinkMutex());
  if (SinkSlot()) {
    SinkSlot()(line);
  } else {
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

}  // namespace zimon::log
