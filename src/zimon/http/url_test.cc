#include "zimon/http/url.h"

#include <gtest/gtest.h>

namespace zimon::http {
namespace {

TEST(ParseUrl, SplitsHostPortAndTarget) {
  auto u = ParseUrl("http://example.com:8080/v1/jobs/7?x=1#frag");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/v1/jobs/7?x=1");
  EXPECT_EQ(u->HostPort(), "example.com:8080");
}

TEST(ParseUrl, DefaultsPortAndPath) {
  auto u = ParseUrl("HTTP://127.0.0.1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->target, "/");
  auto q = ParseUrl("http://h?x=1");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->target, "/?x=1");
}

TEST(ParseUrl, AcceptsBracketedIpv6) {
  auto u = ParseUrl("http://[::1]:9000/metrics");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9000);
  EXPECT_EQ(u->HostPort(), "[::1]:9000");
}

TEST(ParseUrl, RejectsMalformedAndUnsupported) {
  EXPECT_EQ(ParseUrl("https://x/").status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(ParseUrl("ftp://x/").status().code(), StatusCode::kUnimplemented);
  for (const char* bad : {"example.com/x", "http://", "http://:80/",
                          "http://h:0/", "http://h:70000/", "http://h:12ab/",
                          "http://u@h/", "http://[::1/", "http://h/a b"}) {
    EXPECT_EQ(ParseUrl(bad).status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace zimon::http
