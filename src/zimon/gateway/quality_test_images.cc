#include "zimon/gateway/quality_test_images.h"

#include <spng.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

namespace zimon::gateway::testing {
namespace {

uint8_t ToByte(double v) {
  return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
}

RgbImage Blank(int width, int height) {
  RgbImage img;
  img.format = ImageFormat::kPng;
  img.source_width = img.width = width;
  img.source_height = img.height = height;
  img.pixels.resize(static_cast<size_t>(width) * height * 3);
  return img;
}

}  // namespace

RgbImage FlatImage(int width, int height, uint8_t r, uint8_t g, uint8_t b) {
  RgbImage img = Blank(width, height);
  for (size_t i = 0; i < img.pixels.size(); i += 3) {
    img.pixels[i] = r;
    img.pixels[i + 1] = g;
    img.pixels[i + 2] = b;
  }
  return img;
}

RgbImage NoiseImage(int width, int height, uint64_t seed) {
  RgbImage img = Blank(width, height);
  std::mt19937_64 rng(seed);
  for (auto& p : img.pixels) p = static_cast<uint8_t>(rng() & 0xFF);
  return img;
}

RgbImage NaturalImage(int width, int height, uint64_t seed) {
  RgbImage img = Blank(width, height);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const double phase = u(rng) * 6.28;
  struct Disc {
    double cx, cy, radius, r, g, b;
  };
  std::vector<Disc> discs;
  for (int i = 0; i < 6; ++i) {
    discs.push_back({u(rng) * width, u(rng) * height,
                     (0.05 + 0.12 * u(rng)) * std::min(width, height),
                     40 + 180 * u(rng), 40 + 180 * u(rng), 40 + 180 * u(rng)});
  }
  std::normal_distribution<double> grain(0, 1.0);
  for (int y = 0; y < height; ++y) {
    const double fy = static_cast<double>(y) / height;
    for (int x = 0; x < width; ++x) {
      const double fx = static_cast<double>(x) / width;
      // Sky-to-ground style gradients in different hues.
      double r = 60 + 120 * fy + 30 * std::sin(6.0 * fx + phase);
      double g = 110 + 50 * std::sin(3.0 * fx + 2.0 * fy + phase);
      double b = 190 - 130 * fy + 20 * std::cos(5.0 * fy);
      // Fine texture in the lower half (foliage, fabric).
      if (fy > 0.55) {
        const double t = 14 * std::sin(x * 0.9) * std::sin(y * 0.7 + phase);
        r += t;
        g += t;
        b += t * 0.5;
      }
      for (const Disc& d : discs) {
        const double dx = x - d.cx, dy = y - d.cy;
        if (dx * dx + dy * dy <= d.radius * d.radius) {
          const double shade = 0.8 + 0.2 * (dy / d.radius);
          r = d.r * shade;
          g = d.g * shade;
          b = d.b * shade;
        }
      }
      uint8_t* p = img.pixels.data() + (static_cast<size_t>(y) * width + x) * 3;
      p[0] = ToByte(r + grain(rng));
      p[1] = ToByte(g + grain(rng));
      p[2] = ToByte(b + grain(rng));
    }
  }
  return img;
}

RgbImage BoxBlur(const RgbImage& image, int radius) {
  RgbImage out = image;
  const int w = image.width, h = image.height;
  std::vector<uint8_t> tmp(out.pixels.size());
  for (int pass = 0; pass < 2; ++pass) {
    for (int dir = 0; dir < 2; ++dir) {  // 0: horizontal, 1: vertical
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          for (int c = 0; c < 3; ++c) {
            int sum = 0;
            for (int k = -radius; k <= radius; ++k) {
              const int sx = dir == 0 ? std::clamp(x + k, 0, w - 1) : x;
              const int sy = dir == 1 ? std::clamp(y + k, 0, h - 1) : y;
              sum += out.pixels[(static_cast<size_t>(sy) * w + sx) * 3 + c];
            }
            tmp[(static_cast<size_t>(y) * w + x) * 3 + c] =
                static_cast<uint8_t>(sum / (2 * radius + 1));
          }
        }
      }
      out.pixels.swap(tmp);
    }
  }
  return out;
}

RgbImage AddNoise(const RgbImage& image, double sigma, uint64_t seed) {
  RgbImage out = image;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0, sigma);
  for (auto& p : out.pixels) p = ToByte(p + n(rng));
  return out;
}

StatusOr<std::string> EncodePng(const RgbImage& image) {
  struct Deleter {
    void operator()(spng_ctx* c) const { spng_ctx_free(c); }
  };
  std::unique_ptr<spng_ctx, Deleter> ctx(spng_ctx_new(SPNG_CTX_ENCODER));
  if (ctx == nullptr) return InternalError("png: out of memory");
  spng_set_option(ctx.get(), SPNG_ENCODE_TO_BUFFER, 1);
  spng_set_option(ctx.get(), SPNG_IMG_COMPRESSION_LEVEL, 1);
  spng_ihdr ihdr{};
  ihdr.width = static_cast<uint32_t>(image.width);
  ihdr.height = static_cast<uint32_t>(image.height);
  ihdr.bit_depth = 8;
  ihdr.color_type = SPNG_COLOR_TYPE_TRUECOLOR;
  if (int err = spng_set_ihdr(ctx.get(), &ihdr)) {
    return InternalError(std::string("png: ") + spng_strerror(err));
  }
  if (int err =
          spng_encode_image(ctx.get(), image.pixels.data(), image.pixels.size(),
                            SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE)) {
    return InternalError(std::string("png: ") + spng_strerror(err));
  }
  size_t len = 0;
  int err = 0;
  void* buf = spng_get_png_buffer(ctx.get(), &len, &err);
  if (buf == nullptr)
    return InternalError(std::string("png: ") + spng_strerror(err));
  std::string out(static_cast<const char*>(buf), len);
  free(buf);  // NOLINT: libspng hands over a malloc'd buffer
  return out;
}

}  // namespace zimon::gateway::testing
