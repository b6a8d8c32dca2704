// What this binary is: its version (the CMake project version) and how it was
// built. For `zimon version`, the zimon_build_info metric and log lines.
//
// Thread safety: pure functions.
#ifndef ZIMON_COMMON_BUILD_INFO_H_
#define ZIMON_COMMON_BUILD_INFO_H_

#include <string>
#include <string_view>

namespace zimon {

// "0.1.0".
std::string_view Version();

// One line: "Debug, GCC 12.2.0, C++20, yaml-cpp, linux x86_64".
std::string BuildInfo();

}  // namespace zimon

#endif  // ZIMON_COMMON_BUILD_INFO_H_
