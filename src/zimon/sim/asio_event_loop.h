// AsioEventLoop: the EventLoop of a running `zimon sim`, backed by a
// boost::asio::io_context, so simulated GPU work costs one steady_timer per
// event and no thread of its own.
//
// Ownership: the io_context is borrowed and must outlive this object; timers
// in flight keep themselves alive until they fire or the io_context is
// destroyed. Thread safety: Now() and RunAt() are safe from any thread;
// callbacks run on whichever thread runs the io_context.
#ifndef ZIMON_SIM_ASIO_EVENT_LOOP_H_
#define ZIMON_SIM_ASIO_EVENT_LOOP_H_

#include <functional>

#include "zimon/sim/event_loop.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace zimon::sim {

class AsioEventLoop final : public EventLoop {
 public:
  explicit AsioEventLoop(boost::asio::io_context& io) : io_(io) {}

  Time Now() const override;
  void RunAt(Time when, std::function<void()> fn) override;

 private:
  boost::asio::io_context& io_;
};

}  // namespace zimon::sim

#endif  // ZIMON_SIM_ASIO_EVENT_LOOP_H_
