#include "zimon/gateway/quality_test_images.h"

#include <spng.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define ZIMON_TEST_X86 1
#endif
#ifdef ZIMON_HAVE_JPEG
#include <jpeglib.h>

#include <cstdio>
#endif
#ifdef ZIMON_HAVE_WEBP
#include <webp/encode.h>
#include <webp/types.h>
#endif

namespace zimon::gateway::testing {
namespace {

#ifdef ZIMON_TEST_X86
__attribute__((target("xsave"))) int XinuseAvxState() {
  return static_cast<int>((_xgetbv(1) >> 2) & 1);  // XINUSE bit 2: AVX
}
#endif

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

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

uint32_t GetU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) |
         (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

// |v| as a signed byte, PIL's filter cost.
int Cost(uint8_t v) { return v < 128 ? v : 256 - v; }

struct SpngDeleter {
  void operator()(spng_ctx* c) const { spng_ctx_free(c); }
};

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

void AppendPngChunk(std::string& png, std::string_view type,
                    std::string_view data) {
  PutU32(png, static_cast<uint32_t>(data.size()));
  const size_t start = png.size();
  png.append(type);
  png.append(data);
  PutU32(png, static_cast<uint32_t>(
                  crc32(0, reinterpret_cast<const Bytef*>(png.data() + start),
                        static_cast<uInt>(png.size() - start))));
}

StatusOr<std::string> EncodePngLikePil(const RgbImage& image, int level) {
  const size_t bytes = static_cast<size_t>(image.width) * 3;
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != bytes * static_cast<size_t>(image.height)) {
    return InvalidArgumentError("png: pixel buffer does not match size");
  }
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15, 9, Z_FILTERED) != Z_OK) {
    return InternalError("png: deflateInit2 failed");
  }
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  PutU32(ihdr, static_cast<uint32_t>(image.width));
  PutU32(ihdr, static_cast<uint32_t>(image.height));
  ihdr.append("\x08\x02\x00\x00\x00", 5);
  AppendPngChunk(png, "IHDR", ihdr);

  constexpr size_t kBlock = 65536;  // PIL's ImageFile.MAXBLOCK
  std::string block(kBlock, '\0');
  zs.next_out = reinterpret_cast<Bytef*>(block.data());
  zs.avail_out = kBlock;
  auto flush_full = [&] {
    while (zs.avail_out == 0) {
      AppendPngChunk(png, "IDAT", block);
      zs.next_out = reinterpret_cast<Bytef*>(block.data());
      zs.avail_out = kBlock;
      if (zs.avail_in == 0) break;
      deflate(&zs, Z_NO_FLUSH);
    }
  };
  const std::vector<uint8_t> zeros(bytes);
  std::array<std::vector<uint8_t>, 4> candidates;
  for (auto& c : candidates) c.resize(bytes + 1);
  candidates[0][0] = 0;
  candidates[1][0] = 2;
  candidates[2][0] = 1;
  candidates[3][0] = 4;
  constexpr size_t kBpp = 3;
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* cur = image.pixels.data() + static_cast<size_t>(y) * bytes;
    const uint8_t* prev =
        y == 0 ? zeros.data() : cur - static_cast<ptrdiff_t>(bytes);
    // PIL's order and early exits: None, Up, Sub, Paeth; a filter replaces
    // the choice only when strictly cheaper.
    int best = 0;
    int sum = 0;
    for (size_t i = 0; i < bytes; ++i) {
      candidates[0][i + 1] = cur[i];
      sum += Cost(cur[i]);
    }
    if (sum > 0) {
      int s = 0;
      for (size_t i = 0; i < bytes; ++i) {
        const auto v = static_cast<uint8_t>(cur[i] - prev[i]);
        candidates[1][i + 1] = v;
        s += Cost(v);
      }
      if (s < sum) {
        best = 1;
        sum = s;
      }
    }
    if (sum > 0) {
      int s = 0;
      for (size_t i = 0; i < bytes; ++i) {
        const auto v =
            static_cast<uint8_t>(cur[i] - (i >= kBpp ? cur[i - kBpp] : 0));
        candidates[2][i + 1] = v;
        s += Cost(v);
      }
      if (s < sum) {
        best = 2;
        sum = s;
      }
    }
    if (sum > 0) {
      int s = 0;
      for (size_t i = 0; i < bytes; ++i) {
        const int a = i >= kBpp ? cur[i - kBpp] : 0;
        const int b = prev[i];
        const int c = i >= kBpp ? prev[i - kBpp] : 0;
        const int pa = std::abs(b - c);
        const int pb = std::abs(a - c);
        const int pc = std::abs(a + b - 2 * c);
        const int pred = (pa <= pb && pa <= pc) ? a : (pb <= pc) ? b : c;
        const auto v = static_cast<uint8_t>(cur[i] - pred);
        candidates[3][i + 1] = v;
        s += Cost(v);
      }
      if (s < sum) best = 3;
    }
    zs.next_in = candidates[static_cast<size_t>(best)].data();
    zs.avail_in = static_cast<uInt>(bytes + 1);
    deflate(&zs, Z_NO_FLUSH);
    flush_full();
  }
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    rc = deflate(&zs, Z_FINISH);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      deflateEnd(&zs);
      return InternalError("png: deflate failed");
    }
    if (zs.avail_out == 0) {
      AppendPngChunk(png, "IDAT", block);
      zs.next_out = reinterpret_cast<Bytef*>(block.data());
      zs.avail_out = kBlock;
    }
  }
  AppendPngChunk(png, "IDAT",
                 std::string_view(block).substr(0, kBlock - zs.avail_out));
  deflateEnd(&zs);
  AppendPngChunk(png, "IEND", "");
  return png;
}

StatusOr<std::string> EncodePngSamples(int width, int height,
                                       const std::vector<uint8_t>& samples,
                                       const PngEncoding& encoding,
                                       const std::vector<uint8_t>& palette) {
  std::unique_ptr<spng_ctx, SpngDeleter> ctx(spng_ctx_new(SPNG_CTX_ENCODER));
  if (ctx == nullptr) return InternalError("png: out of memory");
  spng_set_option(ctx.get(), SPNG_ENCODE_TO_BUFFER, 1);
  if (encoding.filter >= 0) {
    static constexpr int kChoice[] = {
        SPNG_FILTER_CHOICE_NONE, SPNG_FILTER_CHOICE_SUB, SPNG_FILTER_CHOICE_UP,
        SPNG_FILTER_CHOICE_AVG, SPNG_FILTER_CHOICE_PAETH};
    spng_set_option(ctx.get(), SPNG_FILTER_CHOICE,
                    kChoice[std::clamp(encoding.filter, 0, 4)]);
  }
  spng_ihdr ihdr{};
  ihdr.width = static_cast<uint32_t>(width);
  ihdr.height = static_cast<uint32_t>(height);
  ihdr.bit_depth = static_cast<uint8_t>(encoding.bit_depth);
  ihdr.color_type = static_cast<uint8_t>(encoding.colour_type);
  ihdr.interlace_method = encoding.interlaced ? SPNG_INTERLACE_ADAM7 : 0;
  if (int err = spng_set_ihdr(ctx.get(), &ihdr)) {
    return InternalError(std::string("png: ") + spng_strerror(err));
  }
  if (!palette.empty()) {
    spng_plte plte{};
    plte.n_entries =
        static_cast<uint32_t>(std::min<size_t>(palette.size() / 3, 256));
    for (uint32_t i = 0; i < plte.n_entries; ++i) {
      plte.entries[i].red = palette[i * 3];
      plte.entries[i].green = palette[i * 3 + 1];
      plte.entries[i].blue = palette[i * 3 + 2];
    }
    if (int err = spng_set_plte(ctx.get(), &plte)) {
      return InternalError(std::string("png: ") + spng_strerror(err));
    }
  }
  if (int err = spng_encode_image(ctx.get(), samples.data(), samples.size(),
                                  SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE)) {
    return InternalError(std::string("png: ") + spng_strerror(err));
  }
  size_t len = 0;
  int err = 0;
  void* buf = spng_get_png_buffer(ctx.get(), &len, &err);
  if (buf == nullptr) {
    return InternalError(std::string("png: ") + spng_strerror(err));
  }
  std::string out(static_cast<const char*>(buf), len);
  free(buf);  // NOLINT: libspng hands over a malloc'd buffer
  return out;
}

std::vector<PngChunk> PngChunks(std::string_view png) {
  std::vector<PngChunk> out;
  for (size_t pos = 8; pos + 12 <= png.size();) {
    const uint32_t len = GetU32(png.data() + pos);
    if (png.size() - pos - 12 < len) break;
    out.push_back({pos, std::string(png.substr(pos + 4, 4)), len});
    pos += 12 + size_t{len};
  }
  return out;
}

std::string IdatStream(std::string_view png) {
  std::string out;
  for (const PngChunk& c : PngChunks(png)) {
    if (c.type == "IDAT") out.append(png.substr(c.at + 8, c.length));
  }
  return out;
}

std::string SplitIdat(std::string_view png, size_t chunk_size) {
  if (png.size() < 8 || chunk_size == 0) return {};
  std::string out(png.substr(0, 8));
  std::string data;
  size_t pos = 8;
  bool written = false;
  while (pos + 12 <= png.size()) {
    const uint32_t len = GetU32(png.data() + pos);
    if (png.size() - pos - 12 < len) return {};
    const std::string_view type = png.substr(pos + 4, 4);
    const std::string_view body = png.substr(pos + 8, len);
    pos += 12 + size_t{len};
    if (type == "IDAT") {
      data.append(body);
      continue;
    }
    if (!data.empty() && !written) {
      for (size_t at = 0; at < data.size(); at += chunk_size) {
        AppendPngChunk(out, "IDAT",
                       std::string_view(data).substr(at, chunk_size));
      }
      written = true;
    }
    AppendPngChunk(out, type, body);
  }
  return out;
}

namespace {

void PutLe(std::string& out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
}

}  // namespace

std::string RiffChunk(std::string_view fourcc, std::string_view payload) {
  std::string out(fourcc);
  PutLe(out, static_cast<uint32_t>(payload.size()), 4);
  out.append(payload);
  if (payload.size() % 2 == 1) out.push_back('\0');
  return out;
}

std::string RiffWebp(std::string_view chunks) {
  std::string out = "RIFF";
  PutLe(out, static_cast<uint32_t>(4 + chunks.size()), 4);
  out.append("WEBP");
  out.append(chunks);
  return out;
}

std::string AnimatedWebp(std::string_view still, int width, int height,
                         int frames) {
  std::string vp8x(1, '\x02');  // animation flag
  PutLe(vp8x, 0, 3);
  PutLe(vp8x, static_cast<uint32_t>(width - 1), 3);
  PutLe(vp8x, static_cast<uint32_t>(height - 1), 3);
  std::string anim;
  PutLe(anim, 0xFFFFFFFF, 4);  // background colour
  PutLe(anim, 0, 2);           // loop forever
  std::string chunks = RiffChunk("VP8X", vp8x) + RiffChunk("ANIM", anim);
  const std::string_view image = still.size() > 12 ? still.substr(12) : "";
  for (int i = 0; i < frames; ++i) {
    std::string anmf;
    PutLe(anmf, 0, 3);  // x / 2
    PutLe(anmf, 0, 3);  // y / 2
    PutLe(anmf, static_cast<uint32_t>(width - 1), 3);
    PutLe(anmf, static_cast<uint32_t>(height - 1), 3);
    PutLe(anmf, 100, 3);  // duration, ms
    anmf.push_back('\0');
    anmf.append(image);
    chunks += RiffChunk("ANMF", anmf);
  }
  return RiffWebp(chunks);
}

#ifdef ZIMON_HAVE_JPEG
StatusOr<std::string> EncodeJpeg(const RgbImage& image, int quality) {
  if (image.pixels.size() !=
      static_cast<size_t>(image.width) * image.height * 3) {
    return InvalidArgumentError("EncodeJpeg: pixel buffer does not match size");
  }
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* buf = nullptr;
  unsigned long len = 0;  // NOLINT: libjpeg's type
  jpeg_mem_dest(&cinfo, &buf, &len);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(image.pixels.data()) +
                   static_cast<size_t>(cinfo.next_scanline) * image.width * 3;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string out(reinterpret_cast<char*>(buf), len);
  free(buf);  // NOLINT: allocated by libjpeg
  return out;
}
#else
StatusOr<std::string> EncodeJpeg(const RgbImage& /*image*/, int /*quality*/) {
  return UnimplementedError("built without libjpeg");
}
#endif  // ZIMON_HAVE_JPEG

#ifdef ZIMON_HAVE_WEBP
namespace {

// What a WebPEncode*() function returned (size 0 on failure), as a string.
StatusOr<std::string> TakeWebp(uint8_t* out, size_t size) {
  if (size == 0 || out == nullptr) {
    WebPFree(out);
    return InternalError("webp encoder failed");
  }
  std::string webp(reinterpret_cast<const char*>(out), size);
  WebPFree(out);
  return webp;
}

}  // namespace

StatusOr<std::string> EncodeWebp(const RgbImage& image, int quality) {
  if (image.pixels.size() !=
      static_cast<size_t>(image.width) * image.height * 3) {
    return InvalidArgumentError("EncodeWebp: pixel buffer does not match size");
  }
  const int stride = image.width * 3;
  uint8_t* out = nullptr;
  const size_t size =
      quality < 0
          ? WebPEncodeLosslessRGB(image.pixels.data(), image.width,
                                  image.height, stride, &out)
          : WebPEncodeRGB(image.pixels.data(), image.width, image.height,
                          stride, static_cast<float>(quality), &out);
  return TakeWebp(out, size);
}

StatusOr<std::string> EncodeWebpRgba(int width, int height,
                                     const std::vector<uint8_t>& rgba,
                                     int quality) {
  if (rgba.size() != static_cast<size_t>(width) * height * 4) {
    return InvalidArgumentError("EncodeWebpRgba: buffer does not match size");
  }
  uint8_t* out = nullptr;
  const size_t size =
      quality < 0
          ? WebPEncodeLosslessRGBA(rgba.data(), width, height, width * 4, &out)
          : WebPEncodeRGBA(rgba.data(), width, height, width * 4,
                           static_cast<float>(quality), &out);
  return TakeWebp(out, size);
}

#else  // !ZIMON_HAVE_WEBP

StatusOr<std::string> EncodeWebp(const RgbImage& /*image*/, int /*quality*/) {
  return UnimplementedError("built without libwebp");
}

StatusOr<std::string> EncodeWebpRgba(int /*width*/, int /*height*/,
                                     const std::vector<uint8_t>& /*rgba*/,
                                     int /*quality*/) {
  return UnimplementedError("built without libwebp");
}

#endif  // ZIMON_HAVE_WEBP

int UpperVectorHalvesInUse() {
#ifdef ZIMON_TEST_X86
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d) || (c & bit_OSXSAVE) == 0) return -1;
  if (!__get_cpuid_count(0xD, 1, &a, &b, &c, &d) || (a & (1u << 2)) == 0) {
    return -1;
  }
  return XinuseAvxState();
#else
  return -1;
#endif
}

}  // namespace zimon::gateway::testing
