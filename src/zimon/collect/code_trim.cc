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

std::vector<CodeMapping> ParseCodeMappings(std::string_view maps) {
  std::vector<CodeMapping> out;
  while (!maps.empty()) {
    size_t eol = maps.find('\n');
    std::string_view line = maps.substr(0, eol);
    maps.remove_prefix(eol == std::string_view::npos ? maps.size() : eol + 1);

    // start-end perms offset dev inode [path]
    std::string_view range = NextField(line);
    std::string_view perms = NextField(line);
    NextField(line);  // offset
    NextField(line);  // device
    NextField(line);  // inode
    size_t path_begin = line.find_first_not_of(' ');
    if (path_begin == std::string_view::npos) continue;  // anonymous
    std::string_view path = line.substr(path_begin);
    // Only exactly "r-xp": no writable or shared mappings, and only files
    // ("[vdso]", "[heap]" and the like are not; a deleted file still is).
    if (perms != "r-xp" || path.front() != '/') continue;
    size_t dash = range.find('-');
    if (dash == std::string_view::npos) continue;
    CodeMapping m;
    if (!ParseHex(range.substr(0, dash), m.start) ||
        !ParseHex(range.substr(dash + 1), m.end) || m.end <= m.start)
      continue;
    m.path = std::string(path);
    out.push_back(std::move(m));
  }
  return out;
}

StatusOr<CodeTrimResult> TrimCodePages(const std::string& procfs) {
  ZIMON_ASSIGN_OR_RETURN(std::string maps,
                         ReadSmallFile(JoinPath(procfs, "self/maps")));
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
