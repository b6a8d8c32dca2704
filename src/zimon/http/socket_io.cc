#include "zimon/http/socket_io.h"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstdint>
#include <vector>

#include "zimon/common/clock.h"

namespace zimon::http::internal {

namespace asio = boost::asio;
using boost::system::error_code;

struct IoDeadline::State : std::enable_shared_from_this<State> {
  State(const asio::any_io_executor& executor, std::function<void()> callback)
      : timer(executor), on_expire(std::move(callback)) {}

  // Starts a wait for `t`, abandoning the one pending (its handler sees a
  // newer generation and does nothing).
  void Arm(Clock::time_point t) {
    armed_for = t;
    const uint64_t generation = ++armed_generation;
    timer.expires_at(t);
    timer.async_wait([self = shared_from_this(), generation](error_code ec) {
      self->Fired(ec, generation);
    });
  }

  void Fired(error_code ec, uint64_t generation) {
    if (ec || generation != armed_generation || !on_expire) return;
    armed_for = Clock::time_point::max();
    if (deadline == Clock::time_point::max()) return;
    if (deadline > Clock::now()) {
      Arm(deadline);
      return;
    }
    expired = true;
    deadline = Clock::time_point::max();
    on_expire();
  }

  asio::steady_timer timer;
  std::function<void()> on_expire;  // reset when the owner goes
  Clock::time_point deadline = Clock::time_point::max();
  Clock::time_point armed_for = Clock::time_point::max();  // max: no wait
  uint64_t armed_generation = 0;
  bool expired = false;
};

IoDeadline::IoDeadline(const asio::any_io_executor& executor,
                       std::function<void()> on_expire)
    : state_(std::make_shared<State>(executor, std::move(on_expire))) {}

IoDeadline::~IoDeadline() {
  state_->on_expire = nullptr;
  state_->timer.cancel();
}

void IoDeadline::Set(Clock::time_point deadline) {
  State& s = *state_;
  s.deadline = deadline;
  s.expired = false;
  if (deadline < s.armed_for) s.Arm(deadline);
}

void IoDeadline::SetAfter(Clock::duration timeout) {
  Set(SaturatingAdd(Clock::now(), timeout));
}

void IoDeadline::Disarm() {
  State& s = *state_;
  s.deadline = Clock::time_point::max();
  s.expired = false;
  if (s.armed_for == Clock::time_point::max()) return;
  s.armed_for = Clock::time_point::max();
  ++s.armed_generation;  // the cancelled wait's handler does nothing
  s.timer.cancel();
}

bool IoDeadline::expired() const { return state_->expired; }

size_t WriteNow(asio::ip::tcp::socket& socket,
                std::span<const asio::const_buffer> buffers, error_code& ec) {
  ec = {};
  if (asio::buffer_size(buffers) == 0) return 0;
  size_t written = socket.write_some(buffers, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    ec = {};
    written = 0;
  }
  return written;
}

asio::awaitable<error_code> WriteRest(
    asio::ip::tcp::socket& socket, std::span<const asio::const_buffer> buffers,
    size_t written) {
  std::vector<asio::const_buffer> rest;
  rest.reserve(buffers.size());
  for (const asio::const_buffer& b : buffers) {
    if (written >= b.size()) {
      written -= b.size();
      continue;
    }
    rest.push_back(b + written);
    written = 0;
  }
  error_code ec;
  if (rest.empty()) co_return ec;
  co_await asio::async_write(socket, rest,
                             asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

asio::awaitable<error_code> WriteAll(
    asio::ip::tcp::socket& socket,
    std::span<const asio::const_buffer> buffers) {
  error_code ec;
  const size_t written = WriteNow(socket, buffers, ec);
  if (ec || written == asio::buffer_size(buffers)) co_return ec;
  co_return co_await WriteRest(socket, buffers, written);
}

int RaiseReadMark(asio::ip::tcp::socket& socket, uint64_t bytes) {
  const int fd = socket.native_handle();
  int buffer = 0;
  socklen_t length = sizeof(buffer);
  if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, &length) != 0 ||
      buffer <= 0) {
    return 0;
  }
  const uint64_t mark = std::min(bytes, static_cast<uint64_t>(buffer) / 4);
  if (mark < kMinReadMark) return 0;
  const int value = static_cast<int>(mark);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &value, sizeof(value)) != 0) {
    return 0;
  }
  return value;
}

error_code LowerReadMark(asio::ip::tcp::socket& socket) {
  const int one = 1;
  if (::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVLOWAT, &one,
                   sizeof(one)) != 0) {
    return error_code(errno, boost::system::system_category());
  }
  return {};
}

}  // namespace zimon::http::internal
