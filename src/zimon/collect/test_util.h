// Test helpers for reading collector snapshots.
#ifndef ZIMON_COLLECT_TEST_UTIL_H_
#define ZIMON_COLLECT_TEST_UTIL_H_

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "zimon/metrics/registry.h"
#include "zimon/metrics/snapshot.h"

namespace zimon::collect::testing {

inline std::vector<metrics::FamilySnapshot> CollectAll(
    const metrics::Collector& c) {
  std::vector<metrics::FamilySnapshot> out;
  c.Collect(out);
  return out;
}

inline const metrics::FamilySnapshot* FindFamily(
    const std::vector<metrics::FamilySnapshot>& families,
    const std::string& name) {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// The value of the point of `name` whose labels include all of `labels`.
inline std::optional<double> Value(
    const std::vector<metrics::FamilySnapshot>& families,
    const std::string& name, const metrics::Labels& labels = {}) {
  const metrics::FamilySnapshot* f = FindFamily(families, name);
  if (f == nullptr) return std::nullopt;
  for (const auto& p : f->points) {
    bool all = true;
    for (const auto& want : labels) {
      bool found = false;
      for (const auto& have : p.labels) found = found || have == want;
      all = all && found;
    }
    if (all) return p.value;
  }
  return std::nullopt;
}

// Value(), or NaN (equal to nothing) when the point is missing.
inline double ValueOrNaN(const std::vector<metrics::FamilySnapshot>& families,
                         const std::string& name,
                         const metrics::Labels& labels = {}) {
  return Value(families, name, labels)
      .value_or(std::numeric_limits<double>::quiet_NaN());
}

// Values of one label across a family's points.
inline std::vector<std::string> LabelValues(
    const std::vector<metrics::FamilySnapshot>& families,
    const std::string& name, const std::string& label) {
  std::vector<std::string> out;
  const metrics::FamilySnapshot* f = FindFamily(families, name);
  if (f == nullptr) return out;
  for (const auto& p : f->points) {
    for (const auto& l : p.labels) {
      if (l.name == label) out.push_back(l.value);
    }
  }
  return out;
}

}  // namespace zimon::collect::testing

#endif  // ZIMON_COLLECT_TEST_UTIL_H_
