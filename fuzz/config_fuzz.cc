// libFuzzer target for config loading: YAML parsing (yaml-cpp) and the typed
// readers on top of it. Property: any input yields a Config or an error
// Status with a message; nothing crashes or throws.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "zimon/common/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  zimon::StatusOr<zimon::Config> config =
      zimon::LoadConfigString(text, "fuzz.yaml");
  if (!config.ok() && config.status().message().empty()) std::abort();
  return 0;
}
