#include "zimon/common/posix_file_system.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "zimon/testing/temp_dir.h"

namespace zimon {
namespace {

using testing::TempDir;

TEST(PosixFileSystem, AtomicWriteIsVisibleToOtherReadersWhole) {
  TempDir dir;
  PosixFileSystem fs;
  const std::string path = dir.Join("state");
  const std::string a(1 << 16, 'a');
  const std::string b(1 << 17, 'b');
  ASSERT_TRUE(fs.WriteFileAtomic(path, a).ok());
  std::thread writer([&] {
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(fs.WriteFileAtomic(path, i % 2 ? a : b).ok());
    }
  });
  for (int i = 0; i < 50; ++i) {
    StatusOr<std::string> got = fs.ReadFile(path);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(*got == a || *got == b) << "torn read of size " << got->size();
  }
  writer.join();
}

TEST(PosixFileSystem, PermissionErrorNamesPath) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  TempDir dir;
  PosixFileSystem fs;
  const std::string locked = dir.Join("locked");
  ASSERT_TRUE(fs.CreateDirs(locked).ok());
  ASSERT_EQ(::chmod(locked.c_str(), 0500), 0);
  Status s = fs.WriteFileAtomic(locked + "/f", "x");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find(locked), std::string::npos) << s.message();
  ASSERT_EQ(::chmod(locked.c_str(), 0700), 0);
}

TEST(PosixFileSystem, NewFileHasMode0644) {
  TempDir dir;
  PosixFileSystem fs;
  ASSERT_TRUE(fs.WriteFileAtomic(dir.Join("f"), "x").ok());
  struct stat st {};
  ASSERT_EQ(::stat(dir.Join("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777 & ~0022u, 0644u & ~0022u);
}

TEST(PosixFileSystem, ModTimeIsRecent) {
  TempDir dir;
  PosixFileSystem fs;
  auto before = std::chrono::system_clock::now() - std::chrono::seconds(5);
  ASSERT_TRUE(fs.AppendFile(dir.Join("f"), "x").ok());
  auto mtime = fs.ModTime(dir.Join("f"));
  ASSERT_TRUE(mtime.ok());
  EXPECT_GT(*mtime, before);
}

TEST(PosixFileSystem, ErrnoMessageHasPathAndReason) {
  TempDir dir;
  PosixFileSystem fs;
  StatusOr<std::string> r = fs.ReadFile(dir.Join("absent"));
  EXPECT_EQ(r.status().message(),
            dir.Join("absent") + ": No such file or directory");
}

}  // namespace
}  // namespace zimon
