#include "zimon/http/message.h"

#include <gtest/gtest.h>

namespace zimon::http {
namespace {

TEST(PercentDecode, DecodesEscapesAndOptionallyPlus) {
  EXPECT_EQ(PercentDecode("a%20b+c", true).value(), "a b c");
  EXPECT_EQ(PercentDecode("a%20b+c", false).value(), "a b+c");
  EXPECT_EQ(PercentDecode("%2f%2F", false).value(), "//");
}

TEST(PercentDecode, RejectsMalformedEscapes) {
  EXPECT_EQ(PercentDecode("abc%", false).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PercentDecode("abc%2", false).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PercentDecode("%zz", false).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(PercentEncode, RoundTripsThroughDecode) {
  std::string raw = "a b/c?d=é&%";
  std::string encoded = PercentEncode(raw);
  EXPECT_EQ(encoded.find_first_of(" /?=&"), std::string::npos);
  EXPECT_EQ(PercentDecode(encoded, false).value(), raw);
}

TEST(ParseQueryString, KeepsRepeatedKeysAndDecodes) {
  auto q = ParseQueryString("match[]=up&match%5B%5D=a+b&flag&&x=1%3D2");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  auto all = q->GetAll("match[]");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0], "up");
  EXPECT_EQ(all[1], "a b");
  EXPECT_EQ(q->Get("flag"), "");
  EXPECT_EQ(q->Get("x"), "1=2");
  EXPECT_FALSE(q->Has("y"));
}

TEST(ParseQueryString, RejectsBadEscape) {
  EXPECT_EQ(ParseQueryString("a=%G1").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Response, FromStatusMapsCodeAndEscapesMessage) {
  Response r = Response::FromStatus(NotFoundError("no \"image\" 7"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers.Get("content-type"), "application/json");
  EXPECT_EQ(r.body,
            R"({"error":{"code":"NOT_FOUND","message":"no \"image\" 7"}})");
}

TEST(Response, TextAndJsonSetContentType) {
  EXPECT_EQ(Response::Text(200, "hi").headers.Get("Content-Type"),
            "text/plain; charset=utf-8");
  Response j = Response::Json(201, "{}");
  EXPECT_EQ(j.status, 201);
  EXPECT_EQ(j.body, "{}");
}

TEST(Request, PathParamIsEmptyWhenAbsent) {
  Request r;
  r.path_params = {{"id", "42"}};
  EXPECT_EQ(r.PathParam("id"), "42");
  EXPECT_EQ(r.PathParam("other"), "");
  EXPECT_FALSE(r.cancelled());
}

}  // namespace
}  // namespace zimon::http
