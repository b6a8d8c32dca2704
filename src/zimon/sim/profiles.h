// GPU profiles for the simulated Z-Image-Turbo server, calibrated from
// /work/shared/reference/zimage-turbo.md (cited by section in profiles.cc and
// tabulated in docs/sim.md).
//
// A profile holds what differs between GPUs: VRAM, the time of one DiT step at
// a reference resolution, the per-request fixed times (text encode, VAE decode,
// PNG encode) at that resolution, cold start, attention kind and power.
// Model-wide facts (weights sizes, FLOPs formula) are in ModelFacts.
//
// Thread safety: everything here is immutable data and pure functions.
#ifndef ZIMON_SIM_PROFILES_H_
#define ZIMON_SIM_PROFILES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/status.h"

namespace zimon::sim {

inline constexpr uint64_t kMiB = 1024ull * 1024;
inline constexpr uint64_t kGiB = 1024ull * kMiB;

// Facts about the model itself, the same on every GPU (§1 of the reference).
struct ModelFacts {
  double parameters = 6.15e9;  // S3-DiT parameters
  int layers = 30;             // DiT layers
  int model_dim = 3840;        // DiT hidden size
  int heads = 30;              // attention heads
  int text_tokens = 100;       // typical chat-templated prompt (§3: 50-300)
  uint64_t dit_bytes = 0;      // bf16 DiT weights
  uint64_t text_encoder_bytes = 0;  // bf16 Qwen3-4B
  uint64_t vae_bytes = 0;           // fp32 Flux AE
};
const ModelFacts& ZImageTurbo();

// How a GPU runs attention; decides whether activation memory is linear or
// quadratic in tokens (§3: "Without flash / memory-efficient attention,
// activation memory grows ~N^2").
enum class AttentionKind { kFlash, kMath };

struct GpuProfile {
  std::string name;          // canonical id, e.g. "h100"
  std::string display_name;  // what NVML reports, before " (simulated)"
  uint64_t vram_bytes = 0;
  // Calibration point: one DiT step at ref_width x ref_height takes
  // step_seconds; the fixed times below were measured at the same size.
  int ref_width = 1024;
  int ref_height = 1024;
  double step_seconds = 0;
  double text_encode_seconds = 0;
  double vae_decode_seconds = 0;  // scales with pixels
  double png_encode_seconds = 0;  // PNG + base64 + HTTP; scales with pixels
  double cold_start_seconds = 0;  // process start + weight load + first run
  AttentionKind attention = AttentionKind::kFlash;
  // True when the text encoder and VAE live on another card (the 2xT4 setup):
  // only the DiT counts against this GPU's VRAM.
  bool dit_only = false;
  double pcie_bytes_per_second = 20e9;  // host<->device, for offload time
  // Power and temperature: not in the reference; vendor board power limits
  // and typical idle figures (see profiles.cc).
  double idle_watts = 0;
  double max_watts = 0;
  double idle_celsius = 33;
  double max_celsius = 78;
};

// The built-in profiles: h100, h800, rtx5090, l20, rtx3090ti, t4.
const std::vector<GpuProfile>& BuiltinProfiles();

// Looks a profile up by name, case-insensitively, accepting common spellings
// ("H100", "rtx-5090", "3090ti"). kNotFound lists the known names.
StatusOr<GpuProfile> FindProfile(std::string_view name);

}  // namespace zimon::sim

#endif  // ZIMON_SIM_PROFILES_H_
