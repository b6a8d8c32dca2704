// Harness for end-to-end tests of `zimon serve` in front of `zimon sim`
// processes: both are the real binary (ZIMON_BINARY) on 127.0.0.1 port 0,
// with temp directories and a temp config file, and helpers to call them
// from one or many client threads.
//
// Ownership: RunningSim and RunningGateway own their child process (and the
// gateway its temp directory); the destructors kill a child still running.
// Thread safety: the const request helpers may be called from any thread;
// everything else is for the test's thread only.
#ifndef ZIMON_TESTS_INTEGRATION_GATEWAY_HARNESS_H_
#define ZIMON_TESTS_INTEGRATION_GATEWAY_HARNESS_H_

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/exposition_util.h"
#include "zimon/common/status.h"
#include "zimon/http/headers.h"
#include "zimon/http/message.h"
#include "zimon/metrics/exposition.h"
#include "zimon/metrics/parser.h"
#include "zimon/testing/subprocess.h"
#include "zimon/testing/temp_dir.h"

namespace zimon::integration {

// Generous for a debug build on a loaded 2-core machine; only reached when
// something is wrong.
inline constexpr std::chrono::seconds kProcessStartTimeout{30};
inline constexpr std::chrono::seconds kPollTimeout{20};
inline constexpr std::chrono::seconds kClientTimeout{30};
// server.shutdown_grace of the gateway.
inline constexpr std::chrono::seconds kGatewayGrace{2};

// One answer as a client saw it. `transport` is not OK when no HTTP answer
// came (refused, reset, or the client's own timeout).
struct Reply {
  Status transport;
  int status = 0;
  http::Headers headers;
  std::string body;
  nlohmann::json json;  // the parsed body; discarded when not JSON
  std::chrono::duration<double> elapsed{0};

  // error.code / error.param of an OpenAI error body ("" when absent/null).
  std::string ErrorCode() const;
  std::string ErrorParam() const;
  std::string ErrorType() const;
};

// Sends one request (blocking). `url` is absolute.
Reply Call(const std::string& method, const std::string& url,
           const std::string& body = "", const http::Headers& headers = {},
           std::chrono::milliseconds timeout = kClientTimeout);

// `count` identical requests sent at once from `count` threads; the replies
// in the order the threads were started.
std::vector<Reply> Burst(const std::string& url, const std::string& body,
                         int count, const http::Headers& headers = {});

// Polls `done` every 50 ms until it holds or `timeout` passes.
bool PollUntil(const std::function<bool()>& done,
               std::chrono::milliseconds timeout = kPollTimeout);

// {"prompt": prompt, "size": size} plus `extra` fields, serialized.
std::string ImageBody(const std::string& size,
                      const nlohmann::json& extra = nlohmann::json::object(),
                      const std::string& prompt = "a lighthouse at dusk");

// Width and height from a PNG's IHDR; nullopt when `bytes` is not a PNG.
struct PngSize {
  int width = 0;
  int height = 0;
};
std::optional<PngSize> PngDimensions(std::string_view bytes);

// data[i].b64_json of a 200 answer, decoded; empty (and a test failure) when
// it is missing or not base64.
std::string DecodedImage(const Reply& reply, size_t index = 0);

// `zimon sim --listen 127.0.0.1:0 --cold-start 0 <extra...>`.
class RunningSim {
 public:
  explicit RunningSim(std::vector<std::string> extra_args = {});

  bool started() const { return !url_.empty(); }
  std::string StartError() const;
  const std::string& url() const { return url_; }  // "http://127.0.0.1:PORT"

  // GET /sim/state; discarded (and a test failure) when it cannot be read.
  nlohmann::json State() const;
  // State()["stats"][name] as an integer, -1 when absent.
  int64_t Stat(const std::string& name) const;

  // One request straight to the sim's image route, so that later requests
  // find its image pool filled (the first one per size renders it).
  void WarmUp(const std::string& body);

  // SIGKILL, then reap.
  void Kill();
  testing::Subprocess& process() { return *child_; }

 private:
  std::unique_ptr<testing::Subprocess> child_;
  std::string url_;
  std::string start_error_;
};

struct GatewaySetup {
  std::vector<std::string> backends;  // --backend flags, NAME=URL
  std::string adapter = "openai";     // --adapter of those
  // Lines appended under `gateway:` and `server:`, each indented by two
  // spaces ("  max_concurrent: 1\n").
  std::string gateway_yaml;
  std::string server_yaml;
  // gateway.feedback_db; empty: a file in the gateway's temp directory.
  std::string feedback_db;
  // --access-log; empty: none.
  std::string access_log;
  // server.shutdown_grace.
  std::chrono::seconds shutdown_grace = kGatewayGrace;
};

// `zimon serve -c <temp config> --listen 127.0.0.1:0 --access-log ''` (or
// setup.access_log) with
// gateway.image_dir and feedback_db in a temp directory and
// gateway.health_interval 1s (unless gateway_yaml sets it; the health
// check's timeout is the interval, so a shorter one can time out against a
// busy debug-build sim).
class RunningGateway {
 public:
  explicit RunningGateway(const GatewaySetup& setup);

  bool started() const { return !url_.empty(); }
  std::string StartError() const;
  const std::string& url() const { return url_; }

  // POST /v1/images/generations.
  Reply Generate(const std::string& body, const http::Headers& headers = {},
                 std::chrono::milliseconds timeout = kClientTimeout) const;
  Reply Get(const std::string& path) const;
  Reply Post(const std::string& path, const std::string& body,
             const http::Headers& headers = {}) const;
  // GET /metrics, parsed; empty (and a test failure) when it cannot be.
  metrics::ParsedExposition Metrics() const;
  // One backend's entry of GET /v1/backends; discarded when absent.
  nlohmann::json Backend(const std::string& name) const;

  // SIGTERM and wait for the exit.
  StatusOr<testing::ExitStatus> Stop();
  Status Signal(int signal) { return child_->Signal(signal); }
  // Waits for the exit (after a Signal).
  StatusOr<testing::ExitStatus> Wait(std::chrono::milliseconds timeout) {
    return child_->Wait(timeout);
  }
  std::string Stderr() const { return child_ ? child_->StderrSoFar() : ""; }

 private:
  testing::TempDir dir_;
  std::unique_ptr<testing::Subprocess> child_;
  std::string url_;
  std::string start_error_;
};

// `zimon demo --listen 127.0.0.1:0 --workers 1 --no-load --data-dir DIR`:
// the gateway in front of one in-process simulated worker, its access log in
// DIR/access.log.
class RunningDemo {
 public:
  explicit RunningDemo(const std::string& data_dir);

  bool started() const { return !url_.empty(); }
  std::string StartError() const;
  const std::string& url() const { return url_; }

  // POST /v1/images/generations.
  Reply Generate(const std::string& body) const;
  // SIGTERM and wait for the exit.
  StatusOr<testing::ExitStatus> Stop();
  Status Signal(int signal) { return child_->Signal(signal); }
  std::string Stderr() const { return child_ ? child_->StderrSoFar() : ""; }

 private:
  std::unique_ptr<testing::Subprocess> child_;
  std::string url_;
  std::string start_error_;
};

}  // namespace zimon::integration

#endif  // ZIMON_TESTS_INTEGRATION_GATEWAY_HARNESS_H_
