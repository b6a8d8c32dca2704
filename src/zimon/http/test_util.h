// Test helpers for the http module's tests (not part of the library).
#ifndef ZIMON_HTTP_TEST_UTIL_H_
#define ZIMON_HTTP_TEST_UTIL_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <thread>

namespace zimon::http::testing {

// Runs `awaitable` to completion on `ioc` on the calling thread.
template <typename T>
T RunOn(boost::asio::io_context& ioc, boost::asio::awaitable<T> awaitable) {
  std::optional<T> out;
  auto wrapper = [](boost::asio::awaitable<T> inner,
                    std::optional<T>& result) -> boost::asio::awaitable<void> {
    result.emplace(co_await std::move(inner));
  };
  std::exception_ptr error;
  boost::asio::co_spawn(ioc, wrapper(std::move(awaitable), out),
                        [&](std::exception_ptr e) { error = e; });
  ioc.restart();
  ioc.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

// Polls `done` until it holds or `timeout` passes; for counters that the
// server bumps just after the event a test observes.
template <typename Pred>
bool WaitUntil(Pred done,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A blocking TCP connection to 127.0.0.1:port for speaking raw HTTP.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    connect_errno_ = connected_ ? 0 : errno;
  }
  ~RawConnection() { Close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  int connect_errno() const { return connect_errno_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads what arrives within `timeout`, stopping early at EOF or once `until`
  // (when non-empty) has been seen. Sets closed() on EOF or error.
  std::string Read(std::chrono::milliseconds timeout,
                   std::string_view until = {}) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[16384];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
      if (!until.empty() && out.find(until) != std::string::npos) break;
    }
    return out;
  }

  // Reads until EOF (or `timeout`); true when the peer closed.
  bool WaitClosed(std::chrono::milliseconds timeout) {
    Read(timeout);
    return closed_;
  }

  bool closed() const { return closed_; }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  int connect_errno_ = 0;
  bool closed_ = false;
};

}  // namespace zimon::http::testing

#endif  // ZIMON_HTTP_TEST_UTIL_H_
