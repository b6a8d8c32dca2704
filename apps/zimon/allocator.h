// The allocator of `zimon serve` and `zimon demo`: their C++ allocations go
// through mimalloc, while the agent and every other command keep glibc's
// malloc (docs/gateway.md, "Running it").
//
//   if (!zimon::app::UseMimalloc(&why)) log the reason; malloc it is
//
// mimalloc is loaded with dlopen rather than linked, so it replaces nothing
// globally and a command that never asks for it never maps it: linked, it
// cost the agent about a megabyte of resident memory (per-thread heaps and
// the library's pages) for no gain. Once switched on, operator new and
// delete go to mimalloc, with a small per-thread cache of blocks up to 256
// bytes in front (allocator.cc); a block allocated before the switch is
// still freed by free(), since delete asks mimalloc whether the pointer is
// its own. C
// allocations (malloc, SQLite's, libc's) stay with glibc: in the gateway they
// are about one in seventy.
//
// Thread safety: call UseMimalloc before starting threads; UsingMimalloc is
// safe anywhere.
#ifndef ZIMON_APP_ALLOCATOR_H_
#define ZIMON_APP_ALLOCATOR_H_

#include <string>

namespace zimon::app {

// Loads libmimalloc.so.2 and routes operator new and delete to it. False,
// with the reason in `error`, when it cannot be loaded (allocation then stays
// with malloc); true when it already was.
bool UseMimalloc(std::string* error);

// True once UseMimalloc has succeeded.
bool UsingMimalloc();

}  // namespace zimon::app

#endif  // ZIMON_APP_ALLOCATOR_H_
