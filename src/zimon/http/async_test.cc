#include "zimon/http/async.h"

#include <gtest/gtest.h>

#include <thread>

#include "zimon/http/test_util.h"

namespace zimon::http {
namespace {

using namespace std::chrono_literals;

TEST(SleepFor, ReturnsOkWhenElapsed) {
  boost::asio::io_context ioc;
  EXPECT_TRUE(testing::RunOn(ioc, SleepFor(1ms)).ok());
}

TEST(SleepFor, ReturnsCancelledWhenStopRequested) {
  boost::asio::io_context ioc;
  std::stop_source stop;
  std::thread stopper([&] { stop.request_stop(); });
  auto start = std::chrono::steady_clock::now();
  Status s = testing::RunOn(ioc, SleepFor(30s, stop.get_token()));
  stopper.join();
  EXPECT_EQ(s.code(), StatusCode::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(SleepFor, ReturnsAtOnceWhenAlreadyStopped) {
  boost::asio::io_context ioc;
  std::stop_source stop;
  stop.request_stop();
  EXPECT_EQ(testing::RunOn(ioc, SleepFor(30s, stop.get_token())).code(),
            StatusCode::kCancelled);
}

TEST(AsyncNotification, WakesWaiterNotifiedFromAnotherThread) {
  boost::asio::io_context ioc;
  AsyncNotification n;
  std::thread notifier([n]() mutable { n.Notify(); });
  EXPECT_TRUE(testing::RunOn(ioc, n.Wait({}, 30s)).ok());
  notifier.join();
  EXPECT_TRUE(n.HasBeenNotified());
}

TEST(AsyncNotification, NotifiedBeforeWaitReturnsAtOnce) {
  boost::asio::io_context ioc;
  AsyncNotification n;
  n.Notify();
  EXPECT_TRUE(testing::RunOn(ioc, n.Wait()).ok());
}

TEST(AsyncNotification, TimesOutAndCancels) {
  boost::asio::io_context ioc;
  AsyncNotification n;
  EXPECT_EQ(testing::RunOn(ioc, n.Wait({}, 5ms)).code(),
            StatusCode::kDeadlineExceeded);
  std::stop_source stop;
  stop.request_stop();
  EXPECT_EQ(testing::RunOn(ioc, n.Wait(stop.get_token(), 30s)).code(),
            StatusCode::kCancelled);
}

}  // namespace
}  // namespace zimon::http
