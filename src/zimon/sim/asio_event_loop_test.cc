#include "zimon/sim/asio_event_loop.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <future>
#include <thread>

#include "zimon/sim/engine.h"

namespace zimon::sim {
namespace {

TEST(AsioEventLoop, RunsCallbacksNoEarlierThanAsked) {
  boost::asio::io_context io;
  AsioEventLoop loop(io);
  auto start = loop.Now();
  EventLoop::Time ran_at{};
  loop.RunAt(start + std::chrono::milliseconds(5),
             [&] { ran_at = loop.Now(); });
  io.run();
  EXPECT_GE(ran_at, start + std::chrono::milliseconds(5));
}

// The engine on real time and a multi-threaded io_context, as a front runs
// it; the profile is shrunk to milliseconds.
TEST(AsioEventLoop, DrivesTheEngineFromSeveralThreads) {
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread t1([&] { io.run(); }), t2([&] { io.run(); });
  AsioEventLoop loop(io);
  SimOptions o;
  o.profile = *FindProfile("h100");
  o.profile.cold_start_seconds = 0.002;
  o.profile.step_seconds = 0.0002;
  o.profile.text_encode_seconds = 0.0005;
  o.render_images = true;
  o.max_queue = 0;
  {
    SimEngine engine(o, loop);
    constexpr int kRequests = 20;
    std::vector<std::promise<ImageResult>> done(kRequests);
    for (int i = 0; i < kRequests; ++i) {
      ImageRequest r;
      r.prompt = "p";
      r.size = {64, 64};
      r.seed = static_cast<uint64_t>(i);
      RequestCallbacks cb;
      cb.on_done = [&done, i](ImageResult res) {
        done[static_cast<size_t>(i)].set_value(std::move(res));
      };
      ASSERT_TRUE(engine.Submit(r, cb).ok());
    }
    for (auto& p : done) {
      ImageResult r = p.get_future().get();
      EXPECT_EQ(r.outcome, Outcome::kOk);
      EXPECT_EQ(r.images.size(), 1u);
    }
    EXPECT_EQ(engine.Stats().requests_ok, static_cast<uint64_t>(kRequests));
  }
  guard.reset();
  t1.join();
  t2.join();
}

}  // namespace
}  // namespace zimon::sim
