#include "zimon/metrics/registry.h"

#include <algorithm>
#include <cassert>
#include <map>

#include "zimon/common/logging.h"
#include "zimon/metrics/family_impl.h"
#include "zimon/metrics/names.h"

namespace zimon::metrics {

std::vector<double> DefaultLatencyBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1,  1.5, 2,
          2.5,   3,    4,     5,    7.5, 10,   15,  20,   30, 60};
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i, start *= factor) out.push_back(start);
  return out;
}

std::vector<double> LinearBuckets(double start, double width, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i) out.push_back(start + width * i);
  return out;
}

// ---- Family<M> --------------------------------------------------------------

template <typename M>
Family<M>::Family(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
template <typename M>
Family<M>::~Family() = default;

template <typename M>
M& Family<M>::WithLabels(std::initializer_list<std::string_view> values) {
  return impl_->Get(values);
}
template <typename M>
M& Family<M>::WithLabels(std::span<const std::string> values) {
  return impl_->Get(values);
}
template <typename M>
void Family<M>::Remove(std::initializer_list<std::string_view> values) {
  impl_->Hide(values);
}
template <typename M>
const std::string& Family<M>::name() const {
  return impl_->info.name;
}

template <typename M>
FamilySnapshot Family<M>::Impl::Snapshot() const {
  FamilySnapshot family;
  family.name = info.snapshot_name;
  family.help = info.help;
  family.type = info.type;
  std::lock_guard lock(mu);
  family.points.reserve(children.size());
  for (const auto& [values, child] : children) {
    if (child.hidden) continue;
    MetricPoint& point = family.points.emplace_back();
    point.labels.reserve(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      point.labels.push_back(Label{info.label_names[i], values[i]});
    }
    if constexpr (std::is_same_v<M, Histogram>) {
      point.histogram = child.metric->Snapshot();
    } else {
      point.value = child.metric->Value();
    }
  }
  return family;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- Registry ---------------------------------------------------------------

struct Registry::State {
  struct Entry {
    MetricType type;
    std::unique_ptr<Family<Counter>> counter;
    std::unique_ptr<Family<Gauge>> gauge;
    std::unique_ptr<Family<Histogram>> histogram;
  };
  mutable std::mutex mu;
  std::map<std::string, Entry, std::less<>> families;  // by snapshot name
  std::vector<const Collector*> collectors;

  template <typename M>
  static std::unique_ptr<Family<M>> Entry::*Slot() {
    if constexpr (std::is_same_v<M, Counter>) return &Entry::counter;
    if constexpr (std::is_same_v<M, Gauge>) return &Entry::gauge;
    if constexpr (std::is_same_v<M, Histogram>) return &Entry::histogram;
  }

  template <typename M>
  Family<M>& Add(internal::FamilyInfo info) {
    Status valid = ValidateFamily(info.name, info.type, info.label_names);
    if (!valid.ok()) {
      log::Error("invalid metric family", {{"error", valid}});
      assert(false && "invalid metric family; see the log line above");
    }
    info.snapshot_name = info.name;
    if (info.type == MetricType::kCounter && info.name.ends_with("_total")) {
      info.snapshot_name.resize(info.name.size() - 6);
    }
    std::lock_guard lock(mu);
    auto it = families.find(info.snapshot_name);
    if (it != families.end()) {
      Family<M>* existing = (it->second.*Slot<M>()).get();
      bool same = existing != nullptr &&
                  existing->impl().info.label_names == info.label_names &&
                  existing->impl().info.buckets == info.buckets;
      if (same) return *existing;
      log::Error("metric family registered twice with a different shape",
                 {{"name", info.name}});
      assert(false && "metric family registered twice with a different shape");
      // Keep the first registration exported; hand out an unexported family.
      orphans.push_back(std::make_unique<Entry>());
      auto& slot = (*orphans.back()).*Slot<M>();
      slot = std::make_unique<Family<M>>(
          std::make_unique<typename Family<M>::Impl>(std::move(info)));
      return *slot;
    }
    Entry entry{info.type, nullptr, nullptr, nullptr};
    auto& slot = entry.*Slot<M>();
    slot = std::make_unique<Family<M>>(
        std::make_unique<typename Family<M>::Impl>(std::move(info)));
    Family<M>& ref = *slot;
    families.emplace(ref.impl().info.snapshot_name, std::move(entry));
    return ref;
  }

  std::vector<std::unique_ptr<Entry>> orphans;
};

Registry::Registry() : state_(std::make_unique<State>()) {}
Registry::~Registry() = default;

Family<Counter>& Registry::AddCounter(std::string name, std::string help,
                                      std::vector<std::string> label_names) {
  return state_->Add<Counter>({std::move(name),
                               "",
                               std::move(help),
                               MetricType::kCounter,
                               std::move(label_names),
                               {}});
}

Family<Gauge>& Registry::AddGauge(std::string name, std::string help,
                                  std::vector<std::string> label_names) {
  return state_->Add<Gauge>({std::move(name),
                             "",
                             std::move(help),
                             MetricType::kGauge,
                             std::move(label_names),
                             {}});
}

Family<Histogram>& Registry::AddHistogram(std::string name, std::string help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> buckets) {
  // Normalise the bounds the way Histogram does, so that re-adding with the
  // same (unnormalised) bounds finds the existing family.
  buckets = Histogram(std::move(buckets)).upper_bounds();
  return state_->Add<Histogram>({std::move(name), "", std::move(help),
                                 MetricType::kHistogram, std::move(label_names),
                                 std::move(buckets)});
}

void Registry::RegisterCollector(const Collector* collector) {
  std::lock_guard lock(state_->mu);
  auto& list = state_->collectors;
  if (std::find(list.begin(), list.end(), collector) == list.end()) {
    list.push_back(collector);
  }
}

void Registry::UnregisterCollector(const Collector* collector) {
  std::lock_guard lock(state_->mu);
  std::erase(state_->collectors, collector);
}

std::vector<FamilySnapshot> Registry::Collect() const {
  std::vector<FamilySnapshot> out;
  std::lock_guard lock(state_->mu);
  out.reserve(state_->families.size());
  for (const auto& [name, entry] : state_->families) {
    if (entry.counter) out.push_back(entry.counter->impl().Snapshot());
    if (entry.gauge) out.push_back(entry.gauge->impl().Snapshot());
    if (entry.histogram) {
      out.push_back(entry.histogram->impl().Snapshot());
    }
  }
  if (state_->collectors.empty()) return out;
  for (const Collector* collector : state_->collectors) collector->Collect(out);
  std::stable_sort(out.begin(), out.end(),
                   [](const FamilySnapshot& a, const FamilySnapshot& b) {
                     return a.name < b.name;
                   });
  // Merge runs of equal names: same type appends points, another type is
  // dropped.
  std::vector<FamilySnapshot> merged;
  merged.reserve(out.size());
  for (FamilySnapshot& family : out) {
    if (!merged.empty() && merged.back().name == family.name) {
      if (merged.back().type == family.type) {
        for (MetricPoint& p : family.points) {
          merged.back().points.push_back(std::move(p));
        }
      } else {
        log::Warn("dropping metric family with a conflicting type",
                  {{"name", family.name},
                   {"type", MetricTypeName(family.type)},
                   {"kept_type", MetricTypeName(merged.back().type)}});
      }
      continue;
    }
    merged.push_back(std::move(family));
  }
  return merged;
}

}  // namespace zimon::metrics
