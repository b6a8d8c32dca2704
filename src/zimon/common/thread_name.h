// Names for zimon's own threads, so that `top -H`, `ps -L`, perf and gdb tell
// the I/O threads from the image recorder, the collectors and the workers.
//
//   std::thread t([] { Run(); });
//   SetThreadName(t.native_handle(), "zimon-records");
//
// Linux keeps 15 bytes of a thread's name: longer names are cut there. The
// process's main thread keeps the executable's name.
//
// Thread-safe: each call names the calling thread only.
#ifndef ZIMON_COMMON_THREAD_NAME_H_
#define ZIMON_COMMON_THREAD_NAME_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace zimon {

// The most bytes of a name the kernel keeps.
inline constexpr size_t kMaxThreadNameBytes = 15;

// Names the calling thread (best effort: a failure changes nothing else).
void SetThreadName(std::string_view name);
// Names `thread` (std::thread::native_handle()), so that the name is in place
// when the call returns, whatever the thread is doing.
void SetThreadName(std::thread::native_handle_type thread,
                   std::string_view name);

// The calling thread's name; empty if it cannot be read.
std::string ThreadName();

// The names of all of this process's threads (from /proc/self/task), in no
// particular order; empty where /proc is not mounted.
std::vector<std::string> ProcessThreadNames();

}  // namespace zimon

#endif  // ZIMON_COMMON_THREAD_NAME_H_
