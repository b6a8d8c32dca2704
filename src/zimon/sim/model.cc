#include "zimon/sim/model.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace zimon::sim {

namespace {

constexpr int kMinSide = 16;
constexpr int kMaxSide = 4096;

double Pixels(ImageSize s) {
  return static_cast<double>(s.width) * static_cast<double>(s.height);
}

double TotalTokens(ImageSize s) {
  return ImageTokens(s) + ZImageTurbo().text_tokens;
}

bool ParseSide(std::string_view text, int& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

std::string ImageSize::ToString() const {
  return std::to_string(width) + "x" + std::to_string(height);
}

Status ValidateImageSize(ImageSize size) {
  for (int side : {size.width, size.height}) {
    if (side < kMinSide || side > kMaxSide) {
      return InvalidArgumentError("image size " + size.ToString() +
                                  ": each side must be between 16 and 4096");
    }
    if (side % 16 != 0) {
      return InvalidArgumentError("image size " + size.ToString() +
                                  ": height and width must be divisible by 16");
    }
  }
  return OkStatus();
}

StatusOr<ImageSize> ParseImageSize(std::string_view text) {
  size_t sep = text.find_first_of("x*");
  ImageSize size;
  if (sep == std::string_view::npos ||
      !ParseSide(text.substr(0, sep), size.width) ||
      !ParseSide(text.substr(sep + 1), size.height)) {
    return InvalidArgumentError("invalid size format: '" + std::string(text) +
                                "'; expected 'WIDTHxHEIGHT', e.g. '1024x1024'");
  }
  ZIMON_RETURN_IF_ERROR(ValidateImageSize(size));
  return size;
}

double ImageTokens(ImageSize size) { return Pixels(size) / 256.0; }

double ForwardFlops(double tokens) {
  const ModelFacts& m = ZImageTurbo();
  return 2.0 * m.parameters * tokens +
         4.0 * m.layers * m.model_dim * tokens * tokens;
}

double StepSeconds(const GpuProfile& profile, ImageSize size) {
  ImageSize ref{profile.ref_width, profile.ref_height};
  return profile.step_seconds * ForwardFlops(TotalTokens(size)) /
         ForwardFlops(TotalTokens(ref));
}

double ServiceTime::UntilStep(int k, int total_steps) const {
  if (total_steps <= 0) return text_encode + offload;
  k = std::clamp(k, 0, total_steps);
  return text_encode + offload + steps * k / total_steps;
}

ServiceTime MeanServiceTime(const GpuProfile& profile, ImageSize size,
                            int steps, bool offload) {
  ImageSize ref{profile.ref_width, profile.ref_height};
  double px_ratio = Pixels(size) / Pixels(ref);
  ServiceTime t;
  t.text_encode = profile.text_encode_seconds;
  if (offload) {
    t.offload = static_cast<double>(OffloadTransferBytes(profile)) /
                profile.pcie_bytes_per_second;
  }
  t.steps = std::max(steps, 0) * StepSeconds(profile, size);
  t.vae_decode = profile.vae_decode_seconds * px_ratio;
  t.png_encode = profile.png_encode_seconds * px_ratio;
  return t;
}

double MeanLatencySeconds(const GpuProfile& profile, ImageSize size, int steps,
                          bool offload) {
  return MeanServiceTime(profile, size, steps, offload).Total();
}

double BatchGain(ImageSize size, int batch) {
  if (batch <= 1) return 1.0;
  double g = 1.38 - 0.14 * std::log2(ImageTokens(size) / 1024.0);
  g = std::clamp(g, 1.02, 1.5);
  return 1.0 + (g - 1.0) * (1.0 - 1.0 / batch);
}

double MeanBatchSeconds(const GpuProfile& profile, ImageSize size, int steps,
                        int batch, bool offload) {
  batch = std::max(batch, 1);
  return batch * MeanLatencySeconds(profile, size, steps, offload) /
         BatchGain(size, batch);
}

uint64_t WeightsBytes(const GpuProfile& profile, bool offload) {
  const ModelFacts& m = ZImageTurbo();
  if (profile.dit_only) return m.dit_bytes;
  if (offload) return m.dit_bytes + m.vae_bytes;
  return m.dit_bytes + m.text_encoder_bytes + m.vae_bytes;
}

uint64_t OffloadTransferBytes(const GpuProfile& profile) {
  const ModelFacts& m = ZImageTurbo();
  if (profile.dit_only) return m.dit_bytes;
  return m.dit_bytes + m.text_encoder_bytes + m.vae_bytes;
}

uint64_t ActivationBytes(const GpuProfile& profile, ImageSize size) {
  constexpr double kLinearAt1024 = 2.4 * kGiB;
  const double ref_tokens = 4096.0 + ZImageTurbo().text_tokens;
  double n = TotalTokens(size);
  double bytes = kLinearAt1024 * n / ref_tokens;
  if (profile.attention == AttentionKind::kMath) bytes += 240.0 * n * n;
  return static_cast<uint64_t>(bytes);
}

}  // namespace zimon::sim
