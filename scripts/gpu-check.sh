#!/usr/bin/env bash
# Cross-checks `zimon agent` against nvidia-smi on a machine with a real GPU.
#
# Runs the agent for DURATION seconds (default 30) beside
#   nvidia-smi --query-gpu=memory.used,memory.total,utilization.gpu \
#              --format=csv,noheader,nounits -l 1
# scrapes the agent's /metrics once a second, and prints, per GPU and column,
# the mean absolute difference between the two (memory in MiB, utilization in
# percentage points), plus the sample counts.
#
# Usage: scripts/gpu-check.sh [path/to/zimon] [duration_s]
#   ZIMON_LISTEN overrides the agent address (default 127.0.0.1:19400).
set -euo pipefail

ZIMON=${1:-build/release/apps/zimon/zimon}
DURATION=${2:-30}
LISTEN=${ZIMON_LISTEN:-127.0.0.1:19400}

command -v nvidia-smi >/dev/null || { echo "gpu-check: nvidia-smi not found; needs a GPU machine" >&2; exit 2; }
[[ -x "$ZIMON" ]] || { echo "gpu-check: $ZIMON is not an executable" >&2; exit 2; }
command -v curl >/dev/null || { echo "gpu-check: curl not found" >&2; exit 2; }

WORK=$(mktemp -d)
AGENT_PID=""
SMI_PID=""
cleanup() {
  [[ -n "$SMI_PID" ]] && kill "$SMI_PID" 2>/dev/null || true
  [[ -n "$AGENT_PID" ]] && kill "$AGENT_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$ZIMON" agent --listen "$LISTEN" >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
for _ in $(seq 1 50); do
  curl -fsS "http://$LISTEN/metrics" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://$LISTEN/metrics" >/dev/null || { echo "gpu-check: agent did not answer on $LISTEN" >&2; cat "$WORK/agent.log" >&2; exit 1; }

# nvidia-smi prints one line per GPU per second, in index order.
nvidia-smi --query-gpu=index,memory.used,memory.total,utilization.gpu \
  --format=csv,noheader,nounits -l 1 >"$WORK/smi.csv" 2>"$WORK/smi.err" &
SMI_PID=$!

for i in $(seq 1 "$DURATION"); do
  curl -fsS "http://$LISTEN/metrics" 2>/dev/null |
    awk -v t="$i" '/^zimon_gpu_(memory_used_bytes|memory_total_bytes|utilization_ratio)\{/ {print t, $0}' \
      >>"$WORK/agent.txt" || true
  sleep 1
done
kill "$SMI_PID" 2>/dev/null || true
SMI_PID=""

python3 - "$WORK/smi.csv" "$WORK/agent.txt" <<'PY'
import re, sys, collections
smi = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    parts = [p.strip() for p in line.split(",")]
    if len(parts) != 4:
        continue
    try:
        gpu, used, total, util = parts[0], float(parts[1]), float(parts[2]), float(parts[3])
    except ValueError:
        continue
    smi[gpu]["memory.used"].append(used)
    smi[gpu]["memory.total"].append(total)
    smi[gpu]["utilization.gpu"].append(util)
agent = collections.defaultdict(lambda: collections.defaultdict(list))
pat = re.compile(r'^\d+ (zimon_gpu_\w+)\{([^}]*)\} (\S+)')
for line in open(sys.argv[2]):
    m = pat.match(line)
    if not m:
        continue
    name, labels, value = m.group(1), m.group(2), float(m.group(3))
    g = re.search(r'gpu="([^"]*)"', labels)
    if not g or "/" in g.group(1):
        continue  # MIG instances have no nvidia-smi --query-gpu row
    gpu = g.group(1)
    if name == "zimon_gpu_memory_used_bytes":
        agent[gpu]["memory.used"].append(value / 2**20)
    elif name == "zimon_gpu_memory_total_bytes":
        agent[gpu]["memory.total"].append(value / 2**20)
    elif name == "zimon_gpu_utilization_ratio":
        agent[gpu]["utilization.gpu"].append(value * 100)
if not smi or not agent:
    print("gpu-check: no samples (nvidia-smi rows: %d GPUs, agent rows: %d GPUs)" % (len(smi), len(agent)))
    sys.exit(1)
print("%-4s %-16s %8s %8s %12s %12s %14s" % ("gpu", "column", "n_smi", "n_agent", "mean_smi", "mean_agent", "mean_abs_diff"))
worst_mem = 0.0
for gpu in sorted(smi):
    for col in ("memory.used", "memory.total", "utilization.gpu"):
        s, a = smi[gpu][col], agent[gpu][col]
        if not s or not a:
            print("%-4s %-16s %8d %8d %12s %12s %14s" % (gpu, col, len(s), len(a), "-", "-", "missing"))
            continue
        n = min(len(s), len(a))
        # Pair samples second by second (both run at 1 Hz from the same start).
        diff = sum(abs(x - y) for x, y in zip(s[:n], a[:n])) / n
        if col != "utilization.gpu":
            worst_mem = max(worst_mem, diff)
        print("%-4s %-16s %8d %8d %12.1f %12.1f %14.2f" % (gpu, col, len(s), len(a), sum(s) / len(s), sum(a) / len(a), diff))
unit = "MiB"
print("worst memory mean abs diff: %.2f %s (nvidia-smi rounds to 1 MiB)" % (worst_mem, unit))
PY
