// Metric registry: families of counters, gauges and histograms with label sets,
// plus custom collectors that produce snapshots on demand.
//
//   Registry registry;
//   auto& requests = registry.AddCounter("zimon_requests_total", "Requests by
//   outcome.",
//                                        {"backend", "outcome"});
//   Counter& ok = requests.WithLabels({"gpu-0", "success"});  // look up once,
//   keep ok.Inc();                                                  //
//   lock-free
//
// Ownership: the registry owns every family and every labelled child; the
// references it hands out stay valid for the registry's lifetime (children are
// never destroyed before the registry, Remove() only hides them).
//
// Thread safety: everything is thread-safe. Inc/Set/Observe never take a lock;
// AddX/WithLabels take a per-family mutex (cache the returned reference on hot
// paths).
#ifndef ZIMON_METRICS_REGISTRY_H_
#define ZIMON_METRICS_REGISTRY_H_

#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zimon/metrics/counter.h"
#include "zimon/metrics/gauge.h"
#include "zimon/metrics/histogram.h"
#include "zimon/metrics/snapshot.h"

namespace zimon::metrics {

// A source of families computed at collection time (GPU, host collectors).
// Collect() must be cheap: it copies the source's last snapshot.
class Collector {
 public:
  virtual ~Collector() = default;
  virtual void Collect(std::vector<FamilySnapshot>& out) const = 0;
};

// Default latency buckets (seconds), suited to image generation: 5 ms .. 60 s.
std::vector<double> DefaultLatencyBuckets();
// `count` buckets: start, start*factor, ...
std::vector<double> ExponentialBuckets(double start, double factor, int count);
// `count` buckets: start, start+width, ...
std::vector<double> LinearBuckets(double start, double width, int count);

// A named family of metrics of one type, one child per label-value tuple.
template <typename M>
class Family {
 public:
  // Returns the child for these label values (in label-name order), creating it
  // on first use. The number of values must equal the number of label names;
  // a mismatch is a programming error (asserts) and returns a detached child.
  M& WithLabels(std::initializer_list<std::string_view> values);
  M& WithLabels(std::span<const std::string> values);
  // Stops exporting the child with these label values (the reference stays
  // valid; a later WithLabels with the same values exports it again, with the
  // value it kept).
  void Remove(std::initializer_list<std::string_view> values);

  const std::string& name() const;
  // Implementation detail; defined in family_impl.h.
  struct Impl;
  explicit Family(std::unique_ptr<Impl> impl);
  ~Family();
  Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Adding a name twice with the same type and labels returns the existing
  // family; with a different type or labels it is a programming error
  // (asserts). Names and label names are checked against the Prometheus syntax
  // (see names.h; a bad name asserts). A counter's name may end in `_total`;
  // its snapshot family name is the name without it (snapshot.h).
  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> buckets);

  // The registry does not own collectors; Unregister before destroying one.
  // Collectors are called under the registry's lock: they must not call back
  // into the registry.
  void RegisterCollector(const Collector* collector);
  void UnregisterCollector(const Collector* collector);

  // A consistent-enough snapshot of all families (each value is read
  // atomically; a histogram's buckets, sum and count are made self-consistent).
  // Families (the registry's and the collectors') are sorted by name; families
  // of the same name and type are merged; a later family whose name is taken
  // by one of another type is dropped (and logged).
  std::vector<FamilySnapshot> Collect() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace zimon::metrics

#endif  // ZIMON_METRICS_REGISTRY_H_
