// libFuzzer target for the exposition parser, grouping and writers.
//
//   clang++ build: fuzz/exposition_parser_fuzz -max_total_time=60
//   tests/data/exposition
//
// Every input is parsed as both formats. Whatever parses must group and write
// without crashing; for the 0.0.4 format, writing is also checked to be a
// fixed point: write(group(parse(written))) == written.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "zimon/metrics/exposition.h"
#include "zimon/metrics/parser.h"

namespace {

using zimon::metrics::ExpositionFormat;

bool WriteParsed(std::string_view text, ExpositionFormat format,
                 std::string& out) {
  auto parsed = zimon::metrics::ParseExposition(text, format);
  if (!parsed.ok()) return false;
  auto grouped = zimon::metrics::GroupFamilies(*parsed);
  if (!grouped.ok()) return false;
  out.clear();
  zimon::metrics::WriteExposition(*grouped, format, out);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string first, second;
  if (WriteParsed(text, ExpositionFormat::kPrometheusText, first) &&
      WriteParsed(first, ExpositionFormat::kPrometheusText, second) &&
      first != second) {
    std::abort();  // the writer's output is not a fixed point
  }
  WriteParsed(text, ExpositionFormat::kOpenMetrics, first);
  return 0;
}
