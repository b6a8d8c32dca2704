// The gateway's allocator switch (allocator.h). This binary's operator new
// and delete are the ones under test: every allocation gtest makes goes
// through them too, before and after the switch.
#include "allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace zimon::app {
namespace {

struct alignas(64) CacheLine {
  char bytes[64];
};

bool IsAligned(const void* p, size_t alignment) {
  return reinterpret_cast<uintptr_t>(p) % alignment == 0;
}

// One test, in order: the switch is for the life of the process.
TEST(Allocator, BlocksFromBeforeAndAfterTheSwitchAreFreedByTheirOwner) {
  // Before: glibc's malloc.
  EXPECT_FALSE(UsingMimalloc());
  std::vector<std::unique_ptr<std::string>> before;
  for (int i = 0; i < 100; ++i) {
    before.push_back(std::make_unique<std::string>(100 + i, 'a'));
  }
  auto aligned_before = std::make_unique<CacheLine>();
  EXPECT_TRUE(IsAligned(aligned_before.get(), 64));
  auto* array_before = new int[1000];
  // Large enough for glibc to map it apart from its heap.
  auto mapped_before = std::make_unique<std::string>(4 << 20, 'm');

  std::string error;
  // install-deps installs libmimalloc-dev, which brings the library: this
  // build found its headers, so the library must load.
  ASSERT_TRUE(UseMimalloc(&error)) << error;
  EXPECT_TRUE(UsingMimalloc());
  EXPECT_TRUE(UseMimalloc(&error));  // again: nothing changes

  // After: mimalloc, small, large and aligned.
  std::vector<std::unique_ptr<std::string>> after;
  for (int i = 0; i < 100; ++i) {
    after.push_back(std::make_unique<std::string>(100 + i, 'b'));
  }
  auto big = std::make_unique<std::string>(8 << 20, 'c');  // a huge block
  auto aligned_after = std::make_unique<CacheLine>();
  EXPECT_TRUE(IsAligned(aligned_after.get(), 64));
  auto* nothrow = new (std::nothrow) char[4096];
  ASSERT_NE(nothrow, nullptr);

  // Freed in mixed order: each goes back to the allocator that made it
  // (glibc would abort on a mimalloc block, and the reverse).
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i]->size(), 100 + i);
    EXPECT_EQ(after[i]->size(), 100 + i);
    before[i].reset();
    after[i].reset();
  }
  delete[] array_before;
  EXPECT_EQ(mapped_before->size(), size_t{4} << 20);
  mapped_before.reset();
  delete[] nothrow;
  aligned_before.reset();
  aligned_after.reset();
  EXPECT_EQ(big->size(), size_t{8} << 20);
  big.reset();

  // A container that grows across many sizes reallocates through both.
  std::vector<std::string> grown;
  for (int i = 0; i < 10000; ++i) grown.emplace_back(i % 300, 'd');
  EXPECT_EQ(grown.back().size(), size_t{9999 % 300});
}

}  // namespace
}  // namespace zimon::app
