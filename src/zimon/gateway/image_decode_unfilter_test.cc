#include "zimon/gateway/image_decode_unfilter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <vector>

namespace zimon::gateway::internal {
namespace {

// The PNG specification's definitions, byte by byte.
int Paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a);
  const int pb = std::abs(p - b);
  const int pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  if (pb <= pc) return b;
  return c;
}

void Reference(int type, uint8_t* row, const uint8_t* prev, size_t len,
               size_t bpp) {
  for (size_t i = 0; i < len; ++i) {
    const int a = i >= bpp ? row[i - bpp] : 0;
    const int b = prev[i];
    const int c = i >= bpp ? prev[i - bpp] : 0;
    int pred = 0;
    switch (type) {
      case 1:
        pred = a;
        break;
      case 2:
        pred = b;
        break;
      case 3:
        pred = (a + b) / 2;
        break;
      case 4:
        pred = Paeth(a, b, c);
        break;
      default:
        break;
    }
    row[i] = static_cast<uint8_t>(row[i] + pred);
  }
}

std::vector<uint8_t> Padded(size_t len) {
  return std::vector<uint8_t>(len + kUnfilterPadding);
}

TEST(UnfilterRow, MatchesSpecificationOnRandomRows) {
  std::mt19937 rng(7);
  for (int bpp = 1; bpp <= 8; ++bpp) {
    for (size_t width : {size_t{1}, size_t{2}, size_t{5}, size_t{6}, size_t{17},
                         size_t{64}, size_t{333}}) {
      const size_t len = width * static_cast<size_t>(bpp);
      std::vector<uint8_t> prev_fast = Padded(len);
      std::vector<uint8_t> prev_ref = Padded(len);
      for (int y = 0; y < 40; ++y) {
        const int type = y % 5;
        std::vector<uint8_t> fast = Padded(len);
        // Mostly small residuals, as real filtered data, plus extremes.
        for (size_t i = 0; i < fast.size(); ++i) {
          const unsigned r = rng();
          fast[i] = static_cast<uint8_t>(r % 7 == 0 ? r >> 8 : (r >> 8) % 9);
        }
        std::vector<uint8_t> ref = fast;
        const std::vector<uint8_t> src = fast;
        ASSERT_TRUE(UnfilterRow(type, src.data(), prev_fast.data(), len, bpp,
                                fast.data()));
        // Bytes past the row are unspecified after the call.
        std::copy(src.begin() + static_cast<std::ptrdiff_t>(len), src.end(),
                  fast.begin() + static_cast<std::ptrdiff_t>(len));
        Reference(type, ref.data(), prev_ref.data(), len,
                  static_cast<size_t>(bpp));
        ASSERT_EQ(fast, ref) << "type " << type << " bpp " << bpp << " width "
                             << width << " row " << y;
        prev_fast = fast;
        prev_ref = ref;
      }
    }
  }
}

// Every (a, b, c) on every implementation: a row whose previous row runs
// through all (c, b) pairs, with raw bytes chosen so the decoded left
// neighbour a takes a given value in each lane.
TEST(UnfilterRow, PaethMatchesSpecificationForAllNeighbours) {
  for (UnfilterPath path : SupportedUnfilterPaths()) {
    if (path == UnfilterPath::kPortable) continue;  // the textbook code
    for (int bpp : {3, 4}) {
      std::vector<uint8_t> pairs;  // c, b, c, b, ... covering all 65536 pairs
      for (int c = 0; c < 256; ++c) {
        for (int b = 0; b < 256; ++b) {
          pairs.push_back(static_cast<uint8_t>(c));
          pairs.push_back(static_cast<uint8_t>(b));
        }
      }
      const size_t width = pairs.size();
      const size_t len = width * static_cast<size_t>(bpp);
      std::vector<uint8_t> prev = Padded(len);
      for (size_t x = 0; x < width; ++x) {
        for (int k = 0; k < bpp; ++k) prev[x * bpp + k] = pairs[x];
      }
      // A third of the values of a for 3-byte pixels keeps the debug build's
      // run short; the lanes differ by one, so all values are covered.
      const int a_step = bpp == 4 ? bpp : 3 * bpp;
      for (int a0 = 0; a0 < 256; a0 += a_step) {
        // Decoded values: lane k of every pixel is a0 + k, so each pixel sees
        // a = a0 + k with (c, b) from consecutive pairs.
        std::vector<uint8_t> decoded(len);
        for (size_t i = 0; i < len; ++i) {
          decoded[i] = static_cast<uint8_t>(a0 + static_cast<int>(i % bpp));
        }
        std::vector<uint8_t> row = Padded(len);
        for (size_t i = 0; i < len; ++i) {
          const int a = i >= static_cast<size_t>(bpp) ? decoded[i - bpp] : 0;
          const int c = i >= static_cast<size_t>(bpp) ? prev[i - bpp] : 0;
          row[i] = static_cast<uint8_t>(decoded[i] - Paeth(a, prev[i], c));
        }
        std::vector<uint8_t> out = Padded(len);
        ASSERT_TRUE(UnfilterRowOn(path, 4, row.data(), prev.data(), len, bpp,
                                  out.data()));
        const auto diff =
            std::mismatch(decoded.begin(), decoded.end(), out.begin());
        if (diff.first != decoded.end()) {
          const size_t i = static_cast<size_t>(diff.first - decoded.begin());
          const int c = i >= static_cast<size_t>(bpp) ? prev[i - bpp] : 0;
          FAIL() << "path " << static_cast<int>(path) << " bpp " << bpp << " a "
                 << int{decoded[i]} << " b " << int{prev[i]} << " c " << c
                 << ": got " << int{out[i]};
        }
      }
    }
  }
}

// Each vector implementation against the portable one, for every filter,
// pixel size and a range of widths around the vector and block sizes (the
// Average and Paeth code works in blocks of 32 pixels), over rows of random
// bytes whose padding is random too: it must not leak into the result.
TEST(UnfilterRow, EveryPathMatchesPortableCode) {
  std::mt19937 rng(11);
  const auto random_row = [&](size_t len) {
    std::vector<uint8_t> row = Padded(len);
    for (uint8_t& v : row) v = static_cast<uint8_t>(rng() >> 8);
    return row;
  };
  for (UnfilterPath path : SupportedUnfilterPaths()) {
    if (path == UnfilterPath::kPortable) continue;
    for (int bpp = 1; bpp <= 8; ++bpp) {
      for (size_t width : {1,  2,  3,  4,  5,  7,  15, 16, 17,  31,
                           32, 33, 63, 64, 65, 95, 96, 97, 129, 333}) {
        const size_t len = width * static_cast<size_t>(bpp);
        std::vector<uint8_t> prev_path = random_row(len);
        std::vector<uint8_t> prev_ref = prev_path;
        for (int y = 0; y < 10; ++y) {
          const int type = y % 5;
          const std::vector<uint8_t> src = random_row(len);
          std::vector<uint8_t> got = random_row(len);
          std::vector<uint8_t> want = random_row(len);
          ASSERT_TRUE(UnfilterRowOn(path, type, src.data(), prev_path.data(),
                                    len, bpp, got.data()));
          ASSERT_TRUE(UnfilterRowOn(UnfilterPath::kPortable, type, src.data(),
                                    prev_ref.data(), len, bpp, want.data()));
          ASSERT_TRUE(std::equal(want.begin(), want.begin() + len, got.begin()))
              << "path " << static_cast<int>(path) << " type " << type
              << " bpp " << bpp << " width " << width << " row " << y;
          // The next row sees this one with the padding each path left.
          prev_path = got;
          prev_ref = want;
        }
      }
    }
  }
}

TEST(UnfilterRow, PortableAndSse2AreAlwaysSupported) {
  const std::vector<UnfilterPath> paths = SupportedUnfilterPaths();
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(paths.front(), UnfilterPath::kPortable);
#if defined(__SSE2__)
  EXPECT_NE(std::find(paths.begin(), paths.end(), UnfilterPath::kSse2),
            paths.end());
#endif
}

TEST(UnfilterRow, RejectsUnknownFilterType) {
  std::vector<uint8_t> row = Padded(12), prev = Padded(12), out = Padded(12);
  EXPECT_FALSE(UnfilterRow(5, row.data(), prev.data(), 12, 3, out.data()));
  EXPECT_FALSE(UnfilterRow(255, row.data(), prev.data(), 12, 3, out.data()));
  for (UnfilterPath path : SupportedUnfilterPaths()) {
    EXPECT_FALSE(
        UnfilterRowOn(path, 5, row.data(), prev.data(), 12, 4, out.data()));
  }
}

}  // namespace
}  // namespace zimon::gateway::internal
