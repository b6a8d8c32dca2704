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
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <optional>
#include <stop_token>

#include "zimon/common/logging.h"
#include "zimon/http/message_parser.h"
#include "zimon/http/server_internal.h"
#include "zimon/http/socket_io.h"
#include "zimon/http/websocket_internal.h"

namespace zimon::http::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr size_t kFirstReadBytes = 4096;
constexpr size_t kBodyReadBytes = 64 * 1024;
constexpr size_t kMaxDrainBytes = 1 << 20;
constexpr auto kDrainTimeout = std::chrono::milliseconds(500);
// How long a handler runs before its client is watched for leaving
// (Connection::StartWatch).
constexpr auto kWatchAfter = std::chrono::milliseconds(5);

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

// One request being handled. Shared by the connection, the disconnect
// watcher and, with a handler deadline, the handler coroutine and the deadline
// timer; touched only on the strand.
struct InFlight {
  std::shared_ptr<Request> request;
  std::stop_source stop;
  std::shared_ptr<Waker> waker;      // only when the handler runs on its own
  std::optional<Response> response;  // set when the handler finished
  bool deadline_hit = false;
  bool client_gone = false;
  bool hard_closed = false;

  // Ends the connection's wait early (client gone, deadline, hard close).
  void Interrupt() {
    stop.request_stop();
    if (waker) waker->Fire();
  }
};

// The answer for a handler that threw (the exception in flight): a 500.
Response HandlerThrew(ServerState* state, const Request& request) {
  state->counters().handler_exceptions++;
  try {
    throw;
  } catch (const std::exception& e) {
    log::Error("http handler threw",
               {{"target", request.target}, {"error", e.what()}});
  } catch (...) {
    log::Error("http handler threw", {{"target", request.target}});
  }
  return Response::FromStatus(InternalError("handler failed"));
}

// The handler's answer to `request`; a throwing handler is a 500.
asio::awaitable<Response> CallHandler(ServerState* state, Request& request) {
  try {
    co_return co_await state->handler()(request);
  } catch (...) {
    co_return HandlerThrew(state, request);
  }
}

// The handler as a coroutine of its own (with a handler deadline, so that
// the connection can answer 504 without waiting for it).
asio::awaitable<void> InvokeHandler(ServerState* state,
                                    std::shared_ptr<InFlight> call) {
  Response response = co_await CallHandler(state, *call->request);
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

// The request as Beast's message, for the WebSocket handshake (rare: only
// requests that carry an Upgrade field are rebuilt).
bhttp::request<bhttp::string_body> BeastRequest(const Request& request,
                                                bhttp::verb method) {
  bhttp::request<bhttp::string_body> msg;
  if (method == bhttp::verb::unknown) {
    msg.method_string(request.method);
  } else {
    msg.method(method);
  }
  msg.target(request.target);
  msg.version(static_cast<unsigned>(request.version));
  for (const auto& [name, value] : request.headers) {
    msg.insert(beast::string_view(name.data(), name.size()),
               beast::string_view(value.data(), value.size()));
  }
  msg.body() = request.body;
  return msg;
}

// Appends the status line and the handler's header fields (without the
// framing fields the connection writes itself, and without the empty line
// that ends the head).
void AppendHead(std::string& out, int status, int version,
                const Headers& headers) {
  std::string_view reason = ReasonPhrase(status);
  if (reason.empty()) reason = "Unknown";
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += reason;
  out += "\r\n";
  for (const auto& [name, value] : headers) {
    if (EqualsIgnoreCase(name, "Content-Length") ||
        EqualsIgnoreCase(name, "Transfer-Encoding") ||
        EqualsIgnoreCase(name, "Connection")) {
      continue;
    }
    if (!IsWritableField(name, value)) {
      log::Warn("http handler set an invalid header; dropped",
                {{"name", name}});
      continue;
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
}

class Connection : public ConnectionControl,
                   public std::enable_shared_from_this<Connection> {
 public:
  Connection(ServerState& state, tcp::socket socket)
      : state_(state),
        socket_(std::move(socket)),
        executor_(socket_.get_executor()),
        deadline_(executor_, [this] { OnDeadline(); }),
        watch_after_(executor_, [this] { StartWatch(); }) {
    error_code ec;
    tcp::endpoint peer = socket_.remote_endpoint(ec);
    if (!ec)
      remote_ = peer.address().to_string() + ":" + std::to_string(peer.port());
    socket_.set_option(tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);
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
      if (self->phase_ == Phase::kIdle) self->Close();
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
        self->current_->Interrupt();
      }
      self->Close();
    });
  }

 private:
  // kDraining: after an error answer, reading what the client still sends.
  enum class Phase {
    kIdle,
    kHeader,
    kBody,
    kHandling,
    kWriting,
    kDraining,
    kWebSocket
  };

  static asio::awaitable<void> Run(std::shared_ptr<Connection> self) {
    co_await self->Loop();
    self->deadline_.Clear();
    if (self->phase_ == Phase::kWebSocket) co_return;  // the socket moved
    self->Close();
  }

  void Close() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  // The read or write in progress took too long: count it and close, which
  // fails the pending operation.
  void OnDeadline() {
    ServerCounters& c = state_.counters();
    switch (phase_) {
      case Phase::kIdle:
        (served_any_ ? c.idle_timeouts : c.header_timeouts)++;
        break;
      case Phase::kHeader:
        c.header_timeouts++;
        break;
      case Phase::kBody:
      case Phase::kWriting:
        c.io_timeouts++;
        break;
      case Phase::kHandling:
      case Phase::kDraining:
      case Phase::kWebSocket:
        break;
    }
    Close();
  }

  asio::awaitable<void> Loop() {
    const ServerOptions& opt = state_.options();
    while (true) {
      if (buffer_.size() == 0) {
        if (state_.shutting_down()) co_return;
        phase_ = Phase::kIdle;
        deadline_.SetAfter(served_any_ ? opt.idle_timeout : opt.header_timeout);
        error_code ec;
        size_t n = co_await socket_.async_read_some(
            buffer_.prepare(kFirstReadBytes),
            asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        buffer_.commit(n);
      }
      if (!co_await ServeOne()) co_return;
      served_any_ = true;
    }
  }

  // Feeds buffered bytes to `parser` until `done` holds, reading more from
  // the socket as needed; `deadline` is set once, when the first read is
  // needed (a request that arrived whole sets no timer).
  template <class Done>
  asio::awaitable<error_code> Parse(RequestParser& parser, Done done,
                                    ServerOptions::Duration timeout,
                                    size_t read_bytes) {
    error_code ec;
    bool deadline_set = false;
    while (!done()) {
      if (buffer_.size() > 0) {
        size_t used = parser.put(buffer_.data(), ec);
        buffer_.consume(used);
        if (ec && ec != bhttp::error::need_more) co_return ec;
        // Progress: parse on. No progress without an error means the same
        // as need_more: read.
        if (!ec && (used != 0 || done())) continue;
        ec = {};
      }
      if (!deadline_set) {
        deadline_.SetAfter(timeout);
        deadline_set = true;
      }
      size_t n = co_await socket_.async_read_some(
          buffer_.prepare(read_bytes),
          asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::eof) {
        parser.put_eof(ec);
        if (!ec) continue;
      }
      if (ec) co_return ec;
      buffer_.commit(n);
    }
    co_return ec;
  }

  // Reads, handles and answers one request. False when the connection ends.
  asio::awaitable<bool> ServeOne() {
    const ServerOptions& opt = state_.options();
    auto request = std::make_shared<Request>();
    RequestParser parser(*request);
    parser.header_limit(static_cast<uint32_t>(
        std::min<size_t>(opt.max_header_bytes, UINT32_MAX)));
    parser.body_limit(opt.max_body_bytes);
    phase_ = Phase::kHeader;
    error_code ec = co_await Parse(
        parser, [&] { return parser.is_header_done(); }, opt.header_timeout,
        kFirstReadBytes);
    if (ec) co_return co_await OnReadError(ec);

    // Checked here too: Beast 1.74 can lose the body_limit error when the
    // header and the body arrive in one read.
    if (parser.content_length() &&
        *parser.content_length() > opt.max_body_bytes) {
      co_return co_await OnReadError(bhttp::error::body_limit);
    }
    if (!parser.is_done()) {
      phase_ = Phase::kBody;
      auto expect = request->headers.Get("Expect");
      if (expect && EqualsIgnoreCase(*expect, "100-continue") &&
          request->version >= 11) {
        static constexpr std::string_view kContinue =
            "HTTP/1.1 100 Continue\r\n\r\n";
        deadline_.SetAfter(opt.write_timeout);
        const asio::const_buffer continue_buffer = asio::buffer(kContinue);
        ec = co_await WriteAll(socket_, {&continue_buffer, 1});
        if (ec) co_return false;
      }
      parser.eager(true);
      ec = co_await Parse(
          parser, [&] { return parser.is_done(); }, opt.body_timeout,
          kBodyReadBytes);
      if (ec) co_return co_await OnReadError(ec);
    }
    deadline_.Clear();
    if (request->body.size() > opt.max_body_bytes) {
      co_return co_await OnReadError(bhttp::error::body_limit);
    }

    request->remote_address = remote_;
    Status target_ok = ParseTarget(request->target, *request);
    if (!target_ok.ok()) {
      co_await SendErrorAndClose(400, target_ok);
      co_return false;
    }
    bool keep_alive = parser.keep_alive();
    bool head = parser.method() == bhttp::verb::head;
    const int version = request->version;
    state_.counters().requests_total++;

    UpgradeSlot upgrade;
    std::optional<UpgradeScope> upgrade_scope;
    std::optional<bhttp::request<bhttp::string_body>> upgrade_request;
    if (request->headers.Has("Upgrade")) {
      upgrade_request = BeastRequest(*request, parser.method());
      if (IsWebSocketUpgrade(*upgrade_request)) {
        upgrade_scope.emplace(request.get(), &upgrade);
      }
    }
    std::shared_ptr<Request> kept = request;
    std::optional<Response> response = co_await Dispatch(std::move(request));
    upgrade_scope.reset();
    if (!response) co_return false;
    if (response->status == 101) {
      if (upgrade.handler && upgrade_request) {
        co_await RunWebSocket(*upgrade_request, std::move(kept),
                              std::move(upgrade.handler));
        co_return false;
      }
      log::Error("http handler answered 101 without an upgrade",
                 {{"target", kept->target}});
      response = Response::FromStatus(InternalError("invalid status"));
    }
    // A handler may ask for the connection to close after its answer.
    auto connection = response->headers.Get("Connection");
    if (connection && EqualsIgnoreCase(*connection, "close"))
      keep_alive = false;
    keep_alive = keep_alive && !state_.shutting_down();
    bool written =
        co_await Write(std::move(*response), version, keep_alive, head);
    co_return written&& keep_alive;
  }

  // Hands the socket to a WebSocket and runs the route's session handler on
  // it; the connection ends with it.
  asio::awaitable<void> RunWebSocket(
      const bhttp::request<bhttp::string_body>& msg,
      std::shared_ptr<Request> request, WebSocketHandler handler) {
    phase_ = Phase::kWebSocket;
    deadline_.Clear();
    error_code ignored;
    socket_.non_blocking(false, ignored);
    StatusOr<WebSocket> ws = co_await AcceptWebSocket(
        beast::tcp_stream(std::move(socket_)), msg, WebSocketOptions{});
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
    // A close that fails leaves the socket to Abort.
    if (websocket_->is_open()) (void)co_await websocket_->Close();
    websocket_->Abort();
  }

  // Runs the handler and waits for it, the client leaving, the handler
  // deadline or a hard close. Empty when there is nothing to answer.
  //
  // Without a handler deadline the handler runs inside this coroutine: a
  // client that leaves, or a hard close, requests stop and the handler
  // returns early. With one, it runs as a coroutine of its own so that the
  // 504 goes out at the deadline even if the handler is slow to stop.
  asio::awaitable<std::optional<Response>> Dispatch(
      std::shared_ptr<Request> request) {
    phase_ = Phase::kHandling;
    auto call = std::make_shared<InFlight>();
    call->request = std::move(request);
    call->request->stop = call->stop.get_token();
    current_ = call;
    const auto handler_deadline = state_.options().handler_deadline;
    const bool own_coroutine =
        handler_deadline > std::chrono::steady_clock::duration::zero();

    state_.HandlerStarted();
    ++watch_generation_;
    std::optional<asio::steady_timer> deadline;
    if (own_coroutine) {
      call->waker = std::make_shared<Waker>(executor_);
      asio::co_spawn(executor_, InvokeHandler(&state_, call), asio::detached);
      watch_after_.SetAfter(kWatchAfter);
      deadline.emplace(executor_, handler_deadline);
      deadline->async_wait([call](error_code ec) {
        if (ec || call->response) return;
        call->deadline_hit = true;
        call->Interrupt();
      });
      co_await call->waker->Wait();
    } else {
      watch_after_.SetAfter(kWatchAfter);
      // CallHandler written out: one coroutine frame fewer per request.
      try {
        call->response = co_await state_.handler()(*call->request);
      } catch (...) {
        call->response = HandlerThrew(&state_, *call->request);
      }
      state_.HandlerFinished();
    }
    ++watch_generation_;
    watch_after_.Clear();
    if (watching_) {
      watching_ = false;
      error_code ignored;
      socket_.cancel(ignored);  // the pending peek
    }
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
      co_return ErrorAnswer(state_.options().error_response, 504, exceeded);
    }
    co_return std::move(call->response);
  }

  // A handler that has run for kWatchAfter gets its client watched (Watch).
  // Most answers come sooner; for them the watch would cost a receive that
  // finds nothing (Asio tries every receive at once) and a cancel, per
  // request. The timer behind watch_after_ is re-armed once per kWatchAfter
  // at most, however many requests set it meanwhile.
  void StartWatch() {
    if (!current_ || watching_ || current_->response) return;
    watching_ = true;
    Watch(current_, watch_generation_);
  }

  // Watches for the client closing its end while the handler runs.
  //
  // A one-byte peek rather than a wait for readiness: Asio re-registers the
  // socket with epoll (epoll_ctl, which also polls the socket) for every
  // wait, while a receive is tried once and then queued on the socket's
  // existing registration. The peek consumes nothing.
  void Watch(std::shared_ptr<InFlight> call, uint64_t generation) {
    socket_.async_receive(
        asio::buffer(&watch_byte_, 1), tcp::socket::message_peek,
        asio::bind_executor(executor_, [self = shared_from_this(), call,
                                        generation](error_code ec, size_t n) {
          if (generation != self->watch_generation_ || call->response ||
              call->stop.stop_requested()) {
            return;
          }
          if (ec == asio::error::operation_aborted) return;
          if (!ec && n > 0) return;  // a pipelined request: keep it for later
          if (ec == asio::error::would_block || ec == asio::error::try_again ||
              ec == asio::error::interrupted) {
            self->Watch(call, generation);
            return;
          }
          call->client_gone = true;  // end of stream or a socket error
          call->Interrupt();
        }));
  }

  // Writes `response`: the head serialised here and the body in one gather
  // write. False when the write failed.
  asio::awaitable<bool> Write(Response response, int version, bool keep_alive,
                              bool head) {
    phase_ = Phase::kWriting;
    int status = response.status;
    if (status < 100 || status > 999) {
      log::Error("http handler returned an invalid status",
                 {{"status", status}});
      response = Response::FromStatus(InternalError("invalid status"));
      status = response.status;
    }
    const bool bodyless = status / 100 == 1 || status == 204 || status == 304;
    const bool send_body = !bodyless && !head;
    std::string& out = head_buffer_;
    out.clear();
    AppendHead(out, status, version, response.headers);
    if (!bodyless) {
      out += "Content-Length: ";
      out += std::to_string(response.BodySize());
      out += "\r\n";
    }
    if (version >= 11 && !keep_alive) out += "Connection: close\r\n";
    if (version < 11 && keep_alive) out += "Connection: keep-alive\r\n";
    out += "\r\n";

    std::vector<asio::const_buffer>& buffers = write_buffers_;
    buffers.clear();
    buffers.emplace_back(out.data(), out.size());
    if (send_body) {
      if (response.body_parts.empty()) {
        if (!response.body.empty())
          buffers.emplace_back(response.body.data(), response.body.size());
      } else {
        for (const SharedText& part : response.body_parts) {
          if (!part.empty())
            buffers.emplace_back(part.view().data(), part.size());
        }
      }
    }
    deadline_.SetAfter(state_.options().write_timeout);
    error_code ec;
    const size_t sent = WriteNow(socket_, buffers, ec);
    if (!ec && sent < asio::buffer_size(buffers)) {
      ec = co_await WriteRest(socket_, buffers, sent);
    }
    deadline_.Clear();
    co_return !ec;
  }

  // Answers what a read error calls for (431, 413 or 400; nothing for a
  // timeout, counted by OnDeadline, or a closed connection). Always false.
  asio::awaitable<bool> OnReadError(error_code ec) {
    if (deadline_.expired()) co_return false;  // counted by OnDeadline
    if (ec == bhttp::error::header_limit) {
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
    Response response =
        ErrorAnswer(state_.options().error_response, http_status, status);
    if (!co_await Write(std::move(response), 11, /*keep_alive=*/false, false))
      co_return;
    phase_ = Phase::kDraining;
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    deadline_.SetAfter(kDrainTimeout);
    size_t drained = 0;
    std::vector<char> sink(8192);
    while (!ec && drained < kMaxDrainBytes) {
      drained += co_await socket_.async_read_some(
          asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  ServerState& state_;
  tcp::socket socket_;              // moved into websocket_ after an upgrade
  asio::any_io_executor executor_;  // the connection's strand
  IoDeadline deadline_;             // of the read or write in progress
  IoDeadline watch_after_;          // when to start watching (StartWatch)
  beast::flat_buffer buffer_;
  std::string remote_;
  uint64_t id_ = 0;
  // The members below are touched only on the strand.
  Phase phase_ = Phase::kIdle;
  char watch_byte_ = 0;      // Watch's peek lands here
  bool served_any_ = false;  // a request was answered: waits are idle ones
  std::string head_buffer_;  // the response head being written
  std::vector<asio::const_buffer> write_buffers_;
  std::shared_ptr<InFlight> current_;
  uint64_t watch_generation_ = 0;
  bool watching_ = false;  // a Watch is pending for the running handler
  std::optional<WebSocket> websocket_;  // after an upgrade
  std::stop_source ws_stop_;            // the session's Request::stop
};

}  // namespace

void StartConnection(ServerState& state, tcp::socket socket) {
  std::make_shared<Connection>(state, std::move(socket))->Start();
}

}  // namespace zimon::http::internal
