#include "zimon/common/thread_name.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace zimon {
namespace {

TEST(ThreadName, NamesTheCallingThreadOnly) {
  const std::string main_name = ThreadName();
  std::string seen;
  std::thread t([&] {
    SetThreadName("zimon-test");
    seen = ThreadName();
  });
  t.join();
  EXPECT_EQ(seen, "zimon-test");
  EXPECT_EQ(ThreadName(), main_name);
}

TEST(ThreadName, NamesAnotherThreadBeforeItRuns) {
  std::latch go(1);
  std::string seen;
  std::thread t([&] {
    go.wait();
    seen = ThreadName();
  });
  SetThreadName(t.native_handle(), "zimon-other");
  go.count_down();
  t.join();
  EXPECT_EQ(seen, "zimon-other");
}

TEST(ThreadName, LongNamesAreCutToWhatTheKernelKeeps) {
  std::string seen;
  std::thread t([&] {
    SetThreadName("zimon-a-rather-long-thread-name");
    seen = ThreadName();
  });
  t.join();
  EXPECT_EQ(seen, std::string("zimon-a-rather-long-thread-name")
                      .substr(0, kMaxThreadNameBytes));
}

TEST(ThreadName, ProcessThreadNamesListsLiveThreads) {
  std::latch named(1), done(1);
  std::thread t([&] {
    SetThreadName("zimon-listed");
    named.count_down();
    done.wait();
  });
  named.wait();
  std::vector<std::string> names = ProcessThreadNames();
  done.count_down();
  t.join();
  EXPECT_NE(std::find(names.begin(), names.end(), "zimon-listed"), names.end());
  names = ProcessThreadNames();
  EXPECT_EQ(std::find(names.begin(), names.end(), "zimon-listed"), names.end());
}

}  // namespace
}  // namespace zimon
