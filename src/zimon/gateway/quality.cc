#include "zimon/gateway/quality.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "zimon/gateway/quality_measures.h"

namespace zimon::gateway {
namespace {

// 1 at or below `ok`, 0 at or above `bad`, linear in between.
double FallingRamp(double value, double ok, double bad) {
  if (value <= ok) return 1;
  if (value >= bad) return 0;
  return (bad - value) / (bad - ok);
}

double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

QualityMeasures Measure(const Thumbnail& thumb, double noise_sigma,
                        const QualityOptions& options) {
  const ThumbnailStats stats =
      MeasureThumbnail(thumb, options.clip_low_level, options.clip_high_level);
  QualityMeasures m;
  m.luma_mean = stats.luma.mean;
  m.luma_stddev = stats.luma.stddev;
  m.clipped_low = stats.luma.clipped_low;
  m.clipped_high = stats.luma.clipped_high;
  m.laplacian_variance = stats.laplacian_variance;
  m.colourfulness = stats.colourfulness;
  m.chroma_spread = stats.chroma_spread;
  m.noise_sigma = noise_sigma;
  return m;
}

// Measures rows as the decoder produces them.
class MeasuringSink : public RgbRowSink {
 public:
  explicit MeasuringSink(const QualityOptions& options) : options_(options) {}

  Status Start(const ImageInfo& info) override {
    if (info.width <= 0 || info.height <= 0) {
      return InvalidArgumentError("quality: empty image");
    }
    info_ = info;
    thumb_.emplace(info.width, info.height, options_.max_side);
    noise_.emplace(info.width, info.height, options_.noise_max_rows);
    return OkStatus();
  }

  void Row(int y, const uint8_t* rgb) override {
    thumb_->AddRow(y, rgb);
    if (noise_->NeedsRow(y)) noise_->AddRow(y, rgb);
  }

  const ImageInfo& info() const { return info_; }
  Thumbnail TakeThumbnail() { return thumb_->Take(); }
  double NoiseSigma() const { return noise_->Sigma(); }

 private:
  const QualityOptions& options_;
  ImageInfo info_;
  std::optional<ThumbnailBuilder> thumb_;
  std::optional<NoiseEstimator> noise_;
};

}  // namespace

std::string_view DefectKindName(DefectKind kind) {
  switch (kind) {
    case DefectKind::kBlack:
      return "black";
    case DefectKind::kBlank:
      return "blank";
    case DefectKind::kNoisy:
      return "noisy";
    case DefectKind::kOverexposed:
      return "overexposed";
    case DefectKind::kUndecodable:
      return "undecodable";
  }
  return "unknown";
}

const std::vector<DefectKind>& AllDefectKinds() {
  static const std::vector<DefectKind> kAll = {
      DefectKind::kBlack, DefectKind::kBlank, DefectKind::kNoisy,
      DefectKind::kOverexposed, DefectKind::kUndecodable};
  return kAll;
}

bool QualityReport::HasDefect(DefectKind kind) const {
  return std::find(defects.begin(), defects.end(), kind) != defects.end();
}

bool QualityReport::IsBad() const {
  return HasDefect(DefectKind::kBlack) || HasDefect(DefectKind::kBlank) ||
         (HasDefect(DefectKind::kUndecodable) && !unsupported_format);
}

Status ValidateQualityOptions(const QualityOptions& o) {
  if (o.max_side < 8) return InvalidArgumentError("quality: max_side < 8");
  if (o.noise_max_rows < 1) {
    return InvalidArgumentError("quality: noise_max_rows < 1");
  }
  if (o.max_dimension < 1) {
    return InvalidArgumentError("quality: max_dimension < 1");
  }
  if (o.max_pixels < 1) return InvalidArgumentError("quality: max_pixels < 1");
  if (o.clip_low_level < 0 || o.clip_high_level > 255 ||
      o.clip_low_level >= o.clip_high_level) {
    return InvalidArgumentError(
        "quality: need 0 <= clip_low_level < clip_high_level <= 255");
  }
  if (!(o.sharpness_half > 0) || !(o.contrast_target > 0) ||
      !(o.colour_target > 0)) {
    return InvalidArgumentError(
        "quality: sharpness_half, contrast_target and colour_target must be "
        "positive");
  }
  if (!(o.noise_ok_sigma < o.noise_bad_sigma) ||
      !(o.clip_ok_fraction < o.clip_bad_fraction)) {
    return InvalidArgumentError(
        "quality: noise_ok_sigma < noise_bad_sigma and clip_ok_fraction < "
        "clip_bad_fraction required");
  }
  if (o.weight_sharpness < 0 || o.weight_contrast < 0 || o.weight_colour < 0 ||
      !(o.weight_sharpness + o.weight_contrast + o.weight_colour > 0)) {
    return InvalidArgumentError(
        "quality: weights must be non-negative with a positive sum");
  }
  return OkStatus();
}

void ScoreMeasures(const QualityMeasures& m, const QualityOptions& o,
                   QualityReport& r) {
  r.measures = m;
  r.defects.clear();
  const bool black =
      m.luma_mean <= o.black_max_mean && m.luma_stddev <= o.black_max_stddev;
  if (black) {
    r.defects.push_back(DefectKind::kBlack);
  } else if (m.luma_stddev <= o.blank_max_stddev &&
             m.chroma_spread <= o.blank_max_chroma_spread) {
    r.defects.push_back(DefectKind::kBlank);
  }
  if (m.noise_sigma >= o.noisy_min_sigma)
    r.defects.push_back(DefectKind::kNoisy);
  if (m.clipped_high >= o.overexposed_min_fraction) {
    r.defects.push_back(DefectKind::kOverexposed);
  }

  r.sharpness =
      m.laplacian_variance / (m.laplacian_variance + o.sharpness_half);
  r.contrast = Clamp01(m.luma_stddev / o.contrast_target);
  r.colour = Clamp01(m.colourfulness / o.colour_target);
  r.noise_factor =
      FallingRamp(m.noise_sigma, o.noise_ok_sigma, o.noise_bad_sigma);
  r.exposure_factor = FallingRamp(m.clipped_low + m.clipped_high,
                                  o.clip_ok_fraction, o.clip_bad_fraction);
  const double weights =
      o.weight_sharpness + o.weight_contrast + o.weight_colour;
  const double content =
      (o.weight_sharpness * r.sharpness + o.weight_contrast * r.contrast +
       o.weight_colour * r.colour) /
      weights;
  r.score =
      r.IsBad() ? 0.0 : Clamp01(r.noise_factor * r.exposure_factor * content);
}

StatusOr<QualityReport> ScoreRgb(const RgbImage& image,
                                 const QualityOptions& options) {
  ZIMON_RETURN_IF_ERROR(ValidateQualityOptions(options));
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) *
                                 static_cast<size_t>(image.height) * 3) {
    return InvalidArgumentError("quality: pixel buffer does not match size");
  }
  QualityReport report;
  report.format = image.format;
  report.width = image.source_width > 0 ? image.source_width : image.width;
  report.height = image.source_height > 0 ? image.source_height : image.height;

  const Thumbnail thumb = BoxDownscale(image, options.max_side);
  ScoreMeasures(
      Measure(thumb, NoiseSigma(image, options.noise_max_rows), options),
      options, report);
  return report;
}

StatusOr<QualityReport> ScoreImage(std::string_view encoded_bytes,
                                   const QualityOptions& options) {
  ZIMON_RETURN_IF_ERROR(ValidateQualityOptions(options));
  DecodeOptions decode;
  decode.max_dimension = options.max_dimension;
  decode.max_pixels = options.max_pixels;
  // JPEG may decode at reduced scale, keeping enough pixels for the noise
  // estimate (at least twice the thumbnail).
  decode.jpeg_min_long_side = 2 * options.max_side;
  MeasuringSink sink(options);
  Status decoded = DecodeImageRows(encoded_bytes, decode, sink);
  QualityReport report;
  if (!decoded.ok()) {
    report.format = DetectImageFormat(encoded_bytes);
    report.defects.push_back(DefectKind::kUndecodable);
    report.decode_error = decoded.ToString();
    report.unsupported_format = decoded.code() == StatusCode::kUnimplemented;
    report.score = 0;
    return report;
  }
  const ImageInfo& info = sink.info();
  report.format = info.format;
  report.width = info.source_width > 0 ? info.source_width : info.width;
  report.height = info.source_height > 0 ? info.source_height : info.height;
  const Thumbnail thumb = sink.TakeThumbnail();
  ScoreMeasures(Measure(thumb, sink.NoiseSigma(), options), options, report);
  return report;
}

}  // namespace zimon::gateway
