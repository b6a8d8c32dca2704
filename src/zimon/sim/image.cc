#include "zimon/sim/image.h"

#include <spng.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

namespace zimon::sim {

namespace {

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Uniform in [0, 1).
float Unit(uint64_t& state) {
  return static_cast<float>(SplitMix(state) >> 40) / 16777216.0f;
}

struct Rgb {
  float r, g, b;
};

// A saturated-ish colour from hue, saturation, value in [0, 1).
Rgb Hsv(float h, float s, float v) {
  float i = std::floor(h * 6.0f);
  float f = h * 6.0f - i;
  float p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
  switch (static_cast<int>(i) % 6) {
    case 0:
      return {v, t, p};
    case 1:
      return {q, v, p};
    case 2:
      return {p, v, t};
    case 3:
      return {p, q, v};
    case 4:
      return {t, p, v};
    default:
      return {v, p, q};
  }
}

float Smooth(float t) { return t * t * (3.0f - 2.0f * t); }

// Value noise over a width x height image at several octaves, produced one
// row at a time: each octave is a random lattice interpolated with a
// smoothstep, first between two lattice rows, then along the row.
class OctaveNoise {
 public:
  OctaveNoise(uint64_t& rng, ImageSize size, int base_cell, int octaves) {
    float weight = 1.0f, total = 0.0f;
    int cell = std::max(base_cell, 4);
    for (int o = 0; o < octaves && cell >= 4; ++o, cell /= 2) {
      Octave oct;
      oct.cell = cell;
      oct.weight = weight;
      total += weight;
      oct.gx = size.width / cell + 2;
      oct.gy = size.height / cell + 2;
      oct.lattice.resize(static_cast<size_t>(oct.gx) * oct.gy);
      for (float& v : oct.lattice) v = Unit(rng);
      oct.ix.resize(size.width);
      oct.tx.resize(size.width);
      for (int x = 0; x < size.width; ++x) {
        oct.ix[x] = x / cell;
        oct.tx[x] = Smooth(static_cast<float>(x % cell) / cell);
      }
      oct.row.resize(oct.gx);
      octaves_.push_back(std::move(oct));
      weight *= 0.5f;
    }
    for (Octave& oct : octaves_) oct.weight /= total;
    width_ = size.width;
  }

  // Writes noise in [0, 1) for row y into out[0..width).
  void Row(int y, float* out) {
    std::fill(out, out + width_, 0.0f);
    for (Octave& o : octaves_) {
      int iy = y / o.cell;
      float ty = Smooth(static_cast<float>(y % o.cell) / o.cell);
      const float* a = &o.lattice[static_cast<size_t>(iy) * o.gx];
      const float* b = a + o.gx;
      for (int i = 0; i < o.gx; ++i) o.row[i] = (a[i] + (b[i] - a[i]) * ty);
      const float* r = o.row.data();
      for (int x = 0; x < width_; ++x) {
        int ix = o.ix[x];
        float v = r[ix] + (r[ix + 1] - r[ix]) * o.tx[x];
        out[x] += v * o.weight;
      }
    }
  }

 private:
  struct Octave {
    int cell = 0, gx = 0, gy = 0;
    float weight = 0;
    std::vector<float> lattice, row, tx;
    std::vector<int> ix;
  };
  std::vector<Octave> octaves_;
  int width_ = 0;
};

uint8_t ToByte(float v) {
  return static_cast<uint8_t>(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f);
}

void DrawShapes(uint64_t& rng, ImageSize size, std::vector<uint8_t>& rgb) {
  const int w = size.width, h = size.height;
  int count = 3 + static_cast<int>(Unit(rng) * 5);
  for (int s = 0; s < count; ++s) {
    bool ellipse = Unit(rng) < 0.6f;
    float cx = Unit(rng) * w, cy = Unit(rng) * h;
    float ax = (0.04f + Unit(rng) * 0.18f) * w;
    float ay = (0.04f + Unit(rng) * 0.18f) * h;
    Rgb top = Hsv(Unit(rng), 0.3f + 0.6f * Unit(rng), 0.4f + 0.6f * Unit(rng));
    float shade = 0.35f + 0.3f * Unit(rng);  // darker towards the bottom
    int x0 = std::max(0, static_cast<int>(cx - ax));
    int x1 = std::min(w - 1, static_cast<int>(cx + ax));
    int y0 = std::max(0, static_cast<int>(cy - ay));
    int y1 = std::min(h - 1, static_cast<int>(cy + ay));
    for (int y = y0; y <= y1; ++y) {
      float dy = (y - cy) / ay;
      float k = 1.0f - shade * (0.5f + 0.5f * dy);
      uint8_t r = ToByte(top.r * k), g = ToByte(top.g * k),
              b = ToByte(top.b * k);
      int xs = x0, xe = x1;
      if (ellipse) {
        float half = 1.0f - dy * dy;
        if (half <= 0) continue;
        float dx = std::sqrt(half) * ax;
        xs = std::max(x0, static_cast<int>(cx - dx));
        xe = std::min(x1, static_cast<int>(cx + dx));
      }
      uint8_t* p = &rgb[(static_cast<size_t>(y) * w + xs) * 3];
      for (int x = xs; x <= xe; ++x, p += 3) {
        p[0] = r;
        p[1] = g;
        p[2] = b;
      }
    }
  }
}

struct SpngDeleter {
  void operator()(spng_ctx* ctx) const { spng_ctx_free(ctx); }
};
using SpngCtx = std::unique_ptr<spng_ctx, SpngDeleter>;

Status SpngError(const char* what, int err) {
  return InternalError(std::string("png: ") + what + ": " + spng_strerror(err));
}

}  // namespace

uint64_t ImageSeed(std::string_view prompt, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : prompt) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  uint64_t state = h ^ (seed * 0x9e3779b97f4a7c15ull);
  return SplitMix(state);
}

std::vector<uint8_t> RenderRgb(std::string_view prompt, uint64_t seed,
                               ImageSize size) {
  uint64_t rng = ImageSeed(prompt, seed);
  const int w = std::max(size.width, 1), h = std::max(size.height, 1);
  size = {w, h};
  std::vector<uint8_t> rgb(static_cast<size_t>(w) * h * 3);

  // A 256-entry palette blending four seeded colours.
  std::array<Rgb, 4> keys;
  float hue = Unit(rng);
  for (Rgb& k : keys) {
    hue += 0.12f + 0.3f * Unit(rng);
    k = Hsv(hue - std::floor(hue), 0.25f + 0.6f * Unit(rng),
            0.3f + 0.7f * Unit(rng));
  }
  std::array<Rgb, 256> palette;
  for (int i = 0; i < 256; ++i) {
    float t = i / 255.0f * 3.0f;
    int k = std::min(static_cast<int>(t), 2);
    float f = t - k;
    palette[i] = {keys[k].r + (keys[k + 1].r - keys[k].r) * f,
                  keys[k].g + (keys[k + 1].g - keys[k].g) * f,
                  keys[k].b + (keys[k + 1].b - keys[k].b) * f};
  }

  int big = std::max(w, h);
  OctaveNoise colour(rng, size, big / 2, 5);
  OctaveNoise light(rng, size, big / 3, 3);
  std::vector<float> c_row(w), l_row(w);
  for (int y = 0; y < h; ++y) {
    colour.Row(y, c_row.data());
    light.Row(y, l_row.data());
    uint8_t* p = &rgb[static_cast<size_t>(y) * w * 3];
    for (int x = 0; x < w; ++x, p += 3) {
      // Stretch the noise (it clusters around 0.5) across the palette.
      float t = std::clamp((c_row[x] - 0.5f) * 2.2f + 0.5f, 0.0f, 1.0f);
      const Rgb& c = palette[static_cast<int>(t * 255.0f)];
      float k = 0.55f + 0.9f * l_row[x];
      p[0] = ToByte(c.r * k);
      p[1] = ToByte(c.g * k);
      p[2] = ToByte(c.b * k);
    }
  }
  DrawShapes(rng, size, rgb);
  return rgb;
}

StatusOr<std::string> EncodePng(const std::vector<uint8_t>& rgb, ImageSize size,
                                int compression_level) {
  if (size.width <= 0 || size.height <= 0 ||
      rgb.size() != static_cast<size_t>(size.width) * size.height * 3) {
    return InvalidArgumentError("png: pixel buffer does not match " +
                                size.ToString());
  }
  SpngCtx ctx(spng_ctx_new(SPNG_CTX_ENCODER));
  if (!ctx) return InternalError("png: cannot create encoder");
  spng_set_option(ctx.get(), SPNG_ENCODE_TO_BUFFER, 1);
  spng_set_option(ctx.get(), SPNG_IMG_COMPRESSION_LEVEL, compression_level);
  // One cheap filter instead of trying all five per row: most of the time
  // goes to filter selection and deflate otherwise.
  spng_set_option(ctx.get(), SPNG_FILTER_CHOICE, SPNG_FILTER_CHOICE_SUB);
  spng_ihdr ihdr = {};
  ihdr.width = static_cast<uint32_t>(size.width);
  ihdr.height = static_cast<uint32_t>(size.height);
  ihdr.bit_depth = 8;
  ihdr.color_type = SPNG_COLOR_TYPE_TRUECOLOR;
  if (int err = spng_set_ihdr(ctx.get(), &ihdr)) {
    return SpngError("set_ihdr", err);
  }
  if (int err = spng_encode_image(ctx.get(), rgb.data(), rgb.size(),
                                  SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE)) {
    return SpngError("encode", err);
  }
  size_t len = 0;
  int err = 0;
  void* buf = spng_get_png_buffer(ctx.get(), &len, &err);
  if (buf == nullptr) return SpngError("get_png_buffer", err);
  std::string out(static_cast<const char*>(buf), len);
  free(buf);  // NOLINT: libspng hands ownership to the caller (malloc'd)
  return out;
}

StatusOr<std::string> RenderPng(std::string_view prompt, uint64_t seed,
                                ImageSize size, bool black) {
  ZIMON_RETURN_IF_ERROR(ValidateImageSize(size));
  if (black) {
    std::vector<uint8_t> zeros(static_cast<size_t>(size.width) * size.height *
                               3);
    return EncodePng(zeros, size);
  }
  return EncodePng(RenderRgb(prompt, seed, size), size);
}

StatusOr<DecodedImage> DecodePng(std::string_view png) {
  SpngCtx ctx(spng_ctx_new(0));
  if (!ctx) return InternalError("png: cannot create decoder");
  // Bound what a hostile file can make us allocate.
  spng_set_image_limits(ctx.get(), 16384, 16384);
  spng_set_chunk_limits(ctx.get(), 1 << 20, 8 << 20);
  if (int err = spng_set_png_buffer(ctx.get(), png.data(), png.size())) {
    return InvalidArgumentError(std::string("png: ") + spng_strerror(err));
  }
  spng_ihdr ihdr;
  if (int err = spng_get_ihdr(ctx.get(), &ihdr)) {
    return InvalidArgumentError(std::string("png: ") + spng_strerror(err));
  }
  size_t len = 0;
  if (int err = spng_decoded_image_size(ctx.get(), SPNG_FMT_RGB8, &len)) {
    return InvalidArgumentError(std::string("png: ") + spng_strerror(err));
  }
  DecodedImage out;
  out.size = {static_cast<int>(ihdr.width), static_cast<int>(ihdr.height)};
  out.rgb.resize(len);
  if (int err =
          spng_decode_image(ctx.get(), out.rgb.data(), len, SPNG_FMT_RGB8, 0)) {
    return InvalidArgumentError(std::string("png: ") + spng_strerror(err));
  }
  return out;
}

}  // namespace zimon::sim
