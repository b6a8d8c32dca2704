#include "zimon/gateway/image_store.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>

#include "zimon/common/posix_file_system.h"
#include "zimon/testing/failing_file_system.h"
#include "zimon/testing/fake_clock.h"
#include "zimon/testing/in_memory_file_system.h"
#include "zimon/testing/temp_dir.h"

namespace zimon::gateway {
namespace {

using testing::FailingFileSystem;
using testing::FakeClock;
using testing::FsOp;
using testing::InMemoryFileSystem;

const std::string kPng("\x89PNG\r\n\x1a\n\0\0pixels", 17);

TEST(ImageStore, PutCreatesTheDirectoryAndGetReadsBack) {
  InMemoryFileSystem fs;
  ImageStore store(fs, "/var/images");
  ASSERT_TRUE(store.Put("img_0123abcd", kPng).ok());
  EXPECT_TRUE(fs.Exists("/var/images/img_0123abcd.png"));
  StatusOr<std::string> back = store.Get("img_0123abcd");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, kPng);
  // A second image finds the directory there.
  ASSERT_TRUE(store.Put("img_2", "second").ok());
  EXPECT_EQ(store.Get("img_2").value(), "second");
}

TEST(ImageStore, WorksOnTheRealFileSystem) {
  testing::TempDir dir;
  ImageStore store(LocalFileSystem(), dir.Join("images/nested"));
  ASSERT_TRUE(store.Put("img_a", kPng).ok());
  EXPECT_EQ(store.Get("img_a").value(), kPng);
  EXPECT_EQ(store.PathFor("img_a"), dir.Join("images/nested/img_a.png"));
}

TEST(ImageStore, MissingImageIsNotFound) {
  InMemoryFileSystem fs;
  ImageStore store(fs, "/images");
  StatusOr<std::string> missing = store.Get("img_nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store.Put("img_yes", kPng).ok());
  missing = store.Get("img_nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "/images/img_nope.png: No such file or directory");
}

TEST(ImageStore, RejectsIdsThatCouldEscapeTheDirectory) {
  InMemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/secret").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/secret/key.png", "secret").ok());
  ImageStore store(fs, "/images/x");
  const std::string_view bads[] = {"",
                                   "../../secret/key",
                                   "a/b",
                                   "a.b",
                                   "..",
                                   "img 1",
                                   "img%2F",
                                   "img\n",
                                   std::string_view("img\0x", 5)};
  for (std::string_view bad : bads) {
    Status put = store.Put(bad, kPng);
    EXPECT_EQ(put.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store.Get(bad).status().code(), StatusCode::kNotFound) << bad;
  }
  EXPECT_EQ(store.Put("a/b", kPng).message(),
            "invalid image id \"a/b\" (want 1 to 128 of A-Z a-z 0-9 _ -)");
  EXPECT_FALSE(fs.Exists("/images"));
  const std::string longest(kMaxImageIdBytes, 'a');
  EXPECT_TRUE(store.Put(longest, kPng).ok());
  EXPECT_EQ(store.Put(longest + "a", kPng).code(),
            StatusCode::kInvalidArgument);
}

TEST(ImageStore, DiskFullIsAnErrorWithThePath) {
  InMemoryFileSystem mem;
  FailingFileSystem fs(mem);
  ImageStore store(fs, "/images");
  fs.FailPath(FsOp::kWriteFileAtomic, "/images/",
              FailingFileSystem::NoSpace("/images/img_1.png"));
  Status put = store.Put("img_1", kPng);
  EXPECT_EQ(put.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(put.message(), "/images/img_1.png: No space left on device");
  fs.ClearFaults();
  EXPECT_TRUE(store.Put("img_1", kPng).ok());
}

TEST(ImageStore, DirectoryThatCannotBeCreatedIsAnError) {
  InMemoryFileSystem mem;
  FailingFileSystem fs(mem);
  ImageStore store(fs, "/images");
  fs.FailPath(FsOp::kCreateDirs, "/images", ErrnoToStatus(EACCES, "/images"));
  Status put = store.Put("img_1", kPng);
  EXPECT_EQ(put.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(put.message(), "/images: Permission denied");
}

TEST(ImageStore, RecreatesARemovedDirectory) {
  InMemoryFileSystem fs;
  ImageStore store(fs, "/images");
  ASSERT_TRUE(store.Put("img_1", kPng).ok());
  ASSERT_TRUE(fs.RemoveAll("/images").ok());
  ASSERT_TRUE(store.Put("img_2", kPng).ok());
  EXPECT_TRUE(fs.Exists("/images/img_2.png"));
}

TEST(ImageStore, DeleteOlderThanRemovesOnlyOldImages) {
  FakeClock clock(Clock::WallTime(std::chrono::hours(1000)));
  InMemoryFileSystem fs(clock);
  ImageStore store(fs, "/images");
  EXPECT_EQ(store.DeleteOlderThan(clock.Now()).value(), 0u);  // no directory
  ASSERT_TRUE(store.Put("img_old", kPng).ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/images/notes.txt", "keep").ok());
  clock.Advance(std::chrono::hours(2));
  ASSERT_TRUE(store.Put("img_new", kPng).ok());
  StatusOr<size_t> removed =
      store.DeleteOlderThan(clock.Now() - std::chrono::hours(1));
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, 1u);
  EXPECT_FALSE(fs.Exists("/images/img_old.png"));
  EXPECT_TRUE(fs.Exists("/images/img_new.png"));
  EXPECT_TRUE(fs.Exists("/images/notes.txt"));
}

TEST(ImageStore, DeleteOlderThanGoesOnPastAFailure) {
  FakeClock clock(Clock::WallTime(std::chrono::hours(1000)));
  InMemoryFileSystem mem(clock);
  FailingFileSystem fs(mem);
  ImageStore store(fs, "/images");
  ASSERT_TRUE(store.Put("img_a", kPng).ok());
  ASSERT_TRUE(store.Put("img_b", kPng).ok());
  ASSERT_TRUE(store.Put("img_c", kPng).ok());
  clock.Advance(std::chrono::hours(1));
  fs.FailPath(FsOp::kRemove, "/images/img_b.png",
              ErrnoToStatus(EACCES, "/images/img_b.png"));
  StatusOr<size_t> removed = store.DeleteOlderThan(clock.Now());
  EXPECT_EQ(removed.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(removed.status().message(), "/images/img_b.png: Permission denied");
  EXPECT_FALSE(mem.Exists("/images/img_a.png"));
  EXPECT_TRUE(mem.Exists("/images/img_b.png"));
  EXPECT_FALSE(mem.Exists("/images/img_c.png"));
}

TEST(NewImageId, IsValidUniqueAndShaped) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = ImageStore::NewImageId();
    ASSERT_EQ(id.size(), 40u) << id;
    EXPECT_EQ(id.substr(0, 4), "img_");
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef", 4), std::string::npos)
        << id;
    EXPECT_TRUE(IsValidImageId(id));
    EXPECT_TRUE(seen.insert(id).second) << id;
  }
}

TEST(DerivedImageId, TakesTheKeyOfARequestIdTheGatewayMakes) {
  EXPECT_EQ(DerivedImageId("req_0a1b", 0), "img_0a1b");
  EXPECT_EQ(DerivedImageId("req_0a1b", 1), "img_0a1b-1");
  EXPECT_EQ(DerivedImageId("req_0a1b", 12), "img_0a1b-12");
  EXPECT_EQ(DerivedImageId("client-7", 0), std::nullopt);
  EXPECT_EQ(DerivedImageId("req_", 0), std::nullopt);
  EXPECT_EQ(DerivedImageId("", 0), std::nullopt);
}

TEST(ImpliedRequestId, InvertsDerivedImageId) {
  for (const std::string request_id :
       {"req_01a2269c0aa8a8f2a69bb8733a2624c02f8d", "req_a-b", "req_7"}) {
    for (size_t index : {0u, 1u, 2u, 10u, 127u}) {
      std::optional<std::string> id = DerivedImageId(request_id, index);
      ASSERT_TRUE(id.has_value());
      EXPECT_TRUE(IsValidImageId(*id)) << *id;
      EXPECT_EQ(ImpliedRequestId(*id), request_id) << *id;
      EXPECT_TRUE(ImpliesRequestId(*id, request_id)) << *id;
      EXPECT_FALSE(ImpliesRequestId(*id, request_id + "0")) << *id;
      EXPECT_FALSE(ImpliesRequestId(*id, "x" + request_id)) << *id;
    }
  }
  // Ids of other shapes: only a trailing "-" + digits is an index.
  EXPECT_EQ(ImpliedRequestId("img_a-b"), "req_a-b");
  EXPECT_EQ(ImpliedRequestId("img_a-"), "req_a-");
  EXPECT_EQ(ImpliedRequestId("img_-1"), std::nullopt);
  EXPECT_EQ(ImpliedRequestId("img_"), std::nullopt);
  EXPECT_EQ(ImpliedRequestId("image-1"), std::nullopt);
  EXPECT_FALSE(ImpliesRequestId("img_", "req_"));
  EXPECT_FALSE(ImpliesRequestId("image-1", "req_ge-1"));
  EXPECT_EQ(
      ImpliedRequestId(ImageStore::NewImageId()).value_or("").substr(0, 4),
      "req_");
}

TEST(ImageUrl, JoinsBaseAndId) {
  EXPECT_EQ(ImageUrl("https://img.example.com", "img_1"),
            "https://img.example.com/images/img_1.png");
  EXPECT_EQ(ImageUrl("http://h:8080//", "img_1"),
            "http://h:8080/images/img_1.png");
}

TEST(ImageIdFromFileName, AcceptsOnlyIdDotPng) {
  EXPECT_EQ(ImageIdFromFileName("img_1.png"), "img_1");
  EXPECT_EQ(ImageIdFromFileName("img_1"), std::nullopt);
  EXPECT_EQ(ImageIdFromFileName(".png"), std::nullopt);
  EXPECT_EQ(ImageIdFromFileName("../x.png"), std::nullopt);
  EXPECT_EQ(ImageIdFromFileName("img_1.png.png"), std::nullopt);
}

}  // namespace
}  // namespace zimon::gateway
