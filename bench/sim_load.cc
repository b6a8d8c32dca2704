// sim_load: an open-loop HTTP load driver for `zimon sim` fleets and the
// gateway in front of them.
//
//   sim_load --rate 20 --duration 20 --size 512x512 URL [URL ...]
//   sim_load --rate 6 --duration 30 --slo 5 --size 1024x1024 GATEWAY_URL
//
// Sends POST <URL><path> (default /v1/images/generations, vLLM-Omni and
// OpenAI shape) at a fixed total rate, round-robin over the URLs, whatever
// the answers (open loop: a slow server does not slow the arrivals). Each
// request has its own prompt and seed, unless --body gives a fixed body.
// After `duration` it waits up to `--drain` seconds for answers still in
// flight, then prints one summary line:
//
//   sent=400 ok=398 failed=0 unfinished=2 mean_s=0.31 p50_s=0.30 p99_s=0.52
//     good=390 goodput_per_s=19.50 status=200:398,429:2
//
// ok: answered 200; good: answered 200 within --slo seconds (default: no
// limit), and goodput_per_s is good / duration; mean, p50 and p99 are over
// the ok answers. status counts the answers by HTTP status ("err" for a
// transport error: refused, reset, timed out).
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
#include <map>
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
  double slo = 0;  // seconds; 0: every ok answer is good
  std::string path = "/v1/images/generations";
  std::string body;  // fixed body; empty: one per request
  std::vector<std::string> urls;
};

struct Tally {
  int sent = 0, ok = 0, failed = 0, good = 0;
  std::vector<double> latencies;
  std::map<std::string, int> statuses;
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
    } else if (arg == "--slo") {
      if (!value(a.slo)) return false;
    } else if (arg == "--size") {
      if (i + 1 >= argc) return false;
      a.size = argv[++i];
    } else if (arg == "--path") {
      if (i + 1 >= argc) return false;
      a.path = argv[++i];
      if (a.path.empty() || a.path[0] != '/') return false;
    } else if (arg == "--body") {
      if (i + 1 >= argc) return false;
      a.body = argv[++i];
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
                                 std::string body, double slo, Tally& tally) {
  Clock::time_point start = Clock::now();
  zimon::http::ClientRequest request("POST", std::move(url), std::move(body));
  request.headers.Set("Content-Type", "application/json");
  zimon::StatusOr<zimon::http::Response> r =
      co_await client.Send(std::move(request));
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ++tally.statuses[r.ok() ? std::to_string(r->status) : "err"];
  if (r.ok() && r->status == 200) {
    ++tally.ok;
    tally.latencies.push_back(seconds);
    if (slo <= 0 || seconds <= slo) ++tally.good;
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
    std::string url = a.urls[i % a.urls.size()] + a.path;
    std::string body =
        !a.body.empty()
            ? a.body
            : "{\"prompt\":\"benchmark image " + std::to_string(i) +
                  "\",\"size\":\"" + a.size +
                  "\",\"seed\":" + std::to_string(i) +
                  ",\"num_inference_steps\":" + std::to_string(a.steps) + "}";
    ++tally.sent;
    boost::asio::co_spawn(executor,
                          One(client, url, std::move(body), a.slo, tally),
                          boost::asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: sim_load [--rate R] [--duration S] [--drain S] "
                 "[--size WxH] [--steps N] [--slo S] [--path /P] "
                 "[--body JSON] URL...\n");
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
  std::string statuses;
  for (const auto& [status, count] : tally.statuses) {
    if (!statuses.empty()) statuses += ',';
    statuses += status + ":" + std::to_string(count);
  }
  std::printf(
      "sent=%d ok=%d failed=%d unfinished=%d mean_s=%.3f p50_s=%.3f "
      "p99_s=%.3f good=%d goodput_per_s=%.3f status=%s\n",
      tally.sent, tally.ok, tally.failed, tally.sent - tally.ok - tally.failed,
      mean, pct(0.5), pct(0.99), tally.good,
      args.duration > 0 ? tally.good / args.duration : 0.0,
      statuses.empty() ? "none" : statuses.c_str());
  return 0;
}
