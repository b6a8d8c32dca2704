// WebSocket over Boost.Beast; see websocket.h.
// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include "zimon/http/websocket.h"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "zimon/http/async.h"
#include "zimon/http/server_internal.h"
#include "zimon/http/url.h"
#include "zimon/http/websocket_internal.h"

namespace zimon::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace bws = beast::websocket;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// The result of one queued write, shared by the writer and the waiter.
struct WriteDone {
  AsyncNotification notification;
  Status status;  // set before notification fires
};

struct Outgoing {
  enum class Kind { kText, kBinary, kClose };
  Kind kind = Kind::kText;
  std::string data;  // payload, or the close reason
  uint16_t code = 0;
  std::shared_ptr<WriteDone> done;  // may be null
};

beast::string_view Beast(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

class WebSocket::Impl : public std::enable_shared_from_this<WebSocket::Impl> {
 public:
  Impl(beast::tcp_stream stream, const WebSocketOptions& options)
      : ws_(std::move(stream)), strand_(ws_.get_executor()) {
    beast::get_lowest_layer(ws_).expires_never();
    // No idle timeout: Beast 1.74 leaves its idle timer armed after a
    // transport error, which keeps the io_context busy for minutes.
    bws::stream_base::timeout timeout{};
    timeout.handshake_timeout = options.handshake_timeout;
    timeout.idle_timeout = bws::stream_base::none();
    timeout.keep_alive_pings = false;
    ws_.set_option(timeout);
    ws_.read_message_max(options.max_message_bytes);
    ws_.auto_fragment(false);
  }

  // Strand only.
  void Enqueue(Outgoing out) {
    if (!open_.load() || close_queued_) {
      Finish(out, CancelledError("websocket is closed"));
      return;
    }
    if (out.kind == Outgoing::Kind::kClose) close_queued_ = true;
    outbox_.push_back(std::move(out));
    if (!writer_running_) {
      writer_running_ = true;
      asio::co_spawn(strand_, WriteLoop(shared_from_this()), asio::detached);
    }
  }

  void Post(Outgoing out) {
    asio::post(strand_, [self = shared_from_this(), out = std::move(out)]() {
      self->Enqueue(std::move(out));
    });
  }

  // Queues `out` and waits for it to be written. Runs on the strand.
  static asio::awaitable<Status> SendOnStrand(std::shared_ptr<Impl> self,
                                              Outgoing out) {
    auto done = std::make_shared<WriteDone>();
    out.done = done;
    self->Enqueue(std::move(out));
    Status waited = co_await done->notification.Wait();
    if (!waited.ok()) co_return waited;
    co_return done->status;
  }

  // co_spawn needs a default-constructible result, so not StatusOr.
  struct ReadResult {
    Status status;
    std::string data;
  };

  static asio::awaitable<ReadResult> ReadOnStrand(std::shared_ptr<Impl> self) {
    ReadResult result;
    if (self->reading_) {
      result.status = FailedPreconditionError("another Receive() is pending");
      co_return result;
    }
    if (!self->open_.load() && !self->ws_.is_open()) {
      result.status = self->ClosedStatus();
      co_return result;
    }
    self->reading_ = true;
    beast::flat_buffer buffer;
    error_code ec;
    co_await self->ws_.async_read(
        buffer, asio::redirect_error(asio::use_awaitable, ec));
    self->reading_ = false;
    if (ec) {
      result.status = self->OnError(ec);
      co_return result;
    }
    self->last_binary_.store(!self->ws_.got_text());
    result.data = beast::buffers_to_string(buffer.data());
    co_return result;
  }

  void Abort() {
    asio::post(strand_, [self = shared_from_this()] {
      self->open_.store(false);
      error_code ignored;
      auto& socket = beast::get_lowest_layer(self->ws_).socket();
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
    });
  }

  bws::stream<beast::tcp_stream>& ws() { return ws_; }
  const asio::any_io_executor& strand() const { return strand_; }
  bool open() const { return open_.load(); }
  uint16_t peer_code() const { return peer_code_.load(); }
  bool last_binary() const { return last_binary_.load(); }

 private:
  static void Finish(const Outgoing& out, Status status) {
    if (!out.done) return;
    out.done->status = std::move(status);
    out.done->notification.Notify();
  }

  Status ClosedStatus() const {
    uint16_t code = peer_code_.load();
    return CancelledError(
        "websocket closed" +
        (code != 0 ? " by peer with code " + std::to_string(code) : ""));
  }

  // Maps a read or write error to a Status; marks the connection closed.
  Status OnError(const error_code& ec) {
    open_.store(false);
    if (ec == bws::error::closed) {
      peer_code_.store(static_cast<uint16_t>(ws_.reason().code));
      return ClosedStatus();
    }
    if (ec == bws::error::message_too_big || ec == beast::error::timeout) {
      if (ec == beast::error::timeout) {
        return DeadlineExceededError("websocket close handshake timed out");
      }
      return ResourceExhaustedError("websocket message too large");
    }
    if (ec == asio::error::operation_aborted) {
      return CancelledError("websocket aborted");
    }
    return UnavailableError("websocket transport failed: " + ec.message());
  }

  static asio::awaitable<void> WriteLoop(std::shared_ptr<Impl> self) {
    while (!self->outbox_.empty()) {
      Outgoing out = std::move(self->outbox_.front());
      self->outbox_.pop_front();
      if (!self->open_.load()) {
        Finish(out, self->ClosedStatus());
        continue;
      }
      error_code ec;
      if (out.kind == Outgoing::Kind::kClose) {
        bws::close_reason reason(static_cast<bws::close_code>(out.code),
                                 Beast(out.data));
        co_await self->ws_.async_close(
            reason, asio::redirect_error(asio::use_awaitable, ec));
        self->open_.store(false);
        if (ec == asio::error::operation_aborted || ec == bws::error::closed) {
          ec = {};
        }
        Finish(out, ec ? self->OnError(ec) : OkStatus());
        continue;
      }
      self->ws_.text(out.kind == Outgoing::Kind::kText);
      co_await self->ws_.async_write(
          asio::buffer(out.data),
          asio::redirect_error(asio::use_awaitable, ec));
      Finish(out, ec ? self->OnError(ec) : OkStatus());
    }
    self->writer_running_ = false;
  }

  bws::stream<beast::tcp_stream> ws_;
  asio::any_io_executor strand_;
  std::atomic<bool> open_{true};
  std::atomic<uint16_t> peer_code_{0};
  std::atomic<bool> last_binary_{false};
  // Strand only.
  std::deque<Outgoing> outbox_;
  bool writer_running_ = false;
  bool close_queued_ = false;
  bool reading_ = false;
};

WebSocket::WebSocket(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebSocket::~WebSocket() = default;

asio::awaitable<Status> WebSocket::SendText(std::string text) {
  Outgoing out;
  out.kind = Outgoing::Kind::kText;
  out.data = std::move(text);
  co_return co_await asio::co_spawn(impl_->strand(),
                                    Impl::SendOnStrand(impl_, std::move(out)),
                                    asio::use_awaitable);
}

asio::awaitable<Status> WebSocket::SendBinary(std::string data) {
  Outgoing out;
  out.kind = Outgoing::Kind::kBinary;
  out.data = std::move(data);
  co_return co_await asio::co_spawn(impl_->strand(),
                                    Impl::SendOnStrand(impl_, std::move(out)),
                                    asio::use_awaitable);
}

void WebSocket::PostText(std::string text) {
  Outgoing out;
  out.kind = Outgoing::Kind::kText;
  out.data = std::move(text);
  impl_->Post(std::move(out));
}

asio::awaitable<StatusOr<std::string>> WebSocket::Receive() {
  Impl::ReadResult result = co_await asio::co_spawn(
      impl_->strand(), Impl::ReadOnStrand(impl_), asio::use_awaitable);
  if (!result.status.ok()) co_return result.status;
  co_return std::move(result.data);
}

bool WebSocket::last_was_binary() const { return impl_->last_binary(); }

asio::awaitable<Status> WebSocket::Close(uint16_t code, std::string reason) {
  if (!impl_->open()) co_return OkStatus();
  Outgoing out;
  out.kind = Outgoing::Kind::kClose;
  out.code = code;
  out.data = std::move(reason);
  Status status = co_await asio::co_spawn(
      impl_->strand(), Impl::SendOnStrand(impl_, std::move(out)),
      asio::use_awaitable);
  if (status.code() == StatusCode::kCancelled) co_return OkStatus();
  co_return status;
}

void WebSocket::PostClose(uint16_t code, std::string reason) {
  Outgoing out;
  out.kind = Outgoing::Kind::kClose;
  out.code = code;
  out.data = std::move(reason);
  impl_->Post(std::move(out));
}

void WebSocket::Abort() { impl_->Abort(); }
bool WebSocket::is_open() const { return impl_->open(); }
uint16_t WebSocket::peer_close_code() const { return impl_->peer_code(); }

asio::awaitable<StatusOr<WebSocket>> WebSocket::Connect(
    asio::any_io_executor executor, std::string url, WebSocketOptions options,
    Headers headers) {
  std::string_view view = url;
  if (view.starts_with("wss://")) {
    co_return UnimplementedError("wss:// is not supported: " + url);
  }
  if (!view.starts_with("ws://")) {
    co_return InvalidArgumentError("websocket URL must start with ws://: " +
                                   url);
  }
  StatusOr<Url> parsed_or = ParseUrl("http://" + std::string(view.substr(5)));
  if (!parsed_or.ok()) co_return parsed_or.status();
  Url parsed = std::move(parsed_or).value();
  std::string host = parsed.host == "localhost" ? "127.0.0.1" : parsed.host;
  error_code ec;
  std::vector<tcp::endpoint> endpoints;
  asio::ip::address address = asio::ip::make_address(host, ec);
  auto strand = asio::make_strand(executor);
  if (!ec) {
    endpoints.emplace_back(address, parsed.port);
  } else {
    tcp::resolver resolver(strand);
    auto results = co_await resolver.async_resolve(
        host, std::to_string(parsed.port),
        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return UnavailableError("cannot resolve " + parsed.host + ": " +
                                 ec.message());
    }
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }
  beast::tcp_stream stream(strand);
  stream.expires_after(options.handshake_timeout);
  co_await stream.async_connect(endpoints,
                                asio::redirect_error(asio::use_awaitable, ec));
  if (ec == beast::error::timeout) {
    co_return DeadlineExceededError("connecting to " + parsed.HostPort() +
                                    " timed out");
  }
  if (ec) {
    co_return UnavailableError("cannot connect to " + parsed.HostPort() + ": " +
                               ec.message());
  }
  stream.socket().set_option(tcp::no_delay(true), ec);
  auto impl = std::make_shared<Impl>(std::move(stream), options);
  impl->ws().set_option(bws::stream_base::decorator(
      [headers = std::move(headers)](bws::request_type& req) {
        req.set(bhttp::field::user_agent, "zimon");
        for (const auto& [name, value] : headers) {
          req.set(Beast(name), Beast(value));
        }
      }));
  bws::response_type response;
  // The handshake runs on the connection's strand.
  auto handshake = [](std::shared_ptr<WebSocket::Impl> ws_impl,
                      bws::response_type& res, std::string host_port,
                      std::string target) -> asio::awaitable<error_code> {
    error_code hec;
    co_await ws_impl->ws().async_handshake(
        res, host_port, target, asio::redirect_error(asio::use_awaitable, hec));
    co_return hec;
  };
  ec = co_await asio::co_spawn(
      strand, handshake(impl, response, parsed.HostPort(), parsed.target),
      asio::use_awaitable);
  if (ec == beast::error::timeout) {
    co_return DeadlineExceededError("websocket handshake with " +
                                    parsed.HostPort() + " timed out");
  }
  if (ec) {
    std::string why = ec == bws::error::upgrade_declined
                          ? "HTTP " + std::to_string(response.result_int())
                          : ec.message();
    co_return UnavailableError("websocket upgrade to " + url +
                               " failed: " + why);
  }
  co_return WebSocket(std::move(impl));
}

namespace internal {
namespace {

struct UpgradeRegistry {
  std::mutex mu;
  std::unordered_map<const Request*, UpgradeSlot*> slots;  // guarded by mu
};

UpgradeRegistry& Registry() {
  static auto* registry = new UpgradeRegistry();
  return *registry;
}

}  // namespace

UpgradeScope::UpgradeScope(const Request* request, UpgradeSlot* slot)
    : request_(request) {
  std::lock_guard<std::mutex> lock(Registry().mu);
  Registry().slots[request] = slot;
}

UpgradeScope::~UpgradeScope() {
  std::lock_guard<std::mutex> lock(Registry().mu);
  Registry().slots.erase(request_);
}

bool OfferUpgrade(const Request& request, WebSocketHandler handler) {
  std::lock_guard<std::mutex> lock(Registry().mu);
  auto it = Registry().slots.find(&request);
  if (it == Registry().slots.end()) return false;
  it->second->handler = std::move(handler);
  return true;
}

bool IsWebSocketUpgrade(const bhttp::request<bhttp::string_body>& request) {
  return bws::is_upgrade(request);
}

asio::awaitable<StatusOr<WebSocket>> AcceptWebSocket(
    beast::tcp_stream stream, const bhttp::request<bhttp::string_body>& request,
    WebSocketOptions options) {
  auto impl = std::make_shared<WebSocket::Impl>(std::move(stream), options);
  impl->ws().set_option(bws::stream_base::decorator(
      [](bws::response_type& res) { res.set(bhttp::field::server, "zimon"); }));
  error_code ec;
  co_await impl->ws().async_accept(
      request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    if (ec.category() ==
        bws::make_error_code(bws::error::no_sec_key).category()) {
      co_return InvalidArgumentError("bad websocket handshake: " +
                                     ec.message());
    }
    co_return UnavailableError("websocket accept failed: " + ec.message());
  }
  co_return WebSocket(std::move(impl));
}

}  // namespace internal
}  // namespace zimon::http
