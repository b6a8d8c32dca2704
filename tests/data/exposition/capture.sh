#!/usr/bin/env bash
# Re-captures the real exporter output in this directory.
#
#   tests/data/exposition/capture.sh
#
# Starts Debian's prometheus-node-exporter, prometheus and a python3
# prometheus_client process on free loopback ports, fetches /metrics with
# `Accept: text/plain` and `Accept: application/openmetrics-text; version=1.0.0`,
# and stops them again. node_exporter 1.5 and prometheus 2.42 answer both with
# the 0.0.4 text format (they do not enable OpenMetrics by default); the
# OpenMetrics captures come from prometheus_client, which negotiates it.
set -euo pipefail

out_dir="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_http() {
  for _ in $(seq 1 100); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.2
  done
  echo "no answer from $1" >&2
  tail -n 5 "$work"/*.log >&2
  return 1
}
fetch_both() {  # url prefix
  curl -sf -H 'Accept: text/plain' "$1" -o "$out_dir/$2_004.txt"
  curl -sf -H 'Accept: application/openmetrics-text; version=1.0.0' "$1" \
    -D "$work/$2.headers" -o "$work/$2_om.txt"
  if grep -qi 'content-type: application/openmetrics-text' "$work/$2.headers"; then
    cp "$work/$2_om.txt" "$out_dir/$2_om.txt"
  fi
}

ne_port="$(free_port)"
prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" \
  >"$work/ne.log" 2>&1 &
pids+=($!)

prom_port="$(free_port)"
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:$prom_port']
YAML
prometheus --config.file="$work/prometheus.yml" \
  --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prom.log" 2>&1 &
pids+=($!)

py_port="$(free_port)"
/usr/bin/python3 - "$py_port" >"$work/py.log" 2>&1 <<'PY' &
import sys, time
from prometheus_client import (Counter, Enum, Gauge, Histogram, Info, Summary,
                               start_http_server)

requests = Counter("demo_requests", "Requests by outcome.", ["backend", "outcome"])
requests.labels("gpu-0", "success").inc(41)
requests.labels('gpu "1"', "timeout").inc()
requests.labels("line\nbreak", "back\\slash").inc(2.5)
Gauge("demo_queue_depth", "Queued requests.\nSecond line with a \\ backslash.").set(7)
odd = Gauge("demo_temperature_celsius", "Odd values.", ["kind"])
odd.labels("nan").set(float("nan"))
odd.labels("inf").set(float("inf"))
odd.labels("ninf").set(float("-inf"))
odd.labels("tiny").set(1.5e-9)
h = Histogram("demo_request_duration_seconds", "Latency.", ["backend"],
              buckets=(0.005, 0.1, 1, 2.5, 60))
for v in (0.001, 0.005, 0.05, 0.5, 1, 3, 100):
    h.labels("gpu-0").observe(v)
s = Summary("demo_payload_bytes", "Payload sizes.")
s.observe(512)
s.observe(2048)
Info("demo_build", "Build information.").info({"version": "1.2.3", "commit": "abc"})
Enum("demo_state", "Worker state.", states=["idle", "busy"]).state("busy")
start_http_server(int(sys.argv[1]), addr="127.0.0.1")
while True:
    time.sleep(1)
PY
pids+=($!)

wait_http "http://127.0.0.1:$ne_port/metrics"
wait_http "http://127.0.0.1:$prom_port/metrics"
wait_http "http://127.0.0.1:$py_port/metrics"
sleep 16  # let prometheus scrape itself once, so its scrape metrics exist

fetch_both "http://127.0.0.1:$ne_port/metrics" node_exporter
fetch_both "http://127.0.0.1:$prom_port/metrics" prometheus
fetch_both "http://127.0.0.1:$py_port/metrics" python_client
ls -l "$out_dir"
