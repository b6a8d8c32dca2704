// Differential fuzz target for ReadJsonMembers (src/zimon/gateway/
// json_members.h) against nlohmann::json::parse, the parser it replaced for
// request bodies. Both must accept and refuse the same texts, and for an
// accepted one agree on the document's type and on every kept member: the
// same value for a scalar, the same type for an array or object. The one
// known difference is allowed: nlohmann stops at a NUL byte outside a
// string, ReadJsonMembers reads to the end.
//
//   build/fuzz/fuzz/json_members_fuzz -max_total_time=60 corpus_dir \
//       tests/data/json_request
#include <array>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "zimon/gateway/json_members.h"

namespace {

using nlohmann::json;

constexpr std::string_view kNames[] = {"prompt", "n", "size", "seed", "a", ""};

void Fail(const char* what) {
  (void)what;
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::array<json, std::size(kNames)> values;
  const zimon::StatusOr<json::value_t> type =
      zimon::gateway::ReadJsonMembers(text, kNames, values);
  json doc;
  bool nlohmann_ok = true;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception&) {
    nlohmann_ok = false;
  }
  if (type.ok() != nlohmann_ok) {
    const bool nul = text.find('\0') != std::string_view::npos;
    if (!(nlohmann_ok && nul)) Fail("accept/refuse differs");
    return 0;
  }
  if (!type.ok()) return 0;
  if (*type != doc.type()) Fail("document type differs");
  for (size_t i = 0; i < std::size(kNames); ++i) {
    const json* want = nullptr;
    if (doc.is_object()) {
      auto it = doc.find(kNames[i]);
      if (it != doc.end()) want = &*it;
    }
    const json& got = values[i];
    if (want == nullptr || want->is_null()) {
      if (!got.is_null()) Fail("a member only one side has");
    } else if (want->is_structured()) {
      if (got.type() != want->type() || !got.empty()) Fail("container type");
    } else if (got != *want || got.type() != want->type()) {
      Fail("member value differs");
    }
  }
  return 0;
}
