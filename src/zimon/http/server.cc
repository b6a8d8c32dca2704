#include "zimon/http/server.h"

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <future>

#include "zimon/common/logging.h"
#include "zimon/common/thread_name.h"
#include "zimon/http/server_internal.h"

namespace zimon::http {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace internal {

ServerState::ServerState(ServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

uint64_t ServerState::Register(std::weak_ptr<ConnectionControl> connection) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t id = next_id_++;
  connections_.emplace(id, std::move(connection));
  counters_.connections_active.store(connections_.size());
  return id;
}

void ServerState::Unregister(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  connections_.erase(id);
  counters_.connections_active.store(connections_.size());
  drained_cv_.notify_all();
}

std::vector<std::shared_ptr<ConnectionControl>> ServerState::LiveConnections() {
  std::vector<std::shared_ptr<ConnectionControl>> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, weak] : connections_) {
    if (auto connection = weak.lock()) out.push_back(std::move(connection));
  }
  return out;
}

void ServerState::HandlerStarted() { counters_.requests_active++; }

void ServerState::HandlerFinished() {
  counters_.requests_active--;
  std::lock_guard<std::mutex> lock(mu_);
  drained_cv_.notify_all();
}

bool ServerState::WaitDrained(Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  return drained_cv_.wait_until(lock, deadline, [&] {
    return connections_.empty() && counters_.requests_active.load() == 0;
  });
}

}  // namespace internal

class Server::Impl : public internal::ServerState {
 public:
  Impl(ServerOptions options, Handler handler)
      : ServerState(std::move(options), std::move(handler)),
        ioc_(std::make_unique<asio::io_context>(options_.io_threads)),
        work_(asio::make_work_guard(*ioc_)),
        acceptor_(std::make_unique<tcp::acceptor>(SerialExecutor())) {}

  ~Impl() {
    Shutdown(Clock::duration::zero());
    // I/O objects go before their io_context; the io_context then destroys
    // pending handlers (and so any coroutine frame still suspended) while the
    // state they point to is still alive.
    acceptor_.reset();
    ioc_.reset();
  }

  Status Start() {
    error_code ec;
    asio::ip::address address;
    if (options_.host.empty()) {
      address = asio::ip::address_v4::any();
    } else if (options_.host == "localhost") {
      address = asio::ip::address_v4::loopback();
    } else {
      address = asio::ip::make_address(options_.host, ec);
      if (ec) {
        return InvalidArgumentError("bad listen address '" + options_.host +
                                    "': expected an IP literal or localhost");
      }
    }
    tcp::endpoint endpoint(address, options_.port);
    std::string where = options_.host + ":" + std::to_string(options_.port);
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(endpoint, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return BindError(ec, where);
    port_ = acceptor_->local_endpoint(ec).port();
    if (ec) return BindError(ec, where);

    asio::co_spawn(acceptor_->get_executor(), AcceptLoop(), asio::detached);
    threads_.reserve(static_cast<size_t>(options_.io_threads));
    for (int i = 0; i < options_.io_threads; ++i) {
      threads_.emplace_back([this] { ioc_->run(); });
      SetThreadName(threads_.back().native_handle(),
                    options_.thread_name + "-" + std::to_string(i));
    }
    return OkStatus();
  }

  // What a connection's work runs on: a strand, or with one I/O thread the
  // io_context itself (one thread already runs everything in order, and a
  // strand would only add a queue and a lock per step).
  asio::any_io_executor SerialExecutor() const {
    if (options_.io_threads == 1) return ioc_->get_executor();
    return asio::make_strand(*ioc_);
  }

  uint16_t port() const { return port_; }
  asio::any_io_executor executor() const { return ioc_->get_executor(); }

  void BeginShutdown() {
    bool was = shutting_down_.exchange(true, std::memory_order_acq_rel);
    if (!was && threads_.empty()) {
      error_code ignored;
      acceptor_->close(ignored);
    } else if (!was) {
      auto closed = std::make_shared<std::promise<void>>();
      std::future<void> done = closed->get_future();
      asio::post(acceptor_->get_executor(), [this, closed] {
        error_code ignored;
        acceptor_->close(ignored);
        closed->set_value();
      });
      if (!InIoThread()) done.wait();
    }
    for (auto& connection : LiveConnections()) connection->NotifyShutdown();
  }

  void Shutdown(Clock::duration grace) {
    if (InIoThread()) {
      log::Error("http Server::Shutdown called on an I/O thread; ignored");
      return;
    }
    std::lock_guard<std::mutex> lock(shutdown_mu_);
    if (stopped_) return;
    BeginShutdown();
    Clock::time_point deadline = Clock::now() + grace;
    if (!WaitDrained(deadline)) {
      for (auto& connection : LiveConnections()) connection->HardClose();
      WaitDrained(Clock::now() + std::chrono::milliseconds(500));
    }
    work_.reset();
    ioc_->stop();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    stopped_ = true;
  }

 private:
  static Status BindError(const error_code& ec, const std::string& where) {
    std::string message = "cannot listen on " + where + ": " + ec.message();
    if (ec == asio::error::address_in_use) return AlreadyExistsError(message);
    if (ec == asio::error::access_denied) return PermissionDeniedError(message);
    if (ec.value() == EADDRNOTAVAIL || ec == asio::error::invalid_argument) {
      return InvalidArgumentError(message);
    }
    return UnavailableError(message);
  }

  bool InIoThread() const {
    std::thread::id self = std::this_thread::get_id();
    for (const std::thread& t : threads_) {
      if (t.get_id() == self) return true;
    }
    return false;
  }

  asio::awaitable<void> AcceptLoop() {
    while (true) {
      error_code ec;
      tcp::socket socket = co_await acceptor_->async_accept(
          SerialExecutor(), asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor_->is_open())
        co_return;
      if (ec) {
        counters_.accept_errors++;
        log::Warn("http accept failed", {{"error", ec.message()}});
        if (ec == asio::error::no_descriptors || ec.value() == ENFILE ||
            ec == asio::error::no_memory ||
            ec == asio::error::no_buffer_space) {
          // Out of descriptors: retrying at once would spin; wait for some to
          // free.
          asio::steady_timer pause(acceptor_->get_executor(),
                                   std::chrono::milliseconds(50));
          co_await pause.async_wait(
              asio::redirect_error(asio::use_awaitable, ec));
        }
        continue;
      }
      counters_.connections_accepted++;
      internal::StartConnection(*this, std::move(socket));
    }
  }

  std::unique_ptr<asio::io_context> ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<tcp::acceptor> acceptor_;  // used on its strand after Start()
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::mutex shutdown_mu_;
  bool stopped_ = false;  // guarded by shutdown_mu_
};

StatusOr<std::unique_ptr<Server>> Server::Create(ServerOptions options,
                                                 Handler handler) {
  if (!handler) return InvalidArgumentError("http server needs a handler");
  if (options.io_threads < 0)
    return InvalidArgumentError("io_threads must be >= 0");
  if (options.io_threads == 0) {
    options.io_threads =
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (options.max_header_bytes < 64) {
    return InvalidArgumentError("max_header_bytes must be at least 64");
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler));
  ZIMON_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() = default;

uint16_t Server::port() const { return impl_->port(); }

std::string Server::base_url() const {
  std::string host = impl_->options().host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port());
}

asio::any_io_executor Server::executor() const { return impl_->executor(); }

ServerStats Server::stats() const {
  internal::ServerCounters& c = impl_->counters();
  ServerStats s;
  s.connections_accepted = c.connections_accepted.load();
  s.connections_active = c.connections_active.load();
  s.requests_total = c.requests_total.load();
  s.requests_active = c.requests_active.load();
  s.bad_requests = c.bad_requests.load();
  s.header_timeouts = c.header_timeouts.load();
  s.idle_timeouts = c.idle_timeouts.load();
  s.io_timeouts = c.io_timeouts.load();
  s.handler_deadlines = c.handler_deadlines.load();
  s.client_disconnects = c.client_disconnects.load();
  s.handler_exceptions = c.handler_exceptions.load();
  s.accept_errors = c.accept_errors.load();
  s.io_threads = impl_->options().io_threads;
  return s;
}

void Server::BeginShutdown() { impl_->BeginShutdown(); }

void Server::Shutdown(Clock::duration grace) { impl_->Shutdown(grace); }

}  // namespace zimon::http
