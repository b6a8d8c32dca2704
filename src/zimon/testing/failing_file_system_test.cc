#include "zimon/testing/failing_file_system.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "zimon/testing/in_memory_file_system.h"

namespace zimon::testing {
namespace {

class FailingFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(mem_.CreateDirs("/d").ok()); }
  InMemoryFileSystem mem_;
  FailingFileSystem fs_{mem_};
};

TEST_F(FailingFileSystemTest, PassesThroughWithoutFaults) {
  ASSERT_TRUE(fs_.WriteFileAtomic("/d/f", "x").ok());
  EXPECT_EQ(*fs_.ReadFile("/d/f"), "x");
  EXPECT_EQ(fs_.calls(FsOp::kWriteFileAtomic), 1);
  EXPECT_EQ(fs_.calls(FsOp::kAny), 2);
}

TEST_F(FailingFileSystemTest, FailsOnlyTheNthCallOnce) {
  fs_.FailNth(FsOp::kWriteFileAtomic, 2, ErrnoToStatus(EIO, "/d/f"));
  EXPECT_TRUE(fs_.WriteFileAtomic("/d/f", "1").ok());
  Status s = fs_.WriteFileAtomic("/d/f", "2");
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(*fs_.ReadFile("/d/f"), "1");  // failed write changed nothing
  EXPECT_TRUE(fs_.WriteFileAtomic("/d/f", "3").ok());
  EXPECT_EQ(*fs_.ReadFile("/d/f"), "3");
}

TEST_F(FailingFileSystemTest, FailsEveryCallUnderPathPrefix) {
  fs_.FailPath(FsOp::kAny, "/d/blocks", ErrnoToStatus(EACCES, "/d/blocks"));
  EXPECT_EQ(fs_.CreateDirs("/d/blocks/01").code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(fs_.ReadFile("/d/blocks/x").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_FALSE(fs_.Exists("/d/blocks"));
  EXPECT_TRUE(fs_.CreateDirs("/d/other").ok());
  // Either side of a rename matches.
  ASSERT_TRUE(fs_.WriteFileAtomic("/d/a", "").ok());
  EXPECT_FALSE(fs_.Rename("/d/a", "/d/blocks/a").ok());
  EXPECT_TRUE(mem_.Exists("/d/a"));
}

TEST_F(FailingFileSystemTest, NoSpaceIsResourceExhausted) {
  fs_.FailNth(FsOp::kAppend, 1, FailingFileSystem::NoSpace("/d/wal"));
  auto f = fs_.NewAppendableFile("/d/wal");
  ASSERT_TRUE(f.ok());
  Status s = (*f)->Append("record");
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "/d/wal: No space left on device");
  EXPECT_EQ(*mem_.ReadFile("/d/wal"), "");
}

TEST_F(FailingFileSystemTest, TornAppendKeepsPrefixThenFails) {
  auto f = fs_.NewAppendableFile("/d/wal");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("one;").ok());
  fs_.TearNthAppend(1, 3);
  EXPECT_FALSE((*f)->Append("two;").ok());
  EXPECT_EQ(*mem_.ReadFile("/d/wal"), "one;two");
  EXPECT_TRUE((*f)->Append("three;").ok());
}

TEST_F(FailingFileSystemTest, SyncFailureThenCrashLosesUnsyncedData) {
  auto f = fs_.NewAppendableFile("/d/wal");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("a").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  fs_.FailNth(FsOp::kSync, 1, ErrnoToStatus(EIO, "/d/wal"));
  ASSERT_TRUE((*f)->Append("b").ok());
  EXPECT_FALSE((*f)->Sync().ok());
  mem_.DropUnsyncedData();
  EXPECT_EQ(*mem_.ReadFile("/d/wal"), "a");
}

TEST_F(FailingFileSystemTest, ClearFaultsRestoresService) {
  fs_.FailPath(FsOp::kReadFile, "/", ErrnoToStatus(EIO, "x"));
  ASSERT_TRUE(fs_.WriteFileAtomic("/d/f", "x").ok());
  EXPECT_FALSE(fs_.ReadFile("/d/f").ok());
  fs_.ClearFaults();
  EXPECT_TRUE(fs_.ReadFile("/d/f").ok());
}

TEST_F(FailingFileSystemTest, NthCountsOnlyMatchingCalls) {
  fs_.AddFault(FsFault{FsOp::kReadFile, 2, "/d/b", ErrnoToStatus(EIO, "b"),
                       std::nullopt});
  ASSERT_TRUE(fs_.WriteFileAtomic("/d/a", "").ok());
  ASSERT_TRUE(fs_.WriteFileAtomic("/d/b", "").ok());
  EXPECT_TRUE(fs_.ReadFile("/d/a").ok());
  EXPECT_TRUE(fs_.ReadFile("/d/b").ok());
  EXPECT_TRUE(fs_.ReadFile("/d/a").ok());
  EXPECT_FALSE(fs_.ReadFile("/d/b").ok());
  EXPECT_TRUE(fs_.ReadFile("/d/b").ok());
}

}  // namespace
}  // namespace zimon::testing
