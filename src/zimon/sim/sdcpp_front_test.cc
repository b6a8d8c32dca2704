#include "zimon/sim/sdcpp_front.h"

#include <gtest/gtest.h>

#include <stop_token>
#include <thread>

#include "zimon/http/client.h"
#include "zimon/sim/sdcpp_front_params.h"
#include "zimon/sim/sim_server_test_util.h"

namespace zimon::sim {
namespace {

using nlohmann::json;
using testing::Call;
using testing::MustDecode;

TEST(SdcppParams, DefaultsAreTheServerWideOnes) {
  SdcppGenParams p;
  EXPECT_EQ(p.width, 512);
  EXPECT_EQ(p.height, 512);
  EXPECT_EQ(p.steps, 20);
  EXPECT_EQ(p.cfg, 7.0);
  EXPECT_EQ(p.seed, 42);
  // cfg 7 runs conditional and unconditional passes: twice the DiT work.
  p.prompt = "x";
  EXPECT_EQ(ToImageRequest(p).steps, 40);
  p.cfg = 1.0;
  p.steps = 8;
  EXPECT_EQ(ToImageRequest(p).steps, 8);
  EXPECT_EQ(ToImageRequest(p).seed, 42u);
}

TEST(SdcppParams, ExtraArgsAreCutOutOfThePromptAndApplied) {
  std::string prompt =
      "a fox <sd_cpp_extra_args>{\"sample_params\":{\"sample_steps\":8,"
      "\"guidance\":{\"txt_cfg\":1.0}},\"seed\":123}</sd_cpp_extra_args> at "
      "dawn";
  std::string extra = ExtractSdcppExtraArgs(prompt);
  EXPECT_EQ(prompt, "a fox  at dawn");
  SdcppGenParams p;
  ASSERT_TRUE(ApplySdcppJsonText(extra, p));
  EXPECT_EQ(p.steps, 8);
  EXPECT_EQ(p.cfg, 1.0);
  EXPECT_EQ(p.seed, 123);
  EXPECT_EQ(p.width, 512);  // untouched

  std::string plain = "no tags here";
  EXPECT_EQ(ExtractSdcppExtraArgs(plain), "");
  EXPECT_EQ(plain, "no tags here");
  EXPECT_FALSE(ApplySdcppJsonText("{\"seed\":\"x\"}", p));
  EXPECT_FALSE(ApplySdcppJsonText("{oops", p));
}

TEST(SdcppParams, ValidationRejectsOutOfRangeValues) {
  SdcppGenParams p;
  EXPECT_TRUE(ValidateSdcppParams(p).ok());
  p.width = 100;  // not a multiple of 16
  EXPECT_FALSE(ValidateSdcppParams(p).ok());
  p.width = 512;
  p.batch_count = 9;
  EXPECT_FALSE(ValidateSdcppParams(p).ok());
}

class SdcppFront : public ::testing::Test {
 protected:
  void Start(size_t max_queue = 64) {
    auto opt = testing::FastOptions(ApiFlavour::kSdcpp, RegisterSdcppApi);
    opt.front_max_queue = max_queue;
    sim_ = testing::MustStart(std::move(opt));
    ASSERT_NE(sim_, nullptr);
    base_ = sim_->base_url();
  }
  void SetFaults(const std::string& body) {
    ASSERT_EQ(Call("POST", base_ + "/sim/faults", body).status, 200);
  }

  std::unique_ptr<SimServer> sim_;
  std::string base_;
};

TEST_F(SdcppFront, OpenAiRouteDefaultsTo512AndTakesExtraArgs) {
  Start();
  auto r =
      Call("POST", base_ + "/v1/images/generations", R"({"prompt":"a cat"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json["created"].is_number_integer());
  EXPECT_EQ(r.json["output_format"], "png");
  ASSERT_EQ(r.json["data"].size(), 1u);
  EXPECT_EQ(r.json["data"][0].size(), 1u);  // only b64_json
  EXPECT_EQ(MustDecode(r.json["data"][0]["b64_json"]).size,
            (ImageSize{512, 512}));

  // The default seed is 42; extra args can change it.
  auto seed42 = Call(
      "POST", base_ + "/v1/images/generations",
      R"({"prompt":"a cat<sd_cpp_extra_args>{\"seed\":42}</sd_cpp_extra_args>"})");
  auto seed7 = Call(
      "POST", base_ + "/v1/images/generations",
      R"({"prompt":"a cat<sd_cpp_extra_args>{\"seed\":7}</sd_cpp_extra_args>"})");
  ASSERT_EQ(seed42.status, 200);
  ASSERT_EQ(seed7.status, 200);
  // (Compared as booleans: a failure must not print megabytes of base64.)
  EXPECT_TRUE(seed42.json["data"][0]["b64_json"] ==
              r.json["data"][0]["b64_json"]);
  EXPECT_FALSE(seed7.json["data"][0]["b64_json"] ==
               r.json["data"][0]["b64_json"]);

  auto sized = Call("POST", base_ + "/v1/images/generations",
                    R"({"prompt":"a cat","size":"256x128","n":2})");
  ASSERT_EQ(sized.status, 200) << sized.body;
  ASSERT_EQ(sized.json["data"].size(), 2u);
  EXPECT_EQ(MustDecode(sized.json["data"][1]["b64_json"]).size,
            (ImageSize{256, 128}));
}

TEST_F(SdcppFront, OpenAiRouteErrorsAsSdServer) {
  Start();
  std::string url = base_ + "/v1/images/generations";
  auto empty = Call("POST", url, "");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(empty.json, json({{"error", "empty body"}}));
  auto noprompt = Call("POST", url, R"({"n":1})");
  EXPECT_EQ(noprompt.status, 400);
  EXPECT_EQ(noprompt.json, json({{"error", "prompt required"}}));
  auto badjson = Call("POST", url, "{oops");
  EXPECT_EQ(badjson.status, 500);
  EXPECT_EQ(badjson.json["error"], "server_error");
  auto badtype = Call("POST", url, R"({"prompt":5})");
  EXPECT_EQ(badtype.status, 500);
  EXPECT_EQ(badtype.json["error"], "server_error");
  auto badextra =
      Call("POST", url,
           R"({"prompt":"x <sd_cpp_extra_args>{oops</sd_cpp_extra_args>"})");
  EXPECT_EQ(badextra.status, 400);
  EXPECT_EQ(badextra.json, json({{"error", "invalid sd_cpp_extra_args"}}));
  auto badsize = Call("POST", url, R"({"prompt":"x","size":"100x100"})");
  EXPECT_EQ(badsize.status, 400);
  EXPECT_EQ(badsize.json, json({{"error", "invalid params"}}));
}

TEST_F(SdcppFront, Txt2ImgHasTheA1111Shape) {
  Start();
  std::string body =
      R"({"prompt":"a cat","width":256,"height":256,"steps":8,"cfg_scale":1.0,"seed":3,"batch_size":2})";
  auto r = Call("POST", base_ + "/sdapi/v1/txt2img", body);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["images"].size(), 2u);
  EXPECT_EQ(MustDecode(r.json["images"][0]).size, (ImageSize{256, 256}));
  EXPECT_EQ(r.json["parameters"], json::parse(body));
  EXPECT_EQ(r.json["info"], "");

  auto neg =
      Call("POST", base_ + "/sdapi/v1/txt2img", R"({"prompt":"x","width":-1})");
  EXPECT_EQ(neg.status, 400);
  EXPECT_EQ(neg.json, json({{"error", "width and height must be positive"}}));
  EXPECT_EQ(Call("POST", base_ + "/sdapi/v1/txt2img", R"({"steps":8})").json,
            json({{"error", "prompt required"}}));
}

TEST_F(SdcppFront, AsyncJobRunsToCompletion) {
  Start();
  auto r = Call("POST", base_ + "/sdcpp/v1/img_gen",
                R"({"prompt":"a cat","width":256,"height":256,"seed":5,
                    "sample_params":{"sample_steps":8,"guidance":{"txt_cfg":1.0}}})");
  ASSERT_EQ(r.status, 202) << r.body;
  std::string id = r.json["id"];
  EXPECT_EQ(id.rfind("job_", 0), 0u);
  EXPECT_EQ(r.json["kind"], "img_gen");
  EXPECT_EQ(r.json["status"], "queued");
  EXPECT_EQ(r.json["poll_url"], "/sdcpp/v1/jobs/" + id);

  testing::Reply job;
  ASSERT_TRUE(testing::WaitFor([&] {
    job = Call("GET", base_ + "/sdcpp/v1/jobs/" + id);
    return job.json["status"] == "completed" || job.json["status"] == "failed";
  }));
  ASSERT_EQ(job.status, 200);
  EXPECT_EQ(job.json["status"], "completed") << job.body;
  EXPECT_TRUE(job.json["error"].is_null());
  EXPECT_TRUE(job.json["started"].is_number_integer());
  EXPECT_TRUE(job.json["completed"].is_number_integer());
  EXPECT_EQ(job.json["result"]["output_format"], "png");
  ASSERT_EQ(job.json["result"]["images"].size(), 1u);
  EXPECT_EQ(job.json["result"]["images"][0]["index"], 0);
  EXPECT_EQ(MustDecode(job.json["result"]["images"][0]["b64_json"]).size,
            (ImageSize{256, 256}));

  auto missing = Call("GET", base_ + "/sdcpp/v1/jobs/job_nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json, json({{"error", "job not found"}}));
  auto badjson = Call("POST", base_ + "/sdcpp/v1/img_gen", "{oops");
  EXPECT_EQ(badjson.status, 400);
  EXPECT_EQ(badjson.json["error"], "invalid json");
  auto badparams = Call("POST", base_ + "/sdcpp/v1/img_gen",
                        R"({"prompt":"x","width":"big"})");
  EXPECT_EQ(badparams.status, 400);
  EXPECT_EQ(badparams.json, json({{"error", "invalid generation parameters"}}));
}

TEST_F(SdcppFront, FullQueueIs429AndQueuedJobsCanBeCancelled) {
  Start(/*max_queue=*/2);
  SetFaults(R"({"hang_rate":1})");  // nothing ever finishes
  std::string body = R"({"prompt":"x","width":256,"height":256})";
  auto first = Call("POST", base_ + "/sdcpp/v1/img_gen", body);
  auto second = Call("POST", base_ + "/sdcpp/v1/img_gen", body);
  ASSERT_EQ(first.status, 202);
  ASSERT_EQ(second.status, 202);
  auto third = Call("POST", base_ + "/sdcpp/v1/img_gen", body);
  EXPECT_EQ(third.status, 429);
  EXPECT_EQ(third.json, json({{"error", "job queue is full"}}));

  std::string running = first.json["id"], queued = second.json["id"];
  ASSERT_TRUE(testing::WaitFor([&] {
    return Call("GET", base_ + "/sdcpp/v1/jobs/" + running).json["status"] ==
           "generating";
  }));
  auto q = Call("GET", base_ + "/sdcpp/v1/jobs/" + queued);
  EXPECT_EQ(q.json["status"], "queued");
  EXPECT_EQ(q.json["queue_position"], 1);

  auto busy = Call("POST", base_ + "/sdcpp/v1/jobs/" + running + "/cancel");
  EXPECT_EQ(busy.status, 409);
  auto cancel = Call("POST", base_ + "/sdcpp/v1/jobs/" + queued + "/cancel");
  EXPECT_EQ(cancel.status, 200);
  EXPECT_EQ(cancel.json["status"], "cancelled");
  EXPECT_EQ(cancel.json["error"]["code"], "cancelled");
  // A slot is free again.
  EXPECT_EQ(Call("POST", base_ + "/sdcpp/v1/img_gen", body).status, 202);
}

// sd-server's handlers run generate_image to the end whatever the client
// does: an image whose client left still runs, and counts as made.
TEST_F(SdcppFront, AnImageWhoseClientLeftIsFinishedAnyway) {
  auto opt = testing::FastOptions(ApiFlavour::kSdcpp, RegisterSdcppApi);
  opt.engine.profile.step_seconds = 0.2;  // 8 steps at 512²: about 0.4 s
  sim_ = testing::MustStart(std::move(opt));
  ASSERT_NE(sim_, nullptr);
  base_ = sim_->base_url();
  std::stop_source leave;
  std::jthread client([&] {
    http::ClientRequest req(
        "POST", base_ + "/v1/images/generations",
        R"({"prompt":"x<sd_cpp_extra_args>{\"sample_params\":{\"sample_steps\":8,\"guidance\":{\"txt_cfg\":1.0}}}</sd_cpp_extra_args>"})");
    (void)http::Fetch(req, {}, leave.get_token());
  });
  auto stat = [&](const char* name) {
    return Call("GET", base_ + "/sim/state").json["stats"][name];
  };
  ASSERT_TRUE(testing::WaitFor([&] { return stat("running_requests") == 1; }));
  leave.request_stop();
  client.join();
  ASSERT_TRUE(testing::WaitFor([&] { return stat("requests_ok") == 1; }));
  EXPECT_EQ(stat("requests_cancelled"), 0);
}

TEST_F(SdcppFront, FailedGenerationIs500WithSdServersText) {
  Start();
  SetFaults(R"({"error_rate":1})");
  auto r = Call("POST", base_ + "/sdapi/v1/txt2img",
                R"({"prompt":"x","width":256,"height":256})");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.json, json({{"error", "generate_image returned no results"}}));
}

TEST_F(SdcppFront, ModelsAndCapabilities) {
  Start(/*max_queue=*/5);
  auto models = Call("GET", base_ + "/v1/models");
  EXPECT_EQ(models.json["data"][0]["id"], "sd-cpp-local");
  auto caps = Call("GET", base_ + "/sdcpp/v1/capabilities");
  EXPECT_EQ(caps.json["limits"]["max_queue_size"], 5);
  EXPECT_EQ(caps.json["defaults"]["sample_params"]["sample_steps"], 20);
}

}  // namespace
}  // namespace zimon::sim
