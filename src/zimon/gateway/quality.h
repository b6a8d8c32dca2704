// No-reference image quality scorer: decodes an image returned by a backend,
// measures it (quality_measures.h) and combines the measures into a 0–1 score
// plus a list of defects (black, blank, noisy, overexposed, undecodable — the
// `kind` label of zimon_image_defects_total). The measures, the score formula
// and the defect rules are documented in docs/quality.md.
//
//   QualityOptions options;  // thresholds, all configurable
//   StatusOr<QualityReport> report = ScoreImage(png_bytes, options);
//   if (report.ok() && report->HasDefect(DefectKind::kBlack)) ...
//
// Bytes that cannot be decoded are not an error: the report has the
// undecodable defect, score 0 and `decode_error` set. Only invalid options
// yield a non-OK status.
//
// Thread safety: pure functions; safe to call concurrently.
#ifndef ZIMON_GATEWAY_QUALITY_H_
#define ZIMON_GATEWAY_QUALITY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/status.h"
#include "zimon/gateway/image_decode.h"

namespace zimon::gateway {

enum class DefectKind { kBlack, kBlank, kNoisy, kOverexposed, kUndecodable };

// The metric label: "black", "blank", "noisy", "overexposed", "undecodable".
std::string_view DefectKindName(DefectKind kind);

// Every kind, in label order (for pre-registering metric children).
const std::vector<DefectKind>& AllDefectKinds();

struct QualityOptions {
  // Processing.
  int max_side = 256;         // thumbnail long side (box filter)
  int noise_max_rows = 128;   // full-resolution rows sampled for noise
  int max_dimension = 16384;  // larger images are undecodable
  int64_t max_pixels = int64_t{8192} * 8192;  // ... as are images over this
  int clip_low_level = 2;     // thumbnail luma <= this counts as clipped
  int clip_high_level = 253;  // thumbnail luma >= this counts as clipped

  // Defect rules.
  double black_max_mean = 16;              // black: mean <= this ...
  double black_max_stddev = 10;            // ... and stddev <= this
  double blank_max_stddev = 3;             // blank: luma stddev <= this ...
  double blank_max_chroma_spread = 6;      // ... and colour spread <= this
  double noisy_min_sigma = 12;             // noisy: noise sigma >= this
  double overexposed_min_fraction = 0.25;  // share clipped high >= this

  // Score components (see docs/quality.md).
  double sharpness_half = 60;      // Laplacian variance giving 0.5
  double contrast_target = 40;     // luma stddev giving 1
  double colour_target = 30;       // colourfulness giving 1
  double noise_ok_sigma = 3;       // noise factor 1 at or below ...
  double noise_bad_sigma = 20;     // ... 0 at or above
  double clip_ok_fraction = 0.05;  // exposure factor 1 at or below ...
  double clip_bad_fraction = 0.6;  // ... 0 at or above
  double weight_sharpness = 0.45;
  double weight_contrast = 0.35;
  double weight_colour = 0.20;
};

// The measures, on the 0–255 scale.
struct QualityMeasures {
  double luma_mean = 0;
  double luma_stddev = 0;
  double laplacian_variance = 0;
  double noise_sigma = 0;
  double clipped_low = 0;   // fraction 0–1
  double clipped_high = 0;  // fraction 0–1
  double colourfulness = 0;
  double chroma_spread = 0;
};

struct QualityReport {
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0;  // as stored in the file; 0 when undecodable
  int height = 0;
  QualityMeasures measures;
  // Score components, each 0–1.
  double sharpness = 0;
  double contrast = 0;
  double colour = 0;
  double noise_factor = 0;
  double exposure_factor = 0;
  double score = 0;  // 0–1
  std::vector<DefectKind> defects;
  std::string decode_error;  // set when undecodable
  // Undecodable because this build lacks the decoder (JPEG without libjpeg,
  // WebP without libwebp) or the format is one the scorer does not handle
  // (animated WebP), not because the bytes are broken.
  bool unsupported_format = false;

  bool HasDefect(DefectKind kind) const;
  // True for black, blank and undecodable: images that are no image at all
  // (the gateway's bad_image outcome). An image in a format the scorer cannot
  // read (unsupported_format) is not bad: it goes to the client unscored.
  bool IsBad() const;
};

// kInvalidArgument when a threshold is out of range (non-positive sizes,
// inverted ramps, negative weights summing to 0).
Status ValidateQualityOptions(const QualityOptions& options);

// Score and defects from measures alone (no image needed).
void ScoreMeasures(const QualityMeasures& measures,
                   const QualityOptions& options, QualityReport& report);

// Decodes `encoded_bytes` (PNG; JPEG and WebP when built) and scores it. PNG
// rows are measured as they are decoded; the full-size RGB image is never
// built.
StatusOr<QualityReport> ScoreImage(std::string_view encoded_bytes,
                                   const QualityOptions& options = {});

// Scores already decoded pixels.
StatusOr<QualityReport> ScoreRgb(const RgbImage& image,
                                 const QualityOptions& options = {});

}  // namespace zimon::gateway

#endif  // ZIMON_GATEWAY_QUALITY_H_
