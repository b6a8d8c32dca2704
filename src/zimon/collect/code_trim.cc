#include "zimon/collect/code_trim.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "zimon/collect/read_file.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21  // Linux 5.4; older libc headers lack it
#endif

namespace zimon::collect {
namespace {

// The next space-separated field of `line`, advancing past it.
std::string_view NextField(std::string_view& line) {
  size_t begin = line.find_first_not_of(' ');
  if (begin == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(begin);
  size_t end = line.find(' ');
  std::string_view field = line.substr(0, end);
  line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  return field;
}

bool ParseHex(std::string_view text, uintptr_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] =
      std::from_chars(text.data(), text.data() + text.size(), out, 16);
  return ec == std::errc() && ptr == text.data() + text.size();
}

int64_t VmRssBytes(const std::string& procfs) {
  StatusOr<std::string> status = ReadSmallFile(JoinPath(procfs, "self/status"));
  if (!status.ok()) return 0;
  size_t at = status->find("\nVmRSS:");
  if (at == std::string::npos) return 0;
  std::string_view rest = std::string_view(*status).substr(at + 7);
  rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
  int64_t kib = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), kib);
  return ec == std::errc() ? kib * 1024 : 0;
}

}  // namespace

std::vector<CodeMapping> ParseCodeMappings(std::string_view smaps) {
  std::vector<CodeMapping> out;
  // The mapping whose detail lines follow; kept only if it qualifies.
  CodeMapping current;
  bool candidate = false;
  bool needs_clean = false;  // r--p: only if no private (anonymous) copies
  bool clean = false;
  auto finish = [&] {
    if (candidate && (!needs_clean || clean)) out.push_back(current);
    candidate = false;
  };
  while (!smaps.empty()) {
    size_t eol = smaps.find('\n');
    std::string_view line = smaps.substr(0, eol);
    smaps.remove_prefix(eol == std::string_view::npos ? smaps.size() : eol + 1);

    std::string_view first = NextField(line);
    if (first.empty()) continue;
    if (first.back() == ':') {  // "Anonymous:    0 kB" and the like
      if (first == "Anonymous:") clean = NextField(line) == "0";
      continue;
    }
    finish();
    // start-end perms offset dev inode [path]
    std::string_view perms = NextField(line);
    NextField(line);  // offset
    NextField(line);  // device
    NextField(line);  // inode
    size_t path_begin = line.find_first_not_of(' ');
    if (path_begin == std::string_view::npos) continue;  // anonymous
    std::string_view path = line.substr(path_begin);
    // Private, not writable, and a file ("[vdso]", "[heap]" and the like are
    // not; a deleted file still is).
    if ((perms != "r-xp" && perms != "r--p") || path.front() != '/') continue;
    size_t dash = first.find('-');
    if (dash == std::string_view::npos) continue;
    if (!ParseHex(first.substr(0, dash), current.start) ||
        !ParseHex(first.substr(dash + 1), current.end) ||
        current.end <= current.start)
      continue;
    current.path = std::string(path);
    candidate = true;
    needs_clean = perms == "r--p";
    clean = false;  // until its Anonymous line says 0
  }
  finish();
  return out;
}

StatusOr<CodeTrimResult> TrimCodePages(const std::string& procfs) {
  ZIMON_ASSIGN_OR_RETURN(std::string maps,
                         ReadSmallFile(JoinPath(procfs, "self/smaps")));
  CodeTrimResult result;
  result.rss_before = VmRssBytes(procfs);
  int last_errno = 0;
  for (const CodeMapping& m : ParseCodeMappings(maps)) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): addresses from the kernel
    if (madvise(reinterpret_cast<void*>(m.start), m.end - m.start,
                MADV_PAGEOUT) == 0) {
      ++result.mappings;
    } else {
      last_errno = errno;
    }
  }
  if (result.mappings == 0 && last_errno != 0) {
    return UnavailableError(std::string("madvise(MADV_PAGEOUT): ") +
                            std::strerror(last_errno));
  }
  result.rss_after = VmRssBytes(procfs);
  return result;
}

}  // namespace zimon::collect
