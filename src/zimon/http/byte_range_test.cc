#include "zimon/http/byte_range.h"

#include <gtest/gtest.h>

#include <string>

namespace zimon::http {
namespace {

using Kind = RangeAnswer::Kind;

struct Case {
  const char* range;
  uint64_t size;
  Kind kind;
  uint64_t first = 0;
  uint64_t last = 0;
};

TEST(ResolveRange, FollowsRfc9110) {
  const Case cases[] = {
      {"bytes=0-99", 1000, Kind::kPartial, 0, 99},
      {"bytes=100-", 1000, Kind::kPartial, 100, 999},
      {"bytes=-300", 1000, Kind::kPartial, 700, 999},
      {"bytes=-5000", 1000, Kind::kPartial, 0, 999},       // all there is
      {"bytes=990-2000", 1000, Kind::kPartial, 990, 999},  // clamped
      {"bytes=999-999", 1000, Kind::kPartial, 999, 999},
      {"Bytes=1-2", 10, Kind::kPartial, 1, 2},  // the unit is case-insensitive
      {" bytes= 1-2 ", 10, Kind::kPartial, 1, 2},
      {"bytes=0-99999999999999999999999", 10, Kind::kPartial, 0, 9},
      {"bytes=1000-", 1000, Kind::kUnsatisfiable},
      {"bytes=5000-6000", 1000, Kind::kUnsatisfiable},
      {"bytes=99999999999999999999999-", 1000, Kind::kUnsatisfiable},
      {"bytes=-0", 1000, Kind::kUnsatisfiable},
      {"bytes=0-", 0, Kind::kUnsatisfiable},
      {"bytes=-1", 0, Kind::kUnsatisfiable},
      // Ignored: the whole representation.
      {"bytes=5-3", 1000, Kind::kWhole},      // last before first: invalid
      {"bytes=0-1,5-6", 1000, Kind::kWhole},  // several ranges
      {"bytes=", 1000, Kind::kWhole},
      {"bytes=-", 1000, Kind::kWhole},
      {"bytes=a-b", 1000, Kind::kWhole},
      {"bytes=1-2x", 1000, Kind::kWhole},
      {"bytes=+1-2", 1000, Kind::kWhole},
      {"items=0-1", 1000, Kind::kWhole},
      {"bytes 0-1", 1000, Kind::kWhole},
      {"", 1000, Kind::kWhole},
  };
  for (const Case& c : cases) {
    RangeAnswer a = ResolveRange(c.range, c.size);
    EXPECT_EQ(a.kind, c.kind) << c.range << " of " << c.size;
    if (c.kind == Kind::kPartial && a.kind == Kind::kPartial) {
      EXPECT_EQ(a.first, c.first) << c.range;
      EXPECT_EQ(a.last, c.last) << c.range;
    }
  }
}

Response Whole() {
  Response r;
  r.status = 200;
  r.body = "0123456789";
  return r;
}

// Whole() after ApplyRange for a request with these Range and If-Range
// headers (each left out when empty).
Response Ranged(std::string_view range, std::string_view if_range = "") {
  Request req;
  if (!range.empty()) req.headers.Set("Range", range);
  if (!if_range.empty()) req.headers.Set("If-Range", if_range);
  Response r = Whole();
  ApplyRange(req, r);
  return r;
}

TEST(ApplyRange, ServesThePartTheRangeAsksFor) {
  Response r = Ranged("bytes=2-4");
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, "234");
  EXPECT_EQ(r.headers.Get("Content-Range"), "bytes 2-4/10");
  EXPECT_EQ(r.headers.Get("Accept-Ranges"), "bytes");
}

TEST(ApplyRange, UnsatisfiableRangeIs416WithTheSize) {
  Response r = Ranged("bytes=10-");
  EXPECT_EQ(r.status, 416);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.headers.Get("Content-Range"), "bytes */10");
}

TEST(ApplyRange, WithoutRangeOrWithIfRangeOrOnAnErrorTheAnswerStands) {
  Response r = Ranged("");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "0123456789");
  EXPECT_EQ(r.headers.Get("Accept-Ranges"), "bytes");

  r = Ranged("bytes=2-4", "\"abc\"");  // If-Range: nothing to compare it to
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "0123456789");

  Request ranged;
  ranged.headers.Set("Range", "bytes=0-1");
  Response missing;
  missing.status = 404;
  missing.body = "{}";
  ApplyRange(ranged, missing);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "{}");
  EXPECT_FALSE(missing.headers.Has("Content-Range"));
}

}  // namespace
}  // namespace zimon::http
