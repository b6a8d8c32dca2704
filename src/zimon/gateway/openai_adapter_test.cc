#include "zimon/gateway/openai_adapter.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "zimon/gateway/adapter_test_util.h"
#include "zimon/gateway/base64.h"
#include "zimon/sim/image.h"
#include "zimon/sim/sim_server_test_util.h"
#include "zimon/sim/vllm_front.h"

namespace zimon::gateway {
namespace {

using nlohmann::json;
using testing::AdapterHarness;
using testing::Bytes;
using testing::FakeUpstream;
using testing::SmallRequest;
using namespace std::chrono_literals;

std::unique_ptr<sim::SimServer> StartVllm(sim::Faults faults = {},
                                          uint64_t vram = 0) {
  auto opt = sim::testing::FastOptions(sim::ApiFlavour::kVllmOmni,
                                       sim::RegisterVllmOmniApi);
  opt.engine.faults = faults;
  if (vram > 0) opt.engine.profile.vram_bytes = vram;
  return sim::testing::MustStart(std::move(opt));
}

const std::string kPngB64 = Base64Encode(std::string("\x89PNG\r\n\x1a\n", 8));

TEST(OpenAiAdapter, GeneratesOneImageFromVllmOmni) {
  auto sim = StartVllm();
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  OpenAiAdapter adapter(sim->base_url(), "", h.client());
  EXPECT_EQ(adapter.kind(), "openai");
  UpstreamResult r = h.Generate(adapter, SmallRequest());
  ASSERT_EQ(r.outcome, UpstreamOutcome::kSuccess) << r.status.ToString();
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.http_status, 200);
  ASSERT_EQ(r.images.size(), 1u);
  EXPECT_EQ(r.images[0].media_type, "image/png");
  StatusOr<sim::DecodedImage> png = sim::DecodePng(Bytes(r.images[0]));
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  EXPECT_EQ(png->size.width, 512);
  EXPECT_EQ(png->size.height, 512);
}

TEST(OpenAiAdapter, GeneratesTwoImagesAndTheSeedReachesTheServer) {
  auto sim = StartVllm();
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  OpenAiAdapter adapter(sim->base_url(), "", h.client());
  ImageRequest req = SmallRequest(2);
  req.seed = 42;
  UpstreamResult a = h.Generate(adapter, req);
  ASSERT_EQ(a.outcome, UpstreamOutcome::kSuccess) << a.status.ToString();
  ASSERT_EQ(a.images.size(), 2u);
  EXPECT_NE(Bytes(a.images[0]), Bytes(a.images[1]));
  // The simulator's images are a function of (prompt, seed, size).
  UpstreamResult again = h.Generate(adapter, req);
  ASSERT_EQ(again.outcome, UpstreamOutcome::kSuccess);
  EXPECT_EQ(Bytes(again.images[0]), Bytes(a.images[0]));
  req.seed = 43;
  UpstreamResult other = h.Generate(adapter, req);
  ASSERT_EQ(other.outcome, UpstreamOutcome::kSuccess);
  EXPECT_NE(Bytes(other.images[0]), Bytes(a.images[0]));
}

TEST(OpenAiAdapter, StepsReachTheServer) {
  auto sim = StartVllm();
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  OpenAiAdapter adapter(sim->base_url(), "", h.client());
  ImageRequest req = SmallRequest();
  req.steps = 17;  // over the Z-Image-Turbo profile's maximum of 16
  UpstreamResult r = h.Generate(adapter, req);
  EXPECT_EQ(r.outcome, UpstreamOutcome::kClientError) << r.status.ToString();
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("num_inference_steps=17"),
            std::string::npos)
      << r.status.message();
}

TEST(OpenAiAdapter, SendsTheFieldsTheRequestSets) {
  FakeUpstream up;
  up.Respond(200, json{{"data", {{{"b64_json", kPngB64}}}}}.dump());
  AdapterHarness h;
  OpenAiAdapter plain(up.base_url(), "", h.client());
  ASSERT_EQ(h.Generate(plain, SmallRequest()).outcome,
            UpstreamOutcome::kSuccess);
  ImageRequest full = SmallRequest();
  full.model = "client-model";
  full.seed = 7;
  full.steps = 9;
  full.guidance_scale = 0.0;
  full.negative_prompt = "blurry";
  ASSERT_EQ(h.Generate(plain, full).outcome, UpstreamOutcome::kSuccess);
  OpenAiAdapter pinned(up.base_url() + "/", "Tongyi-MAI/Z-Image-Turbo",
                       h.client());
  ASSERT_EQ(h.Generate(pinned, full).outcome, UpstreamOutcome::kSuccess);

  auto got = up.received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/v1/images/generations");
  EXPECT_EQ(got[0].headers.Get("content-type"), "application/json");
  EXPECT_EQ(got[0].headers.Get("x-request-id"), "req-1");
  EXPECT_EQ(json::parse(got[0].body),
            json({{"prompt", "a red fox in fresh snow"},
                  {"n", 1},
                  {"size", "512x512"},
                  {"response_format", "b64_json"}}));
  json second = json::parse(got[1].body);
  EXPECT_EQ(second["model"], "client-model");
  EXPECT_EQ(second["seed"], 7);
  EXPECT_EQ(second["num_inference_steps"], 9);
  EXPECT_EQ(second["guidance_scale"], 0.0);
  EXPECT_EQ(second["negative_prompt"], "blurry");
  EXPECT_EQ(got[2].target, "/v1/images/generations");
  EXPECT_EQ(json::parse(got[2].body)["model"], "Tongyi-MAI/Z-Image-Turbo");
}

TEST(OpenAiAdapter, OutOfMemoryIsOom) {
  // 19.76 GiB resident + 2.4 GiB for a 1024² image do not fit in 21 GiB.
  auto sim = StartVllm({}, 21ULL << 30);
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  OpenAiAdapter adapter(sim->base_url(), "", h.client());
  ImageRequest req = SmallRequest();
  req.width = req.height = 1024;
  UpstreamResult r = h.Generate(adapter, req);
  EXPECT_EQ(r.outcome, UpstreamOutcome::kOom) << r.status.ToString();
  EXPECT_EQ(r.http_status, 500);
  EXPECT_NE(r.status.message().find("CUDA out of memory"), std::string::npos);
}

TEST(OpenAiAdapter, ServerErrorIsFailure) {
  sim::Faults faults;
  faults.error_rate = 1;
  auto sim = StartVllm(faults);
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  OpenAiAdapter adapter(sim->base_url(), "", h.client());
  UpstreamResult r = h.Generate(adapter, SmallRequest());
  EXPECT_EQ(r.outcome, UpstreamOutcome::kFailure) << r.status.ToString();
  EXPECT_EQ(r.http_status, 500);
  EXPECT_NE(r.status.message().find("illegal memory access"),
            std::string::npos);
}

TEST(OpenAiAdapter, BusyAnswersAreNotStartedAndMalformedOnesFailures) {
  FakeUpstream up;
  AdapterHarness h;
  OpenAiAdapter adapter(up.base_url(), "", h.client());
  up.Respond(429, R"({"detail": "too many requests"})");
  UpstreamResult busy = h.Generate(adapter, SmallRequest());
  EXPECT_EQ(busy.outcome, UpstreamOutcome::kNotStarted);
  EXPECT_EQ(busy.http_status, 429);
  up.Respond(503, R"({"detail": "Diffusion engine not initialized."})");
  EXPECT_EQ(h.Generate(adapter, SmallRequest()).outcome,
            UpstreamOutcome::kNotStarted);
  up.Respond(422, R"({"detail": [{"msg": "field required"}]})");
  EXPECT_EQ(h.Generate(adapter, SmallRequest()).outcome,
            UpstreamOutcome::kClientError);
  up.Respond(200, R"({"data": []})");
  UpstreamResult empty = h.Generate(adapter, SmallRequest());
  EXPECT_EQ(empty.outcome, UpstreamOutcome::kFailure);
  EXPECT_EQ(empty.status.code(), StatusCode::kDataLoss);
}

TEST(OpenAiAdapter, ConnectionRefusedIsNotStarted) {
  AdapterHarness h;
  OpenAiAdapter adapter(testing::ClosedUrl(), "", h.client());
  UpstreamResult r = h.Generate(adapter, SmallRequest());
  EXPECT_EQ(r.outcome, UpstreamOutcome::kNotStarted) << r.status.ToString();
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.http_status, 0);
  EXPECT_FALSE(r.may_still_run);
}

TEST(OpenAiAdapter, HangPastTheTimeoutIsDeadlineExceeded) {
  sim::Faults faults;
  faults.hang_rate = 1;
  auto sim = StartVllm(faults);
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  OpenAiAdapter adapter(sim->base_url(), "", h.client());
  UpstreamResult r = h.Generate(adapter, SmallRequest(), 300ms);
  EXPECT_EQ(r.outcome, UpstreamOutcome::kFailure);
  EXPECT_EQ(r.status.code(), StatusCode::kDeadlineExceeded)
      << r.status.ToString();
  // Nothing told the server to stop.
  EXPECT_TRUE(r.may_still_run);
}

TEST(OpenAiAdapter, ConnectionCutAfterSendingIsFailure) {
  sim::Faults faults;
  faults.hang_rate = 1;
  auto sim = StartVllm(faults);
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  OpenAiAdapter adapter(sim->base_url(), "", h.client());
  std::thread cut([&] {
    ASSERT_TRUE(sim::testing::WaitFor(
        [&] { return sim->engine().Stats().running_requests == 1; }));
    sim->Shutdown(0s);  // closes the connection of the hung request
  });
  UpstreamResult r = h.Generate(adapter, SmallRequest());
  cut.join();
  EXPECT_EQ(r.outcome, UpstreamOutcome::kFailure) << r.status.ToString();
  EXPECT_EQ(r.status.code(), StatusCode::kAborted);
  EXPECT_FALSE(r.may_still_run);  // the server is gone
}

TEST(OpenAiAdapter, StopCancelsTheUpstreamCall) {
  sim::Faults faults;
  faults.hang_rate = 1;
  auto sim = StartVllm(faults);
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  OpenAiAdapter adapter(sim->base_url(), "", h.client());
  std::stop_source stop;
  std::thread leave([&] {
    ASSERT_TRUE(sim::testing::WaitFor(
        [&] { return sim->engine().Stats().running_requests == 1; }));
    stop.request_stop();
  });
  UpstreamResult r = h.Generate(adapter, SmallRequest(), 30s, stop.get_token());
  leave.join();
  EXPECT_EQ(r.outcome, UpstreamOutcome::kCancelled) << r.status.ToString();
  EXPECT_EQ(r.status.code(), StatusCode::kCancelled);
  EXPECT_TRUE(r.may_still_run);  // as far as the adapter can tell
  // The server saw the client leave and cancelled the generation.
  EXPECT_TRUE(sim::testing::WaitFor(
      [&] { return sim->engine().Stats().requests_cancelled == 1; }));
}

TEST(OpenAiAdapter, HealthCheck) {
  auto sim = StartVllm();
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  OpenAiAdapter adapter(sim->base_url(), "", h.client());
  EXPECT_TRUE(h.Health(adapter).ok());
  OpenAiAdapter gone(testing::ClosedUrl(), "", h.client());
  EXPECT_EQ(h.Health(gone).code(), StatusCode::kUnavailable);
  FakeUpstream up;
  up.Respond(503, R"({"detail": "loading"})");
  OpenAiAdapter loading(up.base_url(), "", h.client());
  Status s = h.Health(loading);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("503"), std::string::npos) << s.message();
  EXPECT_EQ(up.received().at(0).target, "/health");
}

}  // namespace
}  // namespace zimon::gateway
