// The gateway's access log: one JSON line per request (issue 5, item 8;
// format in docs/access_log.md), and the X-Request-Id rule.
//
//   AccessLog access_log(FdAccessSink(), SystemClock(), registry);
//   std::string id = AcceptOrMakeRequestId(request.header("X-Request-Id"));
//   ... // serve; echo `id` in the X-Request-Id response header
//   access_log.Write(std::move(entry));
//   -> {"ts":"2026-11-28T13:11:50.476Z","level":"info","msg":"access",
//       "request_id":"req_9f...","method":"POST",
//       "path":"/v1/images/generations","status":200,"outcome":"success",
//       "backend":"gpu-0","queue_wait_s":0.012,"upstream_s":1.931,
//       "total_s":1.95,"size":"1024x1024","images":1,"quality_score":0.82,
//       "bytes_out":1843210}
//
// The line has the shape of zimon::log lines (ts, level, msg first), so one
// jq filter reads both. Every key is always present; a value that does not
// apply (no backend for a rejected request, no quality score) is null.
//
// The free functions are thread-safe; AccessLog says its own rules below.
#ifndef ZIMON_GATEWAY_ACCESS_LOG_H_
#define ZIMON_GATEWAY_ACCESS_LOG_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/batch_worker.h"
#include "zimon/common/clock.h"
#include "zimon/common/drop_report.h"
#include "zimon/common/file_system.h"
#include "zimon/common/status.h"
#include "zimon/metrics/registry.h"

namespace zimon::gateway {

// The longest client-supplied X-Request-Id that is accepted as is.
inline constexpr size_t kMaxRequestIdBytes = 128;

// The prefix of the request ids the gateway makes.
inline constexpr std::string_view kMadeRequestIdPrefix = "req_";

// Returns `header` when it is a usable request id (1..128 bytes of
// [A-Za-z0-9._:-]), otherwise a new id "req_" + NewTimeOrderedId's 36 hex
// digits (creation time, then random ones). Ids
// from clients are kept so that their own logs join ours; anything else is
// replaced rather than escaped, since the id travels into headers, logs and
// file names.
std::string AcceptOrMakeRequestId(std::string_view header);

// Whether `id` is accepted as is by AcceptOrMakeRequestId.
bool IsValidRequestId(std::string_view id);

struct AccessLogEntry {
  std::string request_id;
  std::string method;
  std::string path;
  int status = 0;       // HTTP status sent to the client
  std::string outcome;  // success, rejected, timeout, oom, backend_error,
                        // bad_image, client_error
  std::string backend;  // empty when no backend was tried
  std::optional<std::chrono::duration<double>> queue_wait;  // admission wait
  std::optional<std::chrono::duration<double>> upstream;    // backend time
  std::chrono::duration<double> total{0};  // arrival to last byte
  std::string size;                        // "WIDTHxHEIGHT"; empty if unknown
  int images = 0;                          // images returned
  std::optional<double> quality_score;     // lowest score of the images
  uint64_t bytes_out = 0;                  // response body bytes
};

// The JSON line for `entry` at wall time `now`, without a newline.
std::string FormatAccessLogLine(const AccessLogEntry& entry,
                                Clock::WallTime now);
// Appends that line and a newline to `out`.
void AppendAccessLogLine(std::string& out, const AccessLogEntry& entry,
                         Clock::WallTime now);

// Writes access-log lines off the I/O threads. Write() stamps the entry with
// the clock's time and queues it; a writer thread (a BatchWorker named
// zimon-access) formats what is queued and hands it to the sink in one call,
// at most one batch per kGatherTime (5 ms) under load. So a busy gateway
// makes one write(2) per batch where an unbuffered log makes one per request
// on the thread that serves, and a slow disk never stalls a request.
//
// Lines are lost, never blocking a request, when:
//   - more than `max_pending` lines wait (the disk or pipe has stalled);
//   - the sink fails (disk full, a closed pipe): the batch is dropped.
// Both count in zimon_access_log_lost_lines_total{reason="queue_full" |
// "write_error"}. The writer logs when write errors start and when they
// end, and a full queue at most once per 10 s, not once per line.
// A crash loses the lines of the last kGatherTime; a graceful stop writes
// everything (the destructor flushes).
//
// Ownership: keeps the sink and references the clock and registry, which
// must outlive it.
// Thread safety: Write() and Flush() are thread-safe; Flush() blocks, so call
// it from a test or a worker thread, not an I/O thread.
class AccessLog {
 public:
  // Receives one or more whole lines, each ending in '\n'.
  using Sink = std::function<Status(std::string_view lines)>;

  static constexpr std::chrono::milliseconds kGatherTime{5};
  static constexpr size_t kMaxPending = 65536;  // about 20 MB of lines

  AccessLog(Sink sink, Clock& clock, metrics::Registry& registry,
            size_t max_pending = kMaxPending);
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void Write(AccessLogEntry entry);
  // Waits until every line written before the call reached the sink (or was
  // counted lost).
  void Flush() { worker_.Flush(); }

 private:
  struct Stamped {
    AccessLogEntry entry;
    Clock::WallTime at;
  };
  void WriteBatch(std::vector<Stamped>& batch);

  Sink sink_;
  Clock& clock_;
  metrics::Counter& lost_queue_full_;
  metrics::Counter& lost_write_error_;
  DropReport queue_full_report_;  // lines Write() dropped, logged by the writer
  // Writer thread only: lines lost to sink errors since the last success.
  uint64_t write_losses_ = 0;
  std::string buffer_;           // writer thread only: the batch's lines
  BatchWorker<Stamped> worker_;  // last: its thread calls WriteBatch()
};

// A sink that writes to file descriptor `fd` (standard output by default).
// Where `fd` is a pipe, socket or terminal, it waits at most `timeout` for
// room: a reader that stopped reading costs the batch (an error naming the
// wait), never a writer stuck for good, so a stop cannot hang on it. The
// descriptor stays blocking (it is shared with other processes): the sink
// waits with poll(2) and writes at most PIPE_BUF bytes per call, which then
// cannot block. A regular file gets each batch in one write.
AccessLog::Sink FdAccessSink(
    int fd = 1, std::chrono::milliseconds timeout = std::chrono::seconds(5));

// The access log's file: lines are appended (O_APPEND, created 0644 when
// missing). Reopen() starts writing to whatever is at the path now, for log
// rotation that moves the file away (`zimon serve` reopens on SIGHUP).
//
// Ownership: references the file system, which must outlive it; Sink() holds
// a shared reference to this object.
// Thread safety: Append() and Reopen() may be called from any thread.
class AccessLogFile : public std::enable_shared_from_this<AccessLogFile> {
 public:
  // Fails when the file cannot be opened, naming it.
  static StatusOr<std::shared_ptr<AccessLogFile>> Open(FileSystem& fs,
                                                       std::string path);

  Status Append(std::string_view lines);
  // On failure (the directory is gone, say) lines keep going to the file
  // open before, and the error names the path.
  Status Reopen();
  // A sink that appends here.
  AccessLog::Sink Sink();

  const std::string& path() const { return path_; }

 private:
  AccessLogFile(FileSystem& fs, std::string path,
                std::unique_ptr<WritableFile> file)
      : fs_(fs), path_(std::move(path)), file_(std::move(file)) {}

  FileSystem& fs_;
  const std::string path_;
  std::mutex mu_;
  std::unique_ptr<WritableFile> file_;  // guarded by mu_
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_ACCESS_LOG_H_
