#include "zimon/gateway/sdcpp_adapter.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "zimon/gateway/adapter_test_util.h"
#include "zimon/gateway/base64.h"
#include "zimon/sim/image.h"
#include "zimon/sim/sdcpp_front.h"
#include "zimon/sim/sim_server_test_util.h"

namespace zimon::gateway {
namespace {

using nlohmann::json;
using testing::AdapterHarness;
using testing::Bytes;
using testing::FakeUpstream;
using testing::SmallRequest;
using namespace std::chrono_literals;

std::unique_ptr<sim::SimServer> StartSdcpp(sim::Faults faults = {},
                                           uint64_t vram = 0) {
  auto opt =
      sim::testing::FastOptions(sim::ApiFlavour::kSdcpp, sim::RegisterSdcppApi);
  opt.engine.faults = faults;
  if (vram > 0) opt.engine.profile.vram_bytes = vram;
  return sim::testing::MustStart(std::move(opt));
}

// The prompt and the extra arguments of a body SdcppAdapter sent.
struct SentPrompt {
  std::string text;
  json extra;
};

SentPrompt SplitPrompt(const std::string& body) {
  std::string prompt = json::parse(body)["prompt"];
  size_t open = prompt.find("<sd_cpp_extra_args>");
  size_t close = prompt.find("</sd_cpp_extra_args>");
  EXPECT_NE(open, std::string::npos) << prompt;
  EXPECT_NE(close, std::string::npos) << prompt;
  if (open == std::string::npos || close == std::string::npos) return {};
  size_t from = open + std::string("<sd_cpp_extra_args>").size();
  EXPECT_EQ(close + std::string("</sd_cpp_extra_args>").size(), prompt.size());
  return {prompt.substr(0, open),
          json::parse(prompt.substr(from, close - from))};
}

TEST(SdcppAdapter, SendsTurboDefaultsSoSdServersNeverApply) {
  ImageRequest req = SmallRequest(2);
  json body = json::parse(SdcppAdapter::RequestBody(req));
  EXPECT_EQ(body["n"], 2);
  EXPECT_EQ(body["size"], "512x512");
  EXPECT_EQ(body["output_format"], "png");
  SentPrompt p = SplitPrompt(body.dump());
  EXPECT_EQ(p.text, "a red fox in fresh snow");
  EXPECT_EQ(p.extra,
            json({{"seed", -1},
                  {"sample_params",
                   {{"sample_steps", 8}, {"guidance", {{"txt_cfg", 1.0}}}}}}));
}

TEST(SdcppAdapter, SendsTheRequestsStepsSeedCfgAndNegativePrompt) {
  ImageRequest req = SmallRequest();
  req.seed = 123;
  req.steps = 12;
  req.guidance_scale = 2.5;
  req.negative_prompt = "blurry";
  SentPrompt p = SplitPrompt(SdcppAdapter::RequestBody(req));
  EXPECT_EQ(p.extra["seed"], 123);
  EXPECT_EQ(p.extra["sample_params"]["sample_steps"], 12);
  EXPECT_EQ(p.extra["sample_params"]["guidance"]["txt_cfg"], 2.5);
  EXPECT_EQ(p.extra["negative_prompt"], "blurry");
  req.guidance_scale = 0.0;  // diffusers' "off" is sd.cpp's cfg 1
  EXPECT_EQ(SplitPrompt(SdcppAdapter::RequestBody(req))
                .extra["sample_params"]["guidance"]["txt_cfg"],
            1.0);
}

TEST(SdcppAdapter, PostsToTheOpenAiRoute) {
  FakeUpstream up;
  up.Respond(200, json{{"data",
                        {{{"b64_json", Base64Encode(std::string(
                                           "\x89PNG\r\n\x1a\n", 8))}}}}}
                      .dump());
  AdapterHarness h;
  SdcppAdapter adapter(up.base_url(), h.client());
  EXPECT_EQ(adapter.kind(), "sdcpp");
  ImageRequest req = SmallRequest();
  req.steps = 9;
  UpstreamResult r = h.Generate(adapter, req);
  ASSERT_EQ(r.outcome, UpstreamOutcome::kSuccess) << r.status.ToString();
  EXPECT_EQ(r.images[0].media_type, "image/png");
  auto got = up.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, "/v1/images/generations");
  EXPECT_EQ(got[0].headers.Get("x-request-id"), "req-1");
  EXPECT_EQ(SplitPrompt(got[0].body).extra["sample_params"]["sample_steps"], 9);
}

TEST(SdcppAdapter, GeneratesOneAndTwoImagesFromSdServer) {
  auto sim = StartSdcpp();
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  SdcppAdapter adapter(sim->base_url(), h.client());
  ImageRequest req = SmallRequest();
  req.width = 640;  // sd-server's own default is 512x512
  req.seed = 5;
  UpstreamResult one = h.Generate(adapter, req);
  ASSERT_EQ(one.outcome, UpstreamOutcome::kSuccess) << one.status.ToString();
  ASSERT_EQ(one.images.size(), 1u);
  EXPECT_EQ(one.images[0].media_type, "image/png");
  StatusOr<sim::DecodedImage> png = sim::DecodePng(Bytes(one.images[0]));
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  EXPECT_EQ(png->size.width, 640);
  EXPECT_EQ(png->size.height, 512);

  req.n = 2;
  UpstreamResult two = h.Generate(adapter, req);
  ASSERT_EQ(two.outcome, UpstreamOutcome::kSuccess) << two.status.ToString();
  ASSERT_EQ(two.images.size(), 2u);
  // The seed reached the server: image 0 of a request with seed 5 is the
  // same picture both times (the simulator's images depend on prompt, seed
  // and size only), not sd-server's fixed seed 42.
  EXPECT_EQ(Bytes(two.images[0]), Bytes(one.images[0]));
  EXPECT_NE(Bytes(two.images[1]), Bytes(one.images[0]));
}

TEST(SdcppAdapter, FailedGenerationIsFailureAndOomCannotBeTold) {
  sim::Faults faults;
  faults.error_rate = 1;
  auto sim = StartSdcpp(faults);
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  SdcppAdapter adapter(sim->base_url(), h.client());
  UpstreamResult r = h.Generate(adapter, SmallRequest());
  EXPECT_EQ(r.outcome, UpstreamOutcome::kFailure) << r.status.ToString();
  EXPECT_EQ(r.http_status, 500);
  EXPECT_NE(r.status.message().find("generate_image returned no results"),
            std::string::npos);

  // sd-server logs the CUDA text and answers the same 500.
  auto small = StartSdcpp({}, 21ULL << 30);
  ASSERT_NE(small, nullptr);
  SdcppAdapter oom(small->base_url(), h.client());
  ImageRequest big = SmallRequest();
  big.width = big.height = 1024;
  UpstreamResult o = h.Generate(oom, big);
  EXPECT_EQ(o.outcome, UpstreamOutcome::kFailure) << o.status.ToString();
  EXPECT_EQ(small->engine().Stats().requests_oom, 1u);
}

TEST(SdcppAdapter, InvalidParametersAreClientErrors) {
  auto sim = StartSdcpp();
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  SdcppAdapter adapter(sim->base_url(), h.client());
  ImageRequest req = SmallRequest(9);  // sd-server's batch limit is 8
  UpstreamResult r = h.Generate(adapter, req);
  EXPECT_EQ(r.outcome, UpstreamOutcome::kClientError) << r.status.ToString();
  EXPECT_EQ(r.http_status, 400);
  req = SmallRequest();
  req.steps = 501;  // sample_steps must be 1..500
  EXPECT_EQ(h.Generate(adapter, req).outcome, UpstreamOutcome::kClientError);
}

TEST(SdcppAdapter, FullQueueIsNotStarted) {
  FakeUpstream up;
  up.Respond(429, R"({"error": "job queue is full"})");
  AdapterHarness h;
  SdcppAdapter adapter(up.base_url(), h.client());
  UpstreamResult r = h.Generate(adapter, SmallRequest());
  EXPECT_EQ(r.outcome, UpstreamOutcome::kNotStarted);
  EXPECT_EQ(r.http_status, 429);
  EXPECT_NE(r.status.message().find("job queue is full"), std::string::npos);
}

TEST(SdcppAdapter, RefusedTimedOutAndStopped) {
  AdapterHarness h;
  SdcppAdapter refused(testing::ClosedUrl(), h.client());
  UpstreamResult not_sent = h.Generate(refused, SmallRequest());
  EXPECT_EQ(not_sent.outcome, UpstreamOutcome::kNotStarted);
  EXPECT_FALSE(not_sent.may_still_run);

  sim::Faults faults;
  faults.hang_rate = 1;
  auto sim = StartSdcpp(faults);
  ASSERT_NE(sim, nullptr);
  SdcppAdapter adapter(sim->base_url(), h.client());
  UpstreamResult late = h.Generate(adapter, SmallRequest(), 300ms);
  EXPECT_EQ(late.outcome, UpstreamOutcome::kFailure);
  EXPECT_EQ(late.status.code(), StatusCode::kDeadlineExceeded);
  // sd-server goes on with the image: nothing can stop it.
  EXPECT_TRUE(late.may_still_run);

  std::stop_source stop;
  stop.request_stop();
  UpstreamResult cancelled =
      h.Generate(adapter, SmallRequest(), 30s, stop.get_token());
  EXPECT_EQ(cancelled.outcome, UpstreamOutcome::kCancelled);
  EXPECT_TRUE(cancelled.may_still_run);
}

TEST(SdcppAdapter, HealthCheck) {
  auto sim = StartSdcpp();
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  SdcppAdapter adapter(sim->base_url(), h.client());
  EXPECT_TRUE(h.Health(adapter).ok());
  SdcppAdapter gone(testing::ClosedUrl(), h.client());
  EXPECT_EQ(h.Health(gone).code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace zimon::gateway
