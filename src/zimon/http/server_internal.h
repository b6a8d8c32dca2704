// Internal to the http module: the state shared by Server and its connections.
// Not a public header; only server.cc and connection.cc include it.
#ifndef ZIMON_HTTP_SERVER_INTERNAL_H_
#define ZIMON_HTTP_SERVER_INTERNAL_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "zimon/http/server.h"

namespace zimon::http::internal {

// Counters behind ServerStats.
struct ServerCounters {
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_active{0};
  std::atomic<uint64_t> requests_total{0};
  std::atomic<uint64_t> requests_active{0};
  std::atomic<uint64_t> bad_requests{0};
  std::atomic<uint64_t> header_timeouts{0};
  std::atomic<uint64_t> idle_timeouts{0};
  std::atomic<uint64_t> io_timeouts{0};
  std::atomic<uint64_t> handler_deadlines{0};
  std::atomic<uint64_t> client_disconnects{0};
  std::atomic<uint64_t> handler_exceptions{0};
  std::atomic<uint64_t> accept_errors{0};
};

// What Shutdown needs from a live connection. Both calls may come from any
// thread; implementations post to their strand.
class ConnectionControl {
 public:
  virtual ~ConnectionControl() = default;
  // Close now if idle; otherwise answer the current request with
  // "Connection: close".
  virtual void NotifyShutdown() = 0;
  // Request stop on the running handler and close the socket.
  virtual void HardClose() = 0;
};

// The server's shared state. Connections keep a plain pointer to it: the Impl
// destroys its io_context (and so every connection) before any other member.
class ServerState {
 public:
  ServerState(ServerOptions options, Handler handler);

  const ServerOptions& options() const { return options_; }
  const Handler& handler() const { return handler_; }
  ServerCounters& counters() { return counters_; }
  bool shutting_down() const {
    return shutting_down_.load(std::memory_order_acquire);
  }

  // Connection registry, for shutdown. Register returns an id for Unregister.
  uint64_t Register(std::weak_ptr<ConnectionControl> connection);
  void Unregister(uint64_t id);
  std::vector<std::shared_ptr<ConnectionControl>> LiveConnections();

  // Handler coroutines in flight; wakes Shutdown's waits.
  void HandlerStarted();
  void HandlerFinished();

  // Blocks until no connection and no handler is left, or `deadline`.
  // True when drained.
  bool WaitDrained(std::chrono::steady_clock::time_point deadline);

 protected:
  ServerOptions options_;
  Handler handler_;
  ServerCounters counters_;
  std::atomic<bool> shutting_down_{false};

  std::mutex mu_;
  std::condition_variable drained_cv_;
  uint64_t next_id_ = 1;  // guarded by mu_
  std::unordered_map<uint64_t, std::weak_ptr<ConnectionControl>>
      connections_;  // guarded by mu_
};

// WebSocket upgrades. A connection that reads an upgrade request registers an
// UpgradeSlot for it while the handler runs; the router's WebSocket route
// fills the slot with its session handler and answers 101, and the connection
// then hands its stream to that handler. Thread-safe.
struct UpgradeSlot {
  WebSocketHandler handler;
};
// Registers `slot` for `request` until destroyed.
class UpgradeScope {
 public:
  UpgradeScope(const Request* request, UpgradeSlot* slot);
  ~UpgradeScope();
  UpgradeScope(const UpgradeScope&) = delete;
  UpgradeScope& operator=(const UpgradeScope&) = delete;

 private:
  const Request* request_;
};
// Fills the slot registered for `request`; false when there is none.
bool OfferUpgrade(const Request& request, WebSocketHandler handler);

// Starts serving an accepted socket (whose executor is its own strand).
void StartConnection(ServerState& state, boost::asio::ip::tcp::socket socket);

}  // namespace zimon::http::internal

#endif  // ZIMON_HTTP_SERVER_INTERNAL_H_
