#include "zimon/collect/procfs_parse.h"

#include <charconv>
#include <cstdlib>

namespace zimon::collect {
namespace {

// Splits on runs of spaces and tabs.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Calls fn(line) for each line (without '\n').
template <typename Fn>
void ForEachLine(std::string_view text, Fn fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    fn(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

bool ParseU64(std::string_view s, uint64_t& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool ParseDouble(std::string_view s, double& out) {
  std::string copy(s);  // strtod needs a terminator
  char* end = nullptr;
  out = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size() && !copy.empty();
}

Status Malformed(std::string_view file, std::string_view line) {
  return InvalidArgumentError(std::string(file) + ": malformed line: \"" +
                              std::string(line.substr(0, 120)) + "\"");
}

std::string DecodeOctalEscapes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      std::string_view oct = s.substr(i + 1, 3);
      if (oct[0] >= '0' && oct[0] <= '3' && oct[1] >= '0' && oct[1] <= '7' &&
          oct[2] >= '0' && oct[2] <= '7') {
        out.push_back(static_cast<char>((oct[0] - '0') * 64 +
                                        (oct[1] - '0') * 8 + (oct[2] - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

StatusOr<std::vector<CpuTimes>> ParseProcStat(std::string_view text) {
  std::vector<CpuTimes> out;
  Status error;
  ForEachLine(text, [&](std::string_view line) {
    if (!error.ok() || line.size() < 4 || line.substr(0, 3) != "cpu" ||
        line[3] == ' ') {
      return;
    }
    auto f = Fields(line);
    if (f.size() < 5) {
      error = Malformed("/proc/stat", line);
      return;
    }
    CpuTimes cpu;
    cpu.cpu = std::string(f[0].substr(3));
    for (size_t i = 0; i < cpu.ticks.size() && i + 1 < f.size(); ++i) {
      if (!ParseU64(f[i + 1], cpu.ticks[i])) {
        error = Malformed("/proc/stat", line);
        return;
      }
    }
    out.push_back(std::move(cpu));
  });
  if (!error.ok()) return error;
  if (out.empty()) return InvalidArgumentError("/proc/stat: no per-cpu lines");
  return out;
}

StatusOr<MemInfo> ParseMeminfo(std::string_view text) {
  uint64_t total = 0, available = 0, free = 0, buffers = 0, cached = 0;
  bool has_total = false, has_available = false;
  ForEachLine(text, [&](std::string_view line) {
    auto f = Fields(line);
    if (f.size() < 2) return;
    uint64_t kb = 0;
    if (!ParseU64(f[1], kb)) return;
    uint64_t bytes = (f.size() >= 3 && f[2] == "kB") ? kb * 1024 : kb;
    if (f[0] == "MemTotal:") {
      total = bytes;
      has_total = true;
    } else if (f[0] == "MemAvailable:") {
      available = bytes;
      has_available = true;
    } else if (f[0] == "MemFree:") {
      free = bytes;
    } else if (f[0] == "Buffers:") {
      buffers = bytes;
    } else if (f[0] == "Cached:") {
      cached = bytes;
    }
  });
  if (!has_total) return InvalidArgumentError("/proc/meminfo: no MemTotal");
  return MemInfo{total, has_available ? available : free + buffers + cached};
}

StatusOr<std::vector<DiskStats>> ParseDiskstats(std::string_view text) {
  std::vector<DiskStats> out;
  Status error;
  ForEachLine(text, [&](std::string_view line) {
    if (!error.ok()) return;
    auto f = Fields(line);
    if (f.empty()) return;
    DiskStats d;
    if (f.size() < 14 || !ParseU64(f[5], d.sectors_read) ||
        !ParseU64(f[9], d.sectors_written) || !ParseU64(f[12], d.io_time_ms)) {
      error = Malformed("/proc/diskstats", line);
      return;
    }
    d.device = std::string(f[2]);
    out.push_back(std::move(d));
  });
  if (!error.ok()) return error;
  return out;
}

StatusOr<std::vector<NetDevStats>> ParseNetDev(std::string_view text) {
  std::vector<NetDevStats> out;
  Status error;
  ForEachLine(text, [&](std::string_view line) {
    if (!error.ok()) return;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;  // header lines
    if (line.find('|') != std::string_view::npos) return;
    auto name = Fields(line.substr(0, colon));
    auto f = Fields(line.substr(colon + 1));
    NetDevStats n;
    if (name.size() != 1 || f.size() < 16 || !ParseU64(f[0], n.receive_bytes) ||
        !ParseU64(f[8], n.transmit_bytes)) {
      error = Malformed("/proc/net/dev", line);
      return;
    }
    n.device = std::string(name[0]);
    out.push_back(std::move(n));
  });
  if (!error.ok()) return error;
  return out;
}

StatusOr<LoadAvg> ParseLoadavg(std::string_view text) {
  auto f = Fields(text.substr(0, text.find('\n')));
  LoadAvg l;
  if (f.size() < 3 || !ParseDouble(f[0], l.load1) ||
      !ParseDouble(f[1], l.load5) || !ParseDouble(f[2], l.load15)) {
    return Malformed("/proc/loadavg", text);
  }
  return l;
}

std::vector<MountEntry> ParseMounts(std::string_view text) {
  std::vector<MountEntry> out;
  ForEachLine(text, [&](std::string_view line) {
    auto f = Fields(line);
    if (f.size() < 3) return;
    out.push_back(MountEntry{DecodeOctalEscapes(f[0]), DecodeOctalEscapes(f[1]),
                             std::string(f[2])});
  });
  return out;
}

StatusOr<PidStat> ParsePidStat(std::string_view text) {
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos ||
      close < open) {
    return Malformed("/proc/<pid>/stat", text);
  }
  PidStat s;
  s.comm = std::string(text.substr(open + 1, close - open - 1));
  // After ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt
  // majflt cmajflt utime(14) stime(15); f[0] is field 3.
  auto f = Fields(text.substr(close + 1));
  if (f.size() < 13 || !ParseU64(f[11], s.utime_ticks) ||
      !ParseU64(f[12], s.stime_ticks)) {
    return Malformed("/proc/<pid>/stat", text);
  }
  return s;
}

StatusOr<uint64_t> ParseStatusRssBytes(std::string_view text) {
  StatusOr<uint64_t> result = NotFoundError("/proc/<pid>/status: no VmRSS");
  ForEachLine(text, [&](std::string_view line) {
    if (line.substr(0, 6) != "VmRSS:") return;
    auto f = Fields(line.substr(6));
    uint64_t kb = 0;
    if (f.empty() || !ParseU64(f[0], kb)) {
      result = Malformed("/proc/<pid>/status", line);
      return;
    }
    result = kb * 1024;
  });
  return result;
}

}  // namespace zimon::collect
