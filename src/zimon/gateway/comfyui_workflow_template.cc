#include "zimon/gateway/comfyui_workflow_template.h"

#include <filesystem>
#include <system_error>
#include <vector>

namespace zimon::gateway {
namespace {

using nlohmann::json;

// Nodes between KSampler and a CLIPTextEncode are followed at most this deep.
constexpr int kMaxConditioningHops = 16;

// The source node id of a link input ["<id>", slot], or "".
std::string LinkSource(const json& node, const char* input) {
  const json& inputs = node["inputs"];
  auto it = inputs.find(input);
  if (it == inputs.end() || !it->is_array() || it->size() != 2 ||
      !(*it)[0].is_string()) {
    return "";
  }
  return (*it)[0].get<std::string>();
}

std::string ClassOf(const json& graph, const std::string& id) {
  auto it = graph.find(id);
  if (it == graph.end()) return "";
  return (*it)["class_type"].get<std::string>();
}

// The CLIPTextEncode that KSampler's `input` leads to, or "".
std::string FindTextEncoder(const json& graph, const json& sampler,
                            const char* input) {
  std::string id = LinkSource(sampler, input);
  for (int hop = 0; hop < kMaxConditioningHops && !id.empty(); ++hop) {
    auto it = graph.find(id);
    if (it == graph.end()) return "";
    if ((*it)["class_type"] == "CLIPTextEncode") return id;
    id = LinkSource(*it, "conditioning");
  }
  return "";
}

Status LiteralInputs(const json& graph, const std::string& id,
                     std::initializer_list<const char*> names,
                     std::string_view file) {
  const json& inputs = graph[id]["inputs"];
  for (const char* name : names) {
    auto it = inputs.find(name);
    if (it == inputs.end() || it->is_array() || it->is_object()) {
      return InvalidArgumentError(std::string(file) + ": node " + id + " (" +
                                  ClassOf(graph, id) + ") needs a literal \"" +
                                  name + "\" input for the gateway to set");
    }
  }
  return OkStatus();
}

}  // namespace

StatusOr<ComfyWorkflowTemplate> ComfyWorkflowTemplate::Parse(
    std::string_view text, std::string_view name) {
  std::string file(name);
  json graph = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (graph.is_discarded()) {
    return InvalidArgumentError(file + ": not valid JSON");
  }
  if (!graph.is_object() || graph.empty()) {
    return InvalidArgumentError(file +
                                ": not a ComfyUI API-format workflow (a JSON "
                                "object of nodes)");
  }
  if (graph.contains("nodes") && graph.contains("links")) {
    return InvalidArgumentError(
        file +
        ": this is ComfyUI's UI format; export the workflow with "
        "\"Save (API Format)\"");
  }
  std::vector<std::string> samplers;
  bool has_save = false;
  for (const auto& [id, node] : graph.items()) {
    if (!node.is_object() || !node.contains("class_type") ||
        !node["class_type"].is_string() || !node.contains("inputs") ||
        !node["inputs"].is_object()) {
      return InvalidArgumentError(file + ": node " + id +
                                  " needs a \"class_type\" string and an "
                                  "\"inputs\" object");
    }
    const std::string& type = node["class_type"].get_ref<const std::string&>();
    if (type == "KSampler") samplers.push_back(id);
    if (type == "SaveImage") has_save = true;
  }
  if (samplers.empty()) {
    return InvalidArgumentError(file + ": no KSampler node");
  }
  if (samplers.size() > 1) {
    return InvalidArgumentError(file + ": " + std::to_string(samplers.size()) +
                                " KSampler nodes; the gateway needs exactly "
                                "one");
  }
  if (!has_save) {
    return InvalidArgumentError(file + ": no SaveImage node");
  }
  ComfyWorkflowTemplate t;
  t.sampler_ = samplers.front();
  const json& sampler = graph[t.sampler_];
  ZIMON_RETURN_IF_ERROR(
      LiteralInputs(graph, t.sampler_, {"seed", "steps", "cfg"}, file));
  t.positive_ = FindTextEncoder(graph, sampler, "positive");
  if (t.positive_.empty()) {
    return InvalidArgumentError(file + ": KSampler " + t.sampler_ +
                                "'s positive input does not lead to a "
                                "CLIPTextEncode node");
  }
  ZIMON_RETURN_IF_ERROR(LiteralInputs(graph, t.positive_, {"text"}, file));
  std::string negative = FindTextEncoder(graph, sampler, "negative");
  if (negative != t.positive_) t.negative_ = negative;
  if (!t.negative_.empty()) {
    ZIMON_RETURN_IF_ERROR(LiteralInputs(graph, t.negative_, {"text"}, file));
  }
  t.latent_ = LinkSource(sampler, "latent_image");
  if (t.latent_.empty() || !graph.contains(t.latent_)) {
    return InvalidArgumentError(file + ": KSampler " + t.sampler_ +
                                "'s latent_image is not linked to a node");
  }
  ZIMON_RETURN_IF_ERROR(
      LiteralInputs(graph, t.latent_, {"width", "height", "batch_size"}, file));
  t.graph_ = std::move(graph);
  return t;
}

StatusOr<ComfyWorkflowTemplate> ComfyWorkflowTemplate::Load(
    const std::string& path, FileSystem& fs) {
  StatusOr<std::string> text = fs.ReadFile(path);
  if (!text.ok()) {
    std::string message(text.status().message());
    if (message.find(path) == std::string::npos) {
      message = path + ": " + message;
    }
    if (!path.empty() && std::filesystem::path(path).is_relative()) {
      std::error_code ec;
      const std::filesystem::path cwd = std::filesystem::current_path(ec);
      if (!ec) {
        message += " (a relative path is taken from the working directory, " +
                   cwd.string() + ")";
      }
    }
    return Status(text.status().code(), "comfyui workflow template " + message);
  }
  return Parse(*text, "comfyui workflow template " + path);
}

json ComfyWorkflowTemplate::Instantiate(const ImageRequest& request,
                                        uint64_t seed) const {
  json graph = graph_;
  json& sampler = graph[sampler_]["inputs"];
  sampler["seed"] = seed;
  if (request.steps) sampler["steps"] = *request.steps;
  if (request.guidance_scale) {
    double cfg = *request.guidance_scale;
    sampler["cfg"] = cfg >= 1.0 ? cfg : 1.0;
  }
  graph[positive_]["inputs"]["text"] = request.prompt;
  if (!negative_.empty() && !request.negative_prompt.empty()) {
    graph[negative_]["inputs"]["text"] = request.negative_prompt;
  }
  json& latent = graph[latent_]["inputs"];
  latent["width"] = request.width;
  latent["height"] = request.height;
  latent["batch_size"] = request.n;
  return graph;
}

bool ComfyWorkflowTemplate::IsRequestNode(const std::string& id) const {
  return id == sampler_ || id == positive_ || id == latent_ ||
         (!negative_.empty() && id == negative_);
}

}  // namespace zimon::gateway
