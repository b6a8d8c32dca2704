// ComfyWorkflowTemplate: a ComfyUI workflow in API format (the JSON that
// "Save (API Format)" exports: node id -> {"class_type", "inputs"}) that the
// comfyui adapter fills in for each request.
//
// Which nodes get the request (docs/gateway.md, "Backend adapters"):
//   - the one node of class KSampler: "seed", "steps", "cfg" (each must be a
//     literal value in the template, not a link);
//   - the positive prompt: the CLIPTextEncode that KSampler's "positive" input
//     links to, directly or through nodes that pass a "conditioning" input on;
//     its "text";
//   - the negative prompt: likewise from "negative", only when that leads to a
//     different CLIPTextEncode (the Z-Image-Turbo graph zeroes the positive
//     conditioning instead); its "text", when the request has one;
//   - the latent: the node KSampler's "latent_image" links to, which must have
//     literal "width", "height" and "batch_size" inputs (EmptySD3LatentImage,
//     EmptyLatentImage); batch_size is the request's n.
// Steps and cfg keep the template's values when the request leaves them
// unset; a guidance_scale below 1 is sent as cfg 1 (ComfyUI's "no guidance").
// The graph must also have a SaveImage node, or no image comes back.
//
// Thread safety: immutable after Parse(); Instantiate() is const.
#ifndef ZIMON_GATEWAY_COMFYUI_WORKFLOW_TEMPLATE_H_
#define ZIMON_GATEWAY_COMFYUI_WORKFLOW_TEMPLATE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "zimon/common/file_system.h"
#include "zimon/common/status.h"
#include "zimon/gateway/image_request.h"

namespace zimon::gateway {

class ComfyWorkflowTemplate {
 public:
  // Parses and validates `text`; errors are kInvalidArgument starting with
  // `name` (the file), saying what is missing.
  static StatusOr<ComfyWorkflowTemplate> Parse(std::string_view text,
                                               std::string_view name);
  // Reads `path` through `fs` and parses it; a missing or unreadable file is
  // the file system's error (kNotFound, ...) with the path in the message.
  static StatusOr<ComfyWorkflowTemplate> Load(const std::string& path,
                                              FileSystem& fs);

  // The graph for `request` with `seed`.
  nlohmann::json Instantiate(const ImageRequest& request, uint64_t seed) const;

  const std::string& sampler_node() const { return sampler_; }
  const std::string& positive_node() const { return positive_; }
  const std::string& negative_node() const { return negative_; }  // or ""
  const std::string& latent_node() const { return latent_; }
  // The nodes Instantiate() writes request values into.
  bool IsRequestNode(const std::string& id) const;

 private:
  ComfyWorkflowTemplate() = default;

  nlohmann::json graph_;
  std::string sampler_, positive_, negative_, latent_;
};

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_COMFYUI_WORKFLOW_TEMPLATE_H_
