#include "zimon/common/file_system.h"

#include <gtest/gtest.h>

namespace zimon {
namespace {

TEST(DirName, HandlesRootsRelativeAndTrailingSlashes) {
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(DirName("/c"), "/");
  EXPECT_EQ(DirName("/"), "/");
  EXPECT_EQ(DirName("/a/b/"), "/a");
  EXPECT_EQ(DirName("a//b"), "a");
}

TEST(JoinPath, AddsOneSlash) {
  EXPECT_EQ(JoinPath("a/b", "c"), "a/b/c");
  EXPECT_EQ(JoinPath("a/b/", "c"), "a/b/c");
  EXPECT_EQ(JoinPath("", "c"), "c");
}

TEST(LocalFileSystem, IsOneInstance) {
  EXPECT_EQ(&LocalFileSystem(), &LocalFileSystem());
}

}  // namespace
}  // namespace zimon
