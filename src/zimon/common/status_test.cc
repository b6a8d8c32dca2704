#include "zimon/common/status.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>

namespace zimon {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd");
  return x / 2;
}

StatusOr<int> Quarter(int x) {
  ZIMON_ASSIGN_OR_RETURN(int h, Half(x));
  ZIMON_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckQuarter(int x) {
  ZIMON_RETURN_IF_ERROR(Quarter(x));
  return OkStatus();
}

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(Status, ToStringNamesCodeAndMessage) {
  EXPECT_EQ(NotFoundError("no such file").ToString(),
            "NOT_FOUND: no such file");
  EXPECT_EQ(InvalidArgumentError("x").WithPrefix("config.yaml:3").message(),
            "config.yaml:3: x");
}

TEST(StatusOr, MacrosPropagateErrorsAndValues) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckQuarter(4).ok());
  EXPECT_FALSE(CheckQuarter(2).ok());
}

TEST(StatusOr, HoldsMoveOnlyValues) {
  StatusOr<std::unique_ptr<int>> p = std::make_unique<int>(7);
  ASSERT_TRUE(p.ok());
  std::unique_ptr<int> owned = std::move(p).value();
  EXPECT_EQ(*owned, 7);
}

TEST(StatusOr, OkStatusIsTurnedIntoInternalError) {
  StatusOr<int> s = OkStatus();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInternal);
}

TEST(Status, HttpTableCoversClientAndServerErrors) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInternal), 500);
}

TEST(Status, ErrnoMapsToCodes) {
  EXPECT_EQ(ErrnoToStatus(ENOENT, "open x").code(), StatusCode::kNotFound);
  EXPECT_EQ(ErrnoToStatus(ENOSPC, "write").code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatus(EPIPE, "write").code(), StatusCode::kUnavailable);
  EXPECT_NE(ErrnoToStatus(EACCES, "open y").message().find("open y: "),
            std::string::npos);
}

}  // namespace
}  // namespace zimon
