#include "zimon/gateway/base64.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace zimon::gateway {
namespace {

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, DecodesRfc4648Vectors) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    StatusOr<std::string> d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d.ok()) << s;
    EXPECT_EQ(*d, s);
  }
}

TEST(Base64, RoundTripsRandomBinary) {
  std::mt19937 rng(7);
  for (size_t len = 0; len < 300; ++len) {
    std::string bytes(len, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    StatusOr<std::string> d = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(d.ok()) << len;
    EXPECT_EQ(*d, bytes) << len;
  }
}

TEST(Base64, AcceptsMissingPaddingAndLineBreaks) {
  EXPECT_EQ(*Base64Decode("Zm9vYg"), "foob");
  EXPECT_EQ(*Base64Decode("Zm9v\r\nYmFy\n"), "foobar");
  EXPECT_EQ(*Base64Decode("Zm9v YmE="), "fooba");
}

TEST(Base64, RejectsMalformedInput) {
  EXPECT_EQ(Base64Decode("Zm9v!mFy").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(Base64Decode("Zm9vY").ok());   // 6 stray bits
  EXPECT_FALSE(Base64Decode("Zm=9v").ok());   // padding inside
  EXPECT_FALSE(Base64Decode("Zh==").ok());    // non-zero padding bits
  EXPECT_FALSE(Base64Decode("Zm9v-_").ok());  // URL alphabet
}

TEST(Base64, EveryCharacterOutsideTheAlphabetIsFound) {
  std::mt19937 rng(7);
  for (size_t size :
       {0, 1, 2, 3, 11, 12, 13, 47, 48, 49, 4095, 4096, 5000, 100'000}) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    std::string text = Base64Encode(bytes);
    EXPECT_TRUE(IsCanonicalBase64(text)) << size;
    size_t run =
        text.find('=') == std::string::npos ? text.size() : text.find('=');
    EXPECT_EQ(Base64AlphabetPrefix(text), run) << size;
    if (text.size() < 8) continue;
    // One bad character anywhere is found, in the SIMD part or the tail.
    for (size_t at :
         {size_t{0}, text.size() / 2, text.size() - 5, text.size() - 1}) {
      for (char bad : {'-', '_', ' ', '\n', '"', '\\', '\x80', '\xff', '=',
                       '\0', '@', '[', '`', '{', ':'}) {
        std::string broken = text;
        // '=' for the last character can be valid padding.
        if (broken[at] == '=' || (bad == '=' && at == text.size() - 1)) {
          continue;
        }
        broken[at] = bad;
        EXPECT_FALSE(IsCanonicalBase64(broken)) << size << " " << at;
        EXPECT_EQ(Base64AlphabetPrefix(broken), at) << size;
      }
    }
  }
}

TEST(Base64, AlphabetPrefixAgreesWithTheDecoderOnEveryByteOnEveryPath) {
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text(700, 'x');
  for (size_t i = 0; i < text.size(); ++i) text[i] = alphabet[i % 64];
  std::vector<internal::AlphabetPath> paths =
      internal::SupportedAlphabetPaths();
  ASSERT_EQ(paths.front(), internal::AlphabetPath::kPortable);
  for (internal::AlphabetPath path : paths) {
    SCOPED_TRACE("path " + std::to_string(static_cast<int>(path)));
    EXPECT_EQ(internal::Base64AlphabetPrefixOn(path, text), text.size());
    // 700 bytes: the wide loops (128 and 32 bytes at a time with AVX2),
    // the 16-byte loop and the scalar tail.
    for (size_t at : {0, 5, 150, 300, 530, 600, 650, 680, 695, 699}) {
      for (int b = 0; b < 256; ++b) {
        std::string broken = text;
        broken[at] = static_cast<char>(b);
        bool in = alphabet.find(static_cast<char>(b)) != std::string::npos;
        ASSERT_EQ(internal::Base64AlphabetPrefixOn(path, broken),
                  in ? text.size() : at)
            << "byte " << b << " at " << at;
      }
    }
  }
}

TEST(Base64, AlphabetPathsIncludeTheBaselineOnX86) {
  std::vector<internal::AlphabetPath> paths =
      internal::SupportedAlphabetPaths();
#if defined(__x86_64__)
  EXPECT_NE(
      std::find(paths.begin(), paths.end(), internal::AlphabetPath::kSse2),
      paths.end());
#endif
  // The entry point takes the best (last) path: same answers.
  std::string text = Base64Encode(std::string(3000, 'Z')) + "!tail";
  EXPECT_EQ(Base64AlphabetPrefix(text),
            internal::Base64AlphabetPrefixOn(paths.back(), text));
  EXPECT_EQ(Base64AlphabetPrefix(text), 4000u);
}

TEST(Base64, CanonicalMeansPaddedWithZeroPaddingBits) {
  EXPECT_TRUE(IsCanonicalBase64(""));
  EXPECT_TRUE(IsCanonicalBase64("QQ=="));
  EXPECT_TRUE(IsCanonicalBase64("QUI="));
  EXPECT_TRUE(IsCanonicalBase64("QUJD"));
  EXPECT_TRUE(IsCanonicalBase64("+/+/"));
  EXPECT_FALSE(IsCanonicalBase64("QQ"));     // unpadded
  EXPECT_FALSE(IsCanonicalBase64("QUJDQ"));  // length
  EXPECT_FALSE(IsCanonicalBase64("QR=="));   // padding bits set
  EXPECT_FALSE(IsCanonicalBase64("QUJ="));
  EXPECT_FALSE(IsCanonicalBase64("Q==="));
  EXPECT_FALSE(IsCanonicalBase64("===="));
  EXPECT_FALSE(IsCanonicalBase64("QQ==QUJD"));  // padding inside
  EXPECT_FALSE(IsCanonicalBase64("Q=QD"));
  EXPECT_FALSE(IsCanonicalBase64("QU D"));
  // What it accepts, Base64Decode accepts and Base64Encode gives back.
  for (std::string text : {"QQ==", "QUI=", "QUJD", "////"}) {
    StatusOr<std::string> bytes = Base64Decode(text);
    ASSERT_TRUE(bytes.ok()) << text;
    EXPECT_EQ(Base64Encode(*bytes), text);
  }
}

}  // namespace
}  // namespace zimon::gateway
