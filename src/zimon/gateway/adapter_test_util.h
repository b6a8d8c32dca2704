// Test helpers for the backend adapter tests (not part of the library): an
// I/O context with a client to run adapters on, a scripted fake upstream
// that records what it was sent, and a port nothing listens on.
#ifndef ZIMON_GATEWAY_ADAPTER_TEST_UTIL_H_
#define ZIMON_GATEWAY_ADAPTER_TEST_UTIL_H_

// clang-format off
#include <utility>  // first: Boost.Asio needs it with GCC 12
// clang-format on
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "zimon/gateway/adapter.h"
#include "zimon/http/client.h"
#include "zimon/http/router.h"
#include "zimon/http/server.h"
#include "zimon/http/test_util.h"

namespace zimon::gateway::testing {

using namespace std::chrono_literals;

// An io_context run on the calling thread, and a client on it.
class AdapterHarness {
 public:
  AdapterHarness() : client_(ioc_.get_executor()) {}

  http::Client& client() { return client_; }

  UpstreamResult Generate(BackendAdapter& adapter, const ImageRequest& request,
                          std::chrono::steady_clock::duration timeout = 30s,
                          std::stop_token stop = {}) {
    return http::testing::RunOn(ioc_, adapter.Generate(request, timeout, stop));
  }
  Status Health(BackendAdapter& adapter,
                std::chrono::steady_clock::duration timeout = 5s) {
    return http::testing::RunOn(ioc_, adapter.CheckHealth(timeout, {}));
  }

 private:
  boost::asio::io_context ioc_;
  http::Client client_;  // destroyed before ioc_
};

// A request the sims answer quickly.
inline ImageRequest SmallRequest(int n = 1) {
  ImageRequest r;
  r.request_id = "req-1";
  r.prompt = "a red fox in fresh snow";
  r.n = n;
  r.width = 512;
  r.height = 512;
  return r;
}

// An upstream that answers every request with a scripted response (or the
// one scripted for its method and path) and keeps what it received.
class FakeUpstream {
 public:
  struct Received {
    std::string method, target, body;
    http::Headers headers;
  };

  FakeUpstream() {
    auto router = std::make_shared<http::Router>();
    auto handler = [this](http::Request& req) {
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back({req.method, req.target, req.body, req.headers});
      auto it = by_path_.find(req.method + " " + std::string(req.path));
      return it != by_path_.end() ? it->second : response_;
    };
    EXPECT_TRUE(router->HandleSync("GET", "/{path...}", handler).ok());
    EXPECT_TRUE(router->HandleSync("POST", "/{path...}", handler).ok());
    http::ServerOptions options;
    options.io_threads = 1;
    auto server = http::Server::Create(
        options, [router](http::Request& r) { return (*router)(r); });
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    if (server.ok()) server_ = std::move(*server);
  }

  void Respond(int status, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    response_ = http::Response::Json(status, std::move(body));
  }
  // For `method` on exactly `path` (no query), instead of the default.
  void RespondTo(const std::string& method, const std::string& path, int status,
                 std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    by_path_.insert_or_assign(method + " " + path,
                              http::Response::Json(status, std::move(body)));
  }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  std::string base_url() const { return server_ ? server_->base_url() : ""; }

 private:
  std::mutex mu_;
  http::Response response_ = http::Response::Json(200, "{}");
  std::map<std::string, http::Response> by_path_;
  std::vector<Received> received_;
  std::unique_ptr<http::Server> server_;  // last: stops before the rest goes
};

// "http://127.0.0.1:<port>" where nothing listens (a server that was there
// and shut down).
// The encoded image, decoding the base64 text an adapter may have kept
// (GeneratedImage::b64); "<undecodable>" if it does not decode.
inline std::string Bytes(GeneratedImage image) {
  if (!DecodeImage(image).ok()) return "<undecodable>";
  return image.bytes;
}

inline std::string ClosedUrl() {
  http::ServerOptions options;
  options.io_threads = 1;
  auto server = http::Server::Create(options, http::MakeHandler([](auto&) {
                                       return http::Response::Text(200, "");
                                     }));
  EXPECT_TRUE(server.ok());
  std::string url = (*server)->base_url();
  (*server)->Shutdown(0s);
  return url;
}

}  // namespace zimon::gateway::testing

#endif  // ZIMON_GATEWAY_ADAPTER_TEST_UTIL_H_
