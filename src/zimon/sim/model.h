// The simulator's cost model as pure functions: how long an image takes on a
// profile, how batching changes that, and how much VRAM it needs. The engine
// draws its random latencies around these means, and tests compare the
// engine's measured means against them.
//
// Formulas (docs/sim.md, reference §3):
//   N            = H*W/256 image tokens + text tokens
//   FLOPs(N)     = 2*P*N + 4*L*d*N^2
//   t_step(size) = profile.step_seconds * FLOPs(N(size)) / FLOPs(N(ref))
//   latency      = t_text + steps*t_step + t_vae*px/px_ref + t_png*px/px_ref
//                  (+ offload transfer time in offload mode)
//
// Thread safety: pure functions.
#ifndef ZIMON_SIM_MODEL_H_
#define ZIMON_SIM_MODEL_H_

#include <cstdint>
#include <string>

#include "zimon/common/status.h"
#include "zimon/sim/profiles.h"

namespace zimon::sim {

struct ImageSize {
  int width = 1024;
  int height = 1024;
  friend bool operator==(const ImageSize&, const ImageSize&) = default;
  // "1024x1024".
  std::string ToString() const;
};

// Parses "WxH" (also "W*H", as Xinference spells it). Both sides must be
// 16..4096 and multiples of 16 (the pipeline's vae_scale_factor*2, §8.7).
StatusOr<ImageSize> ParseImageSize(std::string_view text);
// Checks the same limits for a size given as two numbers.
Status ValidateImageSize(ImageSize size);

// Image tokens, H*W/256 (§1).
double ImageTokens(ImageSize size);
// Cost of one DiT forward for `tokens` total tokens (§3).
double ForwardFlops(double tokens);
// Seconds of one DiT step at `size` on `profile`.
double StepSeconds(const GpuProfile& profile, ImageSize size);

// Mean time of one warm request, alone on the GPU, split by stage.
struct ServiceTime {
  double text_encode = 0;
  double offload = 0;  // moving weights on and off the GPU (offload mode)
  double steps = 0;    // steps * t_step
  double vae_decode = 0;
  double png_encode = 0;
  double Total() const {
    return text_encode + offload + steps + vae_decode + png_encode;
  }
  // Seconds from the start of service to the end of step `k` (0..steps).
  double UntilStep(int k, int total_steps) const;
};
ServiceTime MeanServiceTime(const GpuProfile& profile, ImageSize size,
                            int steps, bool offload = false);

// The model's mean latency for one warm request served alone: what tests
// compare the simulated mean against.
double MeanLatencySeconds(const GpuProfile& profile, ImageSize size, int steps,
                          bool offload = false);

// Throughput gain of a batch of `batch` same-size images over running them
// one by one (§6.1: ~1.0-1.1x at 1024², up to 1.2-1.5x at <= 512²; A100
// 512+512 gave 1.19x). G(N) = clamp(1.38 - 0.14*log2(N_img/1024), 1.02, 1.5);
// gain(k) = 1 + (G - 1) * (1 - 1/k).
double BatchGain(ImageSize size, int batch);
// Seconds to serve a batch of `batch` images: batch * mean / gain.
double MeanBatchSeconds(const GpuProfile& profile, ImageSize size, int steps,
                        int batch, bool offload = false);

// --- VRAM ---------------------------------------------------------------

// CUDA context, cuBLAS workspace and other non-PyTorch memory (assumed).
inline constexpr uint64_t kContextBytes = 512 * kMiB;

// Weights resident on this GPU: DiT + text encoder + VAE (§1, ≈19.3 GiB), or
// only the DiT for a dit_only profile, or in offload mode the largest
// component set that must be resident at once (DiT + VAE; the text encoder
// is swapped out before the DiT runs, §5.1).
uint64_t WeightsBytes(const GpuProfile& profile, bool offload);
// Bytes moved host->device per image in offload mode.
uint64_t OffloadTransferBytes(const GpuProfile& profile);
// Activation memory held by one running image. Linear in tokens with flash
// attention: 2.4 GiB at 1024² (derived from §2.2/§5: L20 CFG 5, i.e. batch 2,
// peaks at 24.6 GiB ≈ 19.3 GiB weights + 0.5 GiB context + 2 x 2.4 GiB);
// profiles without flash attention add 240 bytes per N^2 (30 heads x fp32
// scores and softmax), which puts a T4 near its ceiling at 768² and over it
// at 1024² (§5).
uint64_t ActivationBytes(const GpuProfile& profile, ImageSize size);

}  // namespace zimon::sim

#endif  // ZIMON_SIM_MODEL_H_
