#include "zimon/gateway/image_decode_png.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "zimon/gateway/quality_test_images.h"

namespace zimon::gateway::internal {
namespace {

using testing::AppendPngChunk;
using testing::EncodePngLikePil;
using testing::EncodePngSamples;
using testing::IdatStream;
using testing::NaturalImage;
using testing::PngChunk;
using testing::PngChunks;
using testing::PngEncoding;
using testing::SplitIdat;

// Collects rows, checking they arrive in order.
class CollectingSink : public RgbRowSink {
 public:
  Status Start(const ImageInfo& info) override {
    info_ = info;
    pixels_.clear();
    return OkStatus();
  }
  void Row(int y, const uint8_t* rgb) override {
    EXPECT_EQ(y, next_row_++);
    pixels_.insert(pixels_.end(), rgb, rgb + info_.width * 3);
  }
  const ImageInfo& info() const { return info_; }
  const std::vector<uint8_t>& pixels() const { return pixels_; }

 private:
  ImageInfo info_;
  int next_row_ = 0;
  std::vector<uint8_t> pixels_;
};

int Channels(int colour_type) {
  switch (colour_type) {
    case 0:
    case 3:
      return 1;
    case 4:
      return 2;
    case 2:
      return 3;
    default:
      return 4;
  }
}

// Photo-like samples for any colour type and depth: the natural test image's
// channels (grey from green), repeated into alpha, 16-bit as v * 256 + noise.
std::vector<uint8_t> Samples(int width, int height, int colour_type,
                             int depth) {
  const RgbImage img = NaturalImage(width, height, 11);
  const int channels = Channels(colour_type);
  std::vector<uint8_t> out;
  for (size_t p = 0; p < static_cast<size_t>(width) * height; ++p) {
    for (int k = 0; k < channels; ++k) {
      const uint8_t v = colour_type == 0 || colour_type == 4
                            ? img.pixels[p * 3 + (k == 0 ? 1 : 0)]
                            : img.pixels[p * 3 + (k < 3 ? k : 2)];
      if (depth == 16) {  // host (little-endian) order, as libspng takes it
        out.push_back(static_cast<uint8_t>(p * 7 + k));
        out.push_back(v);
      } else {
        out.push_back(v);
      }
    }
  }
  return out;
}

std::string Encode(int width, int height, const PngEncoding& enc) {
  StatusOr<std::string> png = EncodePngSamples(
      width, height, Samples(width, height, enc.colour_type, enc.bit_depth),
      enc);
  EXPECT_TRUE(png.ok()) << png.status().ToString();
  return png.ok() ? *png : std::string();
}

// Filter types of the rows of a non-interlaced PNG, read back with zlib.
std::set<int> FilterTypes(std::string_view png, int width, int height,
                          int bytes_per_pixel) {
  const std::string z = IdatStream(png);
  const size_t stride = static_cast<size_t>(width) * bytes_per_pixel + 1;
  std::vector<uint8_t> raw(stride * height);
  uLongf len = raw.size();
  EXPECT_EQ(uncompress(raw.data(), &len,
                       reinterpret_cast<const Bytef*>(z.data()), z.size()),
            Z_OK);
  std::set<int> types;
  for (int y = 0; y < height; ++y) types.insert(raw[y * stride]);
  return types;
}

// A PNG from already filtered rows (filter byte first), zlib level 6.
std::string PngFromRaw(int width, int height, int colour_type,
                       const std::vector<uint8_t>& raw) {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  for (uint32_t v :
       {static_cast<uint32_t>(width), static_cast<uint32_t>(height)}) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      ihdr.push_back(static_cast<char>((v >> shift) & 0xFF));
    }
  }
  ihdr.push_back(8);
  ihdr.push_back(static_cast<char>(colour_type));
  ihdr.append(3, '\0');
  AppendPngChunk(png, "IHDR", ihdr);
  std::string z(compressBound(raw.size()), '\0');
  uLongf zlen = z.size();
  EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(z.data()), &zlen, raw.data(),
                      raw.size(), 6),
            Z_OK);
  z.resize(zlen);
  AppendPngChunk(png, "IDAT", z);
  AppendPngChunk(png, "IEND", "");
  return png;
}

// A file of tests/data/png; empty (and a failure) if it cannot be read.
std::string TestPng(const std::string& name) {
  std::ifstream in(std::string(ZIMON_TEST_DATA_DIR) + "/png/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

// Decodes with the fast path, requiring it to apply.
std::vector<uint8_t> Fast(std::string_view png,
                          PngInflater inflater = PngInflater::kAuto) {
  CollectingSink sink;
  Status s = DecodePngFast(png, DecodeOptions{}, sink, inflater);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return sink.pixels();
}

std::vector<uint8_t> Spng(std::string_view png) {
  StatusOr<RgbImage> img = DecodePngSpng(png, DecodeOptions{});
  EXPECT_TRUE(img.ok()) << img.status().ToString();
  return img.ok() ? img->pixels : std::vector<uint8_t>();
}

Status FastStatus(std::string_view png, const DecodeOptions& options = {},
                  PngInflater inflater = PngInflater::kAuto) {
  CollectingSink sink;
  return DecodePngFast(png, options, sink, inflater);
}

// The tests of the image data run once per inflater: both must decode the
// same pixels and report the same errors.
class DecodePngFastWith : public ::testing::TestWithParam<PngInflater> {
 protected:
  void SetUp() override {
    if (!HavePngInflater(GetParam())) GTEST_SKIP() << "ISA-L not built";
  }
  std::vector<uint8_t> Fast(std::string_view png) {
    return internal::Fast(png, GetParam());
  }
  Status FastStatus(std::string_view png, const DecodeOptions& options = {}) {
    return internal::FastStatus(png, options, GetParam());
  }
};

INSTANTIATE_TEST_SUITE_P(
    Inflaters, DecodePngFastWith,
    ::testing::Values(PngInflater::kLibdeflate, PngInflater::kIsal),
    [](const ::testing::TestParamInfo<PngInflater>& param) {
      return param.param == PngInflater::kIsal ? std::string("Isal")
                                               : std::string("Libdeflate");
    });

TEST_P(DecodePngFastWith, MatchesLibspngForEveryColourTypeAndFilter) {
  for (int colour : {0, 2, 4, 6}) {
    std::set<int> seen;
    for (int filter = -1; filter <= 4; ++filter) {
      PngEncoding enc;
      enc.colour_type = colour;
      enc.filter = filter;
      const int width = 67, height = 23;
      const std::string png = Encode(width, height, enc);
      const std::set<int> used =
          FilterTypes(png, width, height, Channels(colour));
      if (filter >= 0) {
        // libspng may code the first row differently; the rest must use it.
        EXPECT_TRUE(used.count(filter)) << "colour " << colour;
      }
      seen.insert(used.begin(), used.end());
      const std::vector<uint8_t> expected = Spng(png);
      ASSERT_EQ(expected.size(), size_t{width} * height * 3);
      EXPECT_EQ(Fast(png), expected)
          << "colour " << colour << " filter " << filter;
    }
    EXPECT_EQ(seen, (std::set<int>{0, 1, 2, 3, 4})) << "colour " << colour;
  }
}

TEST_P(DecodePngFastWith, MatchesLibspngOnPilStylePng) {
  StatusOr<std::string> png = EncodePngLikePil(NaturalImage(401, 257, 3));
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  int idat = 0;
  for (const PngChunk& c : PngChunks(*png)) idat += c.type == "IDAT" ? 1 : 0;
  EXPECT_GE(idat, 2);  // 64 KiB chunks
  EXPECT_GE(FilterTypes(*png, 401, 257, 3).size(), 3u);
  EXPECT_EQ(Fast(*png), Spng(*png));
  EXPECT_EQ(Fast(*png), NaturalImage(401, 257, 3).pixels);
}

// A file written by Pillow itself (tests/data/png/README.md).
TEST_P(DecodePngFastWith, DecodesPngWrittenByPillow) {
  const std::string png = TestPng("pillow_natural_97x61.png");
  ASSERT_FALSE(png.empty());
  const RgbImage src = NaturalImage(97, 61, 3);
  EXPECT_EQ(*EncodePngLikePil(src), png);  // the bench's encoder is Pillow's
  EXPECT_EQ(Fast(png), src.pixels);
  EXPECT_EQ(Spng(png), src.pixels);
}

// Rows of random bytes with every filter type in turn (None rows are used
// where they lie, the others unfiltered into row buffers), for each colour
// type and widths around the vector and block sizes of the unfilter code.
TEST_P(DecodePngFastWith, MatchesLibspngOnRandomRowsOfEveryFilterAndWidth) {
  std::mt19937 rng(5);
  for (int colour : {0, 2, 4, 6}) {
    const size_t channels = static_cast<size_t>(Channels(colour));
    for (int width : {1, 2, 3, 5, 16, 31, 32, 33, 64, 65, 97, 130}) {
      const int height = 12;
      const size_t row_bytes = static_cast<size_t>(width) * channels;
      std::vector<uint8_t> raw;
      for (int y = 0; y < height; ++y) {
        raw.push_back(static_cast<uint8_t>(y % 5));
        for (size_t i = 0; i < row_bytes; ++i) {
          raw.push_back(static_cast<uint8_t>(rng() >> 8));
        }
      }
      const std::string png = PngFromRaw(width, height, colour, raw);
      EXPECT_EQ(Fast(png), Spng(png))
          << "colour " << colour << " width " << width;
    }
  }
}

TEST_P(DecodePngFastWith, JoinsImageDataSplitAcrossChunks) {
  PngEncoding enc;
  enc.colour_type = 6;
  const std::string png = Encode(50, 40, enc);
  const std::vector<uint8_t> expected = Spng(png);
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{1000}}) {
    const std::string split = SplitIdat(png, chunk);
    ASSERT_FALSE(split.empty());
    EXPECT_EQ(Fast(split), expected) << "chunks of " << chunk;
  }
}

TEST(DecodePngFast, LeavesOtherLayoutsToLibspng) {
  struct Case {
    int colour, depth;
    bool interlaced;
  };
  for (const Case& c :
       {Case{2, 16, false}, Case{0, 16, false}, Case{6, 16, false},
        Case{3, 8, false}, Case{2, 8, true}, Case{6, 8, true}}) {
    PngEncoding enc;
    enc.colour_type = c.colour;
    enc.bit_depth = c.depth;
    enc.interlaced = c.interlaced;
    std::vector<uint8_t> samples = Samples(33, 21, c.colour, c.depth);
    std::vector<uint8_t> palette;
    if (c.colour == 3) {
      for (int i = 0; i < 256; ++i) {
        palette.insert(palette.end(),
                       {static_cast<uint8_t>(i), static_cast<uint8_t>(255 - i),
                        static_cast<uint8_t>(i * 3)});
      }
    }
    StatusOr<std::string> png = EncodePngSamples(33, 21, samples, enc, palette);
    ASSERT_TRUE(png.ok()) << png.status().ToString();
    EXPECT_EQ(FastStatus(*png).code(), StatusCode::kUnimplemented)
        << "colour " << c.colour << " depth " << c.depth;
    // The public paths fall back and agree with libspng.
    StatusOr<RgbImage> img = DecodeImage(*png);
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    EXPECT_EQ(img->pixels, Spng(*png));
    CollectingSink sink;
    ASSERT_TRUE(DecodeImageRows(*png, DecodeOptions{}, sink).ok());
    EXPECT_EQ(sink.pixels(), img->pixels);
    EXPECT_EQ(sink.info().width, 33);
  }
}

TEST_P(DecodePngFastWith, TruncationIsAClearError) {
  StatusOr<std::string> png = EncodePngLikePil(NaturalImage(300, 300, 5));
  ASSERT_TRUE(png.ok());
  const size_t iend = png->size() - 12;
  for (size_t keep = 40; keep < iend; keep += 997) {
    Status s = FastStatus(png->substr(0, keep));
    ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << "kept " << keep;
    EXPECT_NE(s.message().find("truncated"), std::string::npos) << s.message();
  }
  // Cut after the last IDAT: the pixels are all there and verified.
  EXPECT_TRUE(FastStatus(png->substr(0, iend)).ok());
  EXPECT_TRUE(FastStatus(png->substr(0, iend + 9)).ok());  // "IEND" readable
}

TEST(DecodePngFast, BadCrcIsAnError) {
  StatusOr<std::string> png = EncodePngLikePil(NaturalImage(64, 64, 5));
  ASSERT_TRUE(png.ok());
  // A text chunk before the image data, so ancillary CRCs are covered too.
  std::string with_text = png->substr(0, 33);
  AppendPngChunk(with_text, "tEXt", std::string("Comment\0hi", 10));
  with_text.append(png->substr(33));
  EXPECT_TRUE(FastStatus(with_text).ok());
  for (const PngChunk& c : PngChunks(with_text)) {
    if (c.type != "IDAT" && c.type != "tEXt") continue;
    std::string bad = with_text;
    bad[c.at + 8 + c.length / 2] ^= 0x01;  // a data byte; CRC now wrong
    Status s = FastStatus(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("CRC mismatch in " + c.type), std::string::npos)
        << s.message();
  }
}

// Damage behind a recomputed CRC: the deflate stream, the Adler-32.
TEST_P(DecodePngFastWith, CorruptImageDataIsAnError) {
  const std::string png = *EncodePngLikePil(NaturalImage(64, 64, 5));
  const PngChunk idat = PngChunks(png)[1];
  ASSERT_EQ(idat.type, "IDAT");
  for (size_t offset : {size_t{0}, size_t{2}, size_t{idat.length / 2},
                        size_t{idat.length - 1}}) {
    std::string data = png.substr(idat.at + 8, idat.length);
    data[offset] ^= 0x5A;
    std::string bad = png.substr(0, idat.at);
    AppendPngChunk(bad, "IDAT", data);
    bad.append(png.substr(idat.at + 12 + idat.length));
    // Damage may also make the stream longer than the rows, which the fast
    // path leaves to libspng; either way the result is an error.
    EXPECT_EQ(DecodeImage(bad).status().code(), StatusCode::kInvalidArgument)
        << "offset " << offset;
    if (offset == idat.length - 1) {  // Adler-32
      Status s = FastStatus(bad);
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
      EXPECT_NE(s.message().find("corrupt"), std::string::npos) << s.message();
    }
  }
}

TEST_P(DecodePngFastWith, RejectsBadFilterTypeAndSplitImageData) {
  std::vector<uint8_t> raw(4 * (1 + 4 * 3));
  raw[13] = 7;  // row 1
  Status s = FastStatus(PngFromRaw(4, 4, 2, raw));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("invalid filter type 7 in row 1"),
            std::string::npos)
      << s.message();

  raw[13] = 0;
  const std::string png = SplitIdat(PngFromRaw(4, 4, 2, raw), 5);
  ASSERT_TRUE(FastStatus(png).ok());
  std::vector<PngChunk> chunks = PngChunks(png);
  // Move a tEXt chunk between the first and second IDAT.
  std::string split = png.substr(0, chunks[2].at);
  AppendPngChunk(split, "tEXt", std::string("a\0b", 3));
  split.append(png.substr(chunks[2].at));
  s = FastStatus(split);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not consecutive"), std::string::npos);
}

TEST_P(DecodePngFastWith, MissingImageDataIsAnError) {
  std::string png = *EncodePngLikePil(NaturalImage(8, 8, 1));
  std::string no_idat = png.substr(0, 33);
  AppendPngChunk(no_idat, "IEND", "");
  EXPECT_EQ(FastStatus(no_idat).code(), StatusCode::kInvalidArgument);
  // Three rows of data for a header of eight.
  std::vector<uint8_t> raw(3 * (1 + 8 * 3));
  Status s = FastStatus(PngFromRaw(8, 8, 2, raw));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("ends early"), std::string::npos) << s.message();
}

// A stream with more rows than the header: within the padding the inflaters
// write past the rows (one extra row) and beyond it (three). Either way the
// fast path leaves the file to libspng before calling the sink.
TEST_P(DecodePngFastWith, MoreImageDataThanRowsGoesToLibspng) {
  for (int extra_rows : {1, 3}) {
    std::vector<uint8_t> raw((4 + extra_rows) * (1 + 4 * 3), 9);
    for (size_t y = 0; y < raw.size(); y += 13) raw[y] = 0;
    const std::string png = PngFromRaw(4, 4, 2, raw);
    CollectingSink sink;
    Status s = DecodePngFast(png, DecodeOptions{}, sink, GetParam());
    EXPECT_EQ(s.code(), StatusCode::kUnimplemented) << extra_rows;
    EXPECT_TRUE(sink.pixels().empty());
  }
}

// The inflaters may stop at different faults of one stream; the answer
// after libspng's fallback is the same (tests/data/png/README.md).
TEST_P(DecodePngFastWith, DamagedOverlongStreamIsRefused) {
  const std::string png = TestPng("damaged_long_stream_97x61.png");
  ASSERT_FALSE(png.empty());
  Status s = FastStatus(png);
  if (s.code() == StatusCode::kUnimplemented) {
    s = DecodePngSpng(png, DecodeOptions{}).status();
  }
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(DecodeImage(png).status().code(), StatusCode::kInvalidArgument);
}

// Headers and first block bytes as zlib writes them: FLG 0x01 level 1,
// 0x5E levels 2-5, 0x9C level 6, 0xDA levels 7-9; first byte 0x05 or 0x04 a
// (final or not) block with dynamic codes, 0x03 one with fixed codes.
TEST(ChoosePngInflater, IsalForLiteralHeavyDynamicStreamsAboveLevelOne) {
  const PngInflater isal = HavePngInflater(PngInflater::kIsal)
                               ? PngInflater::kIsal
                               : PngInflater::kLibdeflate;
  const size_t rows = 1024 * (1 + 1024 * 3);
  EXPECT_EQ(ChoosePngInflater("\x78\x9C\x04", rows / 4, rows), isal);
  EXPECT_EQ(ChoosePngInflater("\x78\xDA\x05", rows / 2, rows), isal);
  EXPECT_EQ(ChoosePngInflater("\x78\x5E\x04", rows / 2, rows), isal);
  // A stream that shrank to under a quarter is mostly matches.
  EXPECT_EQ(ChoosePngInflater("\x78\x9C\x04", rows / 4 - 1, rows),
            PngInflater::kLibdeflate);
  // Level 1; fixed codes; a stored block; too short to tell.
  EXPECT_EQ(ChoosePngInflater("\x78\x01\x04", rows / 2, rows),
            PngInflater::kLibdeflate);
  EXPECT_EQ(ChoosePngInflater("\x78\x5E\x03", rows / 2, rows),
            PngInflater::kLibdeflate);
  EXPECT_EQ(
      ChoosePngInflater(std::string_view("\x78\x9C\x00", 3), rows / 2, rows),
      PngInflater::kLibdeflate);
  EXPECT_EQ(ChoosePngInflater("\x78\x9C", rows / 2, rows),
            PngInflater::kLibdeflate);
}

// zlib's own output for filtered rows of a photo-like image and of a smooth
// one, as real servers write them.
TEST(ChoosePngInflater, RealStreams) {
  const PngInflater isal = HavePngInflater(PngInflater::kIsal)
                               ? PngInflater::kIsal
                               : PngInflater::kLibdeflate;
  const RgbImage photo = NaturalImage(256, 256, 7);
  const size_t rows = 256 * (1 + 256 * 3);
  auto choice = [&](const std::string& stream) {
    return ChoosePngInflater(stream, stream.size(), rows);
  };
  // Pillow at its default level and at ComfyUI's (SaveImage: 4).
  EXPECT_EQ(choice(IdatStream(*EncodePngLikePil(photo))), isal);
  EXPECT_EQ(choice(IdatStream(*EncodePngLikePil(photo, 4))), isal);
  // Level 1 (zimon sim, libspng's fast settings) and fixed Huffman codes
  // (the block type stb_image_write uses).
  EXPECT_EQ(choice(IdatStream(*EncodePngLikePil(photo, 1))),
            PngInflater::kLibdeflate);
  std::string rgb_rows;
  for (size_t y = 0; y < 256; ++y) {
    rgb_rows.push_back('\0');
    rgb_rows.append(
        reinterpret_cast<const char*>(photo.pixels.data()) + y * 256 * 3,
        256 * 3);
  }
  z_stream zs{};
  ASSERT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 15, 9, Z_FIXED), Z_OK);
  std::string fixed(deflateBound(&zs, rgb_rows.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(rgb_rows.data());
  zs.avail_in = static_cast<uInt>(rgb_rows.size());
  zs.next_out = reinterpret_cast<Bytef*>(fixed.data());
  zs.avail_out = static_cast<uInt>(fixed.size());
  ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  fixed.resize(zs.total_out);
  deflateEnd(&zs);
  EXPECT_EQ((static_cast<uint8_t>(fixed[2]) >> 1) & 3, 1);  // fixed codes
  EXPECT_EQ(choice(fixed), PngInflater::kLibdeflate);

  // A smooth gradient at level 6 filters to near-constant rows.
  std::vector<uint8_t> raw;
  for (int y = 0; y < 256; ++y) {
    raw.push_back(1);  // Sub
    for (int x = 0; x < 256 * 3; ++x) raw.push_back(x % 3 == 0 ? 1 : 0);
  }
  const std::string smooth = IdatStream(PngFromRaw(256, 256, 2, raw));
  EXPECT_EQ(static_cast<uint8_t>(smooth[1]) >> 6, 2);  // level 6
  EXPECT_EQ(choice(smooth), PngInflater::kLibdeflate);
}

TEST(DecodePngFast, RefusesDecompressionBombsBeforeAllocating) {
  std::string png = *EncodePngLikePil(NaturalImage(8, 8, 1));
  // Claim 8000x8000 (192 MB of rows) with a few bytes of data.
  std::string ihdr = png.substr(16, 13);
  ihdr[0] = ihdr[4] = 0;
  ihdr[1] = ihdr[5] = 0;
  ihdr[2] = ihdr[6] = static_cast<char>(8000 >> 8);
  ihdr[3] = ihdr[7] = static_cast<char>(8000 & 0xFF);
  std::string bomb = png.substr(0, 8);
  AppendPngChunk(bomb, "IHDR", ihdr);
  bomb.append(png.substr(33));
  Status s = FastStatus(bomb);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("cannot hold"), std::string::npos) << s.message();

  DecodeOptions options;
  options.max_pixels = 1000;
  s = FastStatus(*EncodePngLikePil(NaturalImage(40, 30, 1)), options);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("limit of 1000 pixels"), std::string::npos);
  EXPECT_TRUE(
      FastStatus(*EncodePngLikePil(NaturalImage(40, 25, 1)), options).ok());
}

TEST(DecodePngFast, UnknownCriticalChunkGoesToLibspng) {
  std::string png = *EncodePngLikePil(NaturalImage(8, 8, 1));
  std::string odd = png.substr(0, 33);
  AppendPngChunk(odd, "ZZZZ", "x");
  odd.append(png.substr(33));
  EXPECT_EQ(FastStatus(odd).code(), StatusCode::kUnimplemented);
  EXPECT_EQ(DecodeImage(odd).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace zimon::gateway::internal
