// Parsing and validating vLLM-Omni's image generation request the way its
// FastAPI/pydantic layer does (vllm_front.h lists the fields and answers).
//
// Thread safety: pure functions.
#ifndef ZIMON_SIM_VLLM_FRONT_REQUEST_H_
#define ZIMON_SIM_VLLM_FRONT_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "zimon/http/message.h"
#include "zimon/sim/model.h"

namespace zimon::sim {

inline constexpr int kVllmDefaultSteps = 9;  // Z-Image-Turbo profile
inline constexpr int kVllmMaxSteps = 16;     // Z-Image-Turbo profile
inline constexpr int kVllmMaxImages = 10;

struct VllmImageRequest {
  std::string prompt;
  std::string negative_prompt;
  int n = 1;
  ImageSize size{1024, 1024};
  bool file = false;  // response_format "file"
  std::optional<int64_t> seed;
  int steps = kVllmDefaultSteps;
};

// Either a request or the error response the real server would send.
struct VllmParseResult {
  std::optional<VllmImageRequest> request;
  http::Response error;  // set when !request
};

VllmParseResult ParseVllmImageRequest(std::string_view body);

// {"detail": message} with `status`.
http::Response VllmDetail(int status, std::string_view message);

}  // namespace zimon::sim

#endif  // ZIMON_SIM_VLLM_FRONT_REQUEST_H_
