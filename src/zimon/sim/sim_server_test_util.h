// Test helpers for the simulator's HTTP fronts (not part of the library):
// an in-process SimServer on port 0 with a fast profile, and blocking calls.
#ifndef ZIMON_SIM_SIM_SERVER_TEST_UTIL_H_
#define ZIMON_SIM_SIM_SERVER_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "zimon/http/client.h"
#include "zimon/sim/front_common.h"
#include "zimon/sim/image.h"
#include "zimon/sim/profiles.h"
#include "zimon/sim/sim_server.h"

namespace zimon::sim::testing {

// H100 sizes, with every stage a few milliseconds, no cold start, no jitter.
inline GpuProfile FastProfile() {
  GpuProfile p = *FindProfile("h100");
  p.step_seconds = 0.002;
  p.text_encode_seconds = 0.001;
  p.vae_decode_seconds = 0.001;
  p.png_encode_seconds = 0.001;
  p.cold_start_seconds = 0;
  return p;
}

inline SimServerOptions FastOptions(ApiFlavour api, FrontRegistrar registrar) {
  SimServerOptions o;
  o.api = api;
  o.registrar = registrar;
  o.engine.profile = FastProfile();
  o.engine.jitter_sigma = 0;
  o.engine.max_queue = 0;
  o.engine.on_crash = [](const std::string&) {};
  return o;
}

inline std::unique_ptr<SimServer> MustStart(SimServerOptions options) {
  auto server = SimServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(*server) : nullptr;
}

struct Reply {
  int status = 0;
  std::string body;
  http::Headers headers;
  nlohmann::json json;  // parsed body, or null
};

inline Reply Call(
    const std::string& method, const std::string& url,
    const std::string& body = "",
    std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  http::ClientRequest req(method, url, body);
  req.timeout = timeout;
  req.headers.Set("Content-Type", "application/json");
  StatusOr<http::Response> r = http::Fetch(req);
  Reply out;
  if (!r.ok()) {
    ADD_FAILURE() << method << " " << url << ": " << r.status().ToString();
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  out.headers = r->headers;
  out.json = nlohmann::json::parse(r->body, nullptr, false);
  if (out.json.is_discarded()) out.json = nullptr;
  return out;
}

// Decodes base64 PNG; fails the test when it does not decode.
inline DecodedImage MustDecode(const std::string& b64) {
  StatusOr<std::string> png = Base64Decode(b64);
  EXPECT_TRUE(png.ok());
  StatusOr<DecodedImage> img = DecodePng(png.ok() ? *png : "");
  EXPECT_TRUE(img.ok()) << img.status().ToString();
  return img.ok() ? *img : DecodedImage{};
}

inline bool AllZero(const DecodedImage& img) {
  for (uint8_t v : img.rgb) {
    if (v != 0) return false;
  }
  return !img.rgb.empty();
}

// Polls `done` every 5 ms for up to `limit` (for effects of real I/O, such as
// a server noticing a client has gone).
inline bool WaitFor(
    const std::function<bool()>& done,
    std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

}  // namespace zimon::sim::testing

#endif  // ZIMON_SIM_SIM_SERVER_TEST_UTIL_H_
