#include "zimon/http/socket_io.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <string>
#include <vector>

#include "zimon/http/test_util.h"

namespace zimon::http::internal {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using tcp = asio::ip::tcp;

TEST(IoDeadline, FiresOnceWhenTheDeadlinePasses) {
  asio::io_context ioc;
  int fired = 0;
  IoDeadline deadline(ioc.get_executor(), [&] { ++fired; });
  deadline.SetAfter(20ms);
  EXPECT_FALSE(deadline.expired());
  ioc.run();
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(deadline.expired());
}

TEST(IoDeadline, MovingItLaterDelaysTheCallback) {
  asio::io_context ioc;
  Clock::time_point fired_at{};
  IoDeadline deadline(ioc.get_executor(), [&] { fired_at = Clock::now(); });
  Clock::time_point start = Clock::now();
  deadline.Set(start + 10ms);
  deadline.Set(start + 120ms);  // later: only stored
  ioc.run();
  EXPECT_GE(fired_at, start + 120ms);
}

TEST(IoDeadline, MovingItSoonerRearms) {
  asio::io_context ioc;
  Clock::time_point fired_at{};
  IoDeadline deadline(ioc.get_executor(), [&] { fired_at = Clock::now(); });
  Clock::time_point start = Clock::now();
  deadline.Set(start + 1h);
  deadline.Set(start + 10ms);
  ioc.run_for(5s);
  ASSERT_NE(fired_at, Clock::time_point{});
  EXPECT_LT(fired_at, start + 1h);
}

TEST(IoDeadline, ClearedDeadlineNeverFires) {
  asio::io_context ioc;
  int fired = 0;
  IoDeadline deadline(ioc.get_executor(), [&] { ++fired; });
  deadline.SetAfter(10ms);
  deadline.Clear();
  ioc.run();  // returns once the armed wait found nothing to do
  EXPECT_EQ(fired, 0);
  EXPECT_FALSE(deadline.expired());
}

TEST(IoDeadline, DisarmedDeadlineHoldsNoWork) {
  asio::io_context ioc;
  int fired = 0;
  IoDeadline deadline(ioc.get_executor(), [&] { ++fired; });
  deadline.SetAfter(1h);
  deadline.Disarm();
  ioc.run_for(10s);  // runs out of work: the wait was cancelled, not left
  EXPECT_TRUE(ioc.stopped());
  EXPECT_EQ(fired, 0);
  // Armed afresh by the next Set().
  deadline.SetAfter(10ms);
  ioc.restart();
  ioc.run();
  EXPECT_EQ(fired, 1);
}

TEST(IoDeadline, DestroyedOwnerIsNotCalled) {
  asio::io_context ioc;
  int fired = 0;
  {
    IoDeadline deadline(ioc.get_executor(), [&] { ++fired; });
    deadline.SetAfter(10ms);
  }
  ioc.run();
  EXPECT_EQ(fired, 0);
}

// A connected pair of non-blocking sockets on `ioc`.
struct SocketPair {
  explicit SocketPair(asio::io_context& ioc) : a(ioc), b(ioc) {
    tcp::acceptor acceptor(ioc,
                           tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    a.connect(acceptor.local_endpoint());
    acceptor.accept(b);
    a.non_blocking(true);
  }
  tcp::socket a;
  tcp::socket b;
};

// 8 MiB of `fill`, far over any socket buffer, with a letter every 4 KiB so
// that a misplaced piece shows.
std::string BigPayload(char fill) {
  std::string big(8 << 20, fill);
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = char('a' + i % 26);
  return big;
}

// Reads `size` bytes from `socket` into `out` on `ioc`, once it runs.
void ReadExactly(asio::io_context& ioc, tcp::socket& socket, size_t size,
                 std::string& out) {
  asio::co_spawn(
      ioc,
      [&socket, size, &out]() -> asio::awaitable<void> {
        out.resize(size);
        error_code ec;
        co_await asio::async_read(
            socket, asio::buffer(out),
            asio::redirect_error(asio::use_awaitable, ec));
        EXPECT_FALSE(ec) << ec.message();
      },
      asio::detached);
}

TEST(WriteAll, WritesMoreThanTheSocketBufferTakesAtOnce) {
  asio::io_context ioc;
  SocketPair pair(ioc);
  std::string head = "head:";
  std::string big = BigPayload('x');
  std::string received;
  ReadExactly(ioc, pair.b, head.size() + big.size(), received);
  std::vector<asio::const_buffer> buffers = {asio::buffer(head),
                                             asio::buffer(big)};
  error_code ec = testing::RunOn(ioc, WriteAll(pair.a, buffers));
  ioc.restart();
  ioc.run();
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(received, head + big);
}

TEST(WriteNow, TakesWhatFitsAndWriteRestSendsTheRestInOrder) {
  asio::io_context ioc;
  SocketPair pair(ioc);
  std::string head = "head:";
  std::string big = BigPayload('y');
  std::vector<asio::const_buffer> buffers = {asio::buffer(head),
                                             asio::buffer(big)};
  error_code ec;
  const size_t now = WriteNow(pair.a, buffers, ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_GT(now, 0u);
  EXPECT_LT(now, head.size() + big.size());  // the socket buffer is smaller
  std::string received;
  ReadExactly(ioc, pair.b, head.size() + big.size(), received);
  ec = testing::RunOn(ioc, WriteRest(pair.a, buffers, now));
  ioc.restart();
  ioc.run();
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(received, head + big);
}

TEST(WriteAll, ReportsAClosedPeer) {
  asio::io_context ioc;
  SocketPair pair(ioc);
  pair.b.close();
  std::string big(8 << 20, 'x');
  std::vector<asio::const_buffer> buffers = {asio::buffer(big)};
  error_code ec;
  // The first write may land in the buffers before the reset comes back.
  for (int i = 0; i < 4 && !ec; ++i) {
    ec = testing::RunOn(ioc, WriteAll(pair.a, buffers));
  }
  EXPECT_TRUE(ec);
}

int SocketOption(tcp::socket& socket, int option) {
  int value = 0;
  socklen_t length = sizeof(value);
  EXPECT_EQ(
      ::getsockopt(socket.native_handle(), SOL_SOCKET, option, &value, &length),
      0);
  return value;
}

// `socket`'s receive buffer set to 1 MiB (or the most the system allows, as
// an unprivileged process may ask for); returns what the kernel made of it.
int GrowReceiveBuffer(tcp::socket& socket) {
  const int want = 1 << 20;
  EXPECT_EQ(::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUF, &want,
                         sizeof(want)),
            0);
  return SocketOption(socket, SO_RCVBUF);
}

TEST(ReadMark, IsCappedAtAQuarterOfTheReceiveBufferAndLoweredToOne) {
  asio::io_context ioc;
  SocketPair pair(ioc);
  const int buffer = GrowReceiveBuffer(pair.b);
  ASSERT_GE(static_cast<uint64_t>(buffer) / 4, kMinReadMark);
  EXPECT_EQ(SocketOption(pair.b, SO_RCVLOWAT), 1);

  EXPECT_EQ(RaiseReadMark(pair.b, kMinReadMark), int(kMinReadMark));
  EXPECT_EQ(SocketOption(pair.b, SO_RCVLOWAT), int(kMinReadMark));

  // More than the buffer could take in a window: a quarter of it.
  EXPECT_EQ(RaiseReadMark(pair.b, 64 << 20), buffer / 4);
  EXPECT_EQ(SocketOption(pair.b, SO_RCVLOWAT), buffer / 4);
  EXPECT_EQ(SocketOption(pair.b, SO_RCVBUF), buffer);

  EXPECT_FALSE(LowerReadMark(pair.b));
  EXPECT_EQ(SocketOption(pair.b, SO_RCVLOWAT), 1);
}

TEST(ReadMark, NoneUnderTheMinimum) {
  asio::io_context ioc;
  SocketPair pair(ioc);
  GrowReceiveBuffer(pair.b);
  EXPECT_EQ(RaiseReadMark(pair.b, kMinReadMark - 1), 0);
  EXPECT_EQ(SocketOption(pair.b, SO_RCVLOWAT), 1);
  // A fresh socket's buffer (128 KiB by default) is too small for one.
  SocketPair fresh(ioc);
  if (SocketOption(fresh.b, SO_RCVBUF) / 4 < int(kMinReadMark)) {
    EXPECT_EQ(RaiseReadMark(fresh.b, 1 << 20), 0);
    EXPECT_EQ(SocketOption(fresh.b, SO_RCVLOWAT), 1);
  }
}

TEST(ReadMark, AWaitingReadWakesOnceTheMarkHasArrived) {
  asio::io_context ioc;
  SocketPair pair(ioc);
  GrowReceiveBuffer(pair.b);
  pair.b.non_blocking(true);
  const int mark = RaiseReadMark(pair.b, 128 * 1024);
  ASSERT_EQ(mark, 128 * 1024);
  std::string got(1 << 20, '\0');
  size_t read = 0;
  bool done = false;
  pair.b.async_read_some(asio::buffer(got), [&](error_code ec, size_t n) {
    EXPECT_FALSE(ec) << ec.message();
    read = n;
    done = true;
  });
  const std::string half(mark / 2, 'h');
  ASSERT_EQ(asio::write(pair.a, asio::buffer(half)), half.size());
  ioc.run_for(100ms);
  EXPECT_FALSE(done) << "woken with " << read << " of " << mark << " bytes";
  ASSERT_EQ(asio::write(pair.a, asio::buffer(half)), half.size());
  ioc.run_for(2s);
  ASSERT_TRUE(done);
  EXPECT_EQ(read, size_t(mark));

  // Lowered, one byte wakes the next read.
  ASSERT_FALSE(LowerReadMark(pair.b));
  done = false;
  pair.b.async_read_some(asio::buffer(got), [&](error_code ec, size_t n) {
    EXPECT_FALSE(ec) << ec.message();
    read = n;
    done = true;
  });
  ASSERT_EQ(asio::write(pair.a, asio::buffer("x", 1)), 1u);
  ioc.restart();
  ioc.run_for(2s);
  EXPECT_TRUE(done);
  EXPECT_EQ(read, 1u);
}

}  // namespace
}  // namespace zimon::http::internal
