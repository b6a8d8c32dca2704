#include "zimon/http/client.h"

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "zimon/common/clock.h"
#include "zimon/http/message_parser.h"
#include "zimon/http/socket_io.h"
#include "zimon/http/url.h"

namespace zimon::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

// Pooled connections idle for less than this are reused without checking
// whether the peer closed them (TakeIdle).
constexpr std::chrono::seconds kCheckAfterIdle(1);

// One TCP connection: a plain non-blocking socket, a read buffer and one
// deadline, all run on the socket's executor (a strand, or the io_context
// itself when the client is single-threaded). An exchange sets the deadline
// once; when it passes, the socket is closed, which fails the pending read or
// write. Made by NewConnection(): its last owner may drop it on any thread,
// but the deadline's timer is destroyed on the executor.
struct Connection {
  // Each read asks for the buffer's free room: with room reserved, a 1 MB
  // answer takes ~20 reads (and as many completions), not ~800.
  static constexpr size_t kReadBufferBytes = 64 * 1024;
  // A read straight into a body asks for up to this much. Behind a busy
  // upstream more than 64 KB is often waiting: at 256 KB a 1 MB answer
  // takes about 10 receive calls instead of 21, and 4 % less CPU.
  static constexpr size_t kBodyReadBytes = 256 * 1024;
  explicit Connection(asio::any_io_executor executor)
      : socket(std::move(executor)) {
    buffer.reserve(kReadBufferBytes);
  }

  // On the executor; made by the first exchange.
  internal::IoDeadline& Deadline() {
    if (!deadline) {
      deadline.emplace(socket.get_executor(), [this] {
        // Only during an exchange: it disarms the deadline when it ends.
        error_code ignored;
        socket.close(ignored);
      });
    }
    return *deadline;
  }

  tcp::socket socket;
  beast::flat_buffer buffer;
  std::string head;  // the request head being sent; its room is kept
  bool connected = false;
  Clock::time_point idle_since;
  // Last member: destroyed first, before the socket its callback closes.
  std::optional<internal::IoDeadline> deadline;
};

std::shared_ptr<Connection> NewConnection(asio::any_io_executor executor) {
  return std::shared_ptr<Connection>(
      new Connection(std::move(executor)), [](Connection* raw) {
        std::unique_ptr<Connection> conn(raw);
        if (!conn->deadline) return;  // nothing executor-bound: delete here
        // Pooled (its deadline disarmed), but the deadline's timer belongs
        // to the executor. If the executor never runs again, the handler is
        // destroyed with the io_context, deleting the connection then.
        asio::any_io_executor home = conn->socket.get_executor();
        asio::post(home, [conn = std::move(conn)] {});
      });
}

// Per-exchange state the stop callback may touch after the exchange ended.
struct ExchangeState {
  std::atomic<bool> cancelled{false};
  bool active = true;  // strand-only
};

// co_spawn needs a default-constructible result type.
struct ExchangeResult {
  // Built inline: three of these are made for every request.
  StatusOr<Response> response{Status(StatusCode::kInternal, "no result")};
  bool reusable = false;
  bool stale = false;  // a reused connection died before any answer byte
};

bool IsIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" ||
         method == "DELETE" || method == "OPTIONS";
}

bool IsDisconnect(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == bhttp::error::end_of_stream ||
         ec == bhttp::error::partial_message;
}

Clock::time_point ExpiryAfter(Clock::duration d) {
  return SaturatingAdd(Clock::now(), d);
}

}  // namespace

class Client::Impl {
 public:
  Impl(asio::any_io_executor executor, ClientOptions options)
      : executor_(std::move(executor)), options_(std::move(options)) {}

  // `self` is this Impl, kept alive for the whole call even if the Client
  // is destroyed meanwhile.
  asio::awaitable<StatusOr<Response>> Send(
      [[maybe_unused]] std::shared_ptr<Impl> self, ClientRequest request,
      std::stop_token stop) {
    StatusOr<std::shared_ptr<const Target>> target = Parse(request.url);
    if (!target.ok()) co_return target.status();
    const Url* url = &(*target)->url;
    if (request.method.empty()) co_return InvalidArgumentError("empty method");
    for (const auto& [name, value] : request.headers) {
      if (!IsWritableField(name, value)) {
        co_return InvalidArgumentError("invalid header field '" +
                                       std::string(name) + "'");
      }
    }
    if (stop.stop_requested()) co_return CancelledError("request cancelled");
    requests_++;
    Clock::duration timeout = request.timeout > Clock::duration::zero()
                                  ? request.timeout
                                  : options_.request_timeout;
    Clock::time_point deadline = ExpiryAfter(timeout);
    const std::string& key = (*target)->key;
    asio::any_io_executor here = co_await asio::this_coro::executor;
    const bool inline_exchange = options_.single_threaded && here == executor_;
    for (int attempt = 0;; ++attempt) {
      std::shared_ptr<Connection> connection = TakeIdle(key);
      bool reused = connection != nullptr;
      if (!reused) {
        connection = NewConnection(options_.single_threaded
                                       ? executor_
                                       : asio::make_strand(executor_));
      }
      ExchangeResult result;
      if (inline_exchange) {
        result = co_await Exchange(connection, *url, request, deadline, stop,
                                   reused);
      } else {
        result = co_await asio::co_spawn(
            connection->socket.get_executor(),
            Exchange(connection, *url, request, deadline, stop, reused),
            asio::use_awaitable);
      }
      if (result.stale && attempt == 0 && IsIdempotent(request.method))
        continue;
      if (result.reusable) ReturnIdle(key, std::move(connection));
      co_return std::move(result.response);
    }
  }

  ClientStats stats() const {
    ClientStats s;
    s.requests = requests_.load();
    s.connections_opened = opened_.load();
    s.connections_reused = reused_.load();
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, list] : idle_) s.idle_connections += list.size();
    return s;
  }

  void CloseIdle() {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.clear();
  }

 private:
  // A parsed URL and its pool key ("host:port").
  struct Target {
    Url url;
    std::string key;
  };

  // ParseUrl, remembered: a gateway sends to the same few backend URLs over
  // and over. Shared, so that an entry dropped meanwhile stays alive for the
  // calls using it.
  StatusOr<std::shared_ptr<const Target>> Parse(const std::string& text) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = targets_.find(text);
      if (it != targets_.end()) return it->second;
    }
    ZIMON_ASSIGN_OR_RETURN(Url url, ParseUrl(text));
    std::string key = url.HostPort();
    auto target =
        std::make_shared<const Target>(Target{std::move(url), std::move(key)});
    std::lock_guard<std::mutex> lock(mu_);
    if (targets_.size() >= kMaxTargets) targets_.clear();
    targets_.emplace(text, target);
    return target;
  }

  // Runs on the connection's executor. `url` and `request` live in Send()'s
  // frame, which awaits this coroutine to its end.
  asio::awaitable<ExchangeResult> Exchange(std::shared_ptr<Connection> conn,
                                           const Url& url,
                                           const ClientRequest& request,
                                           Clock::time_point deadline,
                                           std::stop_token stop, bool reused) {
    ExchangeResult result;
    auto state = std::make_shared<ExchangeState>();
    std::stop_callback on_stop(stop, [conn, state] {
      state->cancelled.store(true);
      asio::post(conn->socket.get_executor(), [conn, state] {
        if (!state->active) return;
        error_code ignored;
        conn->socket.shutdown(tcp::socket::shutdown_both, ignored);
        conn->socket.close(ignored);
      });
    });
    try {
      result =
          co_await DoExchange(*conn, url, request, deadline, reused, *state);
    } catch (const std::exception& e) {
      result.response = InternalError(std::string("http client: ") + e.what());
      result.reusable = false;
    }
    state->active = false;
    if (state->cancelled.load()) {
      result.response = CancelledError("request cancelled");
      result.reusable = false;
      result.stale = false;
    }
    if (result.reusable) {
      if (options_.long_lived_executor) {
        conn->Deadline().Clear();  // the wait left pending finds no deadline
      } else {
        // No wait left pending while pooled: an io_context run until it runs
        // out of work must not wait for an idle connection's timer.
        conn->Deadline().Disarm();
      }
    } else {
      // Done with: close it and drop the timer here, on the executor.
      conn->deadline.reset();
      error_code ignored;
      conn->socket.close(ignored);
    }
    co_return result;
  }

  // The request line and header fields, written over `head`: the method as
  // given, the caller's fields (less Content-Length and Transfer-Encoding),
  // then Host, User-Agent and Content-Length where due. No Connection field:
  // keep-alive is HTTP/1.1's default (a caller's own is sent as set).
  void RequestHead(const Url& url, const ClientRequest& request,
                   std::string& head) const {
    size_t size = request.method.size() + url.target.size() + 128 +
                  options_.user_agent.size() + url.host.size();
    for (const auto& [name, value] : request.headers)
      size += name.size() + value.size() + 4;
    head.clear();
    head.reserve(size);
    head.append(request.method).append(" ").append(url.target);
    head.append(" HTTP/1.1\r\n");
    bool has_host = false;
    bool has_user_agent = false;
    for (const auto& [name, value] : request.headers) {
      if (EqualsIgnoreCase(name, "Content-Length") ||
          EqualsIgnoreCase(name, "Transfer-Encoding")) {
        continue;
      }
      has_host = has_host || EqualsIgnoreCase(name, "Host");
      has_user_agent = has_user_agent || EqualsIgnoreCase(name, "User-Agent");
      head.append(name).append(": ").append(value).append("\r\n");
    }
    if (!has_host) head.append("Host: ").append(url.HostPort()).append("\r\n");
    if (!has_user_agent && !options_.user_agent.empty())
      head.append("User-Agent: ").append(options_.user_agent).append("\r\n");
    if (!request.body.empty() || request.method == "POST" ||
        request.method == "PUT" || request.method == "PATCH") {
      head.append("Content-Length: ")
          .append(std::to_string(request.body.size()))
          .append("\r\n");
    }
    head.append("\r\n");
  }

  asio::awaitable<ExchangeResult> DoExchange(Connection& conn, const Url& url,
                                             const ClientRequest& request,
                                             Clock::time_point deadline,
                                             bool reused,
                                             ExchangeState& state) {
    ExchangeResult result;
    error_code ec;
    internal::IoDeadline& timer = conn.Deadline();
    // An I/O error once the deadline has closed the socket is the timeout.
    auto io_error = [&](error_code e) -> error_code {
      return timer.expired() ? error_code(beast::error::timeout) : e;
    };
    auto failed = [&](const error_code& e, std::string_view what) -> Status {
      if (state.cancelled.load()) return CancelledError("request cancelled");
      std::string message =
          std::string(what) + " " + url.HostPort() + ": " + e.message();
      if (e == beast::error::timeout) return DeadlineExceededError(message);
      return UnavailableError(message);
    };
    if (!conn.connected) {
      Clock::time_point connect_deadline =
          std::min(deadline, ExpiryAfter(options_.connect_timeout));
      std::vector<tcp::endpoint> endpoints;
      Status resolved = co_await Resolve(url, connect_deadline, endpoints);
      if (!resolved.ok()) {
        result.response = state.cancelled.load()
                              ? CancelledError("request cancelled")
                              : resolved;
        co_return result;
      }
      timer.Set(connect_deadline);
      co_await asio::async_connect(
          conn.socket, endpoints,
          asio::redirect_error(asio::use_awaitable, ec));
      if (!ec && timer.expired()) ec = asio::error::operation_aborted;
      if (ec) {
        ec = io_error(ec);
        result.response = failed(ec, "connect to");
        if (ec == beast::error::timeout && connect_deadline < deadline &&
            !state.cancelled.load()) {
          // connect_timeout, not the request's deadline: nothing was sent,
          // so the server is unreachable rather than slow (a host that
          // drops SYNs: down, or behind a firewall).
          result.response = UnavailableError(
              "connect to " + url.HostPort() + " timed out after " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                      options_.connect_timeout)
                      .count()) +
              " ms");
        }
        co_return result;
      }
      conn.connected = true;
      conn.socket.set_option(tcp::no_delay(true), ec);
      conn.socket.non_blocking(true, ec);
      if (ec) {
        result.response = failed(ec, "connect to");
        co_return result;
      }
      opened_++;
    } else {
      reused_++;
    }
    // Once per exchange. After a connect this only stores it: the wait armed
    // for the (sooner) connect deadline re-arms itself when it fires.
    timer.Set(deadline);

    std::string& head = conn.head;
    RequestHead(url, request, head);
    const asio::const_buffer buffers[] = {asio::buffer(head),
                                          asio::buffer(request.body)};
    const size_t sent = internal::WriteNow(conn.socket, buffers, ec);
    if (!ec && sent < head.size() + request.body.size()) {
      ec = co_await internal::WriteRest(conn.socket, buffers, sent);
    }
    if (ec) {
      ec = io_error(ec);
      result.stale = reused && IsDisconnect(ec);
      result.response = failed(ec, "send to");
      co_return result;
    }

    const bool head_request = request.method == "HEAD";
    internal::ResponseParser parser;
    parser.header_limit(static_cast<uint32_t>(
        std::min<size_t>(options_.max_response_header_bytes, UINT32_MAX)));
    parser.body_limit(options_.max_response_body_bytes);
    if (head_request) parser.skip(true);
    ec = co_await ReadResponse(conn, parser, head_request);
    if (!ec &&
        parser.message().body.size() > options_.max_response_body_bytes) {
      ec = bhttp::error::body_limit;
    }
    if (ec) {
      if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit) {
        result.response =
            ResourceExhaustedError("response from " + url.HostPort() +
                                   " over the limit: " + ec.message());
      } else if (ec.category() ==
                     error_code(bhttp::error::bad_version).category() &&
                 !IsDisconnect(ec)) {
        result.response = DataLossError("malformed response from " +
                                        url.HostPort() + ": " + ec.message());
      } else {
        ec = io_error(ec);
        result.stale = reused && !parser.got_some() && IsDisconnect(ec);
        result.response = failed(ec, "receive from");
        // The request was sent: the server may have acted on it.
        if (IsDisconnect(ec) && !state.cancelled.load()) {
          result.response = AbortedError("connection to " + url.HostPort() +
                                         " closed after the request was "
                                         "sent: " +
                                         ec.message());
        }
      }
      co_return result;
    }
    result.reusable = parser.keep_alive() && !parser.need_eof() &&
                      conn.buffer.size() == 0 && conn.socket.is_open();
    result.response = std::move(parser.message());
    co_return result;
  }

  // Reads one response into `parser`, pushing what arrives into it: the
  // header whole (Beast parses it from one contiguous buffer, which the flat
  // buffer gives), then the body as it comes. Once the buffer is empty, the
  // rest of a Content-Length body is read straight into the message: its
  // room is zero-filled first (each byte once), which costs a little less
  // than the copy out of the buffer it replaces (a 1 MB answer, 12 against
  // 15 us). A read that filled its room suggests more is waiting: the next
  // is tried at once, without waiting for readiness; a wait for the rest of
  // a long body raises the socket's read mark for it. Returns the parser's
  // or the socket's error, if any.
  asio::awaitable<error_code> ReadResponse(Connection& conn,
                                           internal::ResponseParser& parser,
                                           bool head_request) {
    // Up to this many reads in a row skip the wait for readiness; then one
    // goes through the scheduler, so a long answer lets others run.
    constexpr int kMaxDirectReads = 8;
    beast::flat_buffer& buffer = conn.buffer;
    error_code ec;
    bool header_checked = false;
    int direct_reads = 0;
    bool try_direct = false;
    parser.eager(false);  // stop after the header, for the length check
    for (;;) {
      if (buffer.size() != 0) {
        size_t used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec && ec != bhttp::error::need_more) co_return ec;
        if (!ec) {
          if (!header_checked && parser.is_header_done()) {
            header_checked = true;
            // Ours, not body_limit's: Beast 1.74 loses the body_limit error
            // when the header and the body arrive in one read.
            if (parser.content_length() &&
                *parser.content_length() > options_.max_response_body_bytes &&
                !head_request) {
              co_return bhttp::error::body_limit;
            }
            parser.eager(true);
          }
          if (parser.is_done()) co_return error_code();
          if (used != 0 && buffer.size() != 0) continue;
        }
        ec = {};
      }
      // The buffer is empty here unless it holds part of a head.
      const uint64_t body_left = parser.body_left();
      const bool into_body = body_left != 0;
      size_t room;
      asio::mutable_buffer space;
      if (into_body) {
        room = static_cast<size_t>(
            std::min<uint64_t>(body_left, Connection::kBodyReadBytes));
        space = parser.BodySpace(room);
      } else {
        room = std::clamp<size_t>(buffer.capacity() - buffer.size(), 4096,
                                  Connection::kReadBufferBytes);
        space = buffer.prepare(room);
      }
      size_t n = 0;
      if (try_direct && direct_reads < kMaxDirectReads) {
        ++direct_reads;
        n = conn.socket.read_some(space, ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
          ec = {};
          n = 0;
          try_direct = false;
        }
      } else {
        direct_reads = 0;
      }
      if (n == 0 && !ec) {
        // Waiting for the rest of a long body: one wakeup when it is all
        // in (or a mark's worth), not one per piece (socket_io.h).
        const int mark =
            into_body ? internal::RaiseReadMark(conn.socket, body_left) : 0;
        n = co_await conn.socket.async_read_some(
            space, asio::redirect_error(asio::use_awaitable, ec));
        if (mark != 0 && !ec) ec = internal::LowerReadMark(conn.socket);
      }
      if (into_body) {
        parser.CommitBody(n);
      } else {
        buffer.commit(n);
      }
      try_direct = n == room;
      if (ec == asio::error::eof) {
        if (!parser.got_some()) co_return bhttp::error::end_of_stream;
        ec = {};
        parser.put_eof(ec);  // ends a body delimited by the close
        co_return ec;
      }
      if (ec) co_return ec;
      if (into_body && parser.is_done()) co_return error_code();
    }
  }

  asio::awaitable<Status> Resolve(const Url& url, Clock::time_point deadline,
                                  std::vector<tcp::endpoint>& out) {
    error_code ec;
    std::string host = url.host == "localhost" ? "127.0.0.1" : url.host;
    asio::ip::address address = asio::ip::make_address(host, ec);
    if (!ec) {
      out.emplace_back(address, url.port);
      co_return OkStatus();
    }
    auto resolver =
        std::make_shared<tcp::resolver>(co_await asio::this_coro::executor);
    auto timer = std::make_shared<asio::steady_timer>(resolver->get_executor(),
                                                      deadline);
    timer->async_wait([resolver](error_code e) {
      if (!e) resolver->cancel();
    });
    auto results = co_await resolver->async_resolve(
        host, std::to_string(url.port),
        asio::redirect_error(asio::use_awaitable, ec));
    timer->cancel();
    if (ec == asio::error::operation_aborted) {
      co_return DeadlineExceededError("resolving " + url.host + " timed out");
    }
    if (ec)
      co_return UnavailableError("cannot resolve " + url.host + ": " +
                                 ec.message());
    for (const auto& entry : results) out.push_back(entry.endpoint());
    if (out.empty()) co_return UnavailableError("no address for " + url.host);
    co_return OkStatus();
  }

  // A pooled connection that is still open and fresh, or null.
  std::shared_ptr<Connection> TakeIdle(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idle_.find(key);
    if (it == idle_.end()) return nullptr;
    auto& list = it->second;
    Clock::time_point now = Clock::now();
    while (!list.empty()) {
      std::shared_ptr<Connection> conn = std::move(list.back());
      list.pop_back();
      if (now - conn->idle_since > options_.idle_timeout) continue;
      // A connection back in the pool for less than kCheckAfterIdle is taken
      // as it is: servers close idle keep-alive connections after seconds
      // (uvicorn, cpp-httplib and Node 5 s, aiohttp 75 s), and one that
      // closes after an answer says so in it. Under load that saves a
      // syscall per request; a server that died meanwhile fails the exchange
      // as it would have a moment later.
      if (now - conn->idle_since < kCheckAfterIdle) return conn;
      // The pool holds the only reference and no operation is pending, so a
      // direct peek is safe: 0 means the peer closed, data means it is
      // confused.
      char byte;
      ssize_t r = ::recv(conn->socket.native_handle(), &byte, 1,
                         MSG_PEEK | MSG_DONTWAIT);
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return conn;
    }
    idle_.erase(it);
    return nullptr;
  }

  void ReturnIdle(const std::string& key, std::shared_ptr<Connection> conn) {
    if (options_.max_idle_per_host == 0) return;
    conn->idle_since = Clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    auto& list = idle_[key];
    list.push_back(std::move(conn));
    while (list.size() > options_.max_idle_per_host) list.pop_front();
  }

  asio::any_io_executor executor_;
  ClientOptions options_;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> opened_{0};
  std::atomic<uint64_t> reused_{0};
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::deque<std::shared_ptr<Connection>>>
      idle_;  // guarded by mu_
  // Parsed URLs (Parse); emptied when it reaches kMaxTargets. Guarded by mu_.
  static constexpr size_t kMaxTargets = 256;
  std::unordered_map<std::string, std::shared_ptr<const Target>> targets_;
};

Client::Client(asio::any_io_executor executor, ClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

Client::~Client() = default;

// Not a coroutine itself: the pool's own coroutine is the whole call, one
// frame fewer per request.
asio::awaitable<StatusOr<Response>> Client::Send(ClientRequest request,
                                                 std::stop_token stop) {
  return impl_->Send(impl_, std::move(request), std::move(stop));
}

ClientStats Client::stats() const { return impl_->stats(); }

void Client::CloseIdle() { impl_->CloseIdle(); }

StatusOr<Response> Fetch(ClientRequest request, ClientOptions options,
                         std::stop_token stop) {
  asio::io_context ioc(1);
  std::optional<StatusOr<Response>> out;
  {
    Client client(ioc.get_executor(), std::move(options));
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          out = co_await client.Send(std::move(request), std::move(stop));
        },
        asio::detached);
    ioc.run();
  }
  // The pooled connections were handed to the executor to be deleted.
  ioc.restart();
  ioc.run();
  if (!out) return InternalError("http client: request did not complete");
  return std::move(*out);
}

}  // namespace zimon::http
