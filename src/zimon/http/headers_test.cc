#include "zimon/http/headers.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace zimon::http
