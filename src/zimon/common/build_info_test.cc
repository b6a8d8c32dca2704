#include "zimon/common/build_info.h"

#include <gtest/gtest.h>

#include <regex>

namespace zimon {
namespace {

TEST(BuildInfo, VersionIsSemanticVersion) {
  EXPECT_TRUE(std::regex_match(std::string(Version()),
                               std::regex(R"(\d+\.\d+\.\d+.*)")))
      << Version();
}

TEST(BuildInfo, NamesCompilerAndStandard) {
  std::string info = BuildInfo();
  EXPECT_NE(info.find("C++20"), std::string::npos) << info;
  EXPECT_TRUE(info.find("GCC ") != std::string::npos ||
              info.find("Clang ") != std::string::npos)
      << info;
}

}  // namespace
}  // namespace zimon
