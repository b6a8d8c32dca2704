#include "allocator.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace zimon::app {
namespace {

// mimalloc's own entry points, found with dlsym.
struct Mimalloc {
  void* (*malloc)(size_t) = nullptr;
  void* (*malloc_aligned)(size_t, size_t) = nullptr;
  void (*free)(void*) = nullptr;
  bool (*owns)(const void*) = nullptr;  // mi_is_in_heap_region
};

Mimalloc g_mimalloc;
// Set once, before threads start; null: glibc's malloc.
std::atomic<const Mimalloc*> g_active{nullptr};

// Every block operator new took from glibc lies in [g_glibc_low,
// g_glibc_high). After the switch, a block freed from outside that span is
// mimalloc's without asking mimalloc (its lookup was about a fortieth of a
// small proxied request); one inside is looked up. Relaxed: a block's span
// is noted before the pointer is handed out, and whoever frees it got it
// through the synchronisation that orders the two.
std::atomic<uintptr_t> g_glibc_low{UINTPTR_MAX};
std::atomic<uintptr_t> g_glibc_high{0};

void* NoteGlibcBlock(void* p, size_t size) noexcept {
  if (p == nullptr) return p;
  const auto low = reinterpret_cast<uintptr_t>(p);
  const uintptr_t high = low + size;
  uintptr_t seen = g_glibc_low.load(std::memory_order_relaxed);
  while (low < seen && !g_glibc_low.compare_exchange_weak(
                           seen, low, std::memory_order_relaxed)) {
  }
  seen = g_glibc_high.load(std::memory_order_relaxed);
  while (high > seen && !g_glibc_high.compare_exchange_weak(
                            seen, high, std::memory_order_relaxed)) {
  }
  return p;
}

bool MayBeGlibcBlock(const void* p) noexcept {
  const auto at = reinterpret_cast<uintptr_t>(p);
  return at >= g_glibc_low.load(std::memory_order_relaxed) &&
         at < g_glibc_high.load(std::memory_order_relaxed);
}

void* TryAllocate(size_t size) noexcept {
  if (size == 0) size = 1;
  const Mimalloc* mi = g_active.load(std::memory_order_acquire);
  return mi != nullptr ? mi->malloc(size)
                       : NoteGlibcBlock(std::malloc(size), size);
}

void* TryAllocateAligned(size_t size, std::align_val_t align) noexcept {
  const auto alignment = static_cast<size_t>(align);
  if (size == 0) size = 1;
  const Mimalloc* mi = g_active.load(std::memory_order_acquire);
  if (mi != nullptr) return mi->malloc_aligned(size, alignment);
  void* p = nullptr;
  if (posix_memalign(&p, std::max(alignment, sizeof(void*)), size) != 0) {
    return nullptr;
  }
  return NoteGlibcBlock(p, size);
}

void Release(void* p) noexcept {
  if (p == nullptr) return;
  const Mimalloc* mi = g_active.load(std::memory_order_acquire);
  if (mi != nullptr && (!MayBeGlibcBlock(p) || mi->owns(p))) {
    mi->free(p);
  } else {
    std::free(p);
  }
}

// A per-thread cache of small blocks in front of mimalloc. A block freed by
// a sized delete (std::allocator's, which is most of them: strings, vectors,
// shared_ptr's blocks) goes onto this thread's list for its size class, and
// the next new of that class on the thread takes it back: about ten
// instructions each way, where mimalloc's malloc and free and the checks
// around them were about a hundred a pair. Unsized deletes (Asio's
// coroutine frames) and blocks over kMaxCachedBytes still go to mimalloc:
// asking mimalloc a block's size, or working out classes past 256 bytes,
// cost more than the cache saved on them (callgrind, session 10).
//
// A class holds blocks of 16 * (c + 1) bytes at least: every new of up to
// kMaxCachedBytes asks for its class's full size, before the switch too, so
// any block a sized delete names can serve any request of its class,
// wherever it came from (a glibc block from before the switch is freed by
// free() when it leaves the cache for good, as Release decides). A thread
// keeps at most kMaxCachedBlocks per class (34 KiB in all) and returns them
// when it ends. Caching starts with the switch: `zimon agent` and the other
// commands keep glibc's malloc as it is.
constexpr size_t kClassBytes = 16;
constexpr size_t kClasses = 16;
constexpr size_t kMaxCachedBytes = kClassBytes * kClasses;  // 256
constexpr uint32_t kMaxCachedBlocks = 16;

size_t RoundedSize(size_t size) {
  return size - 1 < kMaxCachedBytes
             ? (size + kClassBytes - 1) & ~(kClassBytes - 1)
             : size;
}

struct FreeBlock {
  FreeBlock* next;
};

// Zero-initialised and trivially destructible, so reaching it costs no
// guard; ThreadCacheOwner empties it when the thread ends.
struct ThreadCache {
  FreeBlock* head[kClasses];
  uint32_t count[kClasses];
  bool owned;   // a ThreadCacheOwner will empty it
  bool closed;  // the thread is ending: nothing more is cached
};
thread_local ThreadCache t_cache;

struct ThreadCacheOwner {
  ~ThreadCacheOwner() {
    t_cache.closed = true;
    for (size_t c = 0; c < kClasses; ++c) {
      while (FreeBlock* block = t_cache.head[c]) {
        t_cache.head[c] = block->next;
        Release(block);
      }
      t_cache.count[c] = 0;
    }
  }
};

void* TakeCached(size_t size) noexcept {
  if (size - 1 >= kMaxCachedBytes) return nullptr;
  ThreadCache& cache = t_cache;
  const size_t c = (size - 1) / kClassBytes;
  FreeBlock* block = cache.head[c];
  if (block == nullptr) return nullptr;
  cache.head[c] = block->next;
  --cache.count[c];
  return block;
}

// Caches a block of `size` bytes (as asked of new) or frees it.
void ReleaseSized(void* p, size_t size) noexcept {
  if (p == nullptr) return;
  ThreadCache& cache = t_cache;
  const size_t c = (size - 1) / kClassBytes;
  if (size - 1 < kMaxCachedBytes && cache.count[c] < kMaxCachedBlocks &&
      !cache.closed && g_active.load(std::memory_order_relaxed) != nullptr) {
    if (!cache.owned) {
      cache.owned = true;
      thread_local ThreadCacheOwner owner;
      (void)owner;
    }
    auto* block = static_cast<FreeBlock*>(p);
    block->next = cache.head[c];
    cache.head[c] = block;
    ++cache.count[c];
    return;
  }
  Release(p);
}

// operator new's contract: retry through the new-handler, else throw.
template <class Try>
void* AllocateOrThrow(Try attempt) {
  while (true) {
    if (void* p = attempt()) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

}  // namespace

bool UseMimalloc(std::string* error) {
  if (UsingMimalloc()) return true;
  void* lib = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    if (error != nullptr) *error = dlerror();
    return false;
  }
  Mimalloc mi;
  mi.malloc = reinterpret_cast<void* (*)(size_t)>(dlsym(lib, "mi_malloc"));
  mi.malloc_aligned = reinterpret_cast<void* (*)(size_t, size_t)>(
      dlsym(lib, "mi_malloc_aligned"));
  mi.free = reinterpret_cast<void (*)(void*)>(dlsym(lib, "mi_free"));
  mi.owns = reinterpret_cast<bool (*)(const void*)>(
      dlsym(lib, "mi_is_in_heap_region"));
  if (mi.malloc == nullptr || mi.malloc_aligned == nullptr ||
      mi.free == nullptr || mi.owns == nullptr) {
    if (error != nullptr) {
      *error =
          "libmimalloc.so.2 lacks mi_malloc, mi_malloc_aligned, mi_free "
          "or mi_is_in_heap_region";
    }
    dlclose(lib);
    return false;
  }
  // The library stays loaded for the life of the process: blocks it handed
  // out are freed up to the end.
  g_mimalloc = mi;
  g_active.store(&g_mimalloc, std::memory_order_release);
  return true;
}

bool UsingMimalloc() {
  return g_active.load(std::memory_order_acquire) != nullptr;
}

}  // namespace zimon::app

using zimon::app::AllocateOrThrow;
using zimon::app::Release;
using zimon::app::ReleaseSized;
using zimon::app::RoundedSize;
using zimon::app::TakeCached;
using zimon::app::TryAllocate;
using zimon::app::TryAllocateAligned;

void* operator new(size_t size) {
  if (void* p = TakeCached(size)) return p;
  size = RoundedSize(size);
  return AllocateOrThrow([size] { return TryAllocate(size); });
}
void* operator new[](size_t size) {
  if (void* p = TakeCached(size)) return p;
  size = RoundedSize(size);
  return AllocateOrThrow([size] { return TryAllocate(size); });
}
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  if (void* p = TakeCached(size)) return p;
  return TryAllocate(RoundedSize(size));
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  if (void* p = TakeCached(size)) return p;
  return TryAllocate(RoundedSize(size));
}
void* operator new(size_t size, std::align_val_t align) {
  return AllocateOrThrow([=] { return TryAllocateAligned(size, align); });
}
void* operator new[](size_t size, std::align_val_t align) {
  return AllocateOrThrow([=] { return TryAllocateAligned(size, align); });
}
void* operator new(size_t size, std::align_val_t align,
                   const std::nothrow_t&) noexcept {
  return TryAllocateAligned(size, align);
}
void* operator new[](size_t size, std::align_val_t align,
                     const std::nothrow_t&) noexcept {
  return TryAllocateAligned(size, align);
}

void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, size_t size) noexcept { ReleaseSized(p, size); }
void operator delete[](void* p, size_t size) noexcept { ReleaseSized(p, size); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete(void* p, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Release(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept {
  Release(p);
}
void operator delete(void* p, std::align_val_t,
                     const std::nothrow_t&) noexcept {
  Release(p);
}
void operator delete[](void* p, std::align_val_t,
                       const std::nothrow_t&) noexcept {
  Release(p);
}
