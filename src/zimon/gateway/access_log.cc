#include "zimon/gateway/access_log.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "zimon/common/logging.h"
#include "zimon/common/random_id.h"

namespace zimon::gateway {
namespace {

bool IsRequestIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-';
}

void AppendTimestamp(std::string& out, Clock::WallTime now) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                now.time_since_epoch())
                .count();
  auto secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  auto millis = static_cast<int>(ms - static_cast<int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // sized for any int fields, to satisfy -Wformat-truncation
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, millis);
  out += '"';
  out += buf;
  out += '"';
}

void AppendKey(std::string& out, std::string_view key) {
  out += ',';
  log::AppendJsonString(out, key);
  out += ':';
}

void AppendStringOrNull(std::string& out, std::string_view key,
                        std::string_view value) {
  AppendKey(out, key);
  if (value.empty()) {
    out += "null";
  } else {
    log::AppendJsonString(out, value);
  }
}

void AppendNumber(std::string& out, std::string_view key,
                  std::optional<double> value) {
  AppendKey(out, key);
  if (!value.has_value() || !std::isfinite(*value)) {
    out += "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", *value);
  out += buf;
}

void AppendInteger(std::string& out, std::string_view key, int64_t value) {
  AppendKey(out, key);
  out += std::to_string(value);
}

std::optional<double> Seconds(std::optional<std::chrono::duration<double>> d) {
  if (!d.has_value()) return std::nullopt;
  return d->count();
}

}  // namespace

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdBytes) return false;
  for (char c : id) {
    if (!IsRequestIdChar(c)) return false;
  }
  return true;
}

std::string AcceptOrMakeRequestId(std::string_view header) {
  if (IsValidRequestId(header)) return std::string(header);
  return NewTimeOrderedId(kMadeRequestIdPrefix);
}

std::string FormatAccessLogLine(const AccessLogEntry& entry,
                                Clock::WallTime now) {
  std::string out;
  out.reserve(384);
  out += "{\"ts\":";
  AppendTimestamp(out, now);
  out += R"(,"level":"info","msg":"access")";
  AppendStringOrNull(out, "request_id", entry.request_id);
  AppendStringOrNull(out, "method", entry.method);
  AppendStringOrNull(out, "path", entry.path);
  AppendInteger(out, "status", entry.status);
  AppendStringOrNull(out, "outcome", entry.outcome);
  AppendStringOrNull(out, "backend", entry.backend);
  AppendNumber(out, "queue_wait_s", Seconds(entry.queue_wait));
  AppendNumber(out, "upstream_s", Seconds(entry.upstream));
  AppendNumber(out, "total_s", entry.total.count());
  AppendStringOrNull(out, "size", entry.size);
  AppendInteger(out, "images", entry.images);
  AppendNumber(out, "quality_score", entry.quality_score);
  AppendInteger(out, "bytes_out", static_cast<int64_t>(entry.bytes_out));
  out += '}';
  return out;
}

AccessLog::AccessLog(Sink sink, Clock& clock)
    : sink_(std::move(sink)), clock_(clock) {
  if (!sink_) {
    sink_ = [](std::string_view line) {
      // One fwrite per line: stdio locks the stream, so lines never
      // interleave.
      std::string with_newline(line);
      with_newline += '\n';
      std::fwrite(with_newline.data(), 1, with_newline.size(), stdout);
      std::fflush(stdout);
    };
  }
}

void AccessLog::Write(const AccessLogEntry& entry) const {
  sink_(FormatAccessLogLine(entry, clock_.Now()));
}

}  // namespace zimon::gateway
