// ComfyUI workflow graphs (API format) for the simulator's ComfyUI front:
// the node types a Z-Image-Turbo workflow uses, ComfyUI's validation with its
// error shapes, and the parameters the simulator runs.
//
// An API-format graph maps node ids to {"class_type", "inputs", "_meta"};
// an input is a value or a link ["<node id>", <output slot>]. Validation
// follows ComfyUI's execution.py validate_prompt: every node needs a known
// class_type ("invalid_prompt", "missing_node_type"), the graph needs an output
// node ("prompt_no_outputs"), and each output's inputs, recursively, must be
// present, of the right type, in range and in their lists
// ("required_input_missing", "invalid_input_type", "value_smaller_than_min",
// "value_bigger_than_max", "value_not_in_list", "bad_linked_input",
// "return_type_mismatch"). Failures of every output give
// "prompt_outputs_failed_validation" with node_errors; when only some outputs
// fail, the rest run and node_errors lists the failures.
//
// Simulator limits (beyond ComfyUI): the outputs that run must share one
// KSampler, fed by an EmptySD3LatentImage or EmptyLatentImage, and SaveImage
// is the only output node.
//
// Thread safety: pure functions over immutable tables.
#ifndef ZIMON_SIM_COMFYUI_WORKFLOW_H_
#define ZIMON_SIM_COMFYUI_WORKFLOW_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

namespace zimon::sim::comfy {

// What the simulator runs for a valid graph.
struct WorkflowJob {
  std::string prompt;  // text of the positive CLIPTextEncode
  uint64_t seed = 0;
  int steps = 8;
  double cfg = 1;
  int width = 1024, height = 1024, batch_size = 1;
  std::string sampler_node;  // the KSampler's id (progress messages)
  // SaveImage ids that run, sorted, with their filename_prefix.
  std::vector<std::string> outputs;
  std::map<std::string, std::string> filename_prefix;
  // Every node that runs, dependencies first (the executing order).
  std::vector<std::string> order;
  std::map<std::string, std::string> class_type;  // of the nodes in order
  // Cache keys: class and inputs with links replaced by their source's key.
  // Equal keys mean ComfyUI would reuse the cached output.
  std::map<std::string, std::string> signature;
  // Failures of outputs that do not run (ComfyUI's node_errors); usually {}.
  nlohmann::json node_errors = nlohmann::json::object();
};

// A rejected graph, in ComfyUI's POST /prompt 400 shape.
struct WorkflowError {
  nlohmann::json error;  // {"type", "message", "details", "extra_info"}
  nlohmann::json node_errors = nlohmann::json::object();
  // {"error": ..., "node_errors": ...}
  nlohmann::json ToJson() const;
};

// Validates `prompt` (the "prompt" field of POST /prompt).
std::variant<WorkflowJob, WorkflowError> ValidateWorkflow(
    const nlohmann::json& prompt);

// GET /object_info for the node types the simulator knows.
nlohmann::json ObjectInfo();

// The Z-Image-Turbo API graph of reference §8.5 (the same graph as
// deploy/comfyui/zimage_turbo_workflow.json) with `prompt`, `seed` and size.
nlohmann::json ZImageTurboWorkflow(const std::string& prompt, uint64_t seed,
                                   int width = 1024, int height = 1024);

}  // namespace zimon::sim::comfy

#endif  // ZIMON_SIM_COMFYUI_WORKFLOW_H_
