#include "zimon/common/units.h"

#include <gtest/gtest.h>

namespace zimon {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsUnitsAndCombinations) {
  EXPECT_EQ(*ParseDuration("5s"), milliseconds(5000));
  EXPECT_EQ(*ParseDuration("1m30s"), milliseconds(90'000));
  EXPECT_EQ(*ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(*ParseDuration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(*ParseDuration("2d"), milliseconds(172'800'000));
  EXPECT_EQ(*ParseDuration("1s500ms"), milliseconds(1500));
  EXPECT_EQ(*ParseDuration("0"), milliseconds(0));
  EXPECT_EQ(*ParseDuration("0s"), milliseconds(0));
}

TEST(ParseDuration, RejectsBadSyntaxWithHint) {
  for (const char* bad : {"", "5", "s", "5 s", "-5s", "1.5s", "30s1m", "1m1m",
                          "5x", "5S", "1m30", "forever"}) {
    StatusOr<milliseconds> d = ParseDuration(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(
        d.status().message(),
        std::string("expected a duration like 5s, 1m30s or 250ms, got \"") +
            bad + "\"");
  }
}

TEST(ParseDuration, RejectsOverflow) {
  EXPECT_FALSE(ParseDuration("99999999999999999d").ok());
}

TEST(FormatDuration, RoundTrips) {
  EXPECT_EQ(FormatDuration(milliseconds(90'000)), "1m30s");
  EXPECT_EQ(FormatDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(86'400'000 + 1)), "1d1ms");
  for (int64_t ms : {1, 999, 1000, 61'001, 3'600'000, 123'456'789}) {
    EXPECT_EQ(*ParseDuration(FormatDuration(milliseconds(ms))),
              milliseconds(ms));
  }
}

TEST(ParseByteSize, AcceptsDecimalAndBinaryUnits) {
  EXPECT_EQ(*ParseByteSize("4096"), 4096u);
  EXPECT_EQ(*ParseByteSize("16KiB"), 16u * 1024);
  EXPECT_EQ(*ParseByteSize("8MiB"), 8u << 20);
  EXPECT_EQ(*ParseByteSize("1GB"), 1'000'000'000u);
  EXPECT_EQ(*ParseByteSize("2kb"), 2000u);
  EXPECT_EQ(*ParseByteSize("8 MiB"), 8u << 20);
  EXPECT_EQ(*ParseByteSize("1.5KiB"), 1536u);
  EXPECT_EQ(*ParseByteSize("10B"), 10u);
  EXPECT_EQ(*ParseByteSize("1TiB"), uint64_t{1} << 40);
}

TEST(ParseByteSize, RejectsBadSizes) {
  for (const char* bad : {"", "lots", "MiB", "8XB", "-1", "1..5MiB", ".5MiB",
                          "8  MiB", "8MiBs"}) {
    StatusOr<uint64_t> b = ParseByteSize(bad);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.status().message(),
              std::string("expected a size like 8MiB, got \"") + bad + "\"");
  }
  EXPECT_EQ(ParseByteSize("99999999TiB").status().message(),
            "size \"99999999TiB\" is too large");
}

TEST(FormatByteSize, UsesLargestExactBinaryUnit) {
  EXPECT_EQ(FormatByteSize(16 * 1024), "16KiB");
  EXPECT_EQ(FormatByteSize(8 << 20), "8MiB");
  EXPECT_EQ(FormatByteSize(1000), "1000B");
  EXPECT_EQ(FormatByteSize(0), "0B");
}

TEST(ParseHostPort, AcceptsHostsAndPorts) {
  EXPECT_EQ(*ParseHostPort("0.0.0.0:8080"), (HostPort{"0.0.0.0", 8080}));
  EXPECT_EQ(*ParseHostPort("gpu-0.local:9400"),
            (HostPort{"gpu-0.local", 9400}));
  EXPECT_EQ(*ParseHostPort("[::1]:80"), (HostPort{"::1", 80}));
  EXPECT_EQ(*ParseHostPort(":8080"), (HostPort{"0.0.0.0", 8080}));
  EXPECT_EQ(*ParseHostPort("127.0.0.1:0"), (HostPort{"127.0.0.1", 0}));
}

TEST(ParseHostPort, RejectsBadAddresses) {
  for (const char* bad : {"8080", "host:", "host:65536", "host:-1", "host:http",
                          "::1:80", "[::1:80", "bad host:80", "[zz]:80"}) {
    EXPECT_FALSE(ParseHostPort(bad).ok()) << bad;
  }
  EXPECT_EQ(
      ParseHostPort("localhost").status().message(),
      "expected host:port, e.g. 0.0.0.0:8080, got \"localhost\" (no port)");
}

TEST(HostPort, ToStringBracketsIpv6) {
  EXPECT_EQ((HostPort{"::1", 80}).ToString(), "[::1]:80");
  EXPECT_EQ((HostPort{"0.0.0.0", 8080}).ToString(), "0.0.0.0:8080");
}

}  // namespace
}  // namespace zimon
