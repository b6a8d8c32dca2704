#include "zimon/sim/sdcpp_front_params.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "zimon/sim/front_common.h"
#include "zimon/sim/model.h"

namespace zimon::sim {
namespace {

using nlohmann::json;

constexpr std::string_view kOpen = "<sd_cpp_extra_args>";
constexpr std::string_view kClose = "</sd_cpp_extra_args>";

template <typename T>
bool ReadInt(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_number_integer()) return false;
  out = it->get<T>();
  return true;
}

bool ReadString(const json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

}  // namespace

std::string ExtractSdcppExtraArgs(std::string& prompt) {
  size_t open = prompt.find(kOpen);
  if (open == std::string::npos) return "";
  size_t close = prompt.find(kClose, open + kOpen.size());
  if (close == std::string::npos) return "";
  std::string block =
      prompt.substr(open, close + kClose.size() - open);  // the whole tag
  std::string content =
      prompt.substr(open + kOpen.size(), close - open - kOpen.size());
  for (size_t at = prompt.find(block); at != std::string::npos;
       at = prompt.find(block, at)) {
    prompt.erase(at, block.size());
  }
  return content;
}

bool ApplySdcppJson(const json& j, SdcppGenParams& p) {
  if (!j.is_object()) return false;
  if (!ReadString(j, "prompt", p.prompt) ||
      !ReadString(j, "negative_prompt", p.negative_prompt) ||
      !ReadInt(j, "width", p.width) || !ReadInt(j, "height", p.height) ||
      !ReadInt(j, "seed", p.seed) ||
      !ReadInt(j, "batch_count", p.batch_count)) {
    return false;
  }
  auto sp = j.find("sample_params");
  if (sp != j.end()) {
    if (!sp->is_object()) return false;
    if (!ReadInt(*sp, "sample_steps", p.steps)) return false;
    auto guidance = sp->find("guidance");
    if (guidance != sp->end()) {
      if (!guidance->is_object()) return false;
      auto cfg = guidance->find("txt_cfg");
      if (cfg != guidance->end()) {
        if (!cfg->is_number()) return false;
        p.cfg = cfg->get<double>();
      }
    }
  }
  return true;
}

bool ApplySdcppJsonText(std::string_view text, SdcppGenParams& params) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return false;
  return ApplySdcppJson(j, params);
}

Status ValidateSdcppParams(const SdcppGenParams& p) {
  if (p.width < 64 || p.width > 4096 || p.height < 64 || p.height > 4096) {
    return InvalidArgumentError("width and height must be 64..4096");
  }
  ZIMON_RETURN_IF_ERROR(
      ParseImageSize(std::to_string(p.width) + "x" + std::to_string(p.height))
          .status());
  if (p.steps < 1 || p.steps > 500) {
    return InvalidArgumentError("sample_steps must be 1..500");
  }
  if (!std::isfinite(p.cfg) || p.cfg < 0) {
    return InvalidArgumentError("txt_cfg must be a non-negative number");
  }
  if (p.batch_count < 1 || p.batch_count > kSdcppMaxBatch) {
    return InvalidArgumentError("batch_count must be 1..8");
  }
  return Status();
}

ImageRequest ToImageRequest(const SdcppGenParams& p) {
  ImageRequest r;
  r.prompt = p.prompt;
  r.size = ImageSize{p.width, p.height};
  r.steps = p.cfg == 1.0 ? p.steps : p.steps * 2;
  r.n = p.batch_count;
  r.seed = p.seed < 0 ? RandomSeed() : static_cast<uint64_t>(p.seed);
  return r;
}

}  // namespace zimon::sim
