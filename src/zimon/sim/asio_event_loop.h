// AsioEventLoop: the EventLoop of a running `zimon sim`, backed by a
// boost::asio::io_context, so simulated GPU work costs one steady_timer per
// event and no thread of its own.
//
// Built on an io_context or on an executor (e.g. http::Server::executor(), so
// the engine's timers run on the server's I/O threads).
//
// Ownership: the io_context is borrowed and must outlive this object; timers
// in flight keep themselves alive until they fire or the io_context is
// destroyed. Thread safety: Now() and RunAt() are safe from any thread;
// callbacks run on whichever thread runs the io_context.
#ifndef ZIMON_SIM_ASIO_EVENT_LOOP_H_
#define ZIMON_SIM_ASIO_EVENT_LOOP_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <boost/asio/any_io_executor.hpp>
#include <functional>

#include "zimon/sim/event_loop.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace zimon::sim {

class AsioEventLoop final : public EventLoop {
 public:
  explicit AsioEventLoop(boost::asio::io_context& io);
  explicit AsioEventLoop(boost::asio::any_io_executor executor)
      : executor_(std::move(executor)) {}

  Time Now() const override;
  void RunAt(Time when, std::function<void()> fn) override;

 private:
  boost::asio::any_io_executor executor_;
};

}  // namespace zimon::sim

#endif  // ZIMON_SIM_ASIO_EVENT_LOOP_H_
