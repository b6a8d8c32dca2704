#include "zimon/common/random_id.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

namespace zimon {
namespace {

TEST(NewTimeOrderedId, HasPrefixAndHexDigits) {
  std::string id = NewTimeOrderedId("img_");
  ASSERT_EQ(id.size(), 4 + kTimeOrderedIdDigits);
  EXPECT_EQ(id.substr(0, 4), "img_");
  for (char c : id.substr(4)) {
    EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
  }
}

TEST(NewTimeOrderedId, StartsWithTheWallClockMilliseconds) {
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const long long before = now_ms();
  std::string id = NewTimeOrderedId("");
  const long long after = now_ms();
  const long long stamp = std::stoll(id.substr(0, 12), nullptr, 16);
  EXPECT_GE(stamp, before);
  EXPECT_LE(stamp, after);
}

TEST(TimeOrderedIdMillis, ReadsTheTimeNewTimeOrderedIdWrote) {
  const std::string id = NewTimeOrderedId("");
  ASSERT_TRUE(TimeOrderedIdMillis(id).has_value());
  EXPECT_EQ(*TimeOrderedIdMillis(id),
            std::stoll(id.substr(0, 12), nullptr, 16));
  EXPECT_EQ(TimeOrderedIdMillis("018bcfe56be7"), 0x018bcfe56be7);
  EXPECT_EQ(TimeOrderedIdMillis("018bcfe56be7-tail"), 0x018bcfe56be7);
  EXPECT_EQ(TimeOrderedIdMillis("018bcfe56be"), std::nullopt);   // short
  EXPECT_EQ(TimeOrderedIdMillis("018BCFE56BE7"), std::nullopt);  // upper
  EXPECT_EQ(TimeOrderedIdMillis("018bcfe56bg7"), std::nullopt);
}

TEST(TimeOrderedIdParts, SpellTheIdNewTimeOrderedIdWroteAgain) {
  const std::string id = NewTimeOrderedId("");
  const std::optional<TimeOrderedIdRandom> random =
      TimeOrderedIdRandomBytes(id);
  ASSERT_TRUE(random.has_value());
  std::string again;
  AppendTimeOrderedIdTime(*TimeOrderedIdMillis(id), again);
  AppendTimeOrderedIdRandom(*random, again);
  EXPECT_EQ(again, id);
  const std::string time = "018bcfe56be7";
  EXPECT_EQ(TimeOrderedIdRandomBytes(time + std::string(23, 'a')),
            std::nullopt);  // short
  EXPECT_EQ(TimeOrderedIdRandomBytes(time + std::string(24, 'A')),
            std::nullopt);  // upper case
  EXPECT_EQ(TimeOrderedIdRandomBytes(time + std::string(23, 'a') + "g"),
            std::nullopt);
  EXPECT_TRUE(TimeOrderedIdRandomBytes(time + std::string(24, 'f') + "-1"));
}

TEST(NewTimeOrderedId, LaterIdsSortAfterEarlierOnes) {
  std::string first = NewTimeOrderedId("r_");
  // The millisecond part must move on.
  std::string later = first;
  while (later.substr(0, 14) == first.substr(0, 14)) {
    later = NewTimeOrderedId("r_");
  }
  EXPECT_LT(first, later);
}

TEST(NewTimeOrderedId, RandomPartsDiffer) {
  std::set<std::string> random_parts;
  for (int i = 0; i < 5000; ++i) {
    random_parts.insert(NewTimeOrderedId("").substr(12));
  }
  EXPECT_EQ(random_parts.size(), 5000u);
}

TEST(FillRandomBytes, FillsLargeBuffers) {
  std::string buffer(100000, '\0');
  FillRandomBytes(buffer.data(), buffer.size());
  // About 390 of 100 000 random bytes are zero; all of them if unfilled.
  size_t zeros = 0;
  for (char c : buffer) zeros += c == '\0';
  EXPECT_GT(zeros, 100u);
  EXPECT_LT(zeros, 1000u);
}

}  // namespace
}  // namespace zimon
