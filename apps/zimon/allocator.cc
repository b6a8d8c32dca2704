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
using zimon::app::TryAllocate;
using zimon::app::TryAllocateAligned;

void* operator new(size_t size) {
  return AllocateOrThrow([size] { return TryAllocate(size); });
}
void* operator new[](size_t size) {
  return AllocateOrThrow([size] { return TryAllocate(size); });
}
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  return TryAllocate(size);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return TryAllocate(size);
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
void operator delete(void* p, size_t) noexcept { Release(p); }
void operator delete[](void* p, size_t) noexcept { Release(p); }
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
