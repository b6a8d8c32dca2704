#include "zimon/gateway/base64.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

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

}  // namespace
}  // namespace zimon::gateway
