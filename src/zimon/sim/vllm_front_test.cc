#include "zimon/sim/vllm_front.h"

#include <gtest/gtest.h>

#include "zimon/sim/sim_server_test_util.h"

namespace zimon::sim {
namespace {

using nlohmann::json;
using testing::Call;
using testing::MustDecode;

class VllmFront : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = testing::MustStart(
        testing::FastOptions(ApiFlavour::kVllmOmni, RegisterVllmOmniApi));
    ASSERT_NE(sim_, nullptr);
    url_ = sim_->base_url() + "/v1/images/generations";
  }
  testing::Reply Generate(const std::string& body) {
    return Call("POST", url_, body);
  }
  // The first validation error of a 422.
  json Detail(const std::string& body) {
    testing::Reply r = Generate(body);
    EXPECT_EQ(r.status, 422) << r.body;
    if (!r.json.is_object() || !r.json["detail"].is_array() ||
        r.json["detail"].empty()) {
      ADD_FAILURE() << r.body;
      return json::object();
    }
    return r.json["detail"][0];
  }

  std::unique_ptr<SimServer> sim_;
  std::string url_;
};

TEST_F(VllmFront, GeneratesPngsOfTheRequestedSize) {
  auto r =
      Generate(R"({"prompt":"a lighthouse","size":"512x384","n":2,"seed":7})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json["created"].is_number_integer());
  EXPECT_EQ(r.json["output_format"], "png");
  EXPECT_EQ(r.json["size"], "512x384");
  EXPECT_TRUE(r.json["metrics"].is_null());
  ASSERT_EQ(r.json["data"].size(), 2u);
  for (const json& item : r.json["data"]) {
    EXPECT_TRUE(item["url"].is_null());
    EXPECT_TRUE(item["revised_prompt"].is_null());
    DecodedImage img = MustDecode(item["b64_json"]);
    EXPECT_EQ(img.size, (ImageSize{512, 384}));
    EXPECT_FALSE(testing::AllZero(img));
  }
  EXPECT_FALSE(r.json["data"][0]["b64_json"] == r.json["data"][1]["b64_json"]);
  // Deterministic for (prompt, seed).
  auto again =
      Generate(R"({"prompt":"a lighthouse","size":"512x384","n":1,"seed":7})");
  ASSERT_EQ(again.status, 200);
  EXPECT_TRUE(again.json["data"][0]["b64_json"] ==
              r.json["data"][0]["b64_json"]);
}

TEST_F(VllmFront, DefaultsTo1024Square) {
  auto r = Generate(R"({"prompt":"a cat"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["size"], "1024x1024");
  EXPECT_EQ(MustDecode(r.json["data"][0]["b64_json"]).size,
            (ImageSize{1024, 1024}));
}

TEST_F(VllmFront, FileFormatReturnsThePngOrAZip) {
  auto one = Generate(
      R"({"prompt":"a cat","size":"256x256","response_format":"file"})");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.headers.GetOr("Content-Type", ""), "image/png");
  EXPECT_NE(one.headers.GetOr("Content-Disposition", "").find("attachment"),
            std::string::npos);
  ASSERT_TRUE(DecodePng(one.body).ok());
  EXPECT_EQ(DecodePng(one.body)->size, (ImageSize{256, 256}));

  auto two = Generate(
      R"({"prompt":"a cat","size":"256x256","response_format":"file","n":2})");
  ASSERT_EQ(two.status, 200);
  EXPECT_EQ(two.headers.GetOr("Content-Type", ""), "application/zip");
  EXPECT_EQ(two.body.substr(0, 4), std::string("PK\x03\x04", 4));
}

TEST_F(VllmFront, ValidationErrorsHaveFastApiShape) {
  json missing = Detail(R"({"n":1})");
  EXPECT_EQ(missing["type"], "missing");
  EXPECT_EQ(missing["loc"], json::array({"body", "prompt"}));
  EXPECT_EQ(missing["msg"], "Field required");

  EXPECT_EQ(Detail("{not json")["type"], "json_invalid");
  EXPECT_EQ(Detail("[1,2]")["type"], "model_attributes_type");
  EXPECT_EQ(Detail(R"({"prompt":5})")["type"], "string_type");

  json low = Detail(R"({"prompt":"x","n":0})");
  EXPECT_EQ(low["type"], "greater_than_equal");
  EXPECT_EQ(low["loc"], json::array({"body", "n"}));
  EXPECT_EQ(low["ctx"]["ge"], 1);
  EXPECT_EQ(Detail(R"({"prompt":"x","n":11})")["type"], "less_than_equal");
  EXPECT_EQ(Detail(R"({"prompt":"x","n":"abc"})")["type"], "int_parsing");
  EXPECT_EQ(Detail(R"({"prompt":"x","n":1.5})")["type"], "int_from_float");
  EXPECT_EQ(Detail(R"({"prompt":"x","num_inference_steps":0})")["type"],
            "greater_than_equal");
  EXPECT_EQ(Detail(R"({"prompt":"x","guidance_scale":"high"})")["type"],
            "float_parsing");
  json url = Detail(R"({"prompt":"x","response_format":"url"})");
  EXPECT_EQ(url["type"], "value_error");
  EXPECT_NE(url["msg"].get<std::string>().find("Only 'b64_json' or 'file'"),
            std::string::npos);
  // A string number is accepted, as pydantic's lax mode does.
  EXPECT_EQ(Generate(R"({"prompt":"x","n":"1","size":"256x256"})").status, 200);
}

TEST_F(VllmFront, BadSizeIs400WithDetailString) {
  auto r = Generate(R"({"prompt":"x","size":"1024x"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json["detail"],
            "Invalid size format: '1024x'. Expected format: 'WIDTHxHEIGHT' "
            "(e.g., '1024x1024').");
  auto odd = Generate(R"({"prompt":"x","size":"1000x1000"})");
  EXPECT_EQ(odd.status, 400);
  EXPECT_TRUE(odd.json["detail"].is_string());
  auto steps = Generate(R"({"prompt":"x","num_inference_steps":17})");
  EXPECT_EQ(steps.status, 400);
  EXPECT_TRUE(steps.json["detail"].is_string());
}

TEST_F(VllmFront, ModelsListTheServedModel) {
  auto r = Call("GET", sim_->base_url() + "/v1/models");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["object"], "list");
  EXPECT_EQ(r.json["data"][0]["id"], "Tongyi-MAI/Z-Image-Turbo");
}

TEST_F(VllmFront, MetricsUseVllmOmniNames) {
  ASSERT_EQ(Generate(R"({"prompt":"x","size":"256x256"})").status, 200);
  auto r = Call("GET", sim_->base_url() + "/metrics");
  ASSERT_EQ(r.status, 200);
  for (const char* needle :
       {"vllm_omni:num_requests_running{model_name=\"Tongyi-MAI/"
        "Z-Image-Turbo\"} 0",
        "vllm_omni:num_requests_waiting{model_name=\"Tongyi-MAI/"
        "Z-Image-Turbo\"} 0",
        "vllm_omni:requests_success_total{model_name=\"Tongyi-MAI/"
        "Z-Image-Turbo\",finished_reason=\"stop\"} 1",
        "vllm_omni:e2e_request_latency_s_count{model_name=\"Tongyi-MAI/"
        "Z-Image-Turbo\"} 1"}) {
    EXPECT_NE(r.body.find(needle), std::string::npos) << needle << "\n"
                                                      << r.body;
  }
}

TEST_F(VllmFront, ErrorFaultGives500WithCudaText) {
  ASSERT_EQ(
      Call("POST", sim_->base_url() + "/sim/faults", R"({"error_rate":1})")
          .status,
      200);
  auto r = Generate(R"({"prompt":"x","size":"256x256"})");
  EXPECT_EQ(r.status, 500);
  std::string detail = r.json["detail"];
  EXPECT_NE(detail.find("CUDA error"), std::string::npos) << detail;
  auto metrics = Call("GET", sim_->base_url() + "/metrics");
  EXPECT_NE(metrics.body.find("finished_reason=\"abort\""), std::string::npos);
}

TEST_F(VllmFront, BlackFaultGivesBlackPng) {
  ASSERT_EQ(
      Call("POST", sim_->base_url() + "/sim/faults", R"({"black_rate":1})")
          .status,
      200);
  auto r = Generate(R"({"prompt":"x","size":"256x256"})");
  ASSERT_EQ(r.status, 200);
  DecodedImage img = MustDecode(r.json["data"][0]["b64_json"]);
  EXPECT_EQ(img.size, (ImageSize{256, 256}));
  EXPECT_TRUE(testing::AllZero(img));
}

TEST_F(VllmFront, HangIsNeverAnsweredAndTheRequestIsCancelled) {
  ASSERT_EQ(Call("POST", sim_->base_url() + "/sim/faults", R"({"hang_rate":1})")
                .status,
            200);
  http::ClientRequest req("POST", url_, R"({"prompt":"x","size":"256x256"})");
  req.timeout = std::chrono::milliseconds(300);
  StatusOr<http::Response> r = http::Fetch(req);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(testing::WaitFor(
      [&] { return sim_->engine().Stats().requests_cancelled == 1; }));
}

TEST(VllmFrontOom, TooBigForTheCardIs500WithPyTorchText) {
  auto opt = testing::FastOptions(ApiFlavour::kVllmOmni, RegisterVllmOmniApi);
  opt.engine.profile.vram_bytes = 21 * kGiB;  // weights fit, 2048² does not
  auto sim = testing::MustStart(std::move(opt));
  ASSERT_NE(sim, nullptr);
  auto r = Call("POST", sim->base_url() + "/v1/images/generations",
                R"({"prompt":"x","size":"2048x2048"})");
  EXPECT_EQ(r.status, 500);
  std::string detail = r.json["detail"];
  EXPECT_NE(detail.find("CUDA out of memory"), std::string::npos) << detail;
}

}  // namespace
}  // namespace zimon::sim
