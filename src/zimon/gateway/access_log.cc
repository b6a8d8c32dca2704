#include "zimon/gateway/access_log.h"

#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <utility>

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

// The most buffer a batch keeps between batches (about 3 000 lines).
constexpr size_t kKeptBufferBytes = 1 << 20;

metrics::Family<metrics::Counter>& LostLines(metrics::Registry& registry) {
  return registry.AddCounter(
      "zimon_access_log_lost_lines_total",
      "Access-log lines dropped: the queue was full (the sink stalled) or the "
      "sink failed.",
      {"reason"});
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

void AppendAccessLogLine(std::string& out, const AccessLogEntry& entry,
                         Clock::WallTime now) {
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
  out += "}\n";
}

std::string FormatAccessLogLine(const AccessLogEntry& entry,
                                Clock::WallTime now) {
  std::string out;
  out.reserve(384);
  AppendAccessLogLine(out, entry, now);
  out.pop_back();  // the newline
  return out;
}

AccessLog::AccessLog(Sink sink, Clock& clock, metrics::Registry& registry,
                     size_t max_pending)
    : sink_(std::move(sink)),
      clock_(clock),
      lost_queue_full_(LostLines(registry).WithLabels({"queue_full"})),
      lost_write_error_(LostLines(registry).WithLabels({"write_error"})),
      queue_full_report_("access log queue full: lines lost", "lines", clock),
      worker_("zimon-access", kGatherTime, max_pending,
              [this](std::vector<Stamped>& batch) { WriteBatch(batch); }) {}

void AccessLog::Write(AccessLogEntry entry) {
  if (!worker_.Add({std::move(entry), clock_.Now()})) {
    lost_queue_full_.Inc();
    queue_full_report_.Add();
  }
}

void AccessLog::WriteBatch(std::vector<Stamped>& batch) {
  queue_full_report_.Report();
  buffer_.clear();
  for (const Stamped& s : batch) AppendAccessLogLine(buffer_, s.entry, s.at);
  Status status = sink_(buffer_);
  if (!status.ok()) {
    lost_write_error_.Inc(static_cast<double>(batch.size()));
    if (write_losses_ == 0) {
      log::Error("cannot write the access log; lines are lost until it can",
                 {{"error", status}});
    }
    write_losses_ += batch.size();
  } else if (write_losses_ > 0) {
    log::Info("the access log is written again",
              {{"lines_lost", write_losses_}});
    write_losses_ = 0;
  }
  // A burst must not keep its buffer forever.
  if (buffer_.capacity() > kKeptBufferBytes) std::string().swap(buffer_);
}

AccessLog::Sink FdAccessSink(int fd, std::chrono::milliseconds timeout) {
  struct stat st {};
  // A regular file takes a batch in one write and never waits on a reader.
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  std::string what =
      fd == STDOUT_FILENO ? "standard output" : "fd " + std::to_string(fd);
  return [fd, timeout, regular,
          what = std::move(what)](std::string_view lines) -> Status {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!lines.empty()) {
      if (!regular) {
        // POLLOUT on a pipe means PIPE_BUF bytes fit without blocking.
        pollfd ready{fd, POLLOUT, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        const int n_ready = ::poll(
            &ready, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
        if (n_ready < 0) {
          if (errno == EINTR) continue;
          return ErrnoToStatus(errno, what);
        }
        if (n_ready == 0) {
          return DeadlineExceededError(what + ": no room to write for " +
                                       std::to_string(timeout.count()) +
                                       " ms (is its reader stopped?)");
        }
      }
      const size_t chunk =
          regular ? lines.size() : std::min<size_t>(lines.size(), PIPE_BUF);
      const ssize_t n = ::write(fd, lines.data(), chunk);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return ErrnoToStatus(errno, what);
      }
      lines.remove_prefix(static_cast<size_t>(n));
    }
    return OkStatus();
  };
}

namespace {

StatusOr<std::unique_ptr<WritableFile>> OpenLogFile(FileSystem& fs,
                                                    const std::string& path) {
  auto file = fs.NewAppendableFile(path);
  if (!file.ok()) {
    return Status(file.status().code(),
                  "cannot open the access log: " + file.status().message());
  }
  return file;
}

}  // namespace

StatusOr<std::shared_ptr<AccessLogFile>> AccessLogFile::Open(FileSystem& fs,
                                                             std::string path) {
  StatusOr<std::unique_ptr<WritableFile>> file = OpenLogFile(fs, path);
  if (!file.ok()) return file.status();
  return std::shared_ptr<AccessLogFile>(
      new AccessLogFile(fs, std::move(path), std::move(*file)));
}

Status AccessLogFile::Append(std::string_view lines) {
  std::lock_guard lock(mu_);
  return file_->Append(lines);
}

Status AccessLogFile::Reopen() {
  // Opened outside the lock: a slow open must not hold up the writer.
  StatusOr<std::unique_ptr<WritableFile>> file = OpenLogFile(fs_, path_);
  if (!file.ok()) return file.status();
  std::unique_ptr<WritableFile> old;
  {
    std::lock_guard lock(mu_);
    old = std::exchange(file_, std::move(*file));
  }
  return OkStatus();  // `old` closes here, off the lock
}

AccessLog::Sink AccessLogFile::Sink() {
  return [self = shared_from_this()](std::string_view lines) {
    return self->Append(lines);
  };
}

}  // namespace zimon::gateway
