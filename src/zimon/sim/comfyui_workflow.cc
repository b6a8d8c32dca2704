#include "zimon/sim/comfyui_workflow.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <set>

namespace zimon::sim::comfy {
namespace {

using json = nlohmann::json;

enum class Kind { kInt, kFloat, kString, kCombo, kLink };

struct InputSpec {
  std::string name;
  Kind kind;
  std::string type;  // link type ("MODEL") or "INT", "FLOAT", "STRING"
  double min = 0, max = 0, def = 0, step = 0;
  std::vector<std::string> options;  // kCombo
  bool optional = false;
};

struct NodeSpec {
  std::string class_type, display_name, category, description;
  std::vector<InputSpec> inputs;
  std::vector<std::string> outputs;
  bool output_node = false;
};

constexpr double kMaxResolution = 16384;
constexpr double kMaxSeed = 18446744073709551615.0;

InputSpec Link(std::string name, std::string type) {
  return {std::move(name), Kind::kLink, std::move(type)};
}
InputSpec Int(std::string name, double def, double min, double max,
              double step = 1) {
  return {std::move(name), Kind::kInt, "INT", min, max, def, step};
}
InputSpec Float(std::string name, double def, double min, double max,
                double step) {
  return {std::move(name), Kind::kFloat, "FLOAT", min, max, def, step};
}
InputSpec Combo(std::string name, std::vector<std::string> options,
                bool optional = false) {
  InputSpec s{std::move(name), Kind::kCombo, "COMBO"};
  s.options = std::move(options);
  s.optional = optional;
  return s;
}
InputSpec String(std::string name, double def = 0) {
  InputSpec s{std::move(name), Kind::kString, "STRING"};
  s.def = def;
  return s;
}

const std::vector<NodeSpec>& Nodes() {
  static const auto* nodes = new std::vector<NodeSpec>{
      {"UNETLoader",
       "Load Diffusion Model",
       "advanced/loaders",
       "",
       {Combo("unet_name", {"z_image_turbo_bf16.safetensors"}),
        Combo("weight_dtype",
              {"default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"})},
       {"MODEL"}},
      {"CLIPLoader",
       "Load CLIP",
       "advanced/loaders",
       "",
       {Combo("clip_name", {"qwen_3_4b.safetensors"}),
        Combo("type",
              {"stable_diffusion", "stable_cascade", "sd3", "stable_audio",
               "mochi", "ltxv", "pixart", "cosmos", "lumina2", "wan", "hidream",
               "chroma", "ace", "omnigen2", "qwen_image", "hunyuan_image"}),
        Combo("device", {"default", "cpu"}, /*optional=*/true)},
       {"CLIP"}},
      {"VAELoader",
       "Load VAE",
       "loaders",
       "",
       {Combo("vae_name", {"ae.safetensors"})},
       {"VAE"}},
      {"ModelSamplingAuraFlow",
       "ModelSamplingAuraFlow",
       "advanced/model",
       "",
       {Link("model", "MODEL"), Float("shift", 1.73, 0, 100, 0.01)},
       {"MODEL"}},
      {"CLIPTextEncode",
       "CLIP Text Encode (Prompt)",
       "conditioning",
       "Encodes a text prompt using a CLIP model into an embedding that can "
       "be used to guide the diffusion model towards generating specific "
       "images.",
       {String("text"), Link("clip", "CLIP")},
       {"CONDITIONING"}},
      {"ConditioningZeroOut",
       "ConditioningZeroOut",
       "advanced/conditioning",
       "",
       {Link("conditioning", "CONDITIONING")},
       {"CONDITIONING"}},
      {"EmptySD3LatentImage",
       "EmptySD3LatentImage",
       "latent/sd3",
       "",
       {Int("width", 1024, 16, kMaxResolution, 16),
        Int("height", 1024, 16, kMaxResolution, 16),
        Int("batch_size", 1, 1, 4096)},
       {"LATENT"}},
      {"EmptyLatentImage",
       "Empty Latent Image",
       "latent",
       "Create a new batch of empty latent images to be denoised via "
       "sampling.",
       {Int("width", 512, 16, kMaxResolution, 8),
        Int("height", 512, 16, kMaxResolution, 8),
        Int("batch_size", 1, 1, 4096)},
       {"LATENT"}},
      {"KSampler",
       "KSampler",
       "sampling",
       "Uses the provided model, positive and negative conditioning to "
       "denoise the latent image.",
       {Link("model", "MODEL"), Int("seed", 0, 0, kMaxSeed),
        Int("steps", 20, 1, 10000), Float("cfg", 8.0, 0, 100, 0.1),
        Combo("sampler_name", {"euler",
                               "euler_cfg_pp",
                               "euler_ancestral",
                               "euler_ancestral_cfg_pp",
                               "heun",
                               "heunpp2",
                               "dpm_2",
                               "dpm_2_ancestral",
                               "lms",
                               "dpm_fast",
                               "dpm_adaptive",
                               "dpmpp_2s_ancestral",
                               "dpmpp_2s_ancestral_cfg_pp",
                               "dpmpp_sde",
                               "dpmpp_sde_gpu",
                               "dpmpp_2m",
                               "dpmpp_2m_cfg_pp",
                               "dpmpp_2m_sde",
                               "dpmpp_2m_sde_gpu",
                               "dpmpp_3m_sde",
                               "dpmpp_3m_sde_gpu",
                               "ddpm",
                               "lcm",
                               "ipndm",
                               "ipndm_v",
                               "deis",
                               "res_multistep",
                               "res_multistep_cfg_pp",
                               "res_multistep_ancestral",
                               "res_multistep_ancestral_cfg_pp",
                               "gradient_estimation",
                               "er_sde",
                               "seeds_2",
                               "seeds_3",
                               "sa_solver",
                               "ddim",
                               "uni_pc",
                               "uni_pc_bh2"}),
        Combo("scheduler",
              {"simple", "sgm_uniform", "karras", "exponential", "ddim_uniform",
               "beta", "normal", "linear_quadratic", "kl_optimal"}),
        Link("positive", "CONDITIONING"), Link("negative", "CONDITIONING"),
        Link("latent_image", "LATENT"), Float("denoise", 1.0, 0, 1, 0.01)},
       {"LATENT"}},
      {"VAEDecode",
       "VAE Decode",
       "latent",
       "Decodes latent images back into pixel space images.",
       {Link("samples", "LATENT"), Link("vae", "VAE")},
       {"IMAGE"}},
      {"SaveImage",
       "Save Image",
       "image",
       "Saves the input images to your ComfyUI output directory.",
       {Link("images", "IMAGE"), String("filename_prefix")},
       {},
       /*output_node=*/true},
  };
  return *nodes;
}

// A node's inputs, or an empty object when it has none.
const json& InputsOf(const json& node) {
  static const auto* empty = new json(json::object());
  auto it = node.find("inputs");
  return it != node.end() && it->is_object() ? *it : *empty;
}

const NodeSpec* FindNode(const std::string& class_type) {
  for (const NodeSpec& n : Nodes()) {
    if (n.class_type == class_type) return &n;
  }
  return nullptr;
}

json MakeError(std::string type, std::string message, std::string details,
               json extra = json::object()) {
  return {{"type", std::move(type)},
          {"message", std::move(message)},
          {"details", std::move(details)},
          {"extra_info", std::move(extra)}};
}

// Python's str() of a number as ComfyUI prints it in messages.
std::string PyNumber(const json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::floor(d) == d && std::fabs(d) < 1e16) {
      return std::to_string(static_cast<int64_t>(d)) + ".0";
    }
    return v.dump();
  }
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string PyList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i ? ", '" : "'") + items[i] + "'";
  }
  return out + "]";
}

// Converts a widget value as ComfyUI does (int(), float()); nullopt when it
// cannot.
std::optional<double> ToNumber(const json& v, bool integer) {
  double d;
  if (v.is_boolean()) {
    d = v.get<bool>() ? 1 : 0;
  } else if (v.is_number()) {
    d = v.get<double>();
  } else if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    d = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) return std::nullopt;
    if (integer && s.find_first_of(".eE") != std::string::npos)
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (!std::isfinite(d)) return std::nullopt;
  return integer ? std::trunc(d) : d;
}

class Validator {
 public:
  explicit Validator(const json& prompt) : prompt_(prompt) {}

  // True when `id` and everything it links to is valid; errors are recorded
  // per node.
  bool Validate(const std::string& id) {
    if (auto it = valid_.find(id); it != valid_.end()) return it->second;
    valid_[id] = true;  // breaks cycles; fixed below
    const json& node = prompt_.at(id);
    const NodeSpec& spec = *FindNode(node["class_type"].get<std::string>());
    const json& inputs = InputsOf(node);
    json errors = json::array();
    bool ok = true;
    for (const InputSpec& in : spec.inputs) {
      if (!inputs.contains(in.name)) {
        if (in.optional) continue;
        errors.push_back(MakeError("required_input_missing",
                                   "Required input is missing", in.name,
                                   {{"input_name", in.name}}));
        continue;
      }
      const json& v = inputs[in.name];
      if (v.is_array()) {
        ok = CheckLink(in, v, errors) && ok;
        continue;
      }
      if (in.kind == Kind::kLink) {
        errors.push_back(MakeError(
            "bad_linked_input",
            "Bad linked input, must be a length-2 list of [node_id, "
            "slot_index]",
            in.name, {{"input_name", in.name}, {"received_value", v}}));
        continue;
      }
      CheckValue(in, v, errors);
    }
    bool valid = ok && errors.empty();
    if (!errors.empty()) errors_[id] = std::move(errors);
    valid_[id] = valid;
    return valid;
  }

  const std::map<std::string, json>& errors() const { return errors_; }

  // The nodes `id` depends on, itself included.
  void Collect(const std::string& id, std::set<std::string>& out) const {
    if (!out.insert(id).second) return;
    for (const auto& [name, v] : InputsOf(prompt_.at(id)).items()) {
      if (IsLink(v) && prompt_.contains(v[0].get<std::string>())) {
        Collect(v[0].get<std::string>(), out);
      }
    }
  }

  static bool IsLink(const json& v) {
    return v.is_array() && v.size() == 2 && v[0].is_string() &&
           v[1].is_number_integer();
  }

 private:
  bool CheckLink(const InputSpec& in, const json& v, json& errors) {
    if (!IsLink(v) || !prompt_.contains(v[0].get<std::string>())) {
      errors.push_back(MakeError(
          "bad_linked_input",
          "Bad linked input, must be a length-2 list of [node_id, slot_index]",
          in.name, {{"input_name", in.name}, {"received_value", v}}));
      return false;
    }
    std::string from = v[0].get<std::string>();
    int slot = v[1].get<int>();
    const NodeSpec& src =
        *FindNode(prompt_.at(from)["class_type"].get<std::string>());
    std::string received =
        slot >= 0 && slot < static_cast<int>(src.outputs.size())
            ? src.outputs[slot]
            : "";
    if (received != in.type) {
      errors.push_back(MakeError("return_type_mismatch",
                                 "Return type mismatch between linked nodes",
                                 in.name + ", received_type(" + received +
                                     ") mismatch input_type(" + in.type + ")",
                                 {{"input_name", in.name},
                                  {"received_type", received},
                                  {"linked_node", v}}));
      return false;
    }
    return Validate(from);
  }

  static void CheckValue(const InputSpec& in, const json& v, json& errors) {
    json extra = {{"input_name", in.name}, {"received_value", v}};
    switch (in.kind) {
      case Kind::kInt:
      case Kind::kFloat: {
        std::optional<double> d = ToNumber(v, in.kind == Kind::kInt);
        if (!d) {
          errors.push_back(MakeError(
              "invalid_input_type",
              "Failed to convert an input value to a " + in.type + " value",
              in.name + ", " + PyNumber(v), extra));
        } else if (*d < in.min) {
          errors.push_back(MakeError("value_smaller_than_min",
                                     "Value " + PyNumber(v) +
                                         " smaller than min of " +
                                         PyNumber(json(in.min)),
                                     in.name, extra));
        } else if (*d > in.max) {
          errors.push_back(MakeError("value_bigger_than_max",
                                     "Value " + PyNumber(v) +
                                         " bigger than max of " +
                                         PyNumber(json(in.max)),
                                     in.name, extra));
        }
        break;
      }
      case Kind::kCombo: {
        std::string s = v.is_string() ? v.get<std::string>() : v.dump();
        if (std::find(in.options.begin(), in.options.end(), s) ==
            in.options.end()) {
          errors.push_back(MakeError(
              "value_not_in_list", "Value not in list",
              in.name + ": '" + s + "' not in " + PyList(in.options), extra));
        }
        break;
      }
      case Kind::kString:
      case Kind::kLink:
        break;
    }
  }

  const json& prompt_;
  std::map<std::string, bool> valid_;
  std::map<std::string, json> errors_;
};

// Node ids in ComfyUI's order: numeric ids by value, then the others.
bool IdLess(const std::string& a, const std::string& b) {
  auto numeric = [](const std::string& s) {
    return !s.empty() && s.size() < 18 &&
           std::all_of(s.begin(), s.end(), ::isdigit);
  };
  bool na = numeric(a), nb = numeric(b);
  if (na != nb) return na;
  if (na) return std::stoll(a) < std::stoll(b);
  return a < b;
}

std::string LinkedId(const json& node, const std::string& input) {
  return node["inputs"][input][0].get<std::string>();
}

WorkflowError SimLimit(const std::string& message) {
  return {MakeError("invalid_prompt", message, "", json::object()),
          json::object()};
}

// Fills the job from the valid outputs; an error for graphs the simulator
// cannot run.
std::variant<WorkflowJob, WorkflowError> BuildJob(
    const json& prompt, const std::vector<std::string>& outputs,
    const Validator& validator) {
  WorkflowJob job;
  std::optional<std::string> sampler;
  for (const std::string& out : outputs) {
    const json& save = prompt[out];
    std::string decode = LinkedId(save, "images");
    std::string latent = LinkedId(prompt[decode], "samples");
    if (prompt[latent]["class_type"] != "KSampler") {
      return SimLimit("The simulator needs a KSampler before VAEDecode (node " +
                      decode + ").");
    }
    if (sampler && *sampler != latent) {
      return SimLimit(
          "The simulator runs one KSampler per prompt; outputs use " +
          *sampler + " and " + latent + ".");
    }
    sampler = latent;
    job.outputs.push_back(out);
    job.filename_prefix[out] =
        save["inputs"]["filename_prefix"].is_string()
            ? save["inputs"]["filename_prefix"].get<std::string>()
            : save["inputs"]["filename_prefix"].dump();
  }
  const json& ks = prompt[*sampler]["inputs"];
  job.sampler_node = *sampler;
  job.seed = static_cast<uint64_t>(*ToNumber(ks["seed"], true));
  job.steps = static_cast<int>(*ToNumber(ks["steps"], true));
  job.cfg = *ToNumber(ks["cfg"], false);
  const json& latent = prompt[LinkedId(prompt[*sampler], "latent_image")];
  job.width = static_cast<int>(*ToNumber(latent["inputs"]["width"], true));
  job.height = static_cast<int>(*ToNumber(latent["inputs"]["height"], true));
  job.batch_size =
      static_cast<int>(*ToNumber(latent["inputs"]["batch_size"], true));
  // The positive text: follow conditioning links back to a CLIPTextEncode.
  std::string cond = LinkedId(prompt[*sampler], "positive");
  for (int hops = 0; hops < 64; ++hops) {
    const json& node = prompt[cond];
    if (node["class_type"] == "CLIPTextEncode") {
      const json& text = node["inputs"]["text"];
      job.prompt = text.is_string() ? text.get<std::string>() : text.dump();
      break;
    }
    cond = LinkedId(node, "conditioning");
  }

  std::set<std::string> needed;
  for (const std::string& out : outputs) validator.Collect(out, needed);
  // Dependencies first; among ready nodes, ComfyUI's id order.
  std::set<std::string> done;
  std::function<void(const std::string&)> visit = [&](const std::string& id) {
    if (done.count(id)) return;
    done.insert(id);
    std::vector<std::string> deps;
    for (const auto& [name, v] : InputsOf(prompt[id]).items()) {
      if (Validator::IsLink(v)) deps.push_back(v[0].get<std::string>());
    }
    std::sort(deps.begin(), deps.end(), IdLess);
    for (const std::string& d : deps) visit(d);
    job.order.push_back(id);
  };
  for (const std::string& out : outputs) visit(out);
  for (const std::string& id : job.order) {
    job.class_type[id] = prompt[id]["class_type"].get<std::string>();
    json key = {{"class_type", job.class_type[id]}};
    json inputs = json::object();
    for (const auto& [name, v] : InputsOf(prompt[id]).items()) {
      inputs[name] =
          Validator::IsLink(v)
              ? json::array({job.signature[v[0].get<std::string>()], v[1]})
              : v;
    }
    key["inputs"] = std::move(inputs);
    job.signature[id] = key.dump();
  }
  return job;
}

}  // namespace

json WorkflowError::ToJson() const {
  return {{"error", error}, {"node_errors", node_errors}};
}

std::variant<WorkflowJob, WorkflowError> ValidateWorkflow(const json& prompt) {
  if (!prompt.is_object()) {
    return WorkflowError{MakeError("invalid_prompt",
                                   "Cannot execute because the prompt is not "
                                   "an object.",
                                   "", json::object())};
  }
  std::vector<std::string> ids;
  for (const auto& [id, node] : prompt.items()) ids.push_back(id);
  std::sort(ids.begin(), ids.end(), IdLess);
  std::vector<std::string> outputs;
  for (const std::string& id : ids) {
    const json& node = prompt[id];
    if (!node.is_object() || !node.contains("class_type")) {
      return WorkflowError{MakeError(
          "invalid_prompt",
          "Cannot execute because a node is missing the class_type property.",
          "Node ID '#" + id + "'")};
    }
    const json& ct = node["class_type"];
    const NodeSpec* spec =
        ct.is_string() ? FindNode(ct.get<std::string>()) : nullptr;
    if (spec == nullptr) {
      std::string class_type =
          ct.is_string() ? ct.get<std::string>() : ct.dump();
      std::string title = class_type;
      if (node.contains("_meta") && node["_meta"].is_object() &&
          node["_meta"].contains("title") && node["_meta"]["title"].is_string())
        title = node["_meta"]["title"].get<std::string>();
      return WorkflowError{
          MakeError("missing_node_type",
                    "Node '" + title +
                        "' not found. The custom node may not be installed.",
                    "Node ID '#" + id + "'",
                    {{"node_id", id},
                     {"class_type", class_type},
                     {"node_title", title}})};
    }
    if (node.contains("inputs") && !node["inputs"].is_object()) {
      return WorkflowError{
          MakeError("invalid_prompt",
                    "Cannot execute because node inputs are not an "
                    "object.",
                    "Node ID '#" + id + "'")};
    }
    if (spec->output_node) outputs.push_back(id);
  }
  if (outputs.empty()) {
    return WorkflowError{
        MakeError("prompt_no_outputs", "Prompt has no outputs", "")};
  }
  Validator validator(prompt);
  std::vector<std::string> good;
  for (const std::string& out : outputs) {
    if (validator.Validate(out)) good.push_back(out);
  }
  json node_errors = json::object();
  for (const auto& [id, errors] : validator.errors()) {
    json dependents = json::array();
    for (const std::string& out : outputs) {
      std::set<std::string> deps;
      validator.Collect(out, deps);
      if (deps.count(id)) dependents.push_back(out);
    }
    node_errors[id] = {{"errors", errors},
                       {"dependent_outputs", dependents},
                       {"class_type", prompt[id]["class_type"]}};
  }
  if (good.empty()) {
    std::string details;
    for (const auto& [id, entry] : node_errors.items()) {
      for (const json& e : entry["errors"]) {
        if (!details.empty()) details += "\n";
        details += e["message"].get<std::string>() + ": " +
                   e["details"].get<std::string>();
      }
    }
    return WorkflowError{MakeError("prompt_outputs_failed_validation",
                                   "Prompt outputs failed validation", details),
                         node_errors};
  }
  auto job = BuildJob(prompt, good, validator);
  if (auto* j = std::get_if<WorkflowJob>(&job)) j->node_errors = node_errors;
  return job;
}

json ObjectInfo() {
  json info = json::object();
  for (const NodeSpec& n : Nodes()) {
    json required = json::object(), optional = json::object();
    json order_required = json::array(), order_optional = json::array();
    for (const InputSpec& in : n.inputs) {
      json spec;
      switch (in.kind) {
        case Kind::kLink:
          spec = json::array({in.type});
          break;
        case Kind::kCombo:
          spec = json::array({in.options});
          break;
        case Kind::kString:
          spec = json::array(
              {"STRING",
               {{"multiline", in.name == "text"}, {"dynamicPrompts", true}}});
          if (in.name == "filename_prefix") {
            spec[1] = {{"default", "ComfyUI"}};
          }
          break;
        case Kind::kInt:
          spec = json::array({"INT",
                              {{"default", static_cast<int64_t>(in.def)},
                               {"min", static_cast<int64_t>(in.min)},
                               {"max", in.max},
                               {"step", static_cast<int64_t>(in.step)}}});
          break;
        case Kind::kFloat:
          spec = json::array({"FLOAT",
                              {{"default", in.def},
                               {"min", in.min},
                               {"max", in.max},
                               {"step", in.step}}});
          break;
      }
      (in.optional ? optional : required)[in.name] = spec;
      (in.optional ? order_optional : order_required).push_back(in.name);
    }
    json input = {{"required", required}};
    json input_order = {{"required", order_required}};
    if (!optional.empty()) {
      input["optional"] = optional;
      input_order["optional"] = order_optional;
    }
    info[n.class_type] = {
        {"input", input},
        {"input_order", input_order},
        {"output", n.outputs},
        {"output_is_list", std::vector<bool>(n.outputs.size(), false)},
        {"output_name", n.outputs},
        {"name", n.class_type},
        {"display_name", n.display_name},
        {"description", n.description},
        {"python_module", "nodes"},
        {"category", n.category},
        {"output_node", n.output_node}};
  }
  return info;
}

json ZImageTurboWorkflow(const std::string& prompt, uint64_t seed, int width,
                         int height) {
  auto link = [](const char* id) { return json::array({id, 0}); };
  json g = json::object();
  g["1"] = {{"class_type", "UNETLoader"},
            {"inputs",
             {{"unet_name", "z_image_turbo_bf16.safetensors"},
              {"weight_dtype", "default"}}}};
  g["2"] = {{"class_type", "CLIPLoader"},
            {"inputs",
             {{"clip_name", "qwen_3_4b.safetensors"},
              {"type", "lumina2"},
              {"device", "default"}}}};
  g["3"] = {{"class_type", "VAELoader"},
            {"inputs", {{"vae_name", "ae.safetensors"}}}};
  g["4"] = {{"class_type", "ModelSamplingAuraFlow"},
            {"inputs", {{"shift", 3}, {"model", link("1")}}}};
  g["5"] = {{"class_type", "CLIPTextEncode"},
            {"inputs", {{"text", prompt}, {"clip", link("2")}}}};
  g["6"] = {{"class_type", "ConditioningZeroOut"},
            {"inputs", {{"conditioning", link("5")}}}};
  g["7"] = {
      {"class_type", "EmptySD3LatentImage"},
      {"inputs", {{"width", width}, {"height", height}, {"batch_size", 1}}}};
  g["8"] = {{"class_type", "KSampler"},
            {"inputs",
             {{"seed", seed},
              {"steps", 8},
              {"cfg", 1},
              {"sampler_name", "res_multistep"},
              {"scheduler", "simple"},
              {"denoise", 1},
              {"model", link("4")},
              {"positive", link("5")},
              {"negative", link("6")},
              {"latent_image", link("7")}}}};
  g["9"] = {{"class_type", "VAEDecode"},
            {"inputs", {{"samples", link("8")}, {"vae", link("3")}}}};
  g["10"] = {{"class_type", "SaveImage"},
             {"inputs",
              {{"filename_prefix", "z-image-turbo"}, {"images", link("9")}}}};
  return g;
}

}  // namespace zimon::sim::comfy
