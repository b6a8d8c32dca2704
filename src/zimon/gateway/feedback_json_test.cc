#include "zimon/gateway/feedback_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace zimon::gateway {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseFeedbackRequest, ReadsAllFields) {
  auto req = ParseFeedbackRequest(
      R"({"request_id": "req-1", "image_id": "img-1", "rating": 4,
          "comment": "good", "extra": [1, 2]})");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->request_id, "req-1");
  EXPECT_EQ(req->image_id, "img-1");
  EXPECT_EQ(req->rating, 4);
  EXPECT_EQ(req->comment, "good");
}

TEST(ParseFeedbackRequest, OptionalFieldsMayBeAbsentOrNull) {
  auto req = ParseFeedbackRequest(
      R"({"image_id": "img-1", "request_id": null, "rating": 1,
          "comment": null})");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->request_id, "");
  EXPECT_EQ(req->comment, "");
}

struct BadBody {
  const char* body;
  const char* message;
};

class ParseFeedbackRequestBad : public ::testing::TestWithParam<BadBody> {};

TEST_P(ParseFeedbackRequestBad, IsInvalidArgumentWithAClearMessage) {
  auto req = ParseFeedbackRequest(GetParam().body);
  ASSERT_FALSE(req.ok()) << GetParam().body;
  EXPECT_EQ(req.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(req.status().message(), HasSubstr(GetParam().message));
  EXPECT_EQ(HttpStatusFor(req.status().code()), 400);
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, ParseFeedbackRequestBad,
    ::testing::Values(
        BadBody{"", "malformed JSON"},
        BadBody{"{\"rating\": 4", "malformed JSON"},
        BadBody{"{'rating': 4}", "malformed JSON"},
        BadBody{"{\"image_id\": \"a\", \"rating\": 4} trailing",
                "malformed JSON"},
        BadBody{"[1, 2]", "must be a JSON object, got array"},
        BadBody{"\"text\"", "must be a JSON object, got string"},
        BadBody{R"({"image_id": "a"})", "rating is required"},
        BadBody{R"({"image_id": "a", "rating": null})", "rating is required"},
        BadBody{R"({"image_id": "a", "rating": "4"})",
                "rating must be an integer from 1 to 5, got string"},
        BadBody{R"({"image_id": "a", "rating": 4.5})", "fractional"},
        BadBody{R"({"image_id": "a", "rating": 4.0})", "fractional"},
        BadBody{R"({"image_id": "a", "rating": true})", "got boolean"},
        BadBody{R"({"image_id": "a", "rating": 0})", "got 0"},
        BadBody{R"({"image_id": "a", "rating": 6})", "got 6"},
        BadBody{R"({"image_id": "a", "rating": -3})", "got -3"},
        BadBody{R"({"image_id": "a", "rating": 4294967297})", "got 4294967297"},
        BadBody{R"({"image_id": "a", "rating": 18446744073709551615})",
                "rating must be"},
        BadBody{R"({"rating": 3})", "request_id or image_id"},
        BadBody{R"({"image_id": 12, "rating": 3})",
                "image_id must be a string, got number"},
        BadBody{R"({"request_id": {}, "rating": 3})",
                "request_id must be a string, got object"},
        BadBody{R"({"image_id": "a", "rating": 3, "comment": 5})",
                "comment must be a string"}));

// The parser's position and complaint, without its internal exception tag.
TEST(ParseFeedbackRequest, MalformedJsonSaysWhereInPlainWords) {
  auto req = ParseFeedbackRequest("not json");
  ASSERT_FALSE(req.ok());
  EXPECT_THAT(
      req.status().message(),
      HasSubstr("malformed JSON body: parse error at line 1, column 2"));
  EXPECT_THAT(req.status().message(), Not(HasSubstr("json.exception")));
}

TEST(ParseFeedbackRequest, RejectsOverlongComment) {
  json body = {{"image_id", "img"},
               {"rating", 3},
               {"comment", std::string(kMaxFeedbackCommentChars + 1, 'x')}};
  auto req = ParseFeedbackRequest(body.dump());
  EXPECT_EQ(req.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(req.status().message(), HasSubstr("comment"));
}

TEST(FeedbackResponseJson, WritesTheStoredRow) {
  Feedback fb;
  fb.id = 7;
  fb.request_id = "req-1";
  fb.rating = 5;
  fb.comment = "quote \" and newline\n";
  fb.created = Clock::WallTime(std::chrono::seconds(1700000000));
  json out = json::parse(FeedbackResponseJson(fb));
  EXPECT_EQ(out["id"], 7);
  EXPECT_EQ(out["object"], "feedback");
  EXPECT_EQ(out["request_id"], "req-1");
  EXPECT_TRUE(out["image_id"].is_null());
  EXPECT_EQ(out["rating"], 5);
  EXPECT_EQ(out["comment"], "quote \" and newline\n");
  EXPECT_EQ(out["created"], 1700000000);
}

TEST(FeedbackErrorJson, UsesTheOpenAiErrorShape) {
  json bad = json::parse(FeedbackErrorJson(InvalidArgumentError("no rating")));
  EXPECT_EQ(bad["error"]["message"], "no rating");
  EXPECT_EQ(bad["error"]["type"], "invalid_request_error");
  EXPECT_EQ(bad["error"]["code"], "invalid_argument");
  EXPECT_TRUE(bad["error"]["param"].is_null());
  json missing = json::parse(FeedbackErrorJson(NotFoundError("unknown")));
  EXPECT_EQ(missing["error"]["code"], "not_found");
  json internal = json::parse(FeedbackErrorJson(DataLossError("corrupt")));
  EXPECT_EQ(internal["error"]["type"], "server_error");
}

TEST(FeedbackReportJson, SummarisesDistributionAndRecent) {
  RatingDistribution dist;
  dist.counts = {1, 0, 0, 0, 3};
  Feedback fb;
  fb.id = 3;
  fb.request_id = "r";
  fb.image_id = "i";
  fb.rating = 5;
  json out = json::parse(FeedbackReportJson(dist, {fb}));
  EXPECT_EQ(out["ratings"]["1"], 1);
  EXPECT_EQ(out["ratings"]["5"], 3);
  EXPECT_EQ(out["total"], 4);
  EXPECT_DOUBLE_EQ(out["mean"].get<double>(), 4.0);
  ASSERT_EQ(out["recent"].size(), 1u);
  EXPECT_EQ(out["recent"][0]["image_id"], "i");
}

}  // namespace
}  // namespace zimon::gateway
