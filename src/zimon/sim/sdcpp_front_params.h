// sd-server's generation parameters: its defaults, the native JSON object
// (img_gen bodies and <sd_cpp_extra_args>) and validation.
//
// Thread safety: pure functions.
#ifndef ZIMON_SIM_SDCPP_FRONT_PARAMS_H_
#define ZIMON_SIM_SDCPP_FRONT_PARAMS_H_

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "zimon/common/status.h"
#include "zimon/sim/engine.h"

namespace zimon::sim {

struct SdcppGenParams {
  std::string prompt;
  std::string negative_prompt;
  int width = 512;
  int height = 512;
  int steps = 20;
  double cfg = 7.0;
  int64_t seed = 42;  // -1: random
  int batch_count = 1;
};

inline constexpr int kSdcppMaxBatch = 8;

// Removes the first <sd_cpp_extra_args>...</sd_cpp_extra_args> from `prompt`
// (every occurrence of that exact block) and returns its content ("" when
// there is none).
std::string ExtractSdcppExtraArgs(std::string& prompt);

// Applies sd-server's native fields (prompt, negative_prompt, width, height,
// seed, batch_count, sample_params.sample_steps,
// sample_params.guidance.txt_cfg; others are accepted and ignored). False on a
// field of the wrong type.
bool ApplySdcppJson(const nlohmann::json& j, SdcppGenParams& params);
bool ApplySdcppJsonText(std::string_view text, SdcppGenParams& params);

// Range checks (sizes 64..4096 in multiples of 16 for this model, steps
// 1..1000 with cfg doubling, batch 1..8); kInvalidArgument.
Status ValidateSdcppParams(const SdcppGenParams& params);

// The engine request: random seed for -1, steps doubled when cfg != 1.
ImageRequest ToImageRequest(const SdcppGenParams& params);

}  // namespace zimon::sim

#endif  // ZIMON_SIM_SDCPP_FRONT_PARAMS_H_
