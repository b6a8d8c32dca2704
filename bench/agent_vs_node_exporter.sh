#!/usr/bin/env bash
# `zimon agent` against Debian's prometheus-node-exporter limited to the same
# host families (cpu, meminfo, diskstats, netdev, loadavg, filesystem), run
# side by side in the same invocation on the same machine.
#
#   bench/agent_vs_node_exporter.sh [path/to/zimon] [scrapes]
#
# Defaults: build/release/apps/zimon/zimon, 1000 scrapes of each. Builds
# nothing. Both exporters start fresh on free 127.0.0.1 ports; after a short
# warm-up (20 scrapes each, not counted) one keep-alive connection per
# exporter scrapes them alternately (agent, node_exporter, agent, ...), one
# request at a time, with the Accept header Prometheus 2.42 sends and no
# Accept-Encoding (so node_exporter does not gzip, which would only cost it
# more CPU). Printed for each and as agent/node_exporter ratios:
#   - CPU seconds per 1,000 scrapes: utime+stime of the whole process from
#     /proc/PID/stat before and after the loop, over the clock tick rate. It
#     includes each exporter's own background work during the loop (the
#     agent's collector thread).
#   - scrape latency p50 and p99, client side, request sent to body read;
#   - resident memory (VmRSS from /proc/PID/status) after the loop, its peak
#     (VmHWM), and its split into anonymous memory (RssAnon: heap, stacks)
#     and mapped file pages (RssFile: the binary's and shared libraries' code,
#     shared with the page cache);
#   - response size in bytes and samples.
# Targets (issue 3): agent CPU per scrape <= 1/10 of node_exporter's, and
# resident memory <= 1/4. BENCH_STRICT=1 makes a missed target exit 1.
#
# Environment: ZIMON_AGENT_CONFIG (a zimon.yaml for the agent; default none:
# built-in defaults, host every 10 s, GPU every 5 s), AGENT_ARGS (more
# agent flags, split on spaces, e.g. "--trim-code-after-start false"),
# NODE_EXPORTER (default /usr/bin/prometheus-node-exporter),
# NODE_EXPORTER_SELF_METRICS=1 keeps node_exporter's go_*/process_*/promhttp_*
# families (by default --web.disable-exporter-metrics drops them, so both
# serve only the host families plus a few self metrics).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
zimon="${1:-$root/build/release/apps/zimon/zimon}"
scrapes="${2:-1000}"
node_exporter="${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}"
python=/usr/bin/python3

[[ -x "$zimon" ]] || { echo "zimon binary not found: $zimon (build it: cmake --build build/release --target zimon)" >&2; exit 2; }
[[ -x "$node_exporter" ]] || { echo "node_exporter not found: $node_exporter (apt-get install prometheus-node-exporter)" >&2; exit 2; }
[[ "$scrapes" =~ ^[1-9][0-9]*$ ]] || { echo "scrapes must be a positive integer, got $scrapes" >&2; exit 2; }

work="$(mktemp -d)"
agent_pid=""
ne_pid=""
cleanup() {
  [[ -n "$agent_pid" ]] && kill "$agent_pid" 2>/dev/null || true
  [[ -n "$ne_pid" ]] && kill "$ne_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The agent picks its own port and prints it.
agent_args=(agent --listen 127.0.0.1:0)
[[ -n "${ZIMON_AGENT_CONFIG:-}" ]] && agent_args+=(--config "$ZIMON_AGENT_CONFIG")
# shellcheck disable=SC2206  # split on spaces on purpose
[[ -n "${AGENT_ARGS:-}" ]] && agent_args+=($AGENT_ARGS)
# Not passed on: the agent takes every ZIMON_* variable for a config key.
env -u ZIMON_AGENT_CONFIG "$zimon" "${agent_args[@]}" >"$work/agent.out" 2>"$work/agent.err" &
agent_pid=$!

# node_exporter needs a port up front: ask the kernel for a free one.
ne_port="$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
ne_args=(--collector.disable-defaults --collector.cpu --collector.meminfo
  --collector.diskstats --collector.netdev --collector.loadavg
  --collector.filesystem "--web.listen-address=127.0.0.1:$ne_port")
[[ "${NODE_EXPORTER_SELF_METRICS:-0}" == 1 ]] || ne_args+=(--web.disable-exporter-metrics)
"$node_exporter" "${ne_args[@]}" >"$work/ne.out" 2>"$work/ne.err" &
ne_pid=$!

agent_url=""
for _ in $(seq 1 100); do
  agent_url="$(sed -n 's|^zimon agent: serving \(http://[^ ]*/metrics\).*|\1|p' "$work/agent.out")"
  [[ -n "$agent_url" ]] && break
  kill -0 "$agent_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z "$agent_url" ]]; then
  echo "the agent did not start:" >&2
  cat "$work/agent.err" >&2
  exit 1
fi
ne_url="http://127.0.0.1:$ne_port/metrics"

"$python" - "$scrapes" "$agent_pid" "$agent_url" "$ne_pid" "$ne_url" <<'PY'
import http.client, os, sys, time, urllib.parse

scrapes = int(sys.argv[1])
targets = [("zimon agent", int(sys.argv[2]), sys.argv[3]),
           ("node_exporter", int(sys.argv[4]), sys.argv[5])]
ACCEPT = ("application/openmetrics-text;version=1.0.0,"
          "application/openmetrics-text;version=0.0.1;q=0.75,"
          "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
TICKS = os.sysconf("SC_CLK_TCK")

def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime

def pss_kib(pid):
    # Proportional set size: shared pages (libc, libstdc++) divided among the
    # processes that map them; what the process adds to the host's memory.
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0

class Scraper:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = u.hostname, u.port, u.path
        self.conn = None

    def get(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.conn.request("GET", self.path, headers={
            "Accept": ACCEPT, "User-Agent": "Prometheus/2.42.0",
            "X-Prometheus-Scrape-Timeout-Seconds": "10"})
        r = self.conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise SystemExit(f"{self.path}: HTTP {r.status}")
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return body

def wait_ready(scraper, name, deadline):
    while True:
        try:
            return scraper.get()
        except (OSError, http.client.HTTPException):
            scraper.conn = None
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} does not answer")
            time.sleep(0.1)

scrapers = [Scraper(url) for _, _, url in targets]
deadline = time.monotonic() + 20
for (name, _, _), s in zip(targets, scrapers):
    wait_ready(s, name, deadline)
for _ in range(20):  # warm-up, not counted
    for s in scrapers:
        s.get()

latencies = [[] for _ in targets]
bodies = [b"" for _ in targets]
cpu_before = [cpu_seconds(pid) for _, pid, _ in targets]
wall_start = time.monotonic()
for _ in range(scrapes):
    for i, s in enumerate(scrapers):
        t0 = time.perf_counter()
        bodies[i] = s.get()
        latencies[i].append(time.perf_counter() - t0)
wall = time.monotonic() - wall_start
cpu_after = [cpu_seconds(pid) for _, pid, _ in targets]

def pct(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]

rows = []
for i, (name, pid, _) in enumerate(targets):
    cpu = cpu_after[i] - cpu_before[i]
    samples = sum(1 for line in bodies[i].split(b"\n")
                  if line and not line.startswith(b"#"))
    rows.append({
        "cpu_per_1000": cpu * 1000.0 / scrapes,
        "p50_ms": pct(latencies[i], 0.50) * 1e3,
        "p99_ms": pct(latencies[i], 0.99) * 1e3,
        "rss_mib": status_kib(pid, "VmRSS") / 1024.0,
        "hwm_mib": status_kib(pid, "VmHWM") / 1024.0,
        "anon_mib": status_kib(pid, "RssAnon") / 1024.0,
        "file_mib": status_kib(pid, "RssFile") / 1024.0,
        "pss_mib": pss_kib(pid) / 1024.0,
        "bytes": len(bodies[i]),
        "samples": samples,
    })

print(f"{scrapes} scrapes of each, alternating, one keep-alive connection each, "
      f"{wall:.1f} s wall; CPU clock ticks are 1/{TICKS} s")
cols = [("cpu_per_1000", "CPU s / 1000 scrapes", "{:.3f}"),
        ("p50_ms", "latency p50 (ms)", "{:.3f}"),
        ("p99_ms", "latency p99 (ms)", "{:.3f}"),
        ("rss_mib", "VmRSS after (MiB)", "{:.1f}"),
        ("hwm_mib", "VmHWM peak (MiB)", "{:.1f}"),
        ("anon_mib", "  of it RssAnon (MiB)", "{:.1f}"),
        ("file_mib", "  of it RssFile (MiB)", "{:.1f}"),
        ("pss_mib", "Pss (MiB)", "{:.1f}"),
        ("bytes", "response bytes", "{:d}"),
        ("samples", "response samples", "{:d}")]
print(f"{'':24}{'zimon agent':>14}{'node_exporter':>16}{'agent/ne':>10}")
for key, label, fmt in cols:
    a, n = rows[0][key], rows[1][key]
    ratio = f"{a / n:.3f}" if n else "-"
    print(f"{label:24}{fmt.format(a):>14}{fmt.format(n):>16}{ratio:>10}")

cpu_ratio = rows[0]["cpu_per_1000"] / rows[1]["cpu_per_1000"] if rows[1]["cpu_per_1000"] else float("inf")
mem_ratio = rows[0]["rss_mib"] / rows[1]["rss_mib"]
ok = True
for label, ratio, target in (("CPU per scrape", cpu_ratio, 0.10), ("resident memory", mem_ratio, 0.25)):
    met = ratio <= target
    ok = ok and met
    print(f"target {label}: agent/node_exporter = {ratio:.3f} (<= {target:.2f}): {'met' if met else 'MISSED'}")
if rows[1]["cpu_per_1000"] == 0 or rows[0]["cpu_per_1000"] == 0:
    print("note: a CPU figure of 0 means under one clock tick; raise the scrape count")
sys.exit(0 if ok or os.environ.get("BENCH_STRICT") != "1" else 1)
PY
