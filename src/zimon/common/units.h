// Parsing and printing of the value syntaxes used in config files, flags and
// environment variables: durations ("5s", "1m30s", "250ms"), byte sizes
// ("16KiB", "8MiB", "1GB", "4096") and network addresses ("0.0.0.0:8080",
// "[::1]:9400", ":8080").
//
// All functions are pure and thread-safe.
#ifndef ZIMON_COMMON_UNITS_H_
#define ZIMON_COMMON_UNITS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "zimon/common/status.h"

namespace zimon {

// One or more <integer><unit> parts, largest unit first, each unit at most
// once; units d, h, m, s, ms. "0" alone is zero. Examples: "5s", "1m30s",
// "250ms", "1h", "2d". Errors are kInvalidArgument with a message that shows
// the syntax.
StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);
// Canonical form that ParseDuration() reads back: 90000ms -> "1m30s",
// 250ms -> "250ms", 0 -> "0s".
std::string FormatDuration(std::chrono::milliseconds d);

// <number>[ ]<unit>: a whole or decimal number, then B, KB, MB, GB, TB
// (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), case-insensitive;
// no unit means bytes. Fractions are rounded down to whole bytes.
StatusOr<uint64_t> ParseByteSize(std::string_view text);
// Largest binary unit that divides the value exactly: 16384 -> "16KiB",
// 1000 -> "1000B".
std::string FormatByteSize(uint64_t bytes);

// A host (name, IPv4 or IPv6 literal) and a TCP port.
struct HostPort {
  std::string host;  // without brackets for IPv6
  uint16_t port = 0;

  // "host:port", with brackets around an IPv6 host.
  std::string ToString() const;
  friend bool operator==(const HostPort&, const HostPort&) = default;
};

// "host:port", "[ipv6]:port" or ":port" (all interfaces: host "0.0.0.0").
// Port 0..65535 (0 = pick a free port).
StatusOr<HostPort> ParseHostPort(std::string_view text);

}  // namespace zimon

#endif  // ZIMON_COMMON_UNITS_H_
