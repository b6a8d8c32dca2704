#include "zimon/gateway/image_decode_png.h"

#include <libdeflate.h>
#include <spng.h>

#ifdef ZIMON_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ZIMON_ISAL_X86 1
#endif
#endif

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "zimon/gateway/image_decode_unfilter.h"

namespace zimon::gateway::internal {
namespace {

constexpr char kPngMagic[] = "\x89PNG\r\n\x1a\n";
constexpr size_t kIhdrEnd = 8 + 8 + 13 + 4;  // signature, IHDR chunk
constexpr uint32_t kMaxChunkLength = 0x7FFFFFFF;
// Deflate expands by at most 1032:1 (a 258-byte match in two bits), so image
// data claiming more than that is truncated or hostile: refused before the
// output buffer is allocated.
constexpr uint64_t kMaxDeflateRatio = 1032;

uint32_t Be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) |
         (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

Status Corrupt(const std::string& what) {
  return InvalidArgumentError("png: " + what);
}

Status NotFastPath() {
  return UnimplementedError("png: not handled by the fast decoder");
}

// Channels of the 8-bit colour types the fast path decodes; 0 for others.
int FastPathChannels(unsigned colour_type) {
  switch (colour_type) {
    case 0:  // grey
      return 1;
    case 2:  // RGB
      return 3;
    case 4:  // grey + alpha
      return 2;
    case 6:  // RGBA
      return 4;
    default:
      return 0;
  }
}

bool IsLetter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

std::string At(size_t pos) { return " at byte " + std::to_string(pos); }

// What an inflater made of the image data, against the rows the header
// implies.
enum class Inflated {
  kExact,     // the stream ended, with exactly the rows, checksum verified
  kShort,     // the stream ended before the last row
  kLong,      // the stream holds more than the rows
  kBad,       // a damaged stream or Adler-32, or one cut short
  kNoMemory,  // the inflater's state could not be allocated
};

struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const {
    libdeflate_free_decompressor(d);
  }
};

// libdeflate wants the whole stream in one buffer: chunks are joined first
// when there are several.
Inflated InflateLibdeflate(const std::vector<std::string_view>& idat,
                           size_t idat_bytes, uint8_t* out, size_t rows) {
  std::string joined;
  std::string_view stream = idat.front();
  if (idat.size() > 1) {
    joined.reserve(idat_bytes);
    for (std::string_view part : idat) joined.append(part);
    stream = joined;
  }
  std::unique_ptr<libdeflate_decompressor, DecompressorDeleter> inflater(
      libdeflate_alloc_decompressor());
  if (inflater == nullptr) return Inflated::kNoMemory;
  switch (libdeflate_zlib_decompress(inflater.get(), stream.data(),
                                     stream.size(), out, rows, nullptr)) {
    case LIBDEFLATE_SUCCESS:
      return Inflated::kExact;
    case LIBDEFLATE_SHORT_OUTPUT:
      return Inflated::kShort;
    case LIBDEFLATE_INSUFFICIENT_SPACE:
      return Inflated::kLong;
    default:
      return Inflated::kBad;
  }
}

#ifdef ZIMON_HAVE_ISAL
// ISA-L's AVX2 and AVX-512 inflate (hand-written assembly) returns with the
// upper halves of the vector registers in use: it has no vzeroupper. Until
// they are cleared, every SSE instruction that writes a register also waits
// for that register's old value, so the unfiltering and scoring after the
// inflate, chains of dependent SSE operations, ran up to twice as long
// (a Paeth row 6.5 against 3.1 us; ScoreImage of a Pillow-style PNG 6.2
// against 4.7 ms). One vzeroupper clears them.
#ifdef ZIMON_ISAL_X86
__attribute__((target("avx"))) void ZeroUpperAvx() { _mm256_zeroupper(); }
#endif
struct ClearUpperHalvesOnExit {
  ~ClearUpperHalvesOnExit() {
#ifdef ZIMON_ISAL_X86
    static const bool has_avx = __builtin_cpu_supports("avx");
    if (has_avx) ZeroUpperAvx();
#endif
  }
};

// ISA-L takes the chunks one by one, so nothing is joined. `out` has room
// for more than the rows (`capacity`, the padding included), so that a
// stream with more data than rows is told from one that ends with them.
Inflated InflateIsal(const std::vector<std::string_view>& idat, uint8_t* out,
                     size_t capacity, size_t rows) {
  auto state = std::make_unique<inflate_state>();
  const ClearUpperHalvesOnExit clear_upper_halves;
  isal_inflate_init(state.get());
  state->crc_flag = ISAL_ZLIB;  // parse the zlib header, verify the Adler-32
  state->next_out = out;
  state->avail_out = static_cast<uint32_t>(capacity);
  for (std::string_view part : idat) {
    state->next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(part.data()));
    state->avail_in = static_cast<uint32_t>(part.size());
    if (isal_inflate(state.get()) != ISAL_DECOMP_OK) return Inflated::kBad;
    if (state->total_out > rows) return Inflated::kLong;
    if (state->block_state == ISAL_BLOCK_FINISH) break;
  }
  if (state->block_state != ISAL_BLOCK_FINISH) return Inflated::kBad;
  return state->total_out == rows ? Inflated::kExact : Inflated::kShort;
}
#endif

// The first three bytes of the zlib stream (fewer if it is that short),
// whichever chunks hold them.
std::string StreamStart(const std::vector<std::string_view>& idat) {
  std::string start;
  for (std::string_view part : idat) {
    start.append(part.substr(0, std::min(part.size(), 3 - start.size())));
    if (start.size() == 3) break;
  }
  return start;
}

// One unfiltered row to RGB; alpha is dropped, grey replicated (as libspng's
// SPNG_FMT_RGB8 does without SPNG_DECODE_TRNS).
void RowToRgb(const uint8_t* src, int channels, size_t width, uint8_t* rgb) {
  switch (channels) {
    case 1:
      for (size_t x = 0; x < width; ++x, rgb += 3) {
        rgb[0] = rgb[1] = rgb[2] = src[x];
      }
      break;
    case 2:
      for (size_t x = 0; x < width; ++x, rgb += 3) {
        rgb[0] = rgb[1] = rgb[2] = src[2 * x];
      }
      break;
    case 4:
      for (size_t x = 0; x < width; ++x, rgb += 3, src += 4) {
        rgb[0] = src[0];
        rgb[1] = src[1];
        rgb[2] = src[2];
      }
      break;
    default:
      break;
  }
}

struct SpngDeleter {
  void operator()(spng_ctx* ctx) const { spng_ctx_free(ctx); }
};
using SpngCtx = std::unique_ptr<spng_ctx, SpngDeleter>;

Status SpngError(std::string_view what, int err) {
  return InvalidArgumentError("png: " + std::string(what) + ": " +
                              spng_strerror(err));
}

// Collects rows into an RgbImage.
class ImageSink : public RgbRowSink {
 public:
  explicit ImageSink(RgbImage& out) : out_(out) {}
  Status Start(const ImageInfo& info) override {
    out_.format = info.format;
    out_.source_width = info.source_width;
    out_.source_height = info.source_height;
    out_.width = info.width;
    out_.height = info.height;
    row_bytes_ = static_cast<size_t>(info.width) * 3;
    out_.pixels.resize(row_bytes_ * static_cast<size_t>(info.height));
    return OkStatus();
  }
  void Row(int y, const uint8_t* rgb) override {
    std::memcpy(out_.pixels.data() + static_cast<size_t>(y) * row_bytes_, rgb,
                row_bytes_);
  }

 private:
  RgbImage& out_;
  size_t row_bytes_ = 0;
};

}  // namespace

bool HavePngInflater(PngInflater inflater) {
#ifdef ZIMON_HAVE_ISAL
  constexpr bool kHaveIsal = true;
#else
  constexpr bool kHaveIsal = false;
#endif
  return inflater != PngInflater::kIsal || kHaveIsal;
}

PngInflater ChoosePngInflater(std::string_view stream_start, size_t compressed,
                              size_t rows) {
  if (!HavePngInflater(PngInflater::kIsal) || stream_start.size() < 3) {
    return PngInflater::kLibdeflate;
  }
  // FLEVEL, the top two bits of the header's FLG byte: 0 is zlib's level 1
  // (and Huffman-only or fixed-code strategies), 1 levels 2-5, 2 the default
  // level 6, 3 levels 7-9.
  const int level_class = static_cast<uint8_t>(stream_start[1]) >> 6;
  // BTYPE of the first block, bits 1-2 of the first deflate byte: 2 is
  // dynamic Huffman codes; stb_image_write (stable-diffusion.cpp) writes
  // fixed codes, which libdeflate decodes faster.
  const int block_type = (static_cast<uint8_t>(stream_start[2]) >> 1) & 3;
  // Image data that kept a quarter or more of its size after filtering and
  // compression is mostly literals (photographs, generated images); smooth
  // or synthetic images compress to a tenth.
  if (level_class >= 1 && block_type == 2 && compressed * 4 >= rows) {
    return PngInflater::kIsal;
  }
  return PngInflater::kLibdeflate;
}

Status DecodePngFast(std::string_view bytes, const DecodeOptions& options,
                     RgbRowSink& sink, PngInflater inflater) {
  const char* data = bytes.data();
  const size_t size = bytes.size();
  // A missing or damaged header is left to libspng, which says what is wrong.
  if (size < kIhdrEnd || std::memcmp(data, kPngMagic, 8) != 0 ||
      Be32(data + 8) != 13 || std::memcmp(data + 12, "IHDR", 4) != 0 ||
      libdeflate_crc32(0, data + 12, 17) != Be32(data + 29)) {
    return NotFastPath();
  }
  const uint32_t width = Be32(data + 16);
  const uint32_t height = Be32(data + 20);
  const auto depth = static_cast<uint8_t>(data[24]);
  const auto colour = static_cast<uint8_t>(data[25]);
  const int channels = FastPathChannels(colour);
  if (depth != 8 || channels == 0 || data[26] != 0 || data[27] != 0 ||
      data[28] != 0) {
    return NotFastPath();
  }
  const auto max_dim = static_cast<uint32_t>(options.max_dimension);
  if (width == 0 || height == 0 || width > max_dim || height > max_dim) {
    return Corrupt("dimensions " + std::to_string(width) + "x" +
                   std::to_string(height) + " out of range");
  }
  if (options.max_pixels <= 0 ||
      uint64_t{width} * height > static_cast<uint64_t>(options.max_pixels)) {
    return Corrupt(std::to_string(width) + "x" + std::to_string(height) +
                   " is more than the limit of " +
                   std::to_string(options.max_pixels) + " pixels");
  }

  // The chunks after IHDR. Lengths are checked against what is left before
  // anything is read, and every CRC is verified (ancillary chunks included,
  // as libspng is configured to). After the IDAT run a truncated or missing
  // trailer is tolerated: the pixel data is complete and verified.
  std::vector<std::string_view> idat;
  size_t idat_bytes = 0;
  enum class Stage {
    kBeforeData,
    kInData,
    kAfterData
  } stage = Stage::kBeforeData;
  size_t pos = kIhdrEnd;
  bool complete = false;  // IEND seen
  while (pos < size) {
    if (size - pos < 12 || size - pos - 12 < Be32(data + pos)) {
      if (stage == Stage::kAfterData) break;
      if (stage == Stage::kInData && size - pos >= 8 &&
          std::memcmp(data + pos + 4, "IDAT", 4) != 0) {
        break;  // the trailer (IEND) is cut short
      }
      return Corrupt("truncated: chunk" + At(pos) + " runs past the end (" +
                     std::to_string(size) + " bytes)");
    }
    const uint32_t len = Be32(data + pos);
    const char* type = data + pos + 4;
    if (len > kMaxChunkLength) {
      return Corrupt("chunk length " + std::to_string(len) + At(pos) +
                     " over 2^31-1");
    }
    if (!IsLetter(type[0]) || !IsLetter(type[1]) || !IsLetter(type[2]) ||
        !IsLetter(type[3])) {
      return Corrupt("invalid chunk type" + At(pos));
    }
    const std::string name(type, 4);
    if (libdeflate_crc32(0, type, 4 + size_t{len}) != Be32(type + 4 + len)) {
      return Corrupt("CRC mismatch in " + name + " chunk" + At(pos));
    }
    pos += 12 + size_t{len};
    if (name == "IDAT") {
      if (stage == Stage::kAfterData) {
        return Corrupt("IDAT chunks not consecutive" + At(pos - 12 - len));
      }
      stage = Stage::kInData;
      idat.emplace_back(type + 4, len);
      idat_bytes += len;
      continue;
    }
    if (stage == Stage::kInData) stage = Stage::kAfterData;
    if (name == "IEND") {
      complete = true;
      break;
    }
    // PLTE is a suggestion for truecolour and ignored; anything unusual about
    // it, a second IHDR or an unknown critical chunk goes to libspng.
    if (name == "PLTE" &&
        ((colour != 2 && colour != 6) || stage != Stage::kBeforeData)) {
      return NotFastPath();
    }
    if (name != "PLTE" && (type[0] & 0x20) == 0) return NotFastPath();
  }
  if (idat.empty()) return Corrupt("no image data (IDAT chunk)");

  const size_t row_bytes = size_t{width} * static_cast<size_t>(channels);
  const size_t stride = row_bytes + 1;
  const size_t raw_size = stride * height;
  if ((raw_size - 1) / kMaxDeflateRatio > idat_bytes) {
    return Corrupt("image data of " + std::to_string(idat_bytes) +
                   " bytes cannot hold " + std::to_string(width) + "x" +
                   std::to_string(height) + " (truncated)");
  }
  // Filtered rows, then padding for the unfilter loads. Uninitialised: the
  // inflater must fill the rows or fail.
  auto raw =
      std::make_unique_for_overwrite<uint8_t[]>(raw_size + kUnfilterPadding);
  if (inflater == PngInflater::kAuto) {
    inflater = ChoosePngInflater(StreamStart(idat), idat_bytes, raw_size);
  }
#ifdef ZIMON_HAVE_ISAL
  const Inflated inflated =
      inflater == PngInflater::kIsal
          ? InflateIsal(idat, raw.get(), raw_size + kUnfilterPadding, raw_size)
          : InflateLibdeflate(idat, idat_bytes, raw.get(), raw_size);
#else
  const Inflated inflated =
      InflateLibdeflate(idat, idat_bytes, raw.get(), raw_size);
#endif
  switch (inflated) {
    case Inflated::kExact:
      break;
    case Inflated::kShort:
      return Corrupt("image data ends early (truncated): " +
                     std::to_string(width) + "x" + std::to_string(height) +
                     " needs " + std::to_string(raw_size) + " bytes");
    case Inflated::kLong:
      return NotFastPath();  // more data than rows; libspng's call
    case Inflated::kNoMemory:
      return ResourceExhaustedError("png: out of memory");
    case Inflated::kBad:
      return Corrupt(complete || stage == Stage::kAfterData
                         ? "corrupt image data (bad deflate stream or Adler-32)"
                         : "corrupt or truncated image data (file ends without "
                           "IEND)");
  }
  std::memset(raw.get() + raw_size, 0, kUnfilterPadding);

  ImageInfo info;
  info.format = ImageFormat::kPng;
  info.source_width = info.width = static_cast<int>(width);
  info.source_height = info.height = static_cast<int>(height);
  ZIMON_RETURN_IF_ERROR(sink.Start(info));
  // Rows are unfiltered out of the inflated buffer into two alternating row
  // buffers (current and previous) that stay in L1 cache; the big buffer is
  // only read, so none of it has to be written back. A row filtered with
  // None is used where it lies. The sink sees RGB straight from the row.
  const size_t padded = row_bytes + kUnfilterPadding;
  // The row above row 0 (zeros), then the two output rows.
  std::vector<uint8_t> rows(3 * padded);
  uint8_t* const out[2] = {rows.data() + padded, rows.data() + 2 * padded};
  int next = 0;
  std::vector<uint8_t> rgb(channels == 3 ? 0 : size_t{width} * 3);
  const uint8_t* prev = rows.data();
  for (uint32_t y = 0; y < height; ++y) {
    const uint8_t* filtered = raw.get() + size_t{y} * stride;
    const uint8_t* row = filtered + 1;
    if (filtered[0] != 0) {
      if (!UnfilterRow(filtered[0], row, prev, row_bytes, channels,
                       out[next])) {
        return Corrupt("invalid filter type " + std::to_string(filtered[0]) +
                       " in row " + std::to_string(y));
      }
      row = out[next];
      next ^= 1;
    }
    if (channels == 3) {
      sink.Row(static_cast<int>(y), row);
    } else {
      RowToRgb(row, channels, width, rgb.data());
      sink.Row(static_cast<int>(y), rgb.data());
    }
    prev = row;
  }
  return OkStatus();
}

StatusOr<RgbImage> DecodePngSpng(std::string_view bytes,
                                 const DecodeOptions& options) {
  // Corruption is caught by the chunk CRCs (spng_decode_chunks below reads
  // the rest of the stream, so the last IDAT's CRC is checked too) rather than
  // the zlib Adler-32, which would cost a pass over every decoded byte.
  SpngCtx ctx(spng_ctx_new(SPNG_CTX_IGNORE_ADLER32));
  if (ctx == nullptr) return InternalError("png: out of memory");
  // CRC errors are real corruption; do not let libspng ignore them.
  spng_set_crc_action(ctx.get(), SPNG_CRC_ERROR, SPNG_CRC_ERROR);
  spng_set_image_limits(ctx.get(), static_cast<uint32_t>(options.max_dimension),
                        static_cast<uint32_t>(options.max_dimension));
  spng_set_chunk_limits(ctx.get(), 1u << 20, 64u << 20);
  if (int err = spng_set_png_buffer(ctx.get(), bytes.data(), bytes.size())) {
    return SpngError("buffer", err);
  }
  spng_ihdr ihdr{};
  if (int err = spng_get_ihdr(ctx.get(), &ihdr))
    return SpngError("header", err);
  if (ihdr.width == 0 || ihdr.height == 0 ||
      ihdr.width > static_cast<uint32_t>(options.max_dimension) ||
      ihdr.height > static_cast<uint32_t>(options.max_dimension)) {
    return InvalidArgumentError("png: dimensions " +
                                std::to_string(ihdr.width) + "x" +
                                std::to_string(ihdr.height) + " out of range");
  }
  if (options.max_pixels <= 0 ||
      uint64_t{ihdr.width} * ihdr.height >
          static_cast<uint64_t>(options.max_pixels)) {
    return Corrupt(std::to_string(ihdr.width) + "x" +
                   std::to_string(ihdr.height) + " is more than the limit of " +
                   std::to_string(options.max_pixels) + " pixels");
  }
  // 8-bit truecolour is already RGB8: ask for the native layout, which skips
  // libspng's per-pixel conversion.
  const int fmt =
      ihdr.color_type == SPNG_COLOR_TYPE_TRUECOLOR && ihdr.bit_depth == 8
          ? SPNG_FMT_PNG
          : SPNG_FMT_RGB8;
  size_t len = 0;
  if (int err = spng_decoded_image_size(ctx.get(), fmt, &len)) {
    return SpngError("size", err);
  }
  RgbImage out;
  out.format = ImageFormat::kPng;
  out.source_width = out.width = static_cast<int>(ihdr.width);
  out.source_height = out.height = static_cast<int>(ihdr.height);
  out.pixels.resize(len);
  // SPNG_DECODE_TRNS is not requested: transparency is dropped, the colour
  // channels are what a client sees on an opaque background anyway.
  if (int err = spng_decode_image(ctx.get(), out.pixels.data(), len, fmt, 0)) {
    return SpngError("decode", err);
  }
  if (int err = spng_decode_chunks(ctx.get())) {
    return SpngError("trailing chunks", err);
  }
  return out;
}

Status DecodePngRows(std::string_view bytes, const DecodeOptions& options,
                     RgbRowSink& sink) {
  Status fast = DecodePngFast(bytes, options, sink);
  if (fast.code() != StatusCode::kUnimplemented) return fast;
  ZIMON_ASSIGN_OR_RETURN(RgbImage image, DecodePngSpng(bytes, options));
  return FeedRows(image, sink);
}

Status FeedRows(const RgbImage& image, RgbRowSink& sink) {
  ImageInfo info;
  info.format = image.format;
  info.source_width = image.source_width;
  info.source_height = image.source_height;
  info.width = image.width;
  info.height = image.height;
  ZIMON_RETURN_IF_ERROR(sink.Start(info));
  const size_t row_bytes = static_cast<size_t>(image.width) * 3;
  for (int y = 0; y < image.height; ++y) {
    sink.Row(y, image.pixels.data() + static_cast<size_t>(y) * row_bytes);
  }
  return OkStatus();
}

StatusOr<RgbImage> DecodePng(std::string_view bytes,
                             const DecodeOptions& options) {
  RgbImage out;
  ImageSink sink(out);
  Status fast = DecodePngFast(bytes, options, sink);
  if (fast.ok()) return out;
  if (fast.code() != StatusCode::kUnimplemented) return fast;
  return DecodePngSpng(bytes, options);
}

}  // namespace zimon::gateway::internal
