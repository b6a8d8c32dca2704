#include "tests/integration/exposition_util.h"

namespace zimon::integration {

std::optional<double> Find(const metrics::ParsedExposition& parsed,
                           const std::string& name,
                           const metrics::Labels& want) {
  for (const metrics::ParsedSample& s : parsed.samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const metrics::Label& w : want) {
      bool found = false;
      for (const metrics::Label& l : s.labels) {
        if (l.name == w.name && l.value == w.value) found = true;
      }
      match = match && found;
    }
    if (match) return s.value;
  }
  return std::nullopt;
}

size_t Count(const metrics::ParsedExposition& parsed, const std::string& name) {
  size_t n = 0;
  for (const metrics::ParsedSample& s : parsed.samples) n += s.name == name;
  return n;
}

}  // namespace zimon::integration
