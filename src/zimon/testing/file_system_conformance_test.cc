// The same behaviour checks for every FileSystem: the POSIX one on a temp dir
// and the in-memory fake, so the fake stays faithful to the real thing.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "zimon/common/file_system.h"
#include "zimon/common/posix_file_system.h"
#include "zimon/testing/in_memory_file_system.h"
#include "zimon/testing/temp_dir.h"

namespace zimon::testing {
namespace {

// Owns a file system and a root directory in it.
struct Env {
  virtual ~Env() = default;
  virtual FileSystem& fs() = 0;
  virtual std::string root() = 0;
};

struct PosixEnv : Env {
  PosixFileSystem posix;
  TempDir dir;
  FileSystem& fs() override { return posix; }
  std::string root() override { return dir.path(); }
};

struct MemoryEnv : Env {
  InMemoryFileSystem mem;
  MemoryEnv() { (void)mem.CreateDirs("/data"); }
  FileSystem& fs() override { return mem; }
  std::string root() override { return "/data"; }
};

class FileSystemConformance
    : public ::testing::TestWithParam<std::function<std::unique_ptr<Env>()>> {
 protected:
  void SetUp() override { env_ = GetParam()(); }
  FileSystem& fs() { return env_->fs(); }
  std::string P(const std::string& name) {
    return JoinPath(env_->root(), name);
  }

  std::unique_ptr<Env> env_;
};

TEST_P(FileSystemConformance, WriteAtomicThenRead) {
  ASSERT_TRUE(fs().WriteFileAtomic(P("a.json"), "{\"x\":1}").ok());
  EXPECT_EQ(*fs().ReadFile(P("a.json")), "{\"x\":1}");
  ASSERT_TRUE(fs().WriteFileAtomic(P("a.json"), "new").ok());
  EXPECT_EQ(*fs().ReadFile(P("a.json")), "new");
  EXPECT_EQ(*fs().FileSize(P("a.json")), 3u);
}

TEST_P(FileSystemConformance, WriteAtomicLeavesNoTemporaryFiles) {
  ASSERT_TRUE(fs().WriteFileAtomic(P("meta"), "1").ok());
  ASSERT_TRUE(fs().WriteFileAtomic(P("meta"), "2").ok());
  EXPECT_EQ(*fs().ListDir(env_->root()), std::vector<std::string>{"meta"});
}

TEST_P(FileSystemConformance, WriteAtomicInMissingDirIsNotFound) {
  Status s = fs().WriteFileAtomic(P("no/such/file"), "x");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
}

TEST_P(FileSystemConformance, ReadMissingFileIsNotFoundWithPath) {
  StatusOr<std::string> r = fs().ReadFile(P("missing.txt"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("missing.txt"), std::string::npos);
}

TEST_P(FileSystemConformance, AppendAccumulatesAcrossHandles) {
  {
    auto f = fs().NewAppendableFile(P("wal"));
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_TRUE((*f)->Append("abc").ok());
    ASSERT_TRUE((*f)->Append("").ok());
    ASSERT_TRUE((*f)->Sync().ok());
    ASSERT_TRUE((*f)->Close().ok());
    EXPECT_FALSE((*f)->Append("x").ok());
  }
  ASSERT_TRUE(fs().AppendFile(P("wal"), "def").ok());
  EXPECT_EQ(*fs().ReadFile(P("wal")), "abcdef");
}

TEST_P(FileSystemConformance, CreateDirsMakesParentsAndIsIdempotent) {
  ASSERT_TRUE(fs().CreateDirs(P("a/b/c")).ok());
  ASSERT_TRUE(fs().CreateDirs(P("a/b/c")).ok());
  EXPECT_TRUE(fs().Exists(P("a/b/c")));
  EXPECT_EQ(*fs().ListDir(P("a")), std::vector<std::string>{"b"});
}

TEST_P(FileSystemConformance, CreateDirsOverFileFails) {
  ASSERT_TRUE(fs().WriteFileAtomic(P("f"), "x").ok());
  EXPECT_FALSE(fs().CreateDirs(P("f")).ok());
  EXPECT_FALSE(fs().CreateDirs(P("f/sub")).ok());
}

TEST_P(FileSystemConformance, ListDirIsSortedAndDirectOnly) {
  ASSERT_TRUE(fs().CreateDirs(P("d/sub")).ok());
  ASSERT_TRUE(fs().WriteFileAtomic(P("d/b"), "").ok());
  ASSERT_TRUE(fs().WriteFileAtomic(P("d/a"), "").ok());
  ASSERT_TRUE(fs().WriteFileAtomic(P("d/sub/deep"), "").ok());
  EXPECT_EQ(*fs().ListDir(P("d")), (std::vector<std::string>{"a", "b", "sub"}));
  EXPECT_EQ(fs().ListDir(P("nope")).status().code(), StatusCode::kNotFound);
}

TEST_P(FileSystemConformance, RemoveFileAndEmptyDirOnly) {
  ASSERT_TRUE(fs().CreateDirs(P("d")).ok());
  ASSERT_TRUE(fs().WriteFileAtomic(P("d/f"), "x").ok());
  EXPECT_FALSE(fs().Remove(P("d")).ok());  // not empty
  ASSERT_TRUE(fs().Remove(P("d/f")).ok());
  EXPECT_FALSE(fs().Exists(P("d/f")));
  ASSERT_TRUE(fs().Remove(P("d")).ok());
  EXPECT_EQ(fs().Remove(P("d")).code(), StatusCode::kNotFound);
}

TEST_P(FileSystemConformance, RemoveAllRemovesTreeAndToleratesMissing) {
  ASSERT_TRUE(fs().CreateDirs(P("t/x/y")).ok());
  ASSERT_TRUE(fs().WriteFileAtomic(P("t/x/y/f"), "1").ok());
  ASSERT_TRUE(fs().WriteFileAtomic(P("t/g"), "1").ok());
  ASSERT_TRUE(fs().WriteFileAtomic(P("t2"), "keep").ok());
  ASSERT_TRUE(fs().RemoveAll(P("t")).ok());
  EXPECT_FALSE(fs().Exists(P("t")));
  EXPECT_TRUE(fs().Exists(P("t2")));
  EXPECT_TRUE(fs().RemoveAll(P("t")).ok());
}

TEST_P(FileSystemConformance, RenameReplacesFile) {
  ASSERT_TRUE(fs().WriteFileAtomic(P("from"), "new").ok());
  ASSERT_TRUE(fs().WriteFileAtomic(P("to"), "old").ok());
  ASSERT_TRUE(fs().Rename(P("from"), P("to")).ok());
  EXPECT_FALSE(fs().Exists(P("from")));
  EXPECT_EQ(*fs().ReadFile(P("to")), "new");
  EXPECT_EQ(fs().Rename(P("from"), P("to")).code(), StatusCode::kNotFound);
}

TEST_P(FileSystemConformance, RenameMovesDirectoryTree) {
  ASSERT_TRUE(fs().CreateDirs(P("block.tmp/chunks")).ok());
  ASSERT_TRUE(fs().WriteFileAtomic(P("block.tmp/chunks/000001"), "c").ok());
  ASSERT_TRUE(fs().Rename(P("block.tmp"), P("block")).ok());
  EXPECT_EQ(*fs().ReadFile(P("block/chunks/000001")), "c");
  EXPECT_FALSE(fs().Exists(P("block.tmp")));
}

TEST_P(FileSystemConformance, HandleKeepsWritingAfterRename) {
  auto f = fs().NewAppendableFile(P("seg"));
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("ab").ok());
  ASSERT_TRUE(fs().Rename(P("seg"), P("seg2")).ok());
  ASSERT_TRUE((*f)->Append("cd").ok());
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ(*fs().ReadFile(P("seg2")), "abcd");
}

TEST_P(FileSystemConformance, SizeAndModTimeOfMissingAreNotFound) {
  EXPECT_EQ(fs().FileSize(P("x")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fs().ModTime(P("x")).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(fs().WriteFileAtomic(P("x"), "12345").ok());
  EXPECT_EQ(*fs().FileSize(P("x")), 5u);
  EXPECT_TRUE(fs().ModTime(P("x")).ok());
}

TEST_P(FileSystemConformance, ReadingADirectoryFails) {
  ASSERT_TRUE(fs().CreateDirs(P("d")).ok());
  EXPECT_FALSE(fs().ReadFile(P("d")).ok());
}

INSTANTIATE_TEST_SUITE_P(
    All, FileSystemConformance,
    ::testing::Values([] { return std::unique_ptr<Env>(new PosixEnv()); },
                      [] { return std::unique_ptr<Env>(new MemoryEnv()); }),
    [](const auto& p) {
      return p.index == 0 ? std::string("Posix") : std::string("InMemory");
    });

}  // namespace
}  // namespace zimon::testing
