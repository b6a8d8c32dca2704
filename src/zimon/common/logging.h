// Structured logging: one JSON object per line.
//
//   log::Info("backend ejected", {{"backend", name}, {"failures", 3}});
//   -> {"ts":"2026-11-28T11:40:00.123Z","level":"info","msg":"backend ejected",
//       "backend":"gpu-0","failures":3}
//
// The sink (stderr by default) and the minimum level are process-wide. Log
// calls below the level cost one relaxed atomic load.
//
// Thread safety: all functions are thread-safe; each line is written whole.
#ifndef ZIMON_COMMON_LOGGING_H_
#define ZIMON_COMMON_LOGGING_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

#include "zimon/common/status.h"

namespace zimon::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

// "debug", "info", "warn", "error", "off".
std::string_view LevelName(Level level);
StatusOr<Level> ParseLevel(std::string_view name);

// One key and its value, encoded as JSON when the Field is built.
class Field {
 public:
  Field(std::string_view key, std::string_view value);
  Field(std::string_view key, const std::string& value)
      : Field(key, std::string_view(value)) {}
  Field(std::string_view key, const char* value)
      : Field(key, std::string_view(value)) {}
  Field(std::string_view key, bool value);
  Field(std::string_view key, double value);
  Field(std::string_view key, const Status& status);
  template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
      Field(std::string_view key, T value)
      : key_(key) {
    json_value_ = std::to_string(value);
  }

  std::string_view key() const { return key_; }
  const std::string& json_value() const { return json_value_; }

 private:
  std::string_view key_;
  std::string json_value_;
};

using Fields = std::initializer_list<Field>;

void SetLevel(Level level);
Level GetLevel();
inline bool Enabled(Level level);

// Replaces the sink. The sink gets each line without its trailing newline and
// must be thread-safe. Pass nullptr to restore stderr.
void SetSink(std::function<void(std::string_view line)> sink);

void Log(Level level, std::string_view msg, Fields fields = {});
inline void Debug(std::string_view msg, Fields fields = {}) {
  Log(Level::kDebug, msg, fields);
}
inline void Info(std::string_view msg, Fields fields = {}) {
  Log(Level::kInfo, msg, fields);
}
inline void Warn(std::string_view msg, Fields fields = {}) {
  Log(Level::kWarn, msg, fields);
}
inline void Error(std::string_view msg, Fields fields = {}) {
  Log(Level::kError, msg, fields);
}

// Appends `s` to `out` as a JSON string literal (with quotes). Bytes that
// are not valid UTF-8 become U+FFFD, one per bad byte, so the result is
// always valid JSON whatever the input.
void AppendJsonString(std::string& out, std::string_view s);

namespace internal {
extern std::atomic<int> g_level;
}
inline bool Enabled(Level level) {
  return static_cast<int>(level) >=
         internal::g_level.load(std::memory_order_relaxed);
}

}  // namespace zimon::log

#endif  // ZIMON_COMMON_LOGGING_H_
