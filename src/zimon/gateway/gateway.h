// Gateway: the image API of `zimon serve` — admission, balancing, backend
// adapters, quality scoring, image storage, feedback, access log and request
// metrics, behind HTTP routes (docs/gateway.md).
//
//   ZIMON_ASSIGN_OR_RETURN(auto gateway,
//                          Gateway::Create(config.gateway, registry));
//   http::Router router;
//   ZIMON_RETURN_IF_ERROR(gateway->AddRoutes(router));
//   auto server = http::Server::Create(options, router_handler);
//   ZIMON_RETURN_IF_ERROR(gateway->Start((*server)->executor()));
//   ...
//   server->BeginShutdown();
//   gateway->Stop();            // health checks end
//   server->Shutdown(grace);    // in-flight requests finish
//   gateway.reset();            // before the server: it owns an http::Client
//
// Routes:
//   POST /v1/images/generations   OpenAI Images API (image_api.h)
//   GET  /images/{id}.png         images of response_format=url
//   POST /v1/feedback             a rating for a request or image
//   GET  /v1/feedback             rating distribution and recent feedback
//   GET  /v1/backends             every backend's state, as JSON
//
// Requests that arrive before Start() returns get 503.
//
// Ownership: Create() returns the sole owner. The gateway references the
// registry, clock and file system, which must outlive it; the routes it adds
// reference the gateway, so it must outlive the server serving them (until
// Shutdown returns).
// Thread safety: handlers run concurrently on any I/O thread; Start and Stop
// are called once each, from the owner's thread.
#ifndef ZIMON_GATEWAY_GATEWAY_H_
#define ZIMON_GATEWAY_GATEWAY_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>
#include <vector>

#include "zimon/common/clock.h"
#include "zimon/common/config.h"
#include "zimon/common/file_system.h"
#include "zimon/common/status.h"
#include "zimon/gateway/backend_state.h"
#include "zimon/gateway/quality.h"
#include "zimon/http/router.h"
#include "zimon/metrics/registry.h"

namespace zimon::gateway {

struct GatewayOptions {
  GatewayConfig config;
  QualityOptions quality;
  // Threads for blocking work (image scoring, file and database writes).
  int worker_threads = 2;
  // Where access-log lines go: "-" stdout, "" nowhere, else a file appended
  // to.
  std::string access_log = "-";
};

class Gateway {
 public:
  // Validates the options, opens the feedback database and the image
  // directory and reads the backends' adapter settings (a ComfyUI workflow
  // template, for one). Errors name the file or key at fault.
  static StatusOr<std::unique_ptr<Gateway>> Create(
      GatewayOptions options, metrics::Registry& registry,
      Clock& clock = SystemClock(), FileSystem& fs = LocalFileSystem());
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  Status AddRoutes(http::Router& router);

  // Connects the gateway to the server's I/O threads: builds its HTTP client
  // and backend adapters, then starts the active health checks.
  // `single_threaded`: one thread runs the executor (a server with one I/O
  // thread), so upstream connections skip their strands.
  Status Start(boost::asio::any_io_executor executor,
               bool single_threaded = false);
  // Ends the health checks and waits (up to 10 s) until they have returned;
  // the I/O threads must still run. Requests still queued or running are
  // left to the server's shutdown grace. Idempotent; the destructor calls it.
  // Never call it from an I/O thread.
  void Stop();

  std::vector<BackendView> Backends() const;

  // Waits until the access-log lines and image records of every request
  // answered so far are written (both are written off the I/O threads, a few
  // ms later). Blocks: never call it from an I/O thread.
  void Flush();

  // Starts the access log anew at its path, for rotation that moved the file
  // away; lines queued meanwhile go to the new file. OK with nothing done
  // when the log goes to standard output or is off. On error (naming the
  // path), lines keep going to the old file.
  Status ReopenAccessLog();

  class Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_GATEWAY_H_
