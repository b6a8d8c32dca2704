#include "zimon/sim/front.h"

#include <string>

namespace zimon::sim {

std::string_view ApiFlavourName(ApiFlavour api) {
  switch (api) {
    case ApiFlavour::kVllmOmni:
      return "vllm-omni";
    case ApiFlavour::kSdcpp:
      return "sdcpp";
    case ApiFlavour::kComfyUi:
      return "comfyui";
  }
  return "vllm-omni";
}

StatusOr<ApiFlavour> ParseApiFlavour(std::string_view name) {
  for (ApiFlavour api :
       {ApiFlavour::kVllmOmni, ApiFlavour::kSdcpp, ApiFlavour::kComfyUi}) {
    if (name == ApiFlavourName(api)) return api;
  }
  return InvalidArgumentError("unknown API \"" + std::string(name) +
                              "\"; expected vllm-omni, sdcpp or comfyui");
}

}  // namespace zimon::sim
