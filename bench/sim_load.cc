// sim_load: an open-loop HTTP load driver for `zimon sim` fleets.
//
//   sim_load --rate 20 --duration 20 --size 512x512 URL [URL ...]
//
// Sends POST <URL>/v1/images/generations (vLLM-Omni shape) at a fixed total
// rate, round-robin over the URLs, whatever the answers (open loop: a slow
// server does not slow the arrivals). Each request has its own prompt and
// seed. After `duration` it waits up to `--drain` seconds for answers still
// in flight, then prints one summary line:
//
//   sent=400 ok=398 failed=0 unfinished=2 mean_s=0.31 p50_s=0.30 p99_s=0.52
//
// Exit status: 0, or 2 for bad arguments.
// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "zimon/http/client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  double rate = 20;
  double duration = 20;
  double drain = 30;
  std::string size = "512x512";
  int steps = 9;
  std::vector<std::string> urls;
};

struct Tally {
  int sent = 0, ok = 0, failed = 0;
  std::vector<double> latencies;
};

bool Parse(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](double& out) {
      if (i + 1 >= argc) return false;
      char* end = nullptr;
      out = std::strtod(argv[++i], &end);
      return *end == '\0' && out >= 0;
    };
    if (arg == "--rate") {
      if (!value(a.rate) || a.rate <= 0) return false;
    } else if (arg == "--duration") {
      if (!value(a.duration)) return false;
    } else if (arg == "--drain") {
      if (!value(a.drain)) return false;
    } else if (arg == "--steps") {
      double s = 0;
      if (!value(s) || s < 1) return false;
      a.steps = static_cast<int>(s);
    } else if (arg == "--size") {
      if (i + 1 >= argc) return false;
      a.size = argv[++i];
    } else if (arg.rfind("http://", 0) == 0) {
      while (!arg.empty() && arg.back() == '/') arg.pop_back();
      a.urls.push_back(arg);
    } else {
      return false;
    }
  }
  return !a.urls.empty();
}

boost::asio::awaitable<void> One(zimon::http::Client& client, std::string url,
                                 std::string body, Tally& tally) {
  Clock::time_point start = Clock::now();
  zimon::StatusOr<zimon::http::Response> r =
      co_await client.Send({"POST", url, std::move(body)});
  if (r.ok() && r->status == 200) {
    ++tally.ok;
    tally.latencies.push_back(
        std::chrono::duration<double>(Clock::now() - start).count());
  } else {
    ++tally.failed;
  }
}

boost::asio::awaitable<void> Drive(const Args& a, zimon::http::Client& client,
                                   Tally& tally) {
  auto executor = co_await boost::asio::this_coro::executor;
  boost::asio::steady_timer timer(executor);
  Clock::time_point start = Clock::now();
  auto total = static_cast<int>(a.rate * a.duration);
  for (int i = 0; i < total; ++i) {
    timer.expires_at(start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(i / a.rate)));
    co_await timer.async_wait(boost::asio::use_awaitable);
    std::string url = a.urls[i % a.urls.size()] + "/v1/images/generations";
    std::string body =
        "{\"prompt\":\"benchmark image " + std::to_string(i) +
        "\",\"size\":\"" + a.size + "\",\"seed\":" + std::to_string(i) +
        ",\"num_inference_steps\":" + std::to_string(a.steps) + "}";
    ++tally.sent;
    boost::asio::co_spawn(executor, One(client, url, std::move(body), tally),
                          boost::asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: sim_load [--rate R] [--duration S] [--drain S] "
                 "[--size WxH] [--steps N] URL...\n");
    return 2;
  }
  boost::asio::io_context io(1);
  Tally tally;
  {
    zimon::http::ClientOptions options;
    options.request_timeout = std::chrono::seconds(600);
    options.max_idle_per_host = 64;
    zimon::http::Client client(io.get_executor(), options);
    boost::asio::co_spawn(io, Drive(args, client, tally),
                          boost::asio::detached);
    auto deadline =
        Clock::now() +
        std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(args.duration + args.drain));
    while (Clock::now() < deadline) {
      io.run_for(std::chrono::milliseconds(200));
      if (io.stopped()) break;  // nothing left to do
      if (tally.sent == static_cast<int>(args.rate * args.duration) &&
          tally.ok + tally.failed == tally.sent) {
        break;
      }
    }
    io.stop();
  }
  std::vector<double>& l = tally.latencies;
  std::sort(l.begin(), l.end());
  double mean = 0;
  for (double v : l) mean += v;
  if (!l.empty()) mean /= static_cast<double>(l.size());
  auto pct = [&](double p) {
    return l.empty()
               ? 0.0
               : l[std::min(
                     l.size() - 1,
                     static_cast<size_t>(p * static_cast<double>(l.size())))];
  };
  std::printf(
      "sent=%d ok=%d failed=%d unfinished=%d mean_s=%.3f p50_s=%.3f "
      "p99_s=%.3f\n",
      tally.sent, tally.ok, tally.failed, tally.sent - tally.ok - tally.failed,
      mean, pct(0.5), pct(0.99));
  return 0;
}
