// Metrics hot paths, exposition and parsing.
//
//   build/release/bench/metrics_bench
//   build/release/bench/metrics_bench --benchmark_filter=PeerLoop   # used by
//       bench/metrics_vs_python.sh for the side-by-side with prometheus_client
//
// Targets: counter Inc <= 10 ns, histogram Observe <= 30 ns single-threaded,
// 1,000 series exposed in <= 200 us, parse >= 2 M samples/s per core.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "zimon/metrics/exposition.h"
#include "zimon/metrics/parser.h"
#include "zimon/metrics/registry.h"

namespace zimon::metrics {
namespace {

// The buckets prometheus_client uses by default, so the peer comparison
// observes into the same layout.
const std::vector<double> kPythonDefaultBuckets = {
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
    0.5,   0.75, 1.0,   2.5,  5.0,   7.5, 10.0};

Counter& SharedCounter() {
  static Counter* counter = new Counter();
  return *counter;
}
Gauge& SharedGauge() {
  static Gauge* gauge = new Gauge();
  return *gauge;
}
Histogram& SharedHistogram() {
  static Histogram* histogram = new Histogram(DefaultLatencyBuckets());
  return *histogram;
}

void BM_CounterInc(benchmark::State& state) {
  Counter& c = SharedCounter();
  for (auto _ : state) c.Inc();
  benchmark::DoNotOptimize(c.Value());
}
BENCHMARK(BM_CounterInc)->Threads(1)->Threads(2);

void BM_CounterIncFraction(benchmark::State& state) {
  Counter& c = SharedCounter();
  for (auto _ : state) c.Inc(0.5);
}
BENCHMARK(BM_CounterIncFraction)->Threads(1)->Threads(2);

void BM_GaugeSet(benchmark::State& state) {
  Gauge& g = SharedGauge();
  double v = 0;
  for (auto _ : state) g.Set(v += 1);
}
BENCHMARK(BM_GaugeSet)->Threads(1)->Threads(2);

void BM_GaugeInc(benchmark::State& state) {
  Gauge& g = SharedGauge();
  for (auto _ : state) g.Inc();
}
BENCHMARK(BM_GaugeInc)->Threads(1)->Threads(2);

// 21 default latency buckets (binary search); values spread over all buckets.
void BM_HistogramObserve(benchmark::State& state) {
  Histogram& h = SharedHistogram();
  double v = 0.001;
  for (auto _ : state) {
    h.Observe(v);
    v = v > 50 ? 0.001 : v * 1.7;
  }
}
BENCHMARK(BM_HistogramObserve)->Threads(1)->Threads(2);

// 14 buckets (linear search), constant value.
void BM_HistogramObserveFewBuckets(benchmark::State& state) {
  static Histogram* h = new Histogram(kPythonDefaultBuckets);
  for (auto _ : state) h->Observe(0.3);
}
BENCHMARK(BM_HistogramObserveFewBuckets)->Threads(1)->Threads(2);

// Exactly the loops bench/metrics_vs_python.sh runs in Python.
void BM_PeerLoop_CounterInc(benchmark::State& state) {
  Counter c;
  for (auto _ : state) c.Inc();
  benchmark::DoNotOptimize(c.Value());
}
BENCHMARK(BM_PeerLoop_CounterInc)->Iterations(1000000);

void BM_PeerLoop_HistogramObserve(benchmark::State& state) {
  Histogram h(kPythonDefaultBuckets);
  for (auto _ : state) h.Observe(0.3);
  benchmark::DoNotOptimize(h.Snapshot().count);
}
BENCHMARK(BM_PeerLoop_HistogramObserve)->Iterations(1000000);

// 1,000 series (sample lines): 600 counter points, 300 gauges, 4 single
// gauges and 8 histograms of 10 buckets (12 lines each).
Registry& ThousandSeries() {
  static Registry* registry = [] {
    auto* r = new Registry();
    auto& requests = r->AddCounter(
        "zimon_requests_total", "Requests by outcome.", {"backend", "outcome"});
    for (int b = 0; b < 100; ++b) {
      for (const char* outcome : {"success", "rejected", "timeout", "oom",
                                  "backend_error", "bad_image"}) {
        requests.WithLabels({"gpu-" + std::to_string(b), outcome})
            .Inc(b * 17 + 3);
      }
    }
    auto& inflight =
        r->AddGauge("zimon_inflight_requests", "In flight.", {"backend"});
    auto& limit = r->AddGauge("zimon_concurrency_limit", "Limit.", {"backend"});
    auto& up = r->AddGauge("zimon_backend_up", "Health.", {"backend"});
    for (int b = 0; b < 100; ++b) {
      std::string name = "gpu-" + std::to_string(b);
      inflight.WithLabels({name}).Set(b % 9);
      limit.WithLabels({name}).Set(12);
      up.WithLabels({name}).Set(1);
    }
    r->AddGauge("zimon_queue_depth", "Queued.").WithLabels({}).Set(17);
    r->AddGauge("zimon_host_load1", "Load.").WithLabels({}).Set(0.42);
    r->AddGauge("zimon_host_memory_total_bytes", "Memory.")
        .WithLabels({})
        .Set(3.4e10);
    r->AddGauge("zimon_host_memory_available_bytes", "Free.")
        .WithLabels({})
        .Set(1.7e10);
    auto& latency =
        r->AddHistogram("zimon_request_duration_seconds", "Latency.",
                        {"backend"}, ExponentialBuckets(0.05, 2, 9));
    for (int b = 0; b < 8; ++b) {
      Histogram& h = latency.WithLabels({"gpu-" + std::to_string(b)});
      for (int i = 0; i < 20; ++i) h.Observe(0.01 * (i + 1) * (b + 1));
    }
    return r;
  }();
  return *registry;
}

void BM_Collect1000(benchmark::State& state) {
  Registry& r = ThousandSeries();
  for (auto _ : state) benchmark::DoNotOptimize(r.Collect());
}
BENCHMARK(BM_Collect1000);

void WriteBench(benchmark::State& state, ExpositionFormat format,
                bool collect) {
  Registry& r = ThousandSeries();
  std::vector<FamilySnapshot> families = r.Collect();
  std::string out;
  for (auto _ : state) {
    out.clear();
    if (collect) families = r.Collect();
    WriteExposition(families, format, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
  state.counters["lines"] =
      static_cast<double>(std::count(out.begin(), out.end(), '\n'));
}
void BM_Write1000_Text(benchmark::State& s) {
  WriteBench(s, ExpositionFormat::kPrometheusText, false);
}
void BM_Write1000_OpenMetrics(benchmark::State& s) {
  WriteBench(s, ExpositionFormat::kOpenMetrics, false);
}
void BM_CollectAndWrite1000_Text(benchmark::State& s) {
  WriteBench(s, ExpositionFormat::kPrometheusText, true);
}
void BM_CollectAndWrite1000_OpenMetrics(benchmark::State& s) {
  WriteBench(s, ExpositionFormat::kOpenMetrics, true);
}
BENCHMARK(BM_Write1000_Text)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Write1000_OpenMetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CollectAndWrite1000_Text)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CollectAndWrite1000_OpenMetrics)->Unit(benchmark::kMicrosecond);

std::string ReadCapture(const char* name) {
  std::ifstream in(std::string(ZIMON_TEST_DATA_DIR) + "/exposition/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ParseBench(benchmark::State& state, const std::string& text,
                ExpositionFormat format, bool group) {
  if (text.empty()) {
    state.SkipWithError("no input");
    return;
  }
  size_t samples = 0;
  for (auto _ : state) {
    auto parsed = ParseExposition(text, format);
    if (!parsed.ok()) {
      state.SkipWithError(parsed.status().ToString().c_str());
      return;
    }
    samples += parsed->samples.size();
    if (group) benchmark::DoNotOptimize(GroupFamilies(*parsed));
  }
  state.SetItemsProcessed(static_cast<int64_t>(samples));
  state.SetBytesProcessed(
      static_cast<int64_t>(text.size() * state.iterations()));
}

void BM_Parse_NodeExporter(benchmark::State& s) {
  static const std::string text = ReadCapture("node_exporter_004.txt");
  ParseBench(s, text, ExpositionFormat::kPrometheusText, false);
}
void BM_Parse_Prometheus(benchmark::State& s) {
  static const std::string text = ReadCapture("prometheus_004.txt");
  ParseBench(s, text, ExpositionFormat::kPrometheusText, false);
}
void BM_Parse_Own1000_OpenMetrics(benchmark::State& s) {
  static const std::string text = [] {
    std::string out;
    WriteOpenMetrics(ThousandSeries().Collect(), out);
    return out;
  }();
  ParseBench(s, text, ExpositionFormat::kOpenMetrics, false);
}
void BM_ParseAndGroup_NodeExporter(benchmark::State& s) {
  static const std::string text = ReadCapture("node_exporter_004.txt");
  ParseBench(s, text, ExpositionFormat::kPrometheusText, true);
}
BENCHMARK(BM_Parse_NodeExporter)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Parse_Prometheus)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Parse_Own1000_OpenMetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseAndGroup_NodeExporter)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace zimon::metrics

BENCHMARK_MAIN();
