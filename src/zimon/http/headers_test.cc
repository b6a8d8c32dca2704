#include "zimon/http/headers.h"

#include <gtest/gtest.h>

#include <string>

namespace zimon::http {
namespace {

TEST(EqualsIgnoreCase, FoldsAsciiLettersOnly) {
  EXPECT_TRUE(EqualsIgnoreCase("Content-Length", "content-LENGTH"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("Content-Length", "Content-Lengt"));
  // Bytes 0x20 apart that are not a letter and its capital.
  EXPECT_FALSE(EqualsIgnoreCase("@@@@@@@@[", "````````{"));
  EXPECT_FALSE(EqualsIgnoreCase("\xc1\xc1\xc1\xc1\xc1\xc1\xc1\xc1\xc1",
                                "\xe1\xe1\xe1\xe1\xe1\xe1\xe1\xe1\xe1"));
  EXPECT_FALSE(EqualsIgnoreCase("keep\ralive", "keep-alive"));
  // Against a byte-by-byte reference, over every pair of bytes at every
  // position of a 9-byte string (the word and the tail).
  auto lower = [](unsigned char c) {
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
  };
  for (int at : {0, 3, 7, 8}) {
    for (int x = 0; x < 256; ++x) {
      for (int y = 0; y < 256; ++y) {
        std::string a = "AbCdEfGhI";
        std::string b = "aBcDeFgHi";
        a[at] = static_cast<char>(x);
        b[at] = static_cast<char>(y);
        ASSERT_EQ(EqualsIgnoreCase(a, b), lower(x) == lower(y))
            << at << " " << x << " " << y;
      }
    }
  }
}

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

// Fields share one buffer: it grows past its first 256 bytes, and Remove
// closes the gaps, keeping the order.
TEST(Headers, KeepsEveryFieldAsTheBufferGrowsAndShrinks) {
  Headers h;
  for (int i = 0; i < 40; ++i) {
    h.Add("X-Field-" + std::to_string(i), std::string(i * 3, 'a' + i % 26));
  }
  ASSERT_EQ(h.size(), 40u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(h.Get("x-field-" + std::to_string(i)),
              std::string(i * 3, 'a' + i % 26));
  }
  for (int i = 0; i < 40; i += 2) h.Remove("X-Field-" + std::to_string(i));
  ASSERT_EQ(h.size(), 20u);
  int expected = 1;
  for (const auto& [name, value] : h) {
    EXPECT_EQ(name, "X-Field-" + std::to_string(expected));
    EXPECT_EQ(value, std::string(expected * 3, 'a' + expected % 26));
    expected += 2;
  }
  EXPECT_EQ(expected, 41);
  // Set over and over reuses the room Remove frees.
  Headers once{{"A", "1"}};
  for (int i = 0; i < 10000; ++i) once.Set("B", std::to_string(i));
  EXPECT_EQ(once.size(), 2u);
  EXPECT_EQ(once.Get("b"), "9999");
  EXPECT_EQ(once.Get("a"), "1");
}

TEST(Headers, ReserveMakesRoomForTheFieldsToCome) {
  Headers h{{"A", "1"}};
  h.Reserve(3, 600);
  const char* text = (*h.begin()).first.data();
  for (int i = 0; i < 3; ++i) h.Add("X", std::string(199, 'v'));
  EXPECT_EQ((*h.begin()).first.data(), text);  // not moved: no allocation
  EXPECT_EQ(h.size(), 4u);
  EXPECT_EQ(h.GetAll("x").size(), 3u);
  h.Reserve(0, 0);
  EXPECT_EQ(h.Get("a"), "1");
}

TEST(Headers, CopiesAndMovesAsValues) {
  Headers original{{"A", "1"}, {"B", std::string(300, 'b')}};
  Headers copy = original;
  copy.Set("A", "2");
  EXPECT_EQ(original.Get("A"), "1");
  EXPECT_EQ(copy.Get("A"), "2");
  EXPECT_EQ(copy.Get("B"), std::string(300, 'b'));
  Headers moved = std::move(copy);
  EXPECT_EQ(moved.Get("A"), "2");
  EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): stated
  copy.Add("C", "3");         // a moved-from Headers is empty and usable
  EXPECT_EQ(copy.Get("C"), "3");
  moved = original;
  EXPECT_EQ(moved.Get("A"), "1");
  EXPECT_EQ(moved.size(), 2u);
  Headers empty;
  moved = empty;
  EXPECT_TRUE(moved.empty());
  EXPECT_EQ(moved.begin(), moved.end());
}

// A view handed out by a Headers may be passed back into it.
TEST(Headers, TakesItsOwnFieldsAsArguments) {
  Headers h{{"Long", std::string(200, 'x')}, {"Short", "s"}};
  // Add grows the buffer while the value still points into the old one.
  h.Add("Copy", *h.Get("Long"));
  EXPECT_EQ(h.Get("Copy"), std::string(200, 'x'));
  h.Add("Copy2", *h.Get("Copy"));
  EXPECT_EQ(h.Get("Copy2"), std::string(200, 'x'));
  // Set and Remove move the text under views of it.
  h.Set("Short", *h.Get("Copy"));
  EXPECT_EQ(h.Get("Short"), std::string(200, 'x'));
  h.Set((*h.begin()).first, "first");
  EXPECT_EQ(h.Get("Long"), "first");
  EXPECT_EQ(h.Remove((*h.begin()).first), 1u);
  EXPECT_FALSE(h.Has("Copy"));
  EXPECT_EQ(h.size(), 3u);
}

TEST(IsWritableField, RefusesEmptyNamesAndLineBreaks) {
  EXPECT_TRUE(IsWritableField("X-Ok", "a value, with: punctuation"));
  EXPECT_TRUE(IsWritableField("X-Empty", ""));
  EXPECT_FALSE(IsWritableField("", "v"));
  EXPECT_FALSE(IsWritableField("X-Bad\r", "v"));
  EXPECT_FALSE(IsWritableField("X-Bad", "v\r\nInjected: yes"));
  EXPECT_FALSE(IsWritableField("X-Bad", std::string_view("v\0w", 3)));
}

// Values of eight bytes or more are checked eight bytes at a time, the last
// word overlapping the one before: a bad byte anywhere, at every length
// (shorter, a whole number of words, a tail), must still be found.
TEST(IsWritableField, FindsABadByteAtEveryPositionOfAnyLength) {
  for (size_t length = 1; length <= 40; ++length) {
    const std::string good(length, 'a');
    EXPECT_TRUE(IsWritableField("X-Long", good)) << length;
    for (char bad : {'\r', '\n', '\0'}) {
      for (size_t at = 0; at < good.size(); ++at) {
        std::string value = good;
        value[at] = bad;
        EXPECT_FALSE(IsWritableField("X-Long", value))
            << "byte " << int(bad) << " at " << at << " of " << length;
        EXPECT_FALSE(IsWritableField(value, "v"))
            << "byte " << int(bad) << " at " << at << " of " << length;
      }
    }
  }
  // Bytes next to the bad ones in value (0x0c, 0x0e, 0x01, 0xff) pass.
  EXPECT_TRUE(IsWritableField("X-Near", "\x0c\x0e\x01\xff\x0b\x80\x7f\x20z"));
}

}  // namespace
}  // namespace zimon::http
