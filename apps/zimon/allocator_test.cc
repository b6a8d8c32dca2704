// The gateway's allocator switch (allocator.h). This binary's operator new
// and delete are the ones under test: every allocation gtest makes goes
// through them too, before and after the switch.
#include "allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <thread>
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

// After the switch, a block freed by a sized delete is the next block of its
// 16-byte size class on the same thread, and serves the class's full size.
// (Run after the test above in one process, or alone: the switch is on.)
TEST(Allocator, SizedDeleteHandsTheBlockToTheNextNewOfItsClass) {
  std::string error;
  ASSERT_TRUE(UseMimalloc(&error)) << error;
  void* p = ::operator new(17);
  std::memset(p, 1, 17);
  ::operator delete(p, 17);
  void* q = ::operator new(32);  // the same class: 17..32 bytes
  EXPECT_EQ(q, p);
  std::memset(q, 2, 32);
  void* r = ::operator new(32);  // the class's list is empty again
  EXPECT_NE(r, q);
  ::operator delete(q, 32);
  ::operator delete(r, 32);
  void* s = ::operator new(33);  // the next class: not from that list
  EXPECT_NE(s, q);
  EXPECT_NE(s, r);
  std::memset(s, 3, 33);
  ::operator delete(s, 33);
}

// Blocks cross threads both ways (the gateway's I/O thread makes records its
// writer frees): each thread caches what it frees, up to a bound, and a
// thread that ends gives its cache back. Every block is filled and checked,
// so a block handed out twice or too small shows as a wrong byte (and under
// mimalloc's own checks as a crash).
TEST(Allocator, BlocksFreedOnOtherThreadsStayWhole) {
  std::string error;
  ASSERT_TRUE(UseMimalloc(&error)) << error;
  constexpr int kRounds = 20;
  constexpr int kPerRound = 2000;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::string> made;
    std::thread maker([&] {
      made.reserve(kPerRound);
      for (int i = 0; i < kPerRound; ++i) {
        made.emplace_back(static_cast<size_t>(1 + (i * 37 + round) % 300),
                          static_cast<char>('a' + i % 26));
      }
    });
    maker.join();
    std::vector<std::string> kept;
    std::thread user([&] {
      for (int i = 0; i < kPerRound; ++i) {
        const std::string& text = made[static_cast<size_t>(i)];
        ASSERT_EQ(text.size(), static_cast<size_t>(1 + (i * 37 + round) % 300));
        ASSERT_EQ(text.find_first_not_of(static_cast<char>('a' + i % 26)),
                  std::string::npos);
        if (i % 2 == 0) kept.push_back(text);  // made on this thread
      }
      made.clear();  // freed here, made there
    });
    user.join();
    for (size_t i = 0; i < kept.size(); ++i) {
      const int made_as = static_cast<int>(2 * i);
      ASSERT_EQ(kept[i].size(),
                static_cast<size_t>(1 + (made_as * 37 + round) % 300));
    }
  }
}

}  // namespace
}  // namespace zimon::app
