#include "zimon/gateway/sdcpp_adapter.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stop_token>
#include <thread>

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

// One 640x512 image with seed 5, then two with the same seed, through
// `adapter`; returns the first image (empty after a failure).
std::string ExpectOneAndTwoImages(AdapterHarness& h, SdcppAdapter& adapter) {
  ImageRequest req = SmallRequest();
  req.width = 640;  // sd-server's own default is 512x512
  req.seed = 5;
  UpstreamResult one = h.Generate(adapter, req);
  EXPECT_EQ(one.outcome, UpstreamOutcome::kSuccess) << one.status.ToString();
  if (one.images.size() != 1) {
    ADD_FAILURE() << one.images.size() << " images";
    return "";
  }
  EXPECT_EQ(one.images[0].media_type, "image/png");
  StatusOr<sim::DecodedImage> png = sim::DecodePng(Bytes(one.images[0]));
  EXPECT_TRUE(png.ok()) << png.status().ToString();
  if (png.ok()) {
    EXPECT_EQ(png->size.width, 640);
    EXPECT_EQ(png->size.height, 512);
  }
  req.n = 2;
  UpstreamResult two = h.Generate(adapter, req);
  EXPECT_EQ(two.outcome, UpstreamOutcome::kSuccess) << two.status.ToString();
  EXPECT_EQ(two.images.size(), 2u);
  if (two.images.size() == 2) {
    // The seed reached the server: image 0 of a request with seed 5 is the
    // same picture both times (the simulator's images depend on prompt,
    // seed and size only), not sd-server's fixed seed 42.
    EXPECT_EQ(Bytes(two.images[0]), Bytes(one.images[0]));
    EXPECT_NE(Bytes(two.images[1]), Bytes(one.images[0]));
  }
  return Bytes(one.images[0]);
}

TEST(SdcppAdapter, GeneratesOneAndTwoImagesFromSdServer) {
  auto sim = StartSdcpp();
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  SdcppAdapter adapter(sim->base_url(), h.client());
  ExpectOneAndTwoImages(h, adapter);
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

// The job API (SdcppApi::kJobs).

SdcppAdapterOptions JobsApi() {
  SdcppAdapterOptions options;
  options.api = SdcppApi::kJobs;
  options.poll_interval = 10ms;
  return options;
}

TEST(SdcppAdapterJobs, JobBodyCarriesEveryParameter) {
  ImageRequest req = SmallRequest(2);
  req.width = 640;
  EXPECT_EQ(json::parse(SdcppAdapter::JobBody(req)),
            json({{"prompt", "a red fox in fresh snow"},
                  {"width", 640},
                  {"height", 512},
                  {"batch_count", 2},
                  {"seed", -1},
                  {"output_format", "png"},
                  {"sample_params",
                   {{"sample_steps", 8}, {"guidance", {{"txt_cfg", 1.0}}}}}}));
  req.seed = 7;
  req.steps = 12;
  req.guidance_scale = 0.5;  // diffusers' "off" is sd.cpp's cfg 1
  req.negative_prompt = "blurry";
  json body = json::parse(SdcppAdapter::JobBody(req));
  EXPECT_EQ(body["seed"], 7);
  EXPECT_EQ(body["sample_params"]["sample_steps"], 12);
  EXPECT_EQ(body["sample_params"]["guidance"]["txt_cfg"], 1.0);
  EXPECT_EQ(body["negative_prompt"], "blurry");
}

TEST(SdcppAdapterJobs, GeneratesOneAndTwoImagesFromSdServer) {
  auto sim = StartSdcpp();
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  SdcppAdapter jobs(sim->base_url(), h.client(), JobsApi());
  SdcppAdapter sync(sim->base_url(), h.client());
  // The same pictures as the OpenAI-compatible route makes.
  EXPECT_EQ(ExpectOneAndTwoImages(h, jobs), ExpectOneAndTwoImages(h, sync));
  EXPECT_TRUE(h.Health(jobs).ok());
}

// A job still queued when its deadline passes (or its client leaves) is
// cancelled and never runs: nothing to hold. One already generating cannot
// be stopped, so it may still run.
TEST(SdcppAdapterJobs, QueuedJobsAreCancelledGeneratingOnesMayStillRun) {
  sim::Faults faults;
  faults.hang_rate = 1;  // every job generates for ever
  auto sim = StartSdcpp(faults);
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  SdcppAdapter adapter(sim->base_url(), h.client(), JobsApi());
  UpstreamResult generating = h.Generate(adapter, SmallRequest(), 300ms);
  EXPECT_EQ(generating.outcome, UpstreamOutcome::kFailure);
  EXPECT_EQ(generating.status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(generating.may_still_run);
  EXPECT_EQ(sim->engine().Stats().requests_cancelled, 0u);

  // Behind the hung one, the next job stays queued.
  UpstreamResult queued = h.Generate(adapter, SmallRequest(), 300ms);
  EXPECT_EQ(queued.outcome, UpstreamOutcome::kFailure);
  EXPECT_EQ(queued.status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(queued.may_still_run);
  std::stop_source leave;
  std::jthread leaver([&] {
    std::this_thread::sleep_for(200ms);
    leave.request_stop();
  });
  UpstreamResult left =
      h.Generate(adapter, SmallRequest(), 30s, leave.get_token());
  EXPECT_EQ(left.outcome, UpstreamOutcome::kCancelled);
  EXPECT_FALSE(left.may_still_run);
  EXPECT_EQ(sim->engine().Stats().requests_cancelled, 2u);
}

TEST(SdcppAdapterJobs, ServerWithoutTheJobApiIsAFailureThatSaysSo) {
  FakeUpstream up;
  up.Respond(404, R"({"error": "not found"})");
  AdapterHarness h;
  SdcppAdapter adapter(up.base_url(), h.client(), JobsApi());
  UpstreamResult r = h.Generate(adapter, SmallRequest());
  EXPECT_EQ(r.outcome, UpstreamOutcome::kFailure);
  EXPECT_EQ(r.http_status, 404);
  EXPECT_NE(r.status.message().find("no job API"), std::string::npos)
      << r.status.ToString();
  EXPECT_NE(r.status.message().find("sdcpp_api"), std::string::npos);
  EXPECT_EQ(h.Health(adapter).code(), StatusCode::kUnavailable);
  EXPECT_EQ(up.received().back().target, "/sdcpp/v1/capabilities");
}

TEST(SdcppAdapterJobs, FullQueueIsNotStarted) {
  FakeUpstream up;
  up.RespondTo("POST", "/sdcpp/v1/img_gen", 429,
               R"({"error": "job queue is full"})");
  AdapterHarness h;
  SdcppAdapter adapter(up.base_url(), h.client(), JobsApi());
  UpstreamResult r = h.Generate(adapter, SmallRequest());
  EXPECT_EQ(r.outcome, UpstreamOutcome::kNotStarted);
  EXPECT_EQ(r.http_status, 429);
  EXPECT_FALSE(r.may_still_run);
}

TEST(SdcppAdapterJobs, FinishedJobsAreClassified) {
  FakeUpstream up;
  up.RespondTo("POST", "/sdcpp/v1/img_gen", 202,
               R"({"id": "job_1", "status": "queued"})");
  AdapterHarness h;
  SdcppAdapter adapter(up.base_url(), h.client(), JobsApi());
  auto job = [&](const json& answer) {
    up.RespondTo("GET", "/sdcpp/v1/jobs/job_1", 200, answer.dump());
    return h.Generate(adapter, SmallRequest());
  };
  const std::string png = Base64Encode(std::string("\x89PNG\r\n\x1a\n", 8));
  UpstreamResult ok =
      job({{"status", "completed"},
           {"result",
            {{"output_format", "png"},
             {"images", {{{"index", 0}, {"b64_json", png}}}}}}});
  ASSERT_EQ(ok.outcome, UpstreamOutcome::kSuccess) << ok.status.ToString();
  EXPECT_EQ(ok.images[0].media_type, "image/png");
  UpstreamResult oom =
      job({{"status", "failed"},
           {"error",
            {{"code", "generation_failed"},
             {"message", "CUDA out of memory. Tried to allocate 2.40 GiB"}}}});
  EXPECT_EQ(oom.outcome, UpstreamOutcome::kOom) << oom.status.ToString();
  UpstreamResult failed =
      job({{"status", "failed"},
           {"error",
            {{"code", "generation_failed"},
             {"message", "generate_image returned no results"}}}});
  EXPECT_EQ(failed.outcome, UpstreamOutcome::kFailure);
  EXPECT_NE(failed.status.message().find("generate_image returned no results"),
            std::string::npos);
  EXPECT_EQ(job({{"status", "cancelled"}}).outcome, UpstreamOutcome::kFailure);
  UpstreamResult short_of_images =
      job({{"status", "completed"}, {"result", {{"images", json::array()}}}});
  EXPECT_EQ(short_of_images.outcome, UpstreamOutcome::kFailure);
  EXPECT_EQ(short_of_images.status.code(), StatusCode::kDataLoss);
  EXPECT_EQ(job({{"status", "sleeping"}}).status.code(), StatusCode::kDataLoss);
  // The job vanished: the server restarted, or the job expired.
  up.RespondTo("GET", "/sdcpp/v1/jobs/job_1", 404,
               R"({"error": "job not found"})");
  UpstreamResult gone = h.Generate(adapter, SmallRequest());
  EXPECT_EQ(gone.outcome, UpstreamOutcome::kFailure);
  EXPECT_EQ(gone.http_status, 404);
  // Polled at the job's own URL, after the submission.
  auto got = up.received();
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got[0].target, "/sdcpp/v1/img_gen");
  EXPECT_EQ(got[0].headers.Get("x-request-id"), "req-1");
  EXPECT_EQ(got[1].target, "/sdcpp/v1/jobs/job_1");
}

TEST(SdcppAdapterJobs, ServerGoneWhileAJobRunsIsALostConnection) {
  sim::Faults faults;
  faults.hang_rate = 1;
  auto sim = StartSdcpp(faults);
  ASSERT_NE(sim, nullptr);
  AdapterHarness h;
  SdcppAdapter adapter(sim->base_url(), h.client(), JobsApi());
  std::jthread killer([&] {
    std::this_thread::sleep_for(200ms);
    sim.reset();
  });
  UpstreamResult r = h.Generate(adapter, SmallRequest(), 30s);
  EXPECT_EQ(r.outcome, UpstreamOutcome::kFailure);
  EXPECT_EQ(r.http_status, 0);
  EXPECT_EQ(r.status.code(), StatusCode::kAborted) << r.status.ToString();
}

}  // namespace
}  // namespace zimon::gateway
