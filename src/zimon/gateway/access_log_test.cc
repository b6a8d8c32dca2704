#include "zimon/gateway/access_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "zimon/testing/fake_clock.h"

namespace zimon::gateway {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

Clock::WallTime At(int64_t ms) {
  return Clock::WallTime(std::chrono::milliseconds(ms));
}

AccessLogEntry Success() {
  AccessLogEntry e;
  e.request_id = "req-1";
  e.method = "POST";
  e.path = "/v1/images/generations";
  e.status = 200;
  e.outcome = "success";
  e.backend = "gpu-0";
  e.queue_wait = 12ms;
  e.upstream = 1931ms;
  e.total = 1950ms;
  e.size = "1024x1024";
  e.images = 1;
  e.quality_score = 0.82;
  e.bytes_out = 1843210;
  return e;
}

TEST(FormatAccessLogLine, WritesEveryFieldAsJson) {
  std::string line = FormatAccessLogLine(Success(), At(1764335400123));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  // The leading keys match zimon::log lines.
  EXPECT_EQ(line.rfind(R"({"ts":"2025-11-28T13:10:00.123Z","level":"info",)"
                       R"("msg":"access",)",
                       0),
            0u)
      << line;
  json j = json::parse(line);
  EXPECT_EQ(j["request_id"], "req-1");
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["path"], "/v1/images/generations");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["outcome"], "success");
  EXPECT_EQ(j["backend"], "gpu-0");
  EXPECT_DOUBLE_EQ(j["queue_wait_s"].get<double>(), 0.012);
  EXPECT_DOUBLE_EQ(j["upstream_s"].get<double>(), 1.931);
  EXPECT_DOUBLE_EQ(j["total_s"].get<double>(), 1.95);
  EXPECT_EQ(j["size"], "1024x1024");
  EXPECT_EQ(j["images"], 1);
  EXPECT_DOUBLE_EQ(j["quality_score"].get<double>(), 0.82);
  EXPECT_EQ(j["bytes_out"], 1843210);
}

TEST(FormatAccessLogLine, FieldsThatDoNotApplyAreNull) {
  AccessLogEntry e;
  e.request_id = "req-2";
  e.method = "POST";
  e.path = "/v1/images/generations";
  e.status = 429;
  e.outcome = "rejected";
  e.total = 1ms;
  json j = json::parse(FormatAccessLogLine(e, At(0)));
  EXPECT_EQ(j["ts"], "1970-01-01T00:00:00.000Z");
  for (const char* key :
       {"backend", "queue_wait_s", "upstream_s", "size", "quality_score"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_TRUE(j[key].is_null()) << key;
  }
  EXPECT_EQ(j["images"], 0);
}

TEST(FormatAccessLogLine, EscapesHostileStrings) {
  AccessLogEntry e = Success();
  e.path = "/v1/x\"\n\\\x01";
  e.backend = "b\"}{";
  json j = json::parse(FormatAccessLogLine(e, At(0)));
  EXPECT_EQ(j["path"], "/v1/x\"\n\\\x01");
  EXPECT_EQ(j["backend"], "b\"}{");
}

TEST(FormatAccessLogLine, NonFiniteNumbersAreNull) {
  AccessLogEntry e = Success();
  e.quality_score = std::nan("");
  json j = json::parse(FormatAccessLogLine(e, At(0)));
  EXPECT_TRUE(j["quality_score"].is_null());
}

TEST(AccessLog, WritesOneLinePerEntryAtTheClocksTime) {
  testing::FakeClock clock(At(1000));
  std::vector<std::string> lines;
  AccessLog log([&](std::string_view line) { lines.emplace_back(line); },
                clock);
  log.Write(Success());
  clock.Advance(2500ms);
  log.Write(Success());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json::parse(lines[0])["ts"], "1970-01-01T00:00:01.000Z");
  EXPECT_EQ(json::parse(lines[1])["ts"], "1970-01-01T00:00:03.500Z");
}

TEST(AcceptOrMakeRequestId, KeepsAUsableClientId) {
  EXPECT_EQ(AcceptOrMakeRequestId("abc-123_X.y:z"), "abc-123_X.y:z");
  std::string longest(kMaxRequestIdBytes, 'a');
  EXPECT_EQ(AcceptOrMakeRequestId(longest), longest);
}

TEST(AcceptOrMakeRequestId, ReplacesMissingOrUnsafeIds) {
  for (std::string bad :
       {std::string(), std::string(kMaxRequestIdBytes + 1, 'a'),
        std::string("has space"), std::string("new\nline"),
        std::string("quote\""), std::string("caf\xc3\xa9")}) {
    std::string id = AcceptOrMakeRequestId(bad);
    EXPECT_NE(id, bad);
    EXPECT_TRUE(IsValidRequestId(id)) << id;
    EXPECT_EQ(id.rfind("req_", 0), 0u) << id;
    EXPECT_EQ(id.size(), 40u) << id;
  }
}

TEST(AcceptOrMakeRequestId, GeneratedIdsAreDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(AcceptOrMakeRequestId(""));
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace zimon::gateway
