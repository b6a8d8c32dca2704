// Dropping start-up-only code from a long-running process's resident set.
//
// After `zimon agent` has loaded its config, taken its first readings and
// started listening, most of the code the kernel mapped in so far (option
// parsing, config loading, NVML set-up, and the neighbours of every page that
// ran, which the kernel maps along with it) will not run again. TrimCodePages
// asks the kernel to page out the read-only file mappings
// (MADV_PAGEOUT): clean pages of the binary and its libraries that only this
// process maps leave its resident set; code that runs again faults back in
// from the page cache or the file on its next call. Pages shared with other
// processes (libc, usually) are left alone by the kernel.
//
// Only private, read-only file mappings are touched: executable ones ("r-xp"
// in /proc/self/smaps, the code) and non-executable ones ("r--p": constants,
// unwind tables, the relocation and symbol tables the dynamic loader read at
// start) that hold no private copy of a page ("Anonymous: 0 kB"), which rules
// out RELRO. Never writable mappings, anonymous memory, the stack or the vDSO.
// MADV_PAGEOUT is advice: it never changes what the process reads, only where
// the bytes live, so it is safe at any time on any thread.
//
// Thread safety: free functions without shared state.
#ifndef ZIMON_COLLECT_CODE_TRIM_H_
#define ZIMON_COLLECT_CODE_TRIM_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/common/status.h"

namespace zimon::collect {

// One mapping in /proc/PID/smaps that TrimCodePages would advise.
struct CodeMapping {
  uintptr_t start = 0;
  uintptr_t end = 0;
  std::string path;
};

// The mappings described above in the text of a /proc/PID/smaps file, in
// file order. Malformed lines are skipped.
std::vector<CodeMapping> ParseCodeMappings(std::string_view maps);

struct CodeTrimResult {
  int mappings = 0;        // mappings advised
  int64_t rss_before = 0;  // VmRSS in bytes before, 0 when unknown
  int64_t rss_after = 0;   // VmRSS in bytes after, 0 when unknown
};

// Pages out this process's code mappings (see above). `procfs` is where
// /proc is mounted. Unavailable when the kernel lacks MADV_PAGEOUT (before
// Linux 5.4) or refuses it for every mapping.
StatusOr<CodeTrimResult> TrimCodePages(const std::string& procfs = "/proc");

}  // namespace zimon::collect

#endif  // ZIMON_COLLECT_CODE_TRIM_H_
