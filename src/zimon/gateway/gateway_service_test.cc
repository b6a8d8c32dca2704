// The gateway service in-process: a Gateway on an http::Server in front of
// in-process simulators (zimon_sim) on port 0. End-to-end tests of the real
// binary live in tests/integration/gateway_e2e_test.cc.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "zimon/common/thread_name.h"
#include "zimon/gateway/gateway.h"
#include "zimon/http/client.h"
#include "zimon/http/server.h"
#include "zimon/metrics/registry.h"
#include "zimon/sim/model.h"
#include "zimon/sim/sdcpp_front.h"
#include "zimon/sim/sim_server.h"
#include "zimon/sim/sim_server_test_util.h"
#include "zimon/sim/vllm_front.h"
#include "zimon/testing/temp_dir.h"

namespace zimon::gateway {
namespace {

using namespace std::chrono_literals;
using sim::testing::Call;
using sim::testing::FastOptions;
using sim::testing::MustStart;

std::unique_ptr<sim::SimServer> StartSim(sim::Faults faults = {}) {
  sim::SimServerOptions o =
      FastOptions(sim::ApiFlavour::kVllmOmni, sim::RegisterVllmOmniApi);
  o.engine.faults = faults;
  return MustStart(std::move(o));
}

// A running gateway on 127.0.0.1:0 with its own registry and temp dir.
class RunningGateway {
 public:
  // `before_start` runs with the image directory before the gateway starts.
  // With `access_log`, lines go to access_log_path().
  explicit RunningGateway(
      GatewayConfig config,
      const std::function<void(const std::string&)>& before_start = {},
      int io_threads = 2, bool access_log = false) {
    config.image_dir = dir_.Join("images");
    if (before_start) before_start(config.image_dir);
    config.feedback_db = dir_.Join("feedback.db");
    GatewayOptions options;
    options.config = std::move(config);
    options.access_log = access_log ? access_log_path() : "";
    auto gateway = Gateway::Create(std::move(options), registry_);
    EXPECT_TRUE(gateway.ok()) << gateway.status().ToString();
    if (!gateway.ok()) return;
    gateway_ = std::move(*gateway);
    auto router = std::make_shared<http::Router>();
    EXPECT_TRUE(gateway_->AddRoutes(*router).ok());
    http::ServerOptions server_options;
    server_options.io_threads = io_threads;
    auto server = http::Server::Create(
        server_options, [router](http::Request& r) { return (*router)(r); });
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    if (!server.ok()) return;
    server_ = std::move(*server);
    Status started = gateway_->Start(server_->executor(), io_threads == 1);
    EXPECT_TRUE(started.ok()) << started.ToString();
  }

  ~RunningGateway() {
    if (server_) {
      server_->BeginShutdown();
      gateway_->Stop();
      server_->Shutdown(2s);
    }
    gateway_.reset();
    server_.reset();
  }

  std::string url(const std::string& path) const {
    return server_->base_url() + path;
  }
  std::string access_log_path() const { return dir_.Join("access.log"); }
  Gateway& gateway() { return *gateway_; }

  // The sum of the values of `family` (counter families without _total)
  // whose labels include all of `want`; -1 when none match.
  double Metric(const std::string& family,
                const metrics::Labels& want = {}) const {
    double sum = 0;
    bool any = false;
    for (const auto& f : registry_.Collect()) {
      if (f.name != family) continue;
      for (const auto& p : f.points) {
        bool match = true;
        for (const auto& w : want) {
          bool found = false;
          for (const auto& l : p.labels) found = found || l == w;
          match = match && found;
        }
        if (match) {
          sum += p.value;
          any = true;
        }
      }
    }
    return any ? sum : -1;
  }

 private:
  testing::TempDir dir_;
  mutable metrics::Registry registry_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<http::Server> server_;  // destroyed after the gateway
};

GatewayConfig OneBackend(const std::string& url, int max_concurrent = 2) {
  GatewayConfig config;
  BackendConfig b;
  b.name = "sim-0";
  b.url = url;
  b.max_concurrent = max_concurrent;
  config.backends.push_back(b);
  config.health_interval = 200ms;
  return config;
}

const std::string kSmall = R"({"prompt":"a fox","size":"256x256"})";

// Waits up to 10 s for `done`.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 200; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

TEST(GatewayService, ServesAnImageAndCountsIt) {
  auto sim = StartSim();
  RunningGateway gw(OneBackend(sim->base_url()));
  auto reply = Call("POST", gw.url("/v1/images/generations"), kSmall);
  ASSERT_EQ(reply.status, 200) << reply.body;
  ASSERT_TRUE(reply.json.is_object());
  EXPECT_TRUE(reply.json["data"][0]["b64_json"].is_string());
  EXPECT_TRUE(reply.headers.Get("X-Request-Id").has_value());
  EXPECT_EQ(gw.Metric("zimon_requests",
                      {{"backend", "sim-0"}, {"outcome", "success"}}),
            1);
  EXPECT_EQ(gw.Metric("zimon_images_generated", {{"size", "256x256"}}), 1);
}

// One JSON line per request, naming it: id, method, path, status, outcome.
TEST(GatewayService, AccessLogLineNamesTheRequest) {
  auto sim = StartSim();
  RunningGateway gw(OneBackend(sim->base_url()), {}, 2, /*access_log=*/true);
  auto reply = Call("POST", gw.url("/v1/images/generations"), kSmall);
  ASSERT_EQ(reply.status, 200) << reply.body;
  gw.gateway().Flush();
  std::ifstream file(gw.access_log_path());
  std::string line;
  ASSERT_TRUE(std::getline(file, line)) << "no access-log line";
  nlohmann::json entry = nlohmann::json::parse(line);
  EXPECT_EQ(entry["msg"], "access");
  EXPECT_EQ(entry["request_id"],
            std::string(reply.headers.Get("X-Request-Id").value_or("")));
  EXPECT_EQ(entry["method"], "POST");
  EXPECT_EQ(entry["path"], "/v1/images/generations");
  EXPECT_EQ(entry["status"], 200);
  EXPECT_EQ(entry["outcome"], "success");
  EXPECT_EQ(entry["backend"], "sim-0");
  EXPECT_FALSE(std::getline(file, line)) << line;
}

// Log rotation: the file is moved away, then the gateway told to reopen.
TEST(GatewayService, ReopenedAccessLogGoesToTheNewFile) {
  auto sim = StartSim();
  RunningGateway gw(OneBackend(sim->base_url()), {}, 2, /*access_log=*/true);
  auto count_lines = [](const std::string& path) {
    std::ifstream file(path);
    int n = 0;
    for (std::string line; std::getline(file, line);) ++n;
    return n;
  };
  ASSERT_EQ(Call("POST", gw.url("/v1/images/generations"), kSmall).status, 200);
  gw.gateway().Flush();
  const std::string rotated = gw.access_log_path() + ".1";
  ASSERT_EQ(std::rename(gw.access_log_path().c_str(), rotated.c_str()), 0);
  ASSERT_TRUE(gw.gateway().ReopenAccessLog().ok());
  ASSERT_EQ(Call("POST", gw.url("/v1/images/generations"), kSmall).status, 200);
  gw.gateway().Flush();
  EXPECT_EQ(count_lines(rotated), 1);
  EXPECT_EQ(count_lines(gw.access_log_path()), 1);
}

TEST(GatewayService, AnAccessLogThatCannotBeOpenedIsAStartError) {
  testing::TempDir dir;
  GatewayOptions options;
  options.config = OneBackend("http://127.0.0.1:9");
  options.config.image_dir = dir.Join("images");
  options.config.feedback_db = dir.Join("feedback.db");
  options.access_log = dir.Join("missing/access.log");
  metrics::Registry registry;
  auto gateway = Gateway::Create(std::move(options), registry);
  ASSERT_FALSE(gateway.ok());
  EXPECT_THAT(gateway.status().message(),
              ::testing::HasSubstr(dir.Join("missing/access.log")));
}

// top -H and perf tell the gateway's threads apart.
TEST(GatewayService, NamesItsThreads) {
  RunningGateway gw(OneBackend("http://127.0.0.1:9"));
  std::vector<std::string> names = ProcessThreadNames();
  auto count = [&](const std::string& name) {
    return std::count(names.begin(), names.end(), name);
  };
  EXPECT_EQ(count("zimon-io-0"), 1);
  EXPECT_EQ(count("zimon-io-1"), 1);
  EXPECT_EQ(count("zimon-records"), 1);
  EXPECT_EQ(count("zimon-work-0"), 1);
  EXPECT_EQ(count("zimon-access"), 0);  // only with an access log
}

// One I/O thread: no strands, upstream exchanges inline (the cheapest mode).
// Concurrent requests in both response formats, with large images, work.
TEST(GatewayService, ServesOnOneIoThread) {
  auto sim = StartSim();
  RunningGateway gw(OneBackend(sim->base_url(), 4), {}, /*io_threads=*/1);
  std::vector<std::thread> clients;
  std::atomic<int> ok = 0;
  for (int i = 0; i < 6; ++i) {
    clients.emplace_back([&, i] {
      std::string body = i % 2 == 0 ? kSmall
                                    : R"({"prompt":"a fox","size":"1024x1024",)"
                                      R"("response_format":"url"})";
      auto reply = Call("POST", gw.url("/v1/images/generations"), body);
      if (reply.status == 200 && reply.json.is_object() &&
          reply.json["data"].size() == 1) {
        ++ok;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(gw.Metric("zimon_requests", {{"outcome", "success"}}), 6);
}

TEST(GatewayService, ClientThatLeavesIsRemovedFromTheQueueAndUpstream) {
  sim::Faults hang;
  hang.hang_rate = 1;
  auto sim = StartSim(hang);
  RunningGateway gw(OneBackend(sim->base_url(), /*max_concurrent=*/1));

  // The first request takes the only slot and hangs; the second queues.
  std::stop_source first_stop, second_stop;
  auto send = [&gw](std::stop_token stop) {
    http::ClientRequest req("POST", gw.url("/v1/images/generations"), kSmall);
    req.timeout = 30s;
    return http::Fetch(req, {}, stop);
  };
  std::jthread first([&] { (void)send(first_stop.get_token()); });
  EXPECT_TRUE(Eventually([&] {
    return gw.Metric("zimon_inflight_requests", {{"backend", "sim-0"}}) == 1;
  }));
  std::jthread second([&] { (void)send(second_stop.get_token()); });
  EXPECT_TRUE(Eventually([&] { return gw.Metric("zimon_queue_depth") == 1; }));

  second_stop.request_stop();  // the queued client disconnects
  EXPECT_TRUE(Eventually([&] { return gw.Metric("zimon_queue_depth") == 0; }));
  first_stop.request_stop();  // the running one too: its upstream call ends
  EXPECT_TRUE(Eventually([&] {
    return gw.Metric("zimon_inflight_requests", {{"backend", "sim-0"}}) == 0;
  }));
  first.join();
  second.join();
  EXPECT_TRUE(Eventually([&] {
    return gw.Metric("zimon_requests", {{"outcome", "client_error"}}) >= 2;
  }));
}

TEST(GatewayService, RefusedConnectionIsRetriedOnAnotherBackend) {
  auto sim = StartSim();
  GatewayConfig config = OneBackend(sim->base_url());
  BackendConfig dead;
  dead.name = "dead";
  dead.url = sim::testing::MustStart(FastOptions(sim::ApiFlavour::kVllmOmni,
                                                 sim::RegisterVllmOmniApi))
                 ->base_url();  // started and gone again: nothing listens
  config.backends.push_back(dead);
  config.health_interval = 60s;  // only passive detection in this test
  RunningGateway gw(config);
  for (int i = 0; i < 6; ++i) {
    auto reply = Call("POST", gw.url("/v1/images/generations"), kSmall);
    EXPECT_EQ(reply.status, 200) << reply.body;
  }
  EXPECT_EQ(gw.Metric("zimon_requests",
                      {{"backend", "sim-0"}, {"outcome", "success"}}),
            6);
  EXPECT_EQ(gw.Metric("zimon_backend_up", {{"backend", "dead"}}), 0);
}

// A listening socket whose accept queue is full: the kernel drops further
// SYNs, so a connect to it hangs like one to a powered-off host.
class BlackHole {
 public:
  BlackHole() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(listener_, 0);
    socklen_t len = sizeof(addr);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    for (int i = 0; i < 4; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
      fillers_.push_back(fd);
    }
  }
  ~BlackHole() {
    ::close(listener_);
    for (int fd : fillers_) ::close(fd);
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }
  // Whether a connect now hangs (some kernels refuse instead).
  bool Swallows() const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port_);
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    pollfd p{fd, POLLOUT, 0};
    const bool hung = ::poll(&p, 1, 300) == 0;
    ::close(fd);
    return hung;
  }

 private:
  int listener_ = -1;
  uint16_t port_ = 0;
  std::vector<int> fillers_;
};

// A connect that times out means nothing was sent: the request goes to
// another backend and the silent one is taken out of service.
TEST(GatewayService, ConnectTimeoutIsRetriedOnAnotherBackend) {
  BlackHole hole;
  if (!hole.Swallows()) GTEST_SKIP() << "the kernel refused instead";
  auto sim = StartSim();
  GatewayConfig config = OneBackend(sim->base_url(), 1);
  BackendConfig silent;
  silent.name = "silent";
  silent.url = hole.url();
  silent.max_concurrent = 1;
  config.backends.push_back(silent);
  config.health_interval = 60s;  // only passive detection in this test
  RunningGateway gw(config);
  // Two at once: one slot each, so one of them is sent to the silent backend
  // and waits out the client's 5 s connect timeout there.
  std::vector<std::jthread> clients;
  std::atomic<int> ok = 0;
  for (int i = 0; i < 2; ++i) {
    clients.emplace_back([&] {
      auto reply = Call("POST", gw.url("/v1/images/generations"), kSmall);
      if (reply.status == 200) ++ok;
    });
  }
  clients.clear();  // joins
  EXPECT_EQ(ok.load(), 2);
  EXPECT_EQ(gw.Metric("zimon_requests",
                      {{"backend", "sim-0"}, {"outcome", "success"}}),
            2);
  EXPECT_EQ(gw.Metric("zimon_backend_up", {{"backend", "silent"}}), 0);
}

TEST(GatewayService, BlackImageIsABadImageUnlessConfiguredOtherwise) {
  sim::Faults black;
  black.black_rate = 1;
  auto sim = StartSim(black);
  {
    RunningGateway gw(OneBackend(sim->base_url()));
    auto reply = Call("POST", gw.url("/v1/images/generations"), kSmall);
    EXPECT_EQ(reply.status, 502) << reply.body;
    EXPECT_EQ(reply.json["error"]["code"], "bad_image") << reply.body;
    EXPECT_EQ(gw.Metric("zimon_requests", {{"outcome", "bad_image"}}), 1);
    EXPECT_EQ(gw.Metric("zimon_image_defects", {{"kind", "black"}}), 1);
  }
  GatewayConfig lenient = OneBackend(sim->base_url());
  lenient.bad_image_is_failure = false;
  RunningGateway gw(lenient);
  auto reply = Call("POST", gw.url("/v1/images/generations"), kSmall);
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(gw.Metric("zimon_image_defects", {{"kind", "black"}}), 1);
}

TEST(GatewayService, UrlImagesAreServedAndRatable) {
  auto sim = StartSim();
  RunningGateway gw(OneBackend(sim->base_url()));
  auto reply =
      Call("POST", gw.url("/v1/images/generations"),
           R"({"prompt":"a fox","size":"256x256","response_format":"url",
               "n":2})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  ASSERT_EQ(reply.json["data"].size(), 2u);
  std::string url = reply.json["data"][1]["url"];
  auto slash = url.rfind('/');
  ASSERT_NE(slash, std::string::npos);
  auto image = Call("GET", gw.url(url.substr(url.find("/images/"))));
  EXPECT_EQ(image.status, 200);
  EXPECT_EQ(image.headers.Get("Content-Type").value_or(""), "image/png");
  EXPECT_EQ(image.body.substr(1, 3), "PNG");
  EXPECT_EQ(image.headers.Get("Accept-Ranges").value_or(""), "bytes");
  // A download that resumes: the rest from byte 100; past the end, 416.
  http::ClientRequest rest("GET", gw.url(url.substr(url.find("/images/"))));
  rest.headers.Set("Range", "bytes=100-");
  auto tail = http::Fetch(rest);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->status, 206);
  EXPECT_TRUE(tail->body == image.body.substr(100));
  EXPECT_EQ(tail->headers.Get("Content-Range").value_or(""),
            "bytes 100-" + std::to_string(image.body.size() - 1) + "/" +
                std::to_string(image.body.size()));
  rest.headers.Set("Range", "bytes=" + std::to_string(image.body.size()) + "-");
  auto past = http::Fetch(rest);
  ASSERT_TRUE(past.ok());
  EXPECT_EQ(past->status, 416);
  EXPECT_EQ(past->headers.Get("Content-Range").value_or(""),
            "bytes */" + std::to_string(image.body.size()));
  std::string id = url.substr(slash + 1, url.size() - slash - 5);
  auto rated = Call("POST", gw.url("/v1/feedback"),
                    R"({"image_id":")" + id + R"(","rating":5})");
  EXPECT_EQ(rated.status, 200) << rated.body;
  auto by_request =
      Call("POST", gw.url("/v1/feedback"),
           R"({"request_id":")" +
               std::string(reply.headers.Get("X-Request-Id").value_or("")) +
               R"(","rating":2})");
  EXPECT_EQ(by_request.status, 200) << by_request.body;
  auto missing =
      Call("GET", gw.url("/images/img_000000000000000000000000.png"));
  EXPECT_EQ(missing.status, 404);
  auto traversal = Call("GET", gw.url("/images/..%2Ffeedback.db"));
  EXPECT_EQ(traversal.status, 404);
}

// Images of a request whose id the gateway made carry that id's key (the
// feedback store then keeps one id per image, docs/feedback.md); a client's
// own X-Request-Id, which need not be unique, gets the images new ids. Both
// are ratable by either id.
TEST(GatewayService, ImageIdsFollowARequestIdTheGatewayMade) {
  auto sim = StartSim();
  RunningGateway gw(OneBackend(sim->base_url()));
  const std::string body =
      R"({"prompt":"a fox","size":"256x256","response_format":"url","n":2})";
  auto image_ids = [](const http::Headers& headers) {
    std::string ids(headers.Get("X-Image-Ids").value_or(""));
    size_t comma = ids.find(',');
    return std::pair(ids.substr(0, comma),
                     comma == std::string::npos ? "" : ids.substr(comma + 1));
  };
  auto rate = [&gw](const std::string& field, const std::string& id) {
    return Call("POST", gw.url("/v1/feedback"),
                R"({")" + field + R"(":")" + id + R"(","rating":4})");
  };

  auto made = Call("POST", gw.url("/v1/images/generations"), body);
  ASSERT_EQ(made.status, 200) << made.body;
  std::string request_id(made.headers.Get("X-Request-Id").value_or(""));
  ASSERT_TRUE(request_id.starts_with("req_")) << request_id;
  const std::string key = request_id.substr(4);
  auto [first, second] = image_ids(made.headers);
  EXPECT_EQ(first, "img_" + key);
  EXPECT_EQ(second, "img_" + key + "-1");
  std::string url = made.json["data"][1]["url"];
  EXPECT_TRUE(url.ends_with("/images/img_" + key + "-1.png")) << url;
  EXPECT_EQ(Call("GET", gw.url(url.substr(url.find("/images/")))).status, 200);
  EXPECT_EQ(rate("image_id", second).status, 200);
  EXPECT_EQ(rate("request_id", request_id).status, 200);

  http::ClientRequest own("POST", gw.url("/v1/images/generations"), body);
  own.headers.Set("X-Request-Id", "req_" + key);  // a client reusing an id
  auto reused = http::Fetch(own);
  ASSERT_TRUE(reused.ok());
  ASSERT_EQ(reused->status, 200) << reused->body;
  EXPECT_EQ(reused->headers.Get("X-Request-Id").value_or(""), request_id);
  auto [third, fourth] = image_ids(reused->headers);
  EXPECT_TRUE(third.starts_with("img_")) << third;
  EXPECT_NE(third, first);
  EXPECT_NE(fourth, second);
  auto by_image = Call("POST", gw.url("/v1/feedback"),
                       R"({"image_id":")" + fourth + R"(","rating":3})");
  ASSERT_EQ(by_image.status, 200) << by_image.body;
  EXPECT_EQ(by_image.json["request_id"], request_id) << by_image.body;
  EXPECT_EQ(rate("request_id", "req_" + key.substr(0, 20)).status, 404);
}

TEST(GatewayService, ModelListNamesTheBackendsModels) {
  GatewayConfig config = OneBackend("http://127.0.0.1:9");
  config.backends[0].model = "z-image-turbo-q8";
  BackendConfig second = config.backends[0];
  second.name = "sim-1";
  second.model = "";
  config.backends.push_back(second);
  RunningGateway gw(config);
  auto models = Call("GET", gw.url("/v1/models"));
  ASSERT_EQ(models.status, 200) << models.body;
  ASSERT_EQ(models.json["data"].size(), 1u) << models.body;
  EXPECT_EQ(models.json["data"][0]["id"], "z-image-turbo-q8");
  EXPECT_EQ(models.json["data"][0]["owned_by"], "zimon");
}

TEST(GatewayService, ApiKeysGuardGenerationAndFeedback) {
  auto sim = StartSim();
  GatewayConfig config = OneBackend(sim->base_url());
  config.api_keys = {"k-123"};
  RunningGateway gw(config);
  auto call = [&gw](const std::string& method, const std::string& path,
                    const std::string& body, const std::string& key) {
    http::ClientRequest req(method, gw.url(path), body);
    if (!key.empty()) req.headers.Set("Authorization", "Bearer " + key);
    return http::Fetch(req);
  };
  auto no_key = call("POST", "/v1/images/generations", kSmall, "");
  ASSERT_TRUE(no_key.ok());
  EXPECT_EQ(no_key->status, 401);
  auto models_no_key = call("GET", "/v1/models", "", "");
  ASSERT_TRUE(models_no_key.ok());
  EXPECT_EQ(models_no_key->status, 401);
  auto models = call("GET", "/v1/models", "", "k-123");
  ASSERT_TRUE(models.ok());
  EXPECT_EQ(models->status, 200);
  nlohmann::json list = nlohmann::json::parse(models->body);
  EXPECT_EQ(list["object"], "list");
  ASSERT_EQ(list["data"].size(), 1u) << models->body;
  EXPECT_EQ(list["data"][0]["id"], "Tongyi-MAI/Z-Image-Turbo");
  EXPECT_EQ(list["data"][0]["object"], "model");
  EXPECT_GT(list["data"][0]["created"], 1700000000);
  auto good = call("POST", "/v1/images/generations", kSmall, "k-123");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->status, 200) << good->body;
  std::string rating =
      R"({"request_id":")" +
      std::string(good->headers.Get("X-Request-Id").value_or("")) +
      R"(","rating":4})";
  auto rate_no_key = call("POST", "/v1/feedback", rating, "wrong");
  ASSERT_TRUE(rate_no_key.ok());
  EXPECT_EQ(rate_no_key->status, 401);
  auto report_no_key = call("GET", "/v1/feedback", "", "");
  ASSERT_TRUE(report_no_key.ok());
  EXPECT_EQ(report_no_key->status, 401);
  auto rated = call("POST", "/v1/feedback", rating, "k-123");
  ASSERT_TRUE(rated.ok());
  EXPECT_EQ(rated->status, 200) << rated->body;
  auto report = call("GET", "/v1/feedback", "", "k-123");
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->status, 200);
  EXPECT_NE(report->body.find("\"total\":1"), std::string::npos)
      << report->body;
}

TEST(GatewayService, RequestThatCannotFinishInTimeIsShedUnsent) {
  sim::SimServerOptions o =
      FastOptions(sim::ApiFlavour::kVllmOmni, sim::RegisterVllmOmniApi);
  o.engine.profile.step_seconds = 2.0;  // about 1 s per 256x256 image
  auto sim = MustStart(std::move(o));
  RunningGateway gw(OneBackend(sim->base_url(), /*max_concurrent=*/1));
  // Two images teach the gateway how long one takes.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Call("POST", gw.url("/v1/images/generations"), kSmall).status,
              200);
  }
  // One request takes the slot; one queued behind it with a 1.5 s deadline
  // has about half a second left when the slot frees: less than an image
  // takes, more than nothing (so it is shed, not expired in the queue).
  std::jthread busy([&] {
    EXPECT_EQ(Call("POST", gw.url("/v1/images/generations"), kSmall).status,
              200);
  });
  EXPECT_TRUE(Eventually([&] {
    return gw.Metric("zimon_inflight_requests", {{"backend", "sim-0"}}) == 1;
  }));
  http::ClientRequest doomed("POST", gw.url("/v1/images/generations"), kSmall);
  doomed.headers.Set("X-Request-Timeout", "1.5");
  auto answer = http::Fetch(doomed);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status, 504) << answer->body;
  busy.join();
  EXPECT_EQ(gw.Metric("zimon_requests_shed"), 1);
  // The sim saw exactly the three images, never the shed request.
  auto state = Call("GET", sim->base_url() + "/sim/state");
  EXPECT_EQ(state.json["stats"]["requests_cancelled"], 0) << state.body;
  EXPECT_EQ(state.json["stats"]["requests_ok"], 3) << state.body;
}

TEST(GatewayService, QueuedRequestThatCannotFinishInTimeIsAnsweredAtOnce) {
  sim::SimServerOptions o =
      FastOptions(sim::ApiFlavour::kVllmOmni, sim::RegisterVllmOmniApi);
  o.engine.profile.step_seconds = 1.0;  // about 0.5 s per 256x256 image
  auto sim = MustStart(std::move(o));
  RunningGateway gw(OneBackend(sim->base_url(), /*max_concurrent=*/1));
  // One image teaches the gateway how long one takes.
  EXPECT_EQ(Call("POST", gw.url("/v1/images/generations"), kSmall).status, 200);
  // One request takes the only slot and four queue behind it.
  std::vector<std::jthread> patient;
  for (int i = 0; i < 5; ++i) {
    patient.emplace_back([&] {
      EXPECT_EQ(Call("POST", gw.url("/v1/images/generations"), kSmall).status,
                200);
    });
    EXPECT_TRUE(Eventually([&] {
      return gw.Metric("zimon_inflight_requests", {{"backend", "sim-0"}}) +
                 gw.Metric("zimon_queue_depth") ==
             i + 1;
    }));
  }
  // Fifth in the queue with a 1 s deadline. Even at twice the typical pace
  // (0.25 s per turn of the slot) it needs four turns and half an image:
  // 1.25 s. Refused at once, it counts as shed; left to wait (about 2.5 s
  // in fact), it would expire in the queue instead.
  http::ClientRequest doomed("POST", gw.url("/v1/images/generations"), kSmall);
  doomed.headers.Set("X-Request-Timeout", "1");
  auto answer = http::Fetch(doomed);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status, 504) << answer->body;
  EXPECT_EQ(gw.Metric("zimon_requests_shed"), 1);
  patient.clear();  // joins
  auto state = Call("GET", sim->base_url() + "/sim/state");
  EXPECT_EQ(state.json["stats"]["requests_ok"], 6) << state.body;
}

// sd-server runs a request to its end after its client has left. In
// --parallel mode with memory for two images, two abandoned images and two
// new ones side by side would run it out of memory; the gateway keeps the
// abandoned requests' slots until their work would be done instead.
TEST(GatewayService, AbandonedWorkKeepsItsSlotOnAServerThatFinishesIt) {
  sim::SimServerOptions o =
      FastOptions(sim::ApiFlavour::kSdcpp, sim::RegisterSdcppApi);
  o.engine.mode = sim::SchedulingMode::kParallel;
  o.engine.profile.step_seconds = 1.0;  // about 0.5 s per 256x256 image
  o.engine.profile.vram_bytes =
      sim::kContextBytes + sim::WeightsBytes(o.engine.profile, false) +
      sim::ActivationBytes(o.engine.profile, {256, 256}) * 5 / 2;
  auto sim = MustStart(std::move(o));
  GatewayConfig config = OneBackend(sim->base_url(), /*max_concurrent=*/2);
  config.backends[0].adapter = "sdcpp";
  RunningGateway gw(config);
  auto send = [&gw](std::stop_token stop = {}) {
    http::ClientRequest req("POST", gw.url("/v1/images/generations"), kSmall);
    req.timeout = 30s;
    StatusOr<http::Response> r = http::Fetch(req, {}, stop);
    return r.ok() ? r->status : 0;
  };
  // Two pairs side by side teach the gateway how long a pair takes.
  for (int round = 0; round < 2; ++round) {
    std::jthread other([&] { EXPECT_EQ(send(), 200); });
    EXPECT_EQ(send(), 200);
  }
  auto sim_stat = [&](const char* name) {
    return Call("GET", sim->base_url() + "/sim/state").json["stats"][name];
  };
  {
    std::stop_source leave;
    std::jthread a([&] { (void)send(leave.get_token()); });
    std::jthread b([&] { (void)send(leave.get_token()); });
    ASSERT_TRUE(Eventually([&] { return sim_stat("running_requests") == 2; }));
    leave.request_stop();  // both clients leave; the sim goes on
  }
  ASSERT_TRUE(Eventually([&] {
    return gw.Metric("zimon_abandoned_holds", {{"backend", "sim-0"}}) == 2;
  }));
  EXPECT_EQ(gw.Metric("zimon_inflight_requests", {{"backend", "sim-0"}}), 2);
  // Two new requests wait for the held slots, then run alone.
  {
    std::jthread c([&] { EXPECT_EQ(send(), 200); });
    EXPECT_EQ(send(), 200);
  }
  EXPECT_EQ(sim_stat("requests_oom"), 0);
  EXPECT_EQ(sim_stat("requests_cancelled"), 0);
  EXPECT_EQ(sim_stat("requests_ok"), 8);
  EXPECT_TRUE(Eventually([&] {
    return gw.Metric("zimon_inflight_requests", {{"backend", "sim-0"}}) == 0;
  }));
}

// What the gateway shows right after a small image, queued inside sd-server
// behind a larger one, was abandoned at its deadline: the backend's held
// slots and requests in flight, and how many requests the server cancelled.
struct AbandonedInQueue {
  double holds = 0, inflight = 0, cancelled = 0;
};

AbandonedInQueue AbandonAQueuedImage(const std::string& sdcpp_api) {
  sim::SimServerOptions o =
      FastOptions(sim::ApiFlavour::kSdcpp, sim::RegisterSdcppApi);
  o.engine.profile.step_seconds = 1.5;  // 256x256 about 0.75 s, 512x512 3 s
  auto sim = MustStart(std::move(o));
  GatewayConfig config = OneBackend(sim->base_url(), /*max_concurrent=*/2);
  config.backends[0].adapter = "sdcpp";
  config.backends[0].sdcpp_api = sdcpp_api;
  RunningGateway gw(config);
  auto sim_stat = [&](const char* name) {
    return Call("GET", sim->base_url() + "/sim/state").json["stats"][name];
  };
  // One image teaches the gateway how long a 256x256 one takes.
  EXPECT_EQ(Call("POST", gw.url("/v1/images/generations"), kSmall).status, 200);
  std::jthread large([&] {
    http::ClientRequest req("POST", gw.url("/v1/images/generations"),
                            R"({"prompt":"a fox","size":"512x512"})");
    req.timeout = 30s;
    auto r = http::Fetch(req);
    EXPECT_TRUE(r.ok() && r->status == 200);
  });
  EXPECT_TRUE(Eventually([&] { return sim_stat("running_requests") == 1; }));
  // Twice the typical time: sent, then abandoned while still queued in the
  // server, after the moment a small image sent then would have been done.
  http::ClientRequest late("POST", gw.url("/v1/images/generations"), kSmall);
  late.headers.Set("X-Request-Timeout", "1.5");
  auto answer = http::Fetch(late);
  EXPECT_TRUE(answer.ok() && answer->status == 504);
  AbandonedInQueue seen;
  seen.holds = gw.Metric("zimon_abandoned_holds", {{"backend", "sim-0"}});
  seen.inflight = gw.Metric("zimon_inflight_requests", {{"backend", "sim-0"}});
  large.join();
  seen.cancelled = sim_stat("requests_cancelled");
  EXPECT_TRUE(Eventually([&] {
    return gw.Metric("zimon_inflight_requests", {{"backend", "sim-0"}}) == 0;
  }));
  return seen;
}

// On sd-server's OpenAI-compatible route the abandoned image still runs
// later, so its slot is held for one more image from then.
TEST(GatewayService, WorkAbandonedLateIsHeldForOneMoreImage) {
  AbandonedInQueue seen = AbandonAQueuedImage("openai");
  EXPECT_EQ(seen.holds, 1);
  EXPECT_EQ(seen.inflight, 2);
  EXPECT_EQ(seen.cancelled, 0);
}

// With sd-server's job API the queued job is cancelled there instead: it
// never runs, and no slot is held for it.
TEST(GatewayService, JobApiCancelsAnAbandonedQueuedJobInsteadOfHoldingIt) {
  AbandonedInQueue seen = AbandonAQueuedImage("jobs");
  EXPECT_LE(seen.holds, 0);  // -1: no hold was ever counted
  EXPECT_EQ(seen.inflight, 1);
  EXPECT_EQ(seen.cancelled, 1);
}

TEST(GatewayService, HigherPriorityLeavesTheQueueFirst) {
  sim::SimServerOptions o =
      FastOptions(sim::ApiFlavour::kVllmOmni, sim::RegisterVllmOmniApi);
  // About half a second per 256x256 image: long enough to queue behind.
  o.engine.profile.step_seconds = 1.0;
  auto sim = MustStart(std::move(o));
  RunningGateway gw(OneBackend(sim->base_url(), /*max_concurrent=*/1));
  auto send = [&gw](int priority, std::vector<std::string>* order,
                    std::mutex* mu) {
    http::ClientRequest req("POST", gw.url("/v1/images/generations"), kSmall);
    req.headers.Set("X-Priority", std::to_string(priority));
    req.timeout = 30s;
    auto r = http::Fetch(req);
    std::lock_guard lock(*mu);
    order->push_back(r.ok() && r->status == 200 ? "p" + std::to_string(priority)
                                                : "failed");
  };
  std::vector<std::string> order;
  std::mutex mu;
  std::jthread busy([&] { send(1, &order, &mu); });
  EXPECT_TRUE(Eventually([&] {
    return gw.Metric("zimon_inflight_requests", {{"backend", "sim-0"}}) == 1;
  }));
  std::jthread low([&] { send(0, &order, &mu); });
  EXPECT_TRUE(Eventually([&] { return gw.Metric("zimon_queue_depth") == 1; }));
  std::jthread high([&] { send(3, &order, &mu); });
  EXPECT_TRUE(Eventually([&] { return gw.Metric("zimon_queue_depth") == 2; }));
  busy.join();
  low.join();
  high.join();
  EXPECT_EQ(order, (std::vector<std::string>{"p1", "p3", "p0"}));
}

TEST(GatewayService, ExpiredImageFilesAreDeleted) {
  auto sim = StartSim();
  GatewayConfig config = OneBackend(sim->base_url());
  config.image_retention = std::chrono::hours(1);
  namespace fs = std::filesystem;
  std::string old_file, new_file, other_file;
  RunningGateway gw(config, [&](const std::string& dir) {
    fs::create_directories(dir);
    old_file = dir + "/img_old.png";
    new_file = dir + "/img_new.png";
    other_file = dir + "/notes.txt";  // not an image file: never touched
    for (const std::string& path : {old_file, new_file, other_file}) {
      std::ofstream(path) << "png";
    }
    const auto two_hours_ago = fs::file_time_type::clock::now() - 2h;
    fs::last_write_time(old_file, two_hours_ago);
    fs::last_write_time(other_file, two_hours_ago);
  });
  // The first sweep runs at start. It counts the files it removed once it
  // has gone through the directory, a moment after the file is gone.
  EXPECT_TRUE(Eventually([&] { return !fs::exists(old_file); }));
  EXPECT_TRUE(
      Eventually([&] { return gw.Metric("zimon_images_expired") >= 1; }));
  EXPECT_TRUE(fs::exists(new_file));
  EXPECT_TRUE(fs::exists(other_file));
  EXPECT_EQ(gw.Metric("zimon_images_expired"), 1);
  EXPECT_EQ(gw.Metric("zimon_image_sweep_errors"), 0);
}

}  // namespace
}  // namespace zimon::gateway
