#include "zimon/sim/asio_event_loop.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

namespace zimon::sim {

AsioEventLoop::AsioEventLoop(boost::asio::io_context& io)
    : executor_(io.get_executor()) {}

EventLoop::Time AsioEventLoop::Now() const {
  return std::chrono::steady_clock::now();
}

void AsioEventLoop::RunAt(Time when, std::function<void()> fn) {
  auto timer = std::make_shared<boost::asio::steady_timer>(executor_, when);
  timer->async_wait(
      [timer, fn = std::move(fn)](const boost::system::error_code& ec) {
        if (!ec) fn();
      });
}

}  // namespace zimon::sim
