// The gateway's access log: one JSON line per request (issue 5, item 8;
// format in docs/access_log.md), and the X-Request-Id rule.
//
//   AccessLog access_log(sink, SystemClock());
//   std::string id = AcceptOrMakeRequestId(request.header("X-Request-Id"));
//   ... // serve; echo `id` in the X-Request-Id response header
//   access_log.Write(entry);
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
// Ownership: AccessLog keeps a copy of the sink and a reference to the clock,
// which must outlive it.
//
// Thread safety: Write() and the free functions are thread-safe provided the
// sink is (each line is handed to the sink whole, without its newline).
#ifndef ZIMON_GATEWAY_ACCESS_LOG_H_
#define ZIMON_GATEWAY_ACCESS_LOG_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "zimon/common/clock.h"

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

class AccessLog {
 public:
  using Sink = std::function<void(std::string_view line)>;
  // `sink` receives each line without its newline; nullptr writes to stdout.
  explicit AccessLog(Sink sink, Clock& clock = SystemClock());

  void Write(const AccessLogEntry& entry) const;

 private:
  Sink sink_;
  Clock& clock_;
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_ACCESS_LOG_H_
