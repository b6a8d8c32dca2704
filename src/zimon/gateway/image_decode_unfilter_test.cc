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
        ASSERT_TRUE(UnfilterRow(type, fast.data(), prev_fast.data(), len, bpp));
        Reference(type, ref.data(), prev_ref.data(), len,
                  static_cast<size_t>(bpp));
        ASSERT_EQ(fast, ref) << "type " << type << " bpp " << bpp << " width "
                             << width << " row " << y;  // padding unchanged
        prev_fast = fast;
        prev_ref = ref;
      }
    }
  }
}

// Every (a, b, c) for 4-byte pixels: a row whose
// previous row runs through all (c, b) pairs, with raw bytes chosen so the
// decoded left neighbour a takes a given value in each lane.
TEST(UnfilterRow, PaethMatchesSpecificationForAllNeighbours) {
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
    // 3-byte pixels share the code of 4-byte ones but for the store; a third
    // of the values of a keeps the debug build's run short.
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
      ASSERT_TRUE(UnfilterRow(4, row.data(), prev.data(), len, bpp));
      const auto diff =
          std::mismatch(decoded.begin(), decoded.end(), row.begin());
      if (diff.first != decoded.end()) {
        const size_t i = static_cast<size_t>(diff.first - decoded.begin());
        const int c = i >= static_cast<size_t>(bpp) ? prev[i - bpp] : 0;
        FAIL() << "bpp " << bpp << " a " << int{decoded[i]} << " b "
               << int{prev[i]} << " c " << c << ": got " << int{row[i]};
      }
    }
  }
}

TEST(UnfilterRow, RejectsUnknownFilterType) {
  std::vector<uint8_t> row = Padded(12), prev = Padded(12);
  EXPECT_FALSE(UnfilterRow(5, row.data(), prev.data(), 12, 3));
  EXPECT_FALSE(UnfilterRow(255, row.data(), prev.data(), 12, 3));
}

}  // namespace
}  // namespace zimon::gateway::internal
