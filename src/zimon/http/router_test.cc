#include "zimon/http/router.h"

#include <gtest/gtest.h>

#include "zimon/http/test_util.h"

namespace zimon::http {
namespace {

Response Named(std::string name) {
  return Response::Text(200, std::move(name));
}

Router MakeRouter() {
  Router r;
  EXPECT_TRUE(
      r.HandleSync("GET", "/", [](Request&) { return Named("root"); }).ok());
  EXPECT_TRUE(r.HandleSync("GET", "/images/{id}", [](Request& q) {
                 return Named("image " + std::string(q.PathParam("id")));
               }).ok());
  EXPECT_TRUE(r.HandleSync("DELETE", "/images/{id}", [](Request&) {
                 return Named("del");
               }).ok());
  EXPECT_TRUE(r.HandleSync("GET", "/images/latest", [](Request&) {
                 return Named("latest");
               }).ok());
  EXPECT_TRUE(r.HandleSync("POST", "/sdcpp/v1/jobs/{id}", [](Request& q) {
                 return Named("job " + std::string(q.PathParam("id")));
               }).ok());
  EXPECT_TRUE(r.HandleSync("GET", "/static/{path...}", [](Request& q) {
                 return Named("static " + std::string(q.PathParam("path")));
               }).ok());
  return r;
}

Response Dispatch(const Router& router, std::string method,
                  std::string target) {
  boost::asio::io_context ioc;
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.path = request.target.substr(0, request.target.find('?'));
  return testing::RunOn(ioc, router(request));
}

TEST(Router, MatchesExactPathsAndParams) {
  Router r = MakeRouter();
  EXPECT_EQ(Dispatch(r, "GET", "/").body, "root");
  EXPECT_EQ(Dispatch(r, "GET", "/images/42").body, "image 42");
  EXPECT_EQ(Dispatch(r, "GET", "/images/42?size=2").body, "image 42");
  EXPECT_EQ(Dispatch(r, "POST", "/sdcpp/v1/jobs/abc").body, "job abc");
  EXPECT_EQ(Dispatch(r, "DELETE", "/images/9").body, "del");
}

TEST(Router, LiteralSegmentBeatsParameter) {
  Router r = MakeRouter();
  EXPECT_EQ(Dispatch(r, "GET", "/images/latest").body, "latest");
}

// Paths without '%' find a route without parameters in one lookup; what they
// find must be what the walk over every route finds.
TEST(Router, LiteralRoutesAnswerAsTheWalkDoes) {
  Router r = MakeRouter();
  EXPECT_EQ(Dispatch(r, "GET", "/images/lat%65st").body, "latest");  // walk
  EXPECT_EQ(Dispatch(r, "HEAD", "/images/latest").body, "latest");
  EXPECT_EQ(Dispatch(r, "DELETE", "/images/latest").body, "del");
  EXPECT_EQ(Dispatch(r, "POST", "/images/latest").status, 405);
  EXPECT_EQ(Dispatch(r, "GET", "").body, "root");
  EXPECT_EQ(Dispatch(r, "GET", "//").status, 404);
  EXPECT_EQ(Dispatch(r, "GET", "/images/latest/").status, 404);
  // A copy keeps its own index, and a route added later is indexed.
  Router copy = r;
  auto noop = [](Request&) { return Named("health"); };
  ASSERT_TRUE(copy.HandleSync("GET", "/health", noop).ok());
  EXPECT_EQ(Dispatch(copy, "GET", "/health").body, "health");
  EXPECT_EQ(Dispatch(copy, "GET", "/images/latest").body, "latest");
  EXPECT_EQ(Dispatch(copy, "GET", "/").body, "root");
  EXPECT_EQ(Dispatch(r, "GET", "/health").status, 404);
}

TEST(Router, DecodesParamsPerSegment) {
  Router r = MakeRouter();
  EXPECT_EQ(Dispatch(r, "GET", "/images/a%2Fb").body, "image a/b");
  EXPECT_EQ(Dispatch(r, "GET", "/images/%zz").status, 400);
}

TEST(Router, RestParameterTakesRemainingPath) {
  Router r = MakeRouter();
  EXPECT_EQ(Dispatch(r, "GET", "/static/js/app.js").body, "static js/app.js");
  EXPECT_EQ(Dispatch(r, "GET", "/static/").body, "static ");
}

TEST(Router, Answers404ForUnknownPath) {
  Router r = MakeRouter();
  Response resp = Dispatch(r, "GET", "/nope");
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(Dispatch(r, "GET", "/images/1/extra").status, 404);
  EXPECT_EQ(Dispatch(r, "GET", "/images").status, 404);
}

TEST(Router, Answers405WithAllowHeader) {
  Router r = MakeRouter();
  Response resp = Dispatch(r, "PUT", "/images/5");
  EXPECT_EQ(resp.status, 405);
  EXPECT_EQ(resp.headers.Get("Allow"), "DELETE, GET, HEAD");
}

// An API's own error format for the router's answers; the status (and a
// 405's Allow) stay the router's.
TEST(Router, ItsOwnAnswersUseTheErrorFormatGiven) {
  Router r = MakeRouter();
  r.SetErrorResponse([](int http_status, const Status& status) {
    return Response::Text(
        299, std::to_string(http_status) + " " + std::string(status.message()));
  });
  Response missing = Dispatch(r, "GET", "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "404 no route for /nope");
  Response wrong = Dispatch(r, "PUT", "/images/5");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.headers.Get("Allow"), "DELETE, GET, HEAD");
  EXPECT_EQ(wrong.body, "405 method PUT not allowed for /images/5");
  Response bad = Dispatch(r, "GET", "/images/%zz");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, "400 malformed percent escape in path");
  EXPECT_EQ(Dispatch(r, "GET", "/images/7").body, "image 7");  // untouched
}

TEST(Router, HeadFallsBackToGet) {
  Router r = MakeRouter();
  EXPECT_EQ(Dispatch(r, "HEAD", "/images/3").body, "image 3");
}

TEST(Router, RejectsBadAndDuplicatePatterns) {
  Router r = MakeRouter();
  auto noop = [](Request&) { return Response(); };
  EXPECT_EQ(r.HandleSync("GET", "images", noop).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(r.HandleSync("GET", "/a/{", noop).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(r.HandleSync("GET", "/a/{x}/{x}", noop).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(r.HandleSync("GET", "/a/{p...}/b", noop).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(r.HandleSync("GET", "/images/{other}", noop).code(),
            StatusCode::kAlreadyExists);
  EXPECT_TRUE(r.HandleSync("PUT", "/images/{other}", noop).ok());
}

TEST(Router, CoroutineHandlerCanAwait) {
  Router r;
  ASSERT_TRUE(r.Handle("GET", "/co",
                       [](Request& q) -> boost::asio::awaitable<Response> {
                         co_return Response::Text(201, q.method);
                       })
                  .ok());
  Response resp = Dispatch(r, "GET", "/co");
  EXPECT_EQ(resp.status, 201);
  EXPECT_EQ(resp.body, "GET");
}

}  // namespace
}  // namespace zimon::http
