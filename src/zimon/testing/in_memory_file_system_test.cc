#include "zimon/testing/in_memory_file_system.h"

#include <gtest/gtest.h>

#include "zimon/testing/fake_clock.h"

namespace zimon::testing {
namespace {

TEST(InMemoryFileSystem, NormalizesPaths) {
  EXPECT_EQ(InMemoryFileSystem::Normalize("a//b/"), "a/b");
  EXPECT_EQ(InMemoryFileSystem::Normalize("./a/./b"), "a/b");
  EXPECT_EQ(InMemoryFileSystem::Normalize("/"), "/");
  EXPECT_EQ(InMemoryFileSystem::Normalize(""), ".");
  EXPECT_EQ(InMemoryFileSystem::Normalize("//x"), "/x");
}

TEST(InMemoryFileSystem, SamePathDifferentSpellings) {
  InMemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/d").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/d//f", "x").ok());
  EXPECT_EQ(*fs.ReadFile("/d/./f"), "x");
}

TEST(InMemoryFileSystem, RelativePathsLiveUnderDot) {
  InMemoryFileSystem fs;
  ASSERT_TRUE(fs.WriteFileAtomic("top.yaml", "a: 1").ok());
  ASSERT_TRUE(fs.CreateDirs("sub").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("sub/inner", "").ok());
  EXPECT_EQ(*fs.ListDir("."), (std::vector<std::string>{"sub", "top.yaml"}));
}

TEST(InMemoryFileSystem, DropUnsyncedDataKeepsOnlySyncedPrefix) {
  InMemoryFileSystem fs;
  auto f = fs.NewAppendableFile("/wal");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("record1;").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Append("record2;").ok());
  EXPECT_EQ(*fs.ReadFile("/wal"), "record1;record2;");
  fs.DropUnsyncedData();
  EXPECT_EQ(*fs.ReadFile("/wal"), "record1;");
}

TEST(InMemoryFileSystem, AtomicWritesSurviveACrash) {
  InMemoryFileSystem fs;
  ASSERT_TRUE(fs.WriteFileAtomic("/meta", "v1").ok());
  fs.DropUnsyncedData();
  EXPECT_EQ(*fs.ReadFile("/meta"), "v1");
}

TEST(InMemoryFileSystem, ModTimeComesFromClock) {
  FakeClock clock;
  InMemoryFileSystem fs(clock);
  ASSERT_TRUE(fs.WriteFileAtomic("/f", "x").ok());
  EXPECT_EQ(*fs.ModTime("/f"), clock.Now());
  clock.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(fs.AppendFile("/f", "y").ok());
  EXPECT_EQ(*fs.ModTime("/f"), clock.Now());
}

TEST(InMemoryFileSystem, ErrorsMatchPosixMessages) {
  InMemoryFileSystem fs;
  EXPECT_EQ(fs.ReadFile("/nope").status().message(),
            "/nope: No such file or directory");
  ASSERT_TRUE(fs.WriteFileAtomic("/file", "").ok());
  EXPECT_EQ(fs.WriteFileAtomic("/file/child", "").message(),
            "/file/child: Not a directory");
}

TEST(InMemoryFileSystem, RenameDirectoryIntoItselfFails) {
  InMemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/a/b").ok());
  EXPECT_EQ(fs.Rename("/a", "/a/b/c").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(fs.Exists("/a/b"));
}

TEST(InMemoryFileSystem, RemovedFileHandleStillWritable) {
  InMemoryFileSystem fs;
  auto f = fs.NewAppendableFile("/x");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(fs.Remove("/x").ok());
  EXPECT_TRUE((*f)->Append("data").ok());
  EXPECT_FALSE(fs.Exists("/x"));
}

}  // namespace
}  // namespace zimon::testing
