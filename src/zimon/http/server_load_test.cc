// 2,000 concurrent requests, each waiting in its handler, on a fixed pool of
// I/O threads. Labelled "integration": it opens ~4,000 sockets.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>

#include "zimon/http/async.h"
#include "zimon/http/client.h"
#include "zimon/http/server.h"
#include "zimon/http/test_util.h"

namespace zimon::http {
namespace {

using namespace std::chrono_literals;

int CountThreads() {
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  int n = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n;
}

// Raises the soft descriptor limit to `need`; false when the hard limit is
// lower.
bool RaiseFileLimit(rlim_t need, std::string* why) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    *why = "getrlimit failed";
    return false;
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur >= need) return true;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < need) {
    *why = "hard RLIMIT_NOFILE is " + std::to_string(limit.rlim_max) +
           ", need " + std::to_string(need) + " (raise it with ulimit -Hn)";
    return false;
  }
  limit.rlim_cur = need;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    *why = "setrlimit failed";
    return false;
  }
  return true;
}

TEST(ServerLoad, TwoThousandWaitingRequestsOnFixedThreadPool) {
  constexpr int kConnections = 2000;
  constexpr int kPoolThreads = 4;
  std::string why;
  if (!RaiseFileLimit(4500, &why)) GTEST_SKIP() << why;

  std::atomic<int> arrived{0};
  std::atomic<int> waiting{0};
  std::atomic<int> peak_waiting{0};
  std::atomic<int> peak_threads{0};
  auto update_max = [](std::atomic<int>& target, int value) {
    int seen = target.load();
    while (value > seen && !target.compare_exchange_weak(seen, value)) {
    }
  };
  Router router;
  ASSERT_TRUE(router
                  .Handle("GET", "/wait",
                          [&](Request& q) -> boost::asio::awaitable<Response> {
                            arrived++;
                            update_max(peak_waiting, ++waiting);
                            update_max(peak_threads, CountThreads());
                            // Wait on a timer until every request is in, so all
                            // 2,000 are waiting at once (bounded, in case some
                            // never arrive).
                            auto give_up =
                                std::chrono::steady_clock::now() + 60s;
                            while (arrived.load() < kConnections &&
                                   std::chrono::steady_clock::now() < give_up) {
                              co_await SleepFor(100ms, q.stop);
                            }
                            co_await SleepFor(1s, q.stop);
                            waiting--;
                            co_return Response::Text(200, "done");
                          })
                  .ok());

  int baseline_threads = CountThreads();
  ServerOptions options;
  options.io_threads = kPoolThreads;
  auto server = Server::Create(options, std::move(router));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  std::string url = (*server)->base_url() + "/wait";
  EXPECT_EQ(CountThreads(), baseline_threads + kPoolThreads);

  // The clients run on this thread's io_context: one connection each.
  boost::asio::io_context ioc;
  ClientOptions client_options;
  client_options.connect_timeout = 30s;
  client_options.request_timeout = 120s;
  Client client(ioc.get_executor(), client_options);
  int answered = 0;
  std::string first_error;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kConnections; ++i) {
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
          auto resp = co_await client.Send({url});
          if (resp.ok() && resp->status == 200 && resp->body == "done") {
            ++answered;
          } else if (first_error.empty()) {
            first_error = resp.ok() ? std::to_string(resp->status)
                                    : resp.status().ToString();
          }
        },
        boost::asio::detached);
  }
  ioc.run();
  auto elapsed = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(answered, kConnections) << first_error;
  EXPECT_EQ(peak_waiting.load(), kConnections);
  EXPECT_EQ(peak_threads.load(), baseline_threads + kPoolThreads);
  ServerStats stats = (*server)->stats();
  EXPECT_EQ(stats.connections_accepted, static_cast<uint64_t>(kConnections));
  EXPECT_EQ(stats.io_threads, kPoolThreads);
  EXPECT_EQ(client.stats().connections_opened,
            static_cast<uint64_t>(kConnections));
  std::printf("2000 waiting requests answered in %.2f s with %d I/O threads\n",
              std::chrono::duration<double>(elapsed).count(), kPoolThreads);
}

}  // namespace
}  // namespace zimon::http
