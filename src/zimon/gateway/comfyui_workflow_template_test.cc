#include "zimon/gateway/comfyui_workflow_template.h"

#include <gtest/gtest.h>

#include "zimon/testing/in_memory_file_system.h"

namespace zimon::gateway {
namespace {

using nlohmann::json;

// The shipped template, read from the source tree.
std::string ShippedPath() {
  return std::string(ZIMON_TEST_DATA_DIR) +
         "/../../deploy/comfyui/zimage_turbo_workflow.json";
}

json Graph() {
  StatusOr<std::string> text = LocalFileSystem().ReadFile(ShippedPath());
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return json::parse(text.ok() ? *text : "{}");
}

StatusOr<ComfyWorkflowTemplate> ParseGraph(const json& graph) {
  return ComfyWorkflowTemplate::Parse(graph.dump(), "wf.json");
}

void ExpectError(const json& graph, const std::string& words) {
  StatusOr<ComfyWorkflowTemplate> t = ParseGraph(graph);
  ASSERT_FALSE(t.ok()) << graph.dump();
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("wf.json: "), std::string::npos)
      << t.status().message();
  EXPECT_NE(t.status().message().find(words), std::string::npos)
      << t.status().message();
}

TEST(ComfyWorkflowTemplate, FindsTheNodesOfTheShippedTemplate) {
  StatusOr<ComfyWorkflowTemplate> t =
      ComfyWorkflowTemplate::Load(ShippedPath(), LocalFileSystem());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->sampler_node(), "8");
  EXPECT_EQ(t->positive_node(), "5");
  EXPECT_EQ(t->negative_node(), "");  // ConditioningZeroOut of the positive
  EXPECT_EQ(t->latent_node(), "7");
  EXPECT_TRUE(t->IsRequestNode("8"));
  EXPECT_FALSE(t->IsRequestNode("1"));
}

TEST(ComfyWorkflowTemplate, InjectsPromptSeedSizeStepsAndBatch) {
  StatusOr<ComfyWorkflowTemplate> t = ParseGraph(Graph());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ImageRequest r;
  r.prompt = "a lighthouse \"in\" a storm";
  r.width = 512;
  r.height = 768;
  r.n = 3;
  json g = t->Instantiate(r, 1234567890123ULL);
  EXPECT_EQ(g["5"]["inputs"]["text"], r.prompt);
  EXPECT_EQ(g["8"]["inputs"]["seed"], 1234567890123ULL);
  EXPECT_EQ(g["8"]["inputs"]["steps"], 8);  // the template's
  EXPECT_EQ(g["8"]["inputs"]["cfg"], 1);
  EXPECT_EQ(g["7"]["inputs"]["width"], 512);
  EXPECT_EQ(g["7"]["inputs"]["height"], 768);
  EXPECT_EQ(g["7"]["inputs"]["batch_size"], 3);
  // Links and the other nodes are untouched.
  EXPECT_EQ(g["8"]["inputs"]["positive"], json::array({"5", 0}));
  EXPECT_EQ(g["1"], Graph()["1"]);

  r.steps = 12;
  r.guidance_scale = 0.0;  // diffusers' "off" is ComfyUI's cfg 1
  g = t->Instantiate(r, 1);
  EXPECT_EQ(g["8"]["inputs"]["steps"], 12);
  EXPECT_EQ(g["8"]["inputs"]["cfg"], 1.0);
  r.guidance_scale = 3.5;
  EXPECT_EQ(t->Instantiate(r, 1)["8"]["inputs"]["cfg"], 3.5);
}

TEST(ComfyWorkflowTemplate, FollowsConditioningToATextEncoderAndNegative) {
  json g = Graph();
  // A separate negative CLIPTextEncode, and a pass-through node on positive.
  g["11"] = {{"class_type", "CLIPTextEncode"},
             {"inputs", {{"text", "blurry"}, {"clip", {"2", 0}}}}};
  g["12"] = {{"class_type", "ConditioningZeroOut"},
             {"inputs", {{"conditioning", {"5", 0}}}}};
  g["8"]["inputs"]["negative"] = {"11", 0};
  g["8"]["inputs"]["positive"] = {"12", 0};
  StatusOr<ComfyWorkflowTemplate> t = ParseGraph(g);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->positive_node(), "5");
  EXPECT_EQ(t->negative_node(), "11");
  ImageRequest r;
  r.prompt = "cat";
  EXPECT_EQ(t->Instantiate(r, 1)["11"]["inputs"]["text"], "blurry");
  r.negative_prompt = "dogs";
  EXPECT_EQ(t->Instantiate(r, 1)["11"]["inputs"]["text"], "dogs");
}

TEST(ComfyWorkflowTemplate, LoadNamesAMissingFile) {
  testing::InMemoryFileSystem fs;
  StatusOr<ComfyWorkflowTemplate> t =
      ComfyWorkflowTemplate::Load("/nowhere/wf.json", fs);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
  EXPECT_NE(t.status().message().find("/nowhere/wf.json"), std::string::npos)
      << t.status().message();
}

TEST(ComfyWorkflowTemplate, RejectsTextThatIsNotAnApiGraph) {
  testing::InMemoryFileSystem fs;
  ASSERT_TRUE(fs.WriteFileAtomic("wf.json", "{not json").ok());
  StatusOr<ComfyWorkflowTemplate> t =
      ComfyWorkflowTemplate::Load("wf.json", fs);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("wf.json: not valid JSON"),
            std::string::npos)
      << t.status().message();
  ExpectError(json::array({1, 2}), "not a ComfyUI API-format workflow");
  ExpectError(json::object(), "not a ComfyUI API-format workflow");
  ExpectError(json{{"nodes", json::array()}, {"links", json::array()}},
              "Save (API Format)");
  ExpectError(json{{"1", {{"inputs", json::object()}}}}, "class_type");
}

TEST(ComfyWorkflowTemplate, RejectsGraphsWithoutTheNodesItFillsIn) {
  json no_sampler = Graph();
  no_sampler.erase("8");
  ExpectError(no_sampler, "no KSampler node");

  json two = Graph();
  two["20"] = two["8"];
  ExpectError(two, "2 KSampler nodes");

  json no_save = Graph();
  no_save.erase("10");
  ExpectError(no_save, "no SaveImage node");

  json linked_seed = Graph();
  linked_seed["8"]["inputs"]["seed"] = {"3", 0};
  ExpectError(linked_seed, "literal \"seed\"");

  json no_text = Graph();
  no_text["8"]["inputs"]["positive"] = {"6", 0};  // ZeroOut of "5": fine
  EXPECT_TRUE(ParseGraph(no_text).ok());
  no_text["8"]["inputs"]["positive"] = {"1", 0};  // a loader
  ExpectError(no_text, "does not lead to a CLIPTextEncode");

  json no_latent = Graph();
  no_latent["8"]["inputs"]["latent_image"] = {"99", 0};
  ExpectError(no_latent, "latent_image");

  json no_batch = Graph();
  no_batch["7"]["inputs"].erase("batch_size");
  ExpectError(no_batch, "literal \"batch_size\"");
}

}  // namespace
}  // namespace zimon::gateway
