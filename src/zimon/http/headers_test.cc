#include "zimon/http/headers.h"

#include <gtest/gtest.h>

#include <string>

namespace zimon::http {
namespace {

TEST(Headers, LooksUpNamesCaseInsensitively) {
  Headers h;
  h.Add("Content-Type", "text/plain");
  EXPECT_EQ(h.Get("content-type"), "text/plain");
  EXPECT_EQ(h.Get("CONTENT-TYPE"), "text/plain");
  EXPECT_FALSE(h.Get("Content-Length").has_value());
  EXPECT_EQ(h.GetOr("X-Missing", "d"), "d");
}

TEST(Headers, KeepsRepeatedFieldsInOrder) {
  Headers h{{"Set-Cookie", "a=1"}, {"X", "y"}, {"set-cookie", "b=2"}};
  auto all = h.GetAll("SET-COOKIE");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0], "a=1");
  EXPECT_EQ(all[1], "b=2");
}

TEST(Headers, SetReplacesEveryFieldOfTheName) {
  Headers h{{"A", "1"}, {"a", "2"}, {"B", "3"}};
  h.Set("A", "9");
  EXPECT_EQ(h.GetAll("a").size(), 1u);
  EXPECT_EQ(h.Get("a"), "9");
  EXPECT_EQ(h.Remove("b"), 1u);
  EXPECT_EQ(h.size(), 1u);
}

TEST(IsWritableField, RefusesEmptyNamesAndLineBreaks) {
  EXPECT_TRUE(IsWritableField("X-Ok", "a value, with: punctuation"));
  EXPECT_TRUE(IsWritableField("X-Empty", ""));
  EXPECT_FALSE(IsWritableField("", "v"));
  EXPECT_FALSE(IsWritableField("X-Bad\r", "v"));
  EXPECT_FALSE(IsWritableField("X-Bad", "v\r\nInjected: yes"));
  EXPECT_FALSE(IsWritableField("X-Bad", std::string_view("v\0w", 3)));
}

// Long values are checked eight bytes at a time: a bad byte anywhere, in a
// full word or in the tail, must still be found.
TEST(IsWritableField, FindsABadByteAtEveryPositionOfALongValue) {
  const std::string good(37, 'a');
  EXPECT_TRUE(IsWritableField("X-Long", good));
  for (char bad : {'\r', '\n', '\0'}) {
    for (size_t at = 0; at < good.size(); ++at) {
      std::string value = good;
      value[at] = bad;
      EXPECT_FALSE(IsWritableField("X-Long", value))
          << "byte " << int(bad) << " at " << at;
      EXPECT_FALSE(IsWritableField(value, "v"))
          << "byte " << int(bad) << " at " << at;
    }
  }
  // Bytes next to the bad ones in value (0x0c, 0x0e, 0x01, 0xff) pass.
  EXPECT_TRUE(IsWritableField("X-Near", "\x0c\x0e\x01\xff\x0b\x80\x7f\x20z"));
}

}  // namespace
}  // namespace zimon::http
