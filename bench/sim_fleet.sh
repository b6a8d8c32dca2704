#!/usr/bin/env bash
# The `zimon sim` fleet benchmark: 8 simulated H100s (vLLM-Omni API) on this
# machine, driven at 20 requests/s in total, first at 512x512, then at
# 1024x1024, each for 20 s. Prints the CPU time the 8 sim processes spent
# (utime + stime from /proc/PID/stat) per image served and as a share of one
# core. Target: all 8 together <= 25 % of one core.
#
#   bench/sim_fleet.sh BUILD_DIR          # a Release/RelWithDebInfo build dir
#
# BUILD_DIR must contain apps/zimon/zimon and bench/sim_load. Knobs (env):
# SIMS (8), RATE (20), DURATION (20), SIZES ("512x512 1024x1024"), DRAIN (90).
set -euo pipefail

build=${1:?usage: sim_fleet.sh BUILD_DIR}
zimon=$build/apps/zimon/zimon
load=$build/bench/sim_load
for bin in "$zimon" "$load"; do
  [[ -x $bin ]] || { echo "sim_fleet: $bin not built" >&2; exit 2; }
done
sims=${SIMS:-8}
rate=${RATE:-20}
duration=${DURATION:-20}
sizes=${SIZES:-"512x512 1024x1024"}
drain=${DRAIN:-90}
tick=$(getconf CLK_TCK)

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

urls=()
for ((i = 0; i < sims; i++)); do
  "$zimon" sim --api vllm-omni --profile h100 --listen 127.0.0.1:0 \
    --cold-start 0 --seed "$((i + 1))" >"$work/sim$i.out" 2>"$work/sim$i.err" &
  pids+=("$!")
done
for ((i = 0; i < sims; i++)); do
  for _ in $(seq 100); do
    url=$(grep -o 'http://[0-9.:]*' "$work/sim$i.out" 2>/dev/null | head -1 || true)
    [[ -n $url ]] && break
    sleep 0.1
  done
  [[ -n $url ]] || { echo "sim $i did not start:" >&2; cat "$work/sim$i.err" >&2; exit 1; }
  for _ in $(seq 100); do
    curl -fsS "$url/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  urls+=("$url")
done
echo "sim_fleet: ${#urls[@]} sims up: ${urls[*]}"

# Sum of utime + stime (seconds) of the sim processes.
cpu_seconds() {
  local ticks=0 pid t
  for pid in "${pids[@]}"; do
    t=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    ticks=$((ticks + t))
  done
  awk -v t="$ticks" -v hz="$tick" 'BEGIN { printf "%.3f", t / hz }'
}

for size in $sizes; do
  before=$(cpu_seconds)
  start=$(date +%s.%N)
  summary=$("$load" --rate "$rate" --duration "$duration" --drain "$drain" \
    --size "$size" "${urls[@]}")
  end=$(date +%s.%N)
  after=$(cpu_seconds)
  ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$summary")
  awk -v size="$size" -v b="$before" -v a="$after" -v s="$start" -v e="$end" \
      -v ok="$ok" -v sims="$sims" -v summary="$summary" 'BEGIN {
    cpu = a - b; wall = e - s
    printf "size=%s %s\n", size, summary
    printf "size=%s sims=%d images=%d wall_s=%.1f cpu_s=%.2f cpu_ms_per_image=%.2f share_of_one_core=%.1f%%\n",
      size, sims, ok, wall, cpu, (ok > 0 ? 1000 * cpu / ok : 0), 100 * cpu / wall
  }'
done
