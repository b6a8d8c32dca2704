#!/usr/bin/env bash
# Side by side: the same counter-increment and histogram-observe loops
# (1,000,000 iterations each) in zimon's metrics (C++) and in Debian's
# python3-prometheus-client, run in the same invocation. Prints ns/op for
# both and the ratio (python / zimon).
#
#   bench/metrics_vs_python.sh [path/to/metrics_bench]
#
# Builds nothing: pass the benchmark binary, or build it first
# (cmake --build build/release --target metrics_bench); without an argument
# the script looks under build/release/bench/ and then build/*/bench/ (release
# or RelWithDebInfo trees only: a debug build would understate zimon).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-}"
if [[ -z "$bin" ]]; then
  # build/release first, then any other build tree configured for release.
  for candidate in "$root/build/release/bench/metrics_bench" "$root"/build/*/bench/metrics_bench; do
    cache="$(dirname "$(dirname "$candidate")")/CMakeCache.txt"
    if [[ -x "$candidate" ]] && grep -q '^CMAKE_BUILD_TYPE:STRING=Rel' "$cache" 2>/dev/null; then
      bin="$candidate"
      break
    fi
  done
fi
if [[ -z "$bin" || ! -x "$bin" ]]; then
  echo "metrics_bench not found; build it (cmake --build build/release --target metrics_bench)" >&2
  echo "or pass its path: $0 path/to/metrics_bench" >&2
  exit 2
fi
python=/usr/bin/python3
if ! "$python" -c 'import prometheus_client' 2>/dev/null; then
  echo "$python cannot import prometheus_client (apt-get install python3-prometheus-client)" >&2
  exit 2
fi

# C++: the two fixed-iteration benchmarks (1,000,000 iterations each).
cpp_json="$("$bin" --benchmark_filter='^BM_PeerLoop_' --benchmark_format=json 2>/dev/null)"

# Python: the same loops with prometheus_client's defaults (same buckets).
py_json="$("$python" - <<'PY'
import json, time
from prometheus_client import CollectorRegistry, Counter, Histogram

N = 1_000_000
registry = CollectorRegistry()
counter = Counter("peer_loop", "Counter.", registry=registry)
histogram = Histogram("peer_loop_seconds", "Histogram.", registry=registry)

def timed(fn):
    best = None
    for _ in range(3):
        start = time.perf_counter_ns()
        fn()
        elapsed = time.perf_counter_ns() - start
        best = elapsed if best is None else min(best, elapsed)
    return best / N

def inc_loop():
    for _ in range(N):
        counter.inc()

def observe_loop():
    for _ in range(N):
        histogram.observe(0.3)

print(json.dumps({"counter_inc": timed(inc_loop),
                  "histogram_observe": timed(observe_loop)}))
PY
)"

"$python" - "$cpp_json" "$py_json" <<'PY'
import json, sys
cpp = {b["name"]: b for b in json.loads(sys.argv[1])["benchmarks"]}
py = json.loads(sys.argv[2])

def cpp_ns(name):
    for key, b in cpp.items():
        if key.startswith(name):
            scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
            return b["cpu_time"] * scale
    raise SystemExit(f"benchmark {name} missing from metrics_bench output")

rows = [("counter inc", cpp_ns("BM_PeerLoop_CounterInc"), py["counter_inc"]),
        ("histogram observe", cpp_ns("BM_PeerLoop_HistogramObserve"),
         py["histogram_observe"])]
print(f"{'operation':<18} {'zimon ns/op':>12} {'python ns/op':>13} {'ratio':>8}")
worst = None
for name, c, p in rows:
    ratio = p / c
    worst = ratio if worst is None else min(worst, ratio)
    print(f"{name:<18} {c:>12.1f} {p:>13.1f} {ratio:>7.0f}x")
print(f"target >= 50x: {'met' if worst >= 50 else 'NOT met'} (worst {worst:.0f}x)")
PY
