// Internal to the http module: the socket-level pieces the server's
// connections and the client share. Not a public header.
//
// Both sides run HTTP/1.1 on a plain non-blocking tcp::socket rather than
// beast::tcp_stream. tcp_stream arms a timer for every read and write and
// cancels it when the operation completes; each cancel is one more completion
// handler through the scheduler, and with short keep-alive exchanges that
// bookkeeping cost more than the parsing. Here a connection keeps one timer
// (IoDeadline) whose deadline moves by a plain store, and writes go straight
// to the kernel when it takes them at once (WriteAll), which for answers up to
// the socket buffer is always.
#ifndef ZIMON_HTTP_SOCKET_IO_H_
#define ZIMON_HTTP_SOCKET_IO_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

namespace zimon::http::internal {

// A deadline for a connection's I/O that is cheap to move later.
//
// The timer stays armed while a deadline is set. Set() stores the new
// deadline and re-arms the timer only when it must fire sooner than it is
// armed for; when the timer fires before the stored deadline (the deadline
// moved later since), it re-arms itself for it. When the deadline passes,
// `on_expire` runs once on the executor; the owner typically closes the
// socket, which fails its pending operations.
//
// Executor-confined: construct, Set(), Clear() and destroy on the owner's
// executor (its strand, or the io_context run by one thread). `on_expire`
// must not own the owner (hold a weak pointer or a plain one the owner
// outlives): the timer's pending wait holds the callback.
class IoDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  IoDeadline(const boost::asio::any_io_executor& executor,
             std::function<void()> on_expire);
  ~IoDeadline();
  IoDeadline(const IoDeadline&) = delete;
  IoDeadline& operator=(const IoDeadline&) = delete;

  // Fires `on_expire` at `deadline` unless moved or cleared first.
  // Clock::time_point::max() means none.
  void Set(Clock::time_point deadline);
  void SetAfter(Clock::duration timeout);
  void Clear() { Set(Clock::time_point::max()); }
  // Clear(), and also cancels the pending wait (one completion when a wait
  // was pending), so the timer holds no work on the executor: for an owner
  // that sits idle on an io_context run until it runs out of work (a pooled
  // client connection). The next Set() arms the timer afresh.
  void Disarm();

  // True from the moment `on_expire` was called until the next Set().
  bool expired() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// Writes all of `buffers` to `socket`, which must be in non-blocking mode
// (socket.non_blocking(true)): first directly, as much as the kernel takes,
// then the rest with an asynchronous write. The buffers must stay valid until
// it returns. Call it on the socket's executor.
boost::asio::awaitable<boost::system::error_code> WriteAll(
    boost::asio::ip::tcp::socket& socket,
    std::span<const boost::asio::const_buffer> buffers);

// WriteAll in two halves, for callers on a hot path: a coroutine that
// finishes at once still costs a frame. WriteNow writes what the kernel takes
// now and returns how much (a full socket buffer is not an error); WriteRest
// writes the rest, from `written` bytes into `buffers`, asynchronously:
//
//   size_t n = WriteNow(socket, buffers, ec);
//   if (!ec && n < asio::buffer_size(buffers))
//     ec = co_await WriteRest(socket, buffers, n);
size_t WriteNow(boost::asio::ip::tcp::socket& socket,
                std::span<const boost::asio::const_buffer> buffers,
                boost::system::error_code& ec);
boost::asio::awaitable<boost::system::error_code> WriteRest(
    boost::asio::ip::tcp::socket& socket,
    std::span<const boost::asio::const_buffer> buffers, size_t written);

// A read mark for the rest of a long body. By default the kernel reports a
// socket readable, and so wakes the thread waiting in epoll, at every piece
// that arrives. Behind a busy upstream a 1 MB answer arrives in many
// pieces, and each piece that finds the I/O thread asleep wakes it: in a
// VM, an interrupt between processors paid by the sender's CPU. With the
// mark raised (SO_RCVLOWAT), the socket turns readable once `bytes` have
// arrived (or the peer closed, or the receive buffer fills), so the rest
// of a body is one wakeup. A read still takes whatever is there: the mark
// only delays readiness, never data.
//
// RaiseReadMark raises it to `bytes`, capped at a quarter of the socket's
// receive buffer as it is now, and returns the mark set: 0 when it set none,
// because the mark would be under kMinReadMark (not worth the system calls)
// or the kernel refused. The cap matters: on Linux a mark that needs more
// room than the buffer has grows the buffer and clamps the connection's
// window to the mark, and the clamp stays after the mark comes down, so a
// connection could never again have more than one mark's bytes in flight.
// Under a quarter of the buffer, which holds about twice its window, only
// the mark changes. The buffer grows by itself on a connection that carries
// large answers (receive-buffer autotuning), and so does the cap.
//
// LowerReadMark puts it back to one byte. It must run before the socket's
// next read of anything shorter, such as the next answer's head, or that
// read would wait for bytes that never come.
inline constexpr uint64_t kMinReadMark = 64 * 1024;
int RaiseReadMark(boost::asio::ip::tcp::socket& socket, uint64_t bytes);
boost::system::error_code LowerReadMark(boost::asio::ip::tcp::socket& socket);

}  // namespace zimon::http::internal

#endif  // ZIMON_HTTP_SOCKET_IO_H_
