#include "zimon/common/build_info.h"

#ifndef ZIMON_VERSION
#error \
    "ZIMON_VERSION must be defined by the build (src/zimon/common/CMakeLists.txt)"
#endif
#ifndef ZIMON_BUILD_TYPE
#define ZIMON_BUILD_TYPE "unknown"
#endif

namespace zimon {

std::string_view Version() { return ZIMON_VERSION; }

std::string BuildInfo() {
  std::string out = ZIMON_BUILD_TYPE;
  if (out.empty()) out = "default";
  out += ", ";
#if defined(__clang__)
  out += "Clang " __clang_version__;
#elif defined(__GNUC__)
  out += "GCC " + std::to_string(__GNUC__) + "." +
         std::to_string(__GNUC_MINOR__) + "." +
         std::to_string(__GNUC_PATCHLEVEL__);
#else
  out += "unknown compiler";
#endif
  out += ", C++" + std::to_string(__cplusplus / 100 % 100);
#if defined(__linux__)
  out += ", linux";
#else
  out += ", unknown OS";
#endif
#if defined(__x86_64__)
  out += " x86_64";
#elif defined(__aarch64__)
  out += " aarch64";
#endif
#if !defined(NDEBUG)
  out += ", assertions on";
#endif
  return out;
}

}  // namespace zimon
