// One accepted HTTP/1.1 connection: read, dispatch, watch, write; see server.h.
// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <sys/socket.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <optional>
#include <stop_token>

#include "zimon/common/logging.h"
#include "zimon/http/server_internal.h"
#include "zimon/http/websocket_internal.h"

namespace zimon::http::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// A response body written from Response::body_parts in one gather write.
struct PartsBody {
  using value_type = std::vector<SharedText>;

  static std::uint64_t size(const value_type& parts) {
    std::uint64_t n = 0;
    for (const SharedText& part : parts) n += part.size();
    return n;
  }

  class writer {
   public:
    using const_buffers_type = std::vector<asio::const_buffer>;

    template <bool kIsRequest, class Fields>
    writer(const bhttp::header<kIsRequest, Fields>&, const value_type& parts)
        : parts_(parts) {}

    void init(error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(error_code& ec) {
      ec = {};
      if (done_) return boost::none;
      done_ = true;
      const_buffers_type buffers;
      buffers.reserve(parts_.size());
      for (const SharedText& part : parts_) {
        if (!part.empty())
          buffers.emplace_back(part.view().data(), part.size());
      }
      return std::make_pair(std::move(buffers), false);
    }

   private:
    const value_type& parts_;
    bool done_ = false;
  };
};

constexpr size_t kFirstReadBytes = 4096;
constexpr size_t kMaxDrainBytes = 1 << 20;
constexpr auto kDrainTimeout = std::chrono::milliseconds(500);

// A one-shot wake-up for the connection coroutine. Strand-only.
struct Waker {
  explicit Waker(const asio::any_io_executor& ex)
      : timer(ex, std::chrono::steady_clock::time_point::max()) {}
  void Fire() {
    fired = true;
    timer.cancel();
  }
  asio::awaitable<void> Wait() {
    while (!fired) {
      error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  asio::steady_timer timer;
  bool fired = false;
};

// One request being handled. Shared by the connection, the handler coroutine,
// the disconnect watcher and the deadline timer; touched only on the strand.
struct InFlight {
  std::shared_ptr<Request> request;
  std::stop_source stop;
  std::shared_ptr<Waker> waker;
  std::optional<Response> response;  // set when the handler finished
  bool deadline_hit = false;
  bool client_gone = false;
  bool hard_closed = false;
};

asio::awaitable<void> InvokeHandler(ServerState* state,
                                    std::shared_ptr<InFlight> call) {
  Response response;
  try {
    response = co_await state->handler()(*call->request);
  } catch (const std::exception& e) {
    state->counters().handler_exceptions++;
    log::Error("http handler threw",
               {{"target", call->request->target}, {"error", e.what()}});
    response = Response::FromStatus(InternalError("handler failed"));
  } catch (...) {
    state->counters().handler_exceptions++;
    log::Error("http handler threw", {{"target", call->request->target}});
    response = Response::FromStatus(InternalError("handler failed"));
  }
  call->response = std::move(response);
  call->waker->Fire();
  state->HandlerFinished();
}

// Fills the parts of a Request that come from the request-target.
Status ParseTarget(std::string_view target, Request& request) {
  if (target.starts_with("http://") || target.starts_with("https://")) {
    size_t authority = target.find("://") + 3;
    size_t slash = target.find_first_of("/?", authority);
    target = slash == std::string_view::npos ? std::string_view("/")
                                             : target.substr(slash);
  }
  if (target == "*") {
    request.path = "*";
    return OkStatus();
  }
  if (target.empty() || target.front() != '/') {
    return InvalidArgumentError("request-target must be an absolute path");
  }
  size_t q = target.find('?');
  ZIMON_ASSIGN_OR_RETURN(request.path,
                         PercentDecode(target.substr(0, q), false));
  if (q != std::string_view::npos) {
    ZIMON_ASSIGN_OR_RETURN(request.query,
                           ParseQueryString(target.substr(q + 1)));
  }
  return OkStatus();
}

std::string_view Std(beast::string_view s) { return {s.data(), s.size()}; }
beast::string_view Beast(std::string_view s) { return {s.data(), s.size()}; }

bool ValidFieldText(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

class Connection : public ConnectionControl,
                   public std::enable_shared_from_this<Connection> {
 public:
  Connection(ServerState& state, tcp::socket socket)
      : state_(state),
        stream_(std::move(socket)),
        executor_(stream_.get_executor()) {
    error_code ec;
    tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    if (!ec)
      remote_ = peer.address().to_string() + ":" + std::to_string(peer.port());
    stream_.socket().set_option(tcp::no_delay(true), ec);
  }

  ~Connection() override {
    if (id_ != 0) state_.Unregister(id_);
  }

  void Start() {
    id_ = state_.Register(weak_from_this());
    asio::co_spawn(executor_, Run(shared_from_this()), asio::detached);
  }

  void NotifyShutdown() override {
    asio::post(executor_, [self = shared_from_this()] {
      if (self->phase_ == Phase::kWebSocket) {
        self->ws_stop_.request_stop();
        if (self->websocket_) {
          self->websocket_->PostClose(kWsCloseGoingAway,
                                      "server shutting down");
        }
        return;
      }
      if (self->phase_ == Phase::kIdle) self->stream_.close();
    });
  }

  void HardClose() override {
    asio::post(executor_, [self = shared_from_this()] {
      if (self->phase_ == Phase::kWebSocket) {
        self->ws_stop_.request_stop();
        if (self->websocket_) self->websocket_->Abort();
        return;
      }
      if (self->current_) {
        self->current_->hard_closed = true;
        self->current_->stop.request_stop();
        self->current_->waker->Fire();
      }
      error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->stream_.close();
    });
  }

 private:
  enum class Phase { kIdle, kReading, kHandling, kWriting, kWebSocket };

  static asio::awaitable<void> Run(std::shared_ptr<Connection> self) {
    co_await self->Loop();
    if (self->phase_ == Phase::kWebSocket) co_return;  // the stream moved
    error_code ignored;
    self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    self->stream_.close();
  }

  asio::awaitable<void> Loop() {
    const ServerOptions& opt = state_.options();
    bool first = true;
    while (true) {
      if (buffer_.size() == 0) {
        if (state_.shutting_down()) co_return;
        phase_ = Phase::kIdle;
        stream_.expires_after(first ? opt.header_timeout : opt.idle_timeout);
        error_code ec;
        size_t n = co_await stream_.async_read_some(
            buffer_.prepare(kFirstReadBytes),
            asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          if (ec == beast::error::timeout) {
            (first ? state_.counters().header_timeouts
                   : state_.counters().idle_timeouts)++;
          }
          co_return;
        }
        buffer_.commit(n);
      }
      first = false;
      phase_ = Phase::kReading;
      if (!co_await ServeOne()) co_return;
    }
  }

  // Reads, handles and answers one request. False when the connection ends.
  asio::awaitable<bool> ServeOne() {
    const ServerOptions& opt = state_.options();
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(
        std::min<size_t>(opt.max_header_bytes, UINT32_MAX)));
    parser.body_limit(opt.max_body_bytes);
    error_code ec;
    stream_.expires_after(opt.header_timeout);
    co_await bhttp::async_read_header(
        stream_, buffer_, parser,
        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return co_await OnReadError(ec, /*in_header=*/true);

    auto& msg = parser.get();
    // Checked here too: Beast 1.74 can lose the body_limit error when the
    // header and the body arrive in one read.
    if (parser.content_length() &&
        *parser.content_length() > opt.max_body_bytes) {
      co_return co_await OnReadError(bhttp::error::body_limit,
                                     /*in_header=*/false);
    }
    if (!parser.is_done()) {
      auto expect = msg.find(bhttp::field::expect);
      if (expect != msg.end() &&
          EqualsIgnoreCase(Std(expect->value()), "100-continue") &&
          msg.version() >= 11) {
        static constexpr std::string_view kContinue =
            "HTTP/1.1 100 Continue\r\n\r\n";
        stream_.expires_after(opt.write_timeout);
        co_await asio::async_write(
            stream_, asio::buffer(kContinue),
            asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return false;
      }
      stream_.expires_after(opt.body_timeout);
      co_await bhttp::async_read(stream_, buffer_, parser,
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return co_await OnReadError(ec, /*in_header=*/false);
    }
    stream_.expires_never();
    if (msg.body().size() > opt.max_body_bytes) {
      co_return co_await OnReadError(bhttp::error::body_limit,
                                     /*in_header=*/false);
    }

    auto request = std::make_shared<Request>();
    request->method = std::string(msg.method_string());
    request->target = std::string(msg.target());
    request->version = static_cast<int>(msg.version());
    request->remote_address = remote_;
    for (const auto& field : msg) {
      request->headers.Add(Std(field.name_string()), Std(field.value()));
    }
    request->body = std::move(msg.body());
    Status target_ok = ParseTarget(request->target, *request);
    if (!target_ok.ok()) {
      co_await SendErrorAndClose(400, target_ok);
      co_return false;
    }
    bool keep_alive = msg.keep_alive();
    bool head = msg.method() == bhttp::verb::head;
    state_.counters().requests_total++;

    UpgradeSlot upgrade;
    std::optional<UpgradeScope> upgrade_scope;
    if (IsWebSocketUpgrade(msg)) upgrade_scope.emplace(request.get(), &upgrade);
    std::shared_ptr<Request> kept = request;
    std::optional<Response> response = co_await Dispatch(std::move(request));
    upgrade_scope.reset();
    if (!response) co_return false;
    if (response->status == 101) {
      if (upgrade.handler) {
        co_await RunWebSocket(msg, std::move(kept), std::move(upgrade.handler));
        co_return false;
      }
      log::Error("http handler answered 101 without an upgrade",
                 {{"target", kept->target}});
      response = Response::FromStatus(InternalError("invalid status"));
    }
    phase_ = Phase::kWriting;
    // A handler may ask for the connection to close after its answer.
    auto connection = response->headers.Get("Connection");
    if (connection && EqualsIgnoreCase(*connection, "close"))
      keep_alive = false;
    keep_alive = keep_alive && !state_.shutting_down();
    bool written =
        co_await Write(std::move(*response), static_cast<int>(msg.version()),
                       keep_alive, head);
    co_return written&& keep_alive;
  }

  // Hands the stream to a WebSocket and runs the route's session handler on
  // it; the connection ends with it.
  asio::awaitable<void> RunWebSocket(
      const bhttp::request<bhttp::string_body>& msg,
      std::shared_ptr<Request> request, WebSocketHandler handler) {
    phase_ = Phase::kWebSocket;
    StatusOr<WebSocket> ws =
        co_await AcceptWebSocket(std::move(stream_), msg, WebSocketOptions{});
    if (!ws.ok()) {
      state_.counters().bad_requests++;
      co_return;
    }
    websocket_.emplace(*ws);
    request->stop = ws_stop_.get_token();
    if (state_.shutting_down()) {
      ws_stop_.request_stop();
      websocket_->PostClose(kWsCloseGoingAway, "server shutting down");
    }
    state_.HandlerStarted();
    try {
      co_await handler(*request, *websocket_);
    } catch (const std::exception& e) {
      state_.counters().handler_exceptions++;
      log::Error("websocket handler threw",
                 {{"target", request->target}, {"error", e.what()}});
    } catch (...) {
      state_.counters().handler_exceptions++;
      log::Error("websocket handler threw", {{"target", request->target}});
    }
    state_.HandlerFinished();
    if (websocket_->is_open()) co_await websocket_->Close();
    websocket_->Abort();
  }

  // Runs the handler as its own coroutine and waits for it, the client leaving,
  // the handler deadline or a hard close. Empty when there is nothing to
  // answer.
  asio::awaitable<std::optional<Response>> Dispatch(
      std::shared_ptr<Request> request) {
    phase_ = Phase::kHandling;
    auto call = std::make_shared<InFlight>();
    call->request = std::move(request);
    call->request->stop = call->stop.get_token();
    call->waker = std::make_shared<Waker>(stream_.get_executor());
    current_ = call;

    state_.HandlerStarted();
    asio::co_spawn(stream_.get_executor(), InvokeHandler(&state_, call),
                   asio::detached);
    uint64_t generation = ++watch_generation_;
    Watch(call, generation);
    std::optional<asio::steady_timer> deadline;
    if (state_.options().handler_deadline >
        std::chrono::steady_clock::duration::zero()) {
      deadline.emplace(stream_.get_executor(),
                       state_.options().handler_deadline);
      deadline->async_wait([call](error_code ec) {
        if (ec || call->response) return;
        call->deadline_hit = true;
        call->stop.request_stop();
        call->waker->Fire();
      });
    }

    co_await call->waker->Wait();
    ++watch_generation_;
    error_code ignored;
    stream_.socket().cancel(ignored);
    if (deadline) deadline->cancel();
    current_.reset();

    if (call->hard_closed) co_return std::nullopt;
    if (call->client_gone) {
      state_.counters().client_disconnects++;
      co_return std::nullopt;
    }
    // Once the deadline fired, the answer is 504 even if the handler, told to
    // stop, managed to finish before this coroutine resumed.
    if (call->deadline_hit) {
      state_.counters().handler_deadlines++;
      Status exceeded = DeadlineExceededError("handler deadline exceeded");
      const auto& custom = state_.options().error_response;
      Response response =
          custom ? custom(504, exceeded) : Response::FromStatus(exceeded);
      response.status = 504;
      co_return response;
    }
    co_return std::move(call->response);
  }

  // Watches for the client closing its end while the handler runs.
  void Watch(std::shared_ptr<InFlight> call, uint64_t generation) {
    stream_.socket().async_wait(
        tcp::socket::wait_read,
        asio::bind_executor(
            stream_.get_executor(),
            [self = shared_from_this(), call, generation](error_code ec) {
              if (generation != self->watch_generation_ || call->waker->fired)
                return;
              if (ec == asio::error::operation_aborted) return;
              if (!ec) {
                char byte;
                ssize_t r = ::recv(self->stream_.socket().native_handle(),
                                   &byte, 1, MSG_PEEK | MSG_DONTWAIT);
                if (r > 0) return;  // a pipelined request: keep it for later
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                              errno == EINTR)) {
                  self->Watch(call, generation);
                  return;
                }
              }
              call->client_gone = true;
              call->stop.request_stop();
              call->waker->Fire();
            }));
  }

  // Writes `response`. False when the write failed.
  asio::awaitable<bool> Write(Response response, int version, bool keep_alive,
                              bool head) {
    int status = response.status;
    if (status < 100 || status > 999) {
      log::Error("http handler returned an invalid status",
                 {{"status", status}});
      response = Response::FromStatus(InternalError("invalid status"));
      status = response.status;
    }
    bhttp::response_header<> res;
    res.result(static_cast<unsigned>(status));
    res.version(static_cast<unsigned>(version));
    std::string_view reason = ReasonPhrase(status);
    res.reason(Beast(reason.empty() ? std::string_view("Unknown") : reason));
    for (const auto& [name, value] : response.headers) {
      if (EqualsIgnoreCase(name, "Content-Length") ||
          EqualsIgnoreCase(name, "Transfer-Encoding") ||
          EqualsIgnoreCase(name, "Connection")) {
        continue;
      }
      if (name.empty() || !ValidFieldText(name) || !ValidFieldText(value)) {
        log::Warn("http handler set an invalid header; dropped",
                  {{"name", name}});
        continue;
      }
      res.insert(name, value);
    }
    bool bodyless = status / 100 == 1 || status == 204 || status == 304;
    const size_t body_size = response.BodySize();
    auto finish = [&](auto& message) {
      if (!bodyless) message.content_length(body_size);
      message.keep_alive(keep_alive);
    };
    const bool send_body = !bodyless && !head;
    error_code ec;
    stream_.expires_after(state_.options().write_timeout);
    if (send_body && !response.body_parts.empty()) {
      bhttp::response<PartsBody> message(std::move(res));
      message.body() = std::move(response.body_parts);
      finish(message);
      co_await bhttp::async_write(
          stream_, message, asio::redirect_error(asio::use_awaitable, ec));
    } else {
      bhttp::response<bhttp::string_body> message(std::move(res));
      if (send_body) message.body() = std::move(response.body);
      finish(message);
      co_await bhttp::async_write(
          stream_, message, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec == beast::error::timeout) state_.counters().io_timeouts++;
    co_return !ec;
  }

  asio::awaitable<bool> OnReadError(error_code ec, bool in_header) {
    if (ec == beast::error::timeout) {
      (in_header ? state_.counters().header_timeouts
                 : state_.counters().io_timeouts)++;
    } else if (ec == bhttp::error::header_limit) {
      co_await SendErrorAndClose(
          431, ResourceExhaustedError("request header too large"));
    } else if (ec == bhttp::error::body_limit) {
      co_await SendErrorAndClose(
          413, ResourceExhaustedError("request body too large"));
    } else if (ec != bhttp::error::end_of_stream &&
               ec != bhttp::error::partial_message && ec != asio::error::eof &&
               ec != asio::error::connection_reset &&
               ec != asio::error::operation_aborted &&
               ec != asio::error::bad_descriptor) {
      co_await SendErrorAndClose(
          400, InvalidArgumentError("malformed request: " + ec.message()));
    }
    co_return false;
  }

  // Answers `status` with Connection: close, then closes gracefully: half-close
  // and drain what the client still sends, so the close does not turn into a
  // reset that destroys the answer before the client reads it.
  asio::awaitable<void> SendErrorAndClose(int http_status,
                                          const Status& status) {
    state_.counters().bad_requests++;
    const auto& custom = state_.options().error_response;
    Response response =
        custom ? custom(http_status, status) : Response::FromStatus(status);
    response.status = http_status;
    phase_ = Phase::kWriting;
    if (!co_await Write(std::move(response), 11, /*keep_alive=*/false, false))
      co_return;
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(kDrainTimeout);
    size_t drained = 0;
    std::vector<char> sink(8192);
    while (!ec && drained < kMaxDrainBytes) {
      drained += co_await stream_.async_read_some(
          asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  ServerState& state_;
  beast::tcp_stream stream_;        // moved into websocket_ after an upgrade
  asio::any_io_executor executor_;  // the connection's strand
  beast::flat_buffer buffer_;
  std::string remote_;
  uint64_t id_ = 0;
  // The members below are touched only on the strand.
  Phase phase_ = Phase::kIdle;
  std::shared_ptr<InFlight> current_;
  uint64_t watch_generation_ = 0;
  std::optional<WebSocket> websocket_;  // after an upgrade
  std::stop_source ws_stop_;            // the session's Request::stop
};

}  // namespace

void StartConnection(ServerState& state, tcp::socket socket) {
  std::make_shared<Connection>(state, std::move(socket))->Start();
}

}  // namespace zimon::http::internal
