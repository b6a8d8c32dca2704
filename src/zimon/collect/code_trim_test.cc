#include "zimon/collect/code_trim.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace zimon::collect {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

// One /proc/PID/smaps entry: the maps line, then (some of) its details.
std::string Entry(const std::string& maps_line, int anonymous_kb = 0) {
  return maps_line +
         "\nSize:                108 kB\nRss:                  64 kB\n" +
         "Anonymous:      " + std::to_string(anonymous_kb) +
         " kB\nVmFlags: rd mr mw me sd \n";
}

TEST(ParseCodeMappings, KeepsPrivateReadOnlyFileMappings) {
  const std::string smaps =
      Entry(
          "55d0c0000000-55d0c001b000 r--p 00000000 fe:01 123 /usr/bin/zimon") +
      Entry(
          "55d0c001b000-55d0c028b000 r-xp 0001b000 fe:01 123 /usr/bin/zimon") +
      // RELRO: read-only now, but relocated, so it holds private copies.
      Entry("55d0c032d000-55d0c032e000 r--p 0032c000 fe:01 123 /usr/bin/zimon",
            4) +
      Entry("55d0c032e000-55d0c0337000 rw-p 0032d000 fe:01 123 /usr/bin/zimon",
            8) +
      Entry("55d0c1000000-55d0c1021000 rw-p 00000000 00:00 0          [heap]",
            132) +
      Entry("7f0000000000-7f0000021000 rw-p 00000000 00:00 0 ", 4) +
      Entry("7f0000100000-7f0000200000 rwxp 00000000 fe:01 7 /tmp/jit") +
      Entry("7f0000300000-7f0000400000 r-xs 00000000 fe:01 8 /dev/shm/x") +
      Entry("7f0000500000-7f0000600000 r--s 00000000 fe:01 8 /dev/shm/y") +
      Entry(
          "7f1000028000-7f100017d000 r-xp 00028000 fe:01 9 "
          "/usr/lib/x86_64-linux-gnu/libc.so.6") +
      Entry(
          "7f1000200000-7f1000201000 r-xp 00000000 fe:01 10 /opt/my lib.so "
          "(deleted)") +
      Entry("7ffd5c9f2000-7ffd5c9f4000 r-xp 00000000 00:00 0          [vdso]") +
      Entry("7ffd5c9f4000-7ffd5c9f6000 r--p 00000000 00:00 0          [vvar]") +
      Entry(
          "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  "
          "[vsyscall]");
  EXPECT_THAT(
      ParseCodeMappings(smaps),
      ElementsAre(
          AllOf(Field(&CodeMapping::start, 0x55d0c0000000u),
                Field(&CodeMapping::end, 0x55d0c001b000u),
                Field(&CodeMapping::path, "/usr/bin/zimon")),
          AllOf(Field(&CodeMapping::start, 0x55d0c001b000u),
                Field(&CodeMapping::end, 0x55d0c028b000u),
                Field(&CodeMapping::path, "/usr/bin/zimon")),
          Field(&CodeMapping::path, "/usr/lib/x86_64-linux-gnu/libc.so.6"),
          Field(&CodeMapping::path, "/opt/my lib.so (deleted)")));
}

TEST(ParseCodeMappings, ReadOnlyDataWithoutAnonymousLineIsSkipped) {
  // Without the detail line there is no telling it holds no private copies.
  EXPECT_THAT(ParseCodeMappings("10-20 r--p 0 fe:01 5 /x\n"
                                "20-30 r-xp 0 fe:01 5 /x\n"),
              ElementsAre(Field(&CodeMapping::start, 0x20u)));
}

TEST(ParseCodeMappings, SkipsMalformedLines) {
  EXPECT_THAT(ParseCodeMappings("garbage\n"
                                "zz-10 r-xp 0 0 0 /x\n"
                                "20-10 r-xp 0 0 0 /x\n"
                                "10-20 r-xp\n"
                                "\n"),
              IsEmpty());
}

int CallSomething(int x) { return x * 3 + 1; }

TEST(TrimCodePages, CodeStillRunsAfterTrim) {
  StatusOr<CodeTrimResult> result = TrimCodePages();
  if (!result.ok()) GTEST_SKIP() << result.status().ToString();
  EXPECT_GT(result->mappings, 0);  // at least this test binary's text
  // Code paged out faults back in: the process keeps working.
  volatile int x = 4;
  EXPECT_EQ(CallSomething(x), 13);
  std::string s(100, 'a');
  EXPECT_EQ(s.find('b'), std::string::npos);
}

TEST(TrimCodePages, MissingProcfsIsAnError) {
  EXPECT_FALSE(TrimCodePages("/nonexistent-procfs").ok());
}

}  // namespace
}  // namespace zimon::collect
