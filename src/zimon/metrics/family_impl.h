// Internal: the state behind Family<M>. Only registry.cc and tests include it.
//
// Thread safety: `mu` guards `children` and `detached`; the metrics themselves
// are lock-free.
#ifndef ZIMON_METRICS_FAMILY_IMPL_H_
#define ZIMON_METRICS_FAMILY_IMPL_H_

#include <algorithm>
#include <cassert>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "zimon/metrics/registry.h"

namespace zimon::metrics {
namespace internal {

// Orders label-value tuples; compares stored keys with borrowed views so that
// lookups do not allocate.
struct LabelValuesLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](std::string_view x, std::string_view y) { return x < y; });
  }
};

struct FamilyInfo {
  std::string name;           // as registered
  std::string snapshot_name;  // without `_total` for counters
  std::string help;
  MetricType type = MetricType::kUntyped;
  std::vector<std::string> label_names;
  std::vector<double> buckets;  // histograms only
};

}  // namespace internal

template <typename M>
struct Family<M>::Impl {
  struct Child {
    std::unique_ptr<M> metric;
    bool hidden = false;
  };

  explicit Impl(internal::FamilyInfo i) : info(std::move(i)) {}

  std::unique_ptr<M> MakeMetric() const {
    if constexpr (std::is_same_v<M, Histogram>) {
      return std::make_unique<M>(info.buckets);
    } else {
      return std::make_unique<M>();
    }
  }

  template <typename Values>
  M& Get(const Values& values) {
    std::lock_guard lock(mu);
    if (values.size() != info.label_names.size()) {
      assert(false && "label value count differs from label name count");
      if (!detached) detached = MakeMetric();
      return *detached;
    }
    auto it = children.find(values);
    if (it == children.end()) {
      std::vector<std::string> key(values.begin(), values.end());
      it = children.emplace(std::move(key), Child{MakeMetric(), false}).first;
    }
    it->second.hidden = false;
    return *it->second.metric;
  }

  template <typename Values>
  void Hide(const Values& values) {
    std::lock_guard lock(mu);
    auto it = children.find(values);
    if (it != children.end()) it->second.hidden = true;
  }

  // Appends a snapshot of the visible children, in label-value order.
  FamilySnapshot Snapshot() const;

  const internal::FamilyInfo info;
  mutable std::mutex mu;
  std::map<std::vector<std::string>, Child, internal::LabelValuesLess> children;
  std::unique_ptr<M> detached;  // returned on a label-count mismatch
};

}  // namespace zimon::metrics

#endif  // ZIMON_METRICS_FAMILY_IMPL_H_
