#!/usr/bin/env bash
# zimon serve against Debian's nginx, in the same run (docs/gateway.md,
# "Benchmarks"):
#
#  a. Proxy overhead. wrk posts a fixed image request through each proxy to
#     the same static upstream (a separate nginx answering
#     POST /v1/images/generations with an OpenAI-shaped body holding a PNG of
#     ~1 KB or ~1 MB as b64_json). One zimon I/O thread (server.io_threads 1,
#     quality scoring off: gateway.quality_sample 0) against one nginx worker
#     (worker_processes 1). Prints requests/s, p99, the CPU each proxy
#     used and how busy the load side's CPUs were (load: wrk and the
#     upstream; when they are saturated behind both proxies, requests/s is
#     their pace and CPU per request is what tells the proxies apart) and,
#     with ROUNDS > 1, each round's requests/s ratio (with ROUNDS >= 3 also
#     their geometric mean, its 95 % interval and whether that interval
#     tells the two apart); targets: zimon >= 1.0x nginx's requests/s, p99
#     no worse. One more line has zimon with scoring on
#     (gateway.quality_sample 1). With LOGS=1 (the default), a third pair of
#     1 KB runs has each proxy's access log on, written to a file as each
#     writes it by default: nginx's combined format (a write per request)
#     against zimon's JSON lines (docs/access_log.md).
#  b. Goodput at 2x overload. SIMS `zimon sim --parallel` servers (each
#     request runs at once; too many at once run out of simulated VRAM) get
#     open-loop load at twice the fleet's capacity for OVERLOAD_S seconds,
#     through zimon (max_concurrent 2, request_timeout = SLO, a queue sized
#     so that a queued request can still finish within the SLO) and through
#     nginx (least_conn, upstream keepalive, generous proxy_read_timeout).
#     Prints images/s delivered within the SLO and the sims' OOM count, once
#     per VRAM scenario. Targets: zimon >= 1.5x nginx's goodput, no OOM.
#     The sims are restarted between the two runs.
#  i. Instructions per proxied 1 KB request (not in the default PARTS; needs
#     valgrind): nginx and zimon in turn under callgrind, every thread, user
#     space only. The steady measure for comparing two builds on a machine
#     whose speed drifts.
#
#   bench/gateway_vs_nginx.sh BUILD_DIR   # a Release/RelWithDebInfo build dir
#
# BUILD_DIR must contain apps/zimon/zimon and bench/sim_load; nginx (1.22),
# wrk, curl and python3 must be installed (scripts/install-deps.sh
# --with-bench). Exit status: 0 (targets missed or not), 2 when something
# could not be set up.
#
# Knobs (env): PARTS ("a b"; "i" too, or alone, for part i: DURATION_I, 8 s,
# and CONNS_I, 4); part a: DURATION (10 s per run), CONNS (32),
# WRK_THREADS (1), ROUNDS (2: runs alternate nginx, zimon; the best of each
# is reported), LOGS (1; 0 leaves out the access-log pair), UP_WORKERS (2, the static upstream's nginx workers), PIN (1:
# pin each proxy to the last CPU and everything else to the others; io: the
# same, except that only zimon's I/O threads stay on the proxy's CPU and its
# other threads (image-record writer, workers, collectors) join the others;
# 0: no pinning), NGINX_TRIM (0: every nginx runs with glibc's heap trim
# off, see below; 1: glibc's defaults). Part b:
# SIMS (3), PROFILE (h100), SIZE (1024x1024), SLO (5 s), OVERLOAD_S (30),
# LOAD_FACTOR (2), VRAMS ("26GiB 36GiB": the first fits 2 concurrent
# 1024x1024 requests, the second 6), QUEUE (zimon's queue_capacity; default:
# sized to the SLO as described in docs/gateway.md).
set -euo pipefail

build=${1:?usage: gateway_vs_nginx.sh BUILD_DIR}
zimon=$build/apps/zimon/zimon
sim_load=$build/bench/sim_load
die() {
  echo "gateway_vs_nginx: $*" >&2
  exit 2
}
for bin in "$zimon" "$sim_load"; do
  [[ -x $bin ]] || die "$bin not built"
done
nginx_bin=$(command -v nginx || true)
[[ -z $nginx_bin && -x /usr/sbin/nginx ]] && nginx_bin=/usr/sbin/nginx
[[ -n $nginx_bin ]] || die "nginx not installed (scripts/install-deps.sh --with-bench)"
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || die "$tool not installed (scripts/install-deps.sh --with-bench)"
done

parts=${PARTS:-"a b"}
duration=${DURATION:-10}
duration_i=${DURATION_I:-8}
conns_i=${CONNS_I:-4}
conns=${CONNS:-32}
wrk_threads=${WRK_THREADS:-1}
rounds=${ROUNDS:-2}
logs=${LOGS:-1}
up_workers=${UP_WORKERS:-2}
pin=${PIN:-1}
case $pin in
  0 | 1 | io) ;;
  *) die "PIN must be 0, 1 or io (got '$pin')" ;;
esac
# nginx frees a proxied answer's buffers (up to 2 MB here) at the end of
# each request. With glibc's defaults the heap is then trimmed, or not,
# depending on what else sits at its top, and a trimmed heap costs every 1 MB
# answer about 200 page faults: nginx then runs in one of two modes, about
# 650 or 270 us an answer, from one start to the next. With the trim off it
# always runs in the fast one, the stronger peer to compare against.
nginx_trim=${NGINX_TRIM:-0}
case $nginx_trim in
  0) nginx_env=(GLIBC_TUNABLES=glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=33554432) ;;
  1) nginx_env=() ;;
  *) die "NGINX_TRIM must be 0 or 1 (got '$nginx_trim')" ;;
esac
sims=${SIMS:-3}
profile=${PROFILE:-h100}
size=${SIZE:-1024x1024}
slo=${SLO:-5}
overload_s=${OVERLOAD_S:-30}
load_factor=${LOAD_FACTOR:-2}
vrams=${VRAMS:-"26GiB 36GiB"}
tick=$(getconf CLK_TCK)

work=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stops one process this script started (and forgets it).
stop() {
  local pid=$1 keep=() p
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${pids[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
  pids=("${keep[@]}")
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# CPU placement: the proxy under test gets the last CPU to itself (all its
# threads), wrk and the upstreams share the others.
ncpu=$(nproc)
# (Command prefixes, not functions, so that `$!` of a background start is
# the process itself.)
if [[ $pin != 0 && $ncpu -ge 2 ]] && command -v taskset >/dev/null; then
  proxy_cpus=$((ncpu - 1))
  other_cpus="0-$((ncpu - 2))"
  on_proxy_cpu=(taskset -c "$proxy_cpus")
  on_other_cpus=(taskset -c "$other_cpus")
  placement="proxy pinned to CPU $proxy_cpus; wrk, upstreams and sims on CPUs $other_cpus"
  [[ $pin == io ]] &&
    placement="nginx and zimon's I/O thread pinned to CPU $proxy_cpus; zimon's other threads, wrk, upstreams and sims on CPUs $other_cpus"
else
  on_proxy_cpu=()
  on_other_cpus=()
  placement="no pinning"
fi

# "busy total" clock ticks of the CPUs that carry the load side (wrk and
# the upstreams: every CPU but the proxy's when pinned, else all), from
# /proc/stat. Busy is user, nice, system, irq and softirq; total adds idle
# and iowait (time stolen by a hypervisor is in neither).
load_ticks() {
  local skip=-1
  [[ ${#on_proxy_cpu[@]} -gt 0 ]] && skip=$proxy_cpus
  awk -v skip="cpu$skip" '$1 ~ /^cpu[0-9]+$/ && $1 != skip {
      busy += $2 + $3 + $4 + $7 + $8; total += $2 + $3 + $4 + $5 + $6 + $7 + $8 }
    END { print busy, total }' /proc/stat
}

# utime + stime (seconds) of a process and its children (nginx workers).
cpu_seconds() {
  local ticks=0 pid t
  for pid in "$@" $(pgrep -P "$1" 2>/dev/null || true); do
    [[ -r /proc/$pid/stat ]] || continue
    # Fields after the command name (which may hold spaces): utime is the
    # 12th, stime the 13th.
    t=$(sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')
    ticks=$((ticks + t))
  done
  awk -v t="$ticks" -v hz="$tick" 'BEGIN { printf "%.3f", t / hz }'
}

# Starts nginx in the foreground with config $1 (prefix dir $2); sets
# started_pid. Waits until it listens on port $3.
start_nginx() {
  local conf=$1 dir=$2 port=$3 where=$4
  local -n prefix=$where
  env "${nginx_env[@]}" "${prefix[@]}" "$nginx_bin" -p "$dir" -e "$dir/error.log" \
    -c "$conf" >"$dir/stdout" 2>&1 &
  started_pid=$!
  pids+=("$started_pid")
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && return 0
    kill -0 "$started_pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$dir/error.log" "$dir/stdout" >&2 2>/dev/null || true
  die "nginx ($conf) did not start"
}

# The common head of every nginx config here.
nginx_head() {
  local dir=$1 workers=$2
  cat <<EOF
daemon off;
master_process on;
worker_processes $workers;
user $(id -un) $(id -gn);
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/client_body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
EOF
}

# Proxy settings shared by both nginx proxies: HTTP/1.1 keepalive to the
# upstream and enough memory buffers for a 1.5 MB answer (never a temp file).
nginx_proxy_settings() {
  cat <<'EOF'
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffer_size 64k;
      proxy_buffers 32 64k;
      proxy_busy_buffers_size 128k;
      proxy_max_temp_file_size 0;
EOF
}

# One proxying server of an nginx config: upstream up_$1 at port $2, listened
# for on port $3.
nginx_proxy_server() {
  local name=$1 up=$2 px=$3
  cat <<EOF
  upstream up_$name {
    server 127.0.0.1:$up;
    keepalive 256;
  }
  server {
    listen 127.0.0.1:$px backlog=4096;
    location / {
      proxy_pass http://up_$name;
$(nginx_proxy_settings)
    }
  }
EOF
}

# Writes a zimon config for parts a and i to $1: one I/O thread, quality
# scoring on a share $2 of images, feedback database $3.
zimon_proxy_config() {
  cat >"$1" <<EOF
log:
  level: warn
server:
  io_threads: 1
gateway:
  max_concurrent: 256
  queue_capacity: 1024
  quality_sample: $2
  bad_image_is_failure: false
  image_dir: $work/images
  feedback_db: $3
EOF
}

# Starts `zimon serve` with config file $1 in front of backend URL(s) $2...;
# sets started_pid and zimon_url. $2 names the pinning prefix. The access log
# goes to $zimon_access_log (none when empty).
zimon_access_log=""
start_zimon() {
  local conf=$1 where=$2 out url
  local -n prefix=$where
  shift 2
  local backends=()
  for url in "$@"; do backends+=(--backend "$url"); done
  out=$work/zimon.$RANDOM
  "${prefix[@]}" "$zimon" serve --config "$conf" --listen 127.0.0.1:0 \
    --access-log "$zimon_access_log" "${backends[@]}" >"$out.out" 2>"$out.err" &
  started_pid=$!
  pids+=("$started_pid")
  zimon_url=""
  for _ in $(seq 200); do
    zimon_url=$(grep -o 'http://[0-9.:]*' "$out.out" 2>/dev/null | head -1 || true)
    [[ -n $zimon_url ]] && break
    kill -0 "$started_pid" 2>/dev/null || break
    sleep 0.05
  done
  [[ -n $zimon_url ]] || { cat "$out.err" >&2; die "zimon serve did not start"; }
  # PIN=io: every thread but the I/O threads (named zimon-io-N) moves to the
  # other CPUs; all of them exist once the gateway serves.
  if [[ $pin == io && ${#on_other_cpus[@]} -gt 0 ]]; then
    local task
    for task in /proc/"$started_pid"/task/*; do
      [[ $(cat "$task/comm" 2>/dev/null) == zimon-io-* ]] && continue
      taskset -p -c "$other_cpus" "${task##*/}" >/dev/null 2>&1 || true
    done
  fi
}

# POSTs the image request to $1 until it answers 200 (backends healthy).
wait_ok() {
  local url=$1 body=$2 code
  for _ in $(seq 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
      -d "$body" "$url/v1/images/generations" || true)
    [[ $code == 200 ]] && return 0
    sleep 0.1
  done
  die "$url/v1/images/generations never answered 200 (last: $code)"
}

# ---------------------------------------------------------------------------
# a. Proxy overhead.
# ---------------------------------------------------------------------------
# The static upstream both parts a and i proxy to: writes the request
# ($work/post.lua, req_body) and the two answers, starts one nginx with a port
# per answer (up_small, up_large; small_bytes, large_bytes). Once per run.
req_body='{"prompt":"a lighthouse at dusk","size":"512x512"}'
up_small=""
start_upstreams() {
  [[ -n $up_small ]] && return 0
  cat >"$work/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$req_body'
wrk.headers["Content-Type"] = "application/json"
EOF
  # The two answers: a 14x14 and a 512x512 RGB PNG of noise (incompressible)
  # as b64_json.
  python3 - "$work" <<'EOF'
import base64, json, os, random, struct, sys, zlib
def png(side):
    rnd = random.Random(side)
    raw = b"".join(b"\0" + bytes(rnd.getrandbits(8) for _ in range(side * 3))
                   for _ in range(side))
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))
for name, side in (("small", 14), ("large", 512)):
    body = json.dumps({"created": 1700000000,
                       "data": [{"b64_json": base64.b64encode(png(side)).decode()}]})
    with open(os.path.join(sys.argv[1], name + ".json"), "w") as f:
        f.write(body)
EOF
  small_bytes=$(stat -c %s "$work/small.json")
  large_bytes=$(stat -c %s "$work/large.json")

  # The static upstream: one port per answer.
  local up_dir=$work/upstream
  mkdir -p "$up_dir"
  up_small=$(free_port)
  up_large=$(free_port)
  {
    nginx_head "$up_dir" "$up_workers"
    for pair in "small:$up_small" "large:$up_large"; do
      cat <<EOF
  server {
    listen 127.0.0.1:${pair#*:} reuseport backlog=4096;
    default_type application/json;
    location = /health { return 200 '{"status":"ok"}'; }
    # POST on a static file is 405; answer it with the file instead.
    location = /v1/images/generations {
      alias $work/${pair%%:*}.json;
      error_page 405 =200 \$uri;
    }
  }
EOF
    done
    echo "}"
  } >"$up_dir/nginx.conf"
  start_nginx "$up_dir/nginx.conf" "$up_dir" "$up_large" on_other_cpus
}

part_a() {
  start_upstreams

  # The nginx proxy: one worker, a port per upstream, and one more for the
  # small answers with the access log on.
  local px_dir=$work/proxy px_small px_large px_logged
  mkdir -p "$px_dir"
  px_small=$(free_port)
  px_large=$(free_port)
  px_logged=$(free_port)
  {
    nginx_head "$px_dir" 1
    nginx_proxy_server small "$up_small" "$px_small"
    nginx_proxy_server large "$up_large" "$px_large"
    nginx_proxy_server logged "$up_small" "$px_logged" |
      sed "s|^    listen .*|&\n    access_log $px_dir/access.log combined;|"
    echo "}"
  } >"$px_dir/nginx.conf"
  start_nginx "$px_dir/nginx.conf" "$px_dir" "$px_large" on_proxy_cpu
  local nginx_pid=$started_pid
  wait_ok "http://127.0.0.1:$px_small" "$req_body"
  wait_ok "http://127.0.0.1:$px_large" "$req_body"

  # zimon configs: scoring off (like for like) and on.
  local sample
  for sample in 0 1; do
    zimon_proxy_config "$work/zimon-a-$sample.yaml" "$sample" "$work/feedback-a-$sample.db"
  done

  # zimon's writers never block a request: past their bounds they drop
  # image records or access-log lines (counted). A figure bought with drops
  # would not count, so any are reported.
  lost_report() {
    local what=$1 lost
    lost=$(curl -fsS "$zimon_url/metrics" 2>/dev/null | awk '
      /^zimon_feedback_records_dropped_total / { r += $2 }
      /^zimon_access_log_lost_lines_total/ { l += $2 }
      END { if (r + l > 0) printf "%d image records dropped, %d access-log lines lost", r, l }')
    [[ -z $lost ]] || echo "   $what: zimon $lost"
  }

  # One wrk run against $1; prints "rps p99_ms errors cpu_s requests
  # load_busy_percent".
  run_wrk() {
    local url=$1 proxy_pid=$2 before after out load_before load_after
    "${on_other_cpus[@]}" wrk -t"$wrk_threads" -c"$conns" -d2s -s "$work/post.lua" \
      "$url/v1/images/generations" >/dev/null 2>&1 || true  # warm-up
    before=$(cpu_seconds "$proxy_pid")
    load_before=$(load_ticks)
    out=$("${on_other_cpus[@]}" wrk -t"$wrk_threads" -c"$conns" -d"${duration}s" \
      --latency -s "$work/post.lua" "$url/v1/images/generations" 2>&1) ||
      die "wrk failed: $out"
    load_after=$(load_ticks)
    after=$(cpu_seconds "$proxy_pid")
    awk -v before="$before" -v after="$after" -v lb="$load_before" -v la="$load_after" '
      function ms(v) {
        if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
        if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
        if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
        return v + 0
      }
      /Requests\/sec:/ { rps = $2 }
      /^ +99%/ { p99 = ms($2) }
      /requests in/ { requests = $1 }
      /Non-2xx or 3xx responses:/ { errors += $NF }
      /Socket errors:/ { for (i = 3; i <= NF; i += 2) { v = $(i + 1); sub(",", "", v); errors += v } }
      END {
        split(lb, b); split(la, a)
        load = a[2] > b[2] ? 100 * (a[1] - b[1]) / (a[2] - b[2]) : 0
        printf "%.1f %.2f %d %.3f %d %.1f\n", rps, p99, errors, after - before, requests, load
      }
    ' <<<"$out"
  }

  # The rounds' req/s ratios ($@), summarised when there are three or more:
  # their geometric mean and its 95 % confidence interval (Student's t on the
  # logarithms), and whether the interval leaves 1.00. A round's ratio pairs
  # two runs a few seconds apart, so it is immune to slow drifts of the
  # machine; the interval says how far the rounds' noise lets the mean be
  # trusted. Prints nothing for fewer rounds.
  round_spread() {
    [[ $# -ge 3 ]] || return 0
    awk -v list="$*" 'BEGIN {
      n = split(list, r, " ")
      for (i = 1; i <= n; i++) { if (r[i] <= 0) exit; l[i] = log(r[i]); sum += l[i] }
      mean = sum / n
      for (i = 1; i <= n; i++) ss += (l[i] - mean) ^ 2
      se = sqrt(ss / (n - 1) / n)
      split("12.706 4.303 3.182 2.776 2.571 2.447 2.365 2.306 2.262 2.228 2.201 2.179 2.160 2.145 2.131 2.120 2.110 2.101 2.093 2.086", t, " ")
      q = (n - 1 <= 20) ? t[n - 1] : (n - 1 <= 30 ? 2.05 : 1.96)
      lo = exp(mean - q * se); hi = exp(mean + q * se)
      verdict = "nginx and zimon not told apart at this noise"
      if (hi < 1) verdict = "zimon below nginx"
      if (lo > 1) verdict = "zimon above nginx"
      printf "req/s geometric mean of the %d rounds %.3fx, 95%% interval %.3f-%.3fx: %s", n, exp(mean), lo, hi, verdict
    }'
  }

  echo
  echo "== a. proxy overhead: wrk -t$wrk_threads -c$conns -d${duration}s, best of $rounds alternating runs; $placement"
  echo "   answers: ~1KB = $small_bytes bytes, ~1MB = $large_bytes bytes (OpenAI JSON, PNG as b64_json)"
  printf '%-7s %-26s %10s %9s %7s %8s %9s %10s %6s\n' size proxy req/s p99_ms errors cpu_s cpu_core us/req load
  local name up px logged best_n best_z line z_pid r n_line z_line load_busy rounds_rps rounds_ratios ratio
  local cases=("1KB:$up_small:$px_small:" "1MB:$up_large:$px_large:")
  [[ $logs == 1 ]] && cases+=("1KB+log:$up_small:$px_logged:log")
  declare -A result
  for pair in "${cases[@]}"; do
    IFS=: read -r name up px logged <<<"$pair"
    zimon_access_log=""
    [[ -n $logged ]] && zimon_access_log=$work/zimon-access.log
    start_zimon "$work/zimon-a-0.yaml" on_proxy_cpu "http://127.0.0.1:$up"
    zimon_access_log=""
    z_pid=$started_pid
    wait_ok "$zimon_url" "$req_body"
    best_n="0 0 0 0 0 0"
    best_z="0 0 0 0 0 0"
    rounds_rps=""
    rounds_ratios=""
    for ((r = 0; r < rounds; r++)); do
      n_line=$(run_wrk "http://127.0.0.1:$px" "$nginx_pid")
      z_line=$(run_wrk "$zimon_url" "$z_pid")
      # Each round's pair, as the best-of figures can pair a fast stretch
      # of the machine with a slow one.
      ratio=$(awk -v a="$z_line" -v b="$n_line" 'BEGIN {
        split(a, x); split(b, y); printf "%.5f", (y[1] > 0 ? x[1] / y[1] : 0) }')
      rounds_rps+="${rounds_rps:+, }$(printf '%.2fx' "$ratio")"
      rounds_ratios+=" $ratio"
      awk -v a="$n_line" -v b="$best_n" 'BEGIN { split(a, x); split(b, y); exit !(x[1] > y[1]) }' && best_n=$n_line
      awk -v a="$z_line" -v b="$best_z" 'BEGIN { split(a, x); split(b, y); exit !(x[1] > y[1]) }' && best_z=$z_line
      if [[ -n $logged ]]; then
        # Both append: truncating keeps the disk from filling.
        : >"$px_dir/access.log"
        : >"$work/zimon-access.log"
      fi
    done
    lost_report "$name"
    stop "$z_pid"
    result[$name.nginx]=$best_n
    result[$name.zimon]=$best_z
    result[$name.rounds]=$rounds_rps
    result[$name.spread]=$(round_spread $rounds_ratios)
    for peer in nginx zimon; do
      read -r rps p99 errors cpu requests load_busy <<<"${result[$name.$peer]}"
      local label="nginx 1.22 (1 worker)"
      [[ $peer == zimon ]] && label="zimon (1 I/O thread)"
      if [[ -n $logged ]]; then
        label="nginx, access_log file"
        [[ $peer == zimon ]] && label="zimon, --access-log file"
      fi
      awk -v n="$name" -v l="$label" -v rps="$rps" -v p99="$p99" -v e="$errors" \
          -v cpu="$cpu" -v req="$requests" -v d="$duration" -v load="$load_busy" 'BEGIN {
        printf "%-7s %-26s %10.0f %9.2f %7d %8.2f %8.0f%% %10.1f %5.0f%%\n", n, l, rps, p99, e, cpu,
          100 * cpu / d, (req > 0 ? 1e6 * cpu / req : 0), load }'
    done
  done
  # zimon with quality scoring on (every image decoded and scored).
  start_zimon "$work/zimon-a-1.yaml" on_proxy_cpu "http://127.0.0.1:$up_large"
  z_pid=$started_pid
  wait_ok "$zimon_url" "$req_body"
  line=$(run_wrk "$zimon_url" "$z_pid")
  stop "$z_pid"
  read -r rps p99 errors cpu requests load_busy <<<"$line"
  awk -v rps="$rps" -v p99="$p99" -v e="$errors" -v cpu="$cpu" -v req="$requests" \
      -v d="$duration" -v load="$load_busy" 'BEGIN {
    printf "%-7s %-26s %10.0f %9.2f %7d %8.2f %8.0f%% %10.1f %5.0f%%\n", "1MB", "zimon, quality_sample 1", rps, p99, e,
      cpu, 100 * cpu / d, (req > 0 ? 1e6 * cpu / req : 0), load }'
  echo "   ratios zimon/nginx (quality_sample 0; req/s target >= 1.00, p99 target <= 1.00):"
  for pair in "${cases[@]}"; do
    name=${pair%%:*}
    awk -v n="$name" -v z="${result[$name.zimon]}" -v g="${result[$name.nginx]}" 'BEGIN {
      split(z, a); split(g, b)
      printf "   %-7s req/s %.2fx  p99 %.2fx  cpu/req %.2fx\n", n,
        (b[1] > 0 ? a[1] / b[1] : 0), (b[2] > 0 ? a[2] / b[2] : 0),
        (b[5] > 0 && a[5] > 0 && b[4] > 0 ? (a[4] / a[5]) / (b[4] / b[5]) : 0)
      # Load side saturated behind both: the req/s are its pace.
      if (a[6] >= 95 && b[6] >= 95)
        printf "   %-7s (the load side was %.0f%% and %.0f%% busy behind them: req/s is bounded by its pace; cpu/req is each proxy\x27s own cost)\n", "", b[6], a[6] }'
    [[ $rounds -gt 1 ]] && printf '   %-7s (req/s round by round: %s)\n' "" "${result[$name.rounds]}"
    [[ -n ${result[$name.spread]} ]] && printf '   %-7s (%s)\n' "" "${result[$name.spread]}"
  done
  stop "$nginx_pid"
}

# ---------------------------------------------------------------------------
# i. Instructions per proxied 1 KB request: each proxy runs under callgrind
#    while wrk (CONNS_I connections, DURATION_I seconds) posts through it;
#    the count covers every thread of the process, user space only. Steady
#    where wall-clock figures on a shared VM are not (they swing by up to 2x
#    within minutes), so it is the measure to compare two builds by. Kernel
#    time (the sockets) is not in it. Not in the default PARTS; needs
#    valgrind.
# ---------------------------------------------------------------------------
# Runs wrk through $1 while callgrind counts process $2 (output files $3.*);
# prints "requests instructions writer_instructions".
count_run() {
  local url=$1 pid=$2 out=$3 wrk_out file=""
  "${on_other_cpus[@]}" wrk -t1 -c"$conns_i" -d2s -s "$work/post.lua" \
    "$url/v1/images/generations" >/dev/null 2>&1 || true  # warm-up
  callgrind_control -z "$pid" >/dev/null 2>&1
  wrk_out=$("${on_other_cpus[@]}" wrk -t1 -c"$conns_i" -d"${duration_i}s" \
    -s "$work/post.lua" "$url/v1/images/generations" 2>&1) ||
    die "wrk failed: $wrk_out"
  callgrind_control -d "$pid" >/dev/null 2>&1
  # The dump after the zeroing: the first numbered part.
  for _ in $(seq 100); do
    [[ -s $out.1 ]] && file=$out.1 && break
    sleep 0.1
  done
  [[ -n $file ]] || die "callgrind wrote no dump to $out.1"
  sleep 1
  callgrind_annotate --auto=no --inclusive=yes --threshold=100 "$file" 2>/dev/null |
    awk -v requests="$(awk '/requests in/ {print $1}' <<<"$wrk_out")" '
      /PROGRAM TOTALS/ { gsub(",", "", $1); total = $1 }
      # The writer thread: a BatchWorker of image records, from its start.
      /_State_impl.*BatchWorker<zimon::gateway::ImageRecord>/ && !writer { gsub(",", "", $1); writer = $1 }
      END { printf "%d %d %d\n", requests, total, writer }'
}

part_i() {
  local tool
  for tool in valgrind callgrind_control callgrind_annotate; do
    command -v "$tool" >/dev/null || die "$tool not installed (scripts/install-deps.sh --with-bench)"
  done
  start_upstreams
  echo
  echo "== i. instructions per proxied 1 KB request (callgrind, user space, every thread): wrk -t1 -c$conns_i -d${duration_i}s; $placement"
  # nginx as one process (no master), doing one worker's work.
  local ng_dir=$work/count-nginx port
  mkdir -p "$ng_dir"
  port=$(free_port)
  {
    nginx_head "$ng_dir" 1 | sed 's/^master_process on;/master_process off;/'
    nginx_proxy_server small "$up_small" "$port"
    echo "}"
  } >"$ng_dir/nginx.conf"
  zimon_proxy_config "$work/zimon-i.yaml" 0 "$work/feedback-i.db"
  local nginx_line zimon_line
  counted=("${on_proxy_cpu[@]}" valgrind --tool=callgrind -q
    --callgrind-out-file="$work/cg.nginx")
  start_nginx "$ng_dir/nginx.conf" "$ng_dir" "$port" counted
  local nginx_pid=$started_pid
  wait_ok "http://127.0.0.1:$port" "$req_body"
  nginx_line=$(count_run "http://127.0.0.1:$port" "$nginx_pid" "$work/cg.nginx")
  stop "$nginx_pid"

  counted=("${on_proxy_cpu[@]}" valgrind --tool=callgrind -q
    --callgrind-out-file="$work/cg.zimon")
  start_zimon "$work/zimon-i.yaml" counted "http://127.0.0.1:$up_small"
  local z_pid=$started_pid
  wait_ok "$zimon_url" "$req_body"
  zimon_line=$(count_run "$zimon_url" "$z_pid" "$work/cg.zimon")
  stop "$z_pid"

  printf '%-26s %9s %16s %16s\n' proxy requests instructions/req "image writer"
  awk -v n="$nginx_line" -v z="$zimon_line" 'BEGIN {
    split(n, a); split(z, b)
    printf "%-26s %9d %16.0f %16s\n", "nginx 1.22 (1 worker)", a[1], (a[1] ? a[2] / a[1] : 0), "-"
    printf "%-26s %9d %16.0f %16.0f\n", "zimon (1 I/O thread)", b[1], (b[1] ? b[2] / b[1] : 0),
      (b[1] ? b[3] / b[1] : 0)
    if (a[1] && b[1] && a[2])
      printf "   ratio zimon/nginx: %.2fx (%.2fx without the image writer)\n",
        (b[2] / b[1]) / (a[2] / a[1]), ((b[2] - b[3]) / b[1]) / (a[2] / a[1]) }'
}

# ---------------------------------------------------------------------------
# b. Goodput at overload.
# ---------------------------------------------------------------------------
sim_urls=()
sim_pids=()
start_sims() {
  local vram=$1 i url
  sim_urls=()
  sim_pids=()
  for ((i = 0; i < sims; i++)); do
    "${on_other_cpus[@]}" "$zimon" sim --api vllm-omni --profile "$profile" --vram "$vram" \
      --parallel --cold-start 0 --seed "$((i + 1))" --listen 127.0.0.1:0 \
      >"$work/sim$i.out" 2>"$work/sim$i.err" &
    pids+=("$!")
    sim_pids+=("$!")
  done
  for ((i = 0; i < sims; i++)); do
    url=""
    for _ in $(seq 100); do
      url=$(grep -o 'http://[0-9.:]*' "$work/sim$i.out" 2>/dev/null | head -1 || true)
      [[ -n $url ]] && break
      sleep 0.1
    done
    [[ -n $url ]] || { cat "$work/sim$i.err" >&2; die "sim $i did not start"; }
    for _ in $(seq 100); do
      curl -fsS "$url/health" >/dev/null 2>&1 && break
      sleep 0.1
    done
    sim_urls+=("$url")
  done
}
stop_sims() {
  local pid
  for pid in "${sim_pids[@]}"; do stop "$pid"; done
  sim_pids=()
}
# Sum of requests_oom over the sims' /sim/state.
sim_ooms() {
  local total=0 url n
  for url in "${sim_urls[@]}"; do
    n=$(curl -fsS "$url/sim/state" | python3 -c '
import json, sys
def find(v):
    if isinstance(v, dict):
        if "requests_oom" in v: return v["requests_oom"]
        for x in v.values():
            r = find(x)
            if r is not None: return r
    return None
print(find(json.load(sys.stdin)) or 0)') || n=0
    total=$((total + n))
  done
  echo "$total"
}
# One request to each sim, alone (renders the sim's images for this size);
# prints the slowest time in seconds.
warm_sims() {
  local url t worst=0
  for url in "${sim_urls[@]}"; do
    t=$(curl -s -o /dev/null -w '%{time_total}' -H 'Content-Type: application/json' \
      -d "{\"prompt\":\"warm-up\",\"size\":\"$size\",\"seed\":1}" \
      "$url/v1/images/generations") || die "sim $url did not answer"
    worst=$(awk -v a="$t" -v b="$worst" 'BEGIN { print (a > b ? a : b) }')
  done
  echo "$worst"
}

part_b() {
  echo
  echo "== b. goodput at ${load_factor}x overload: $sims x zimon sim --parallel --profile $profile, $size, SLO ${slo}s, ${overload_s}s open loop; $placement"
  printf '%-8s %-34s %7s %7s %6s %7s %9s %7s %8s  %s\n' vram peer rate sent ok good img/s p50_s oom statuses
  local vram t1 rate queue nginx_pid z_pid summary ooms
  declare -A good
  for vram in $vrams; do
    # zimon first.
    start_sims "$vram"
    t1=$(warm_sims)
    # Parallel mode shares the GPU: a sim finishes 1/t1 requests/s however
    # many run at once.
    rate=$(awk -v s="$sims" -v t="$t1" -v f="$load_factor" 'BEGIN { printf "%.2f", f * s / t }')
    # A queued request waits about queue / capacity, then runs two at a time
    # (2 * t1): keep the sum within the SLO, with a margin of one t1.
    queue=$(awk -v s="$sims" -v t="$t1" -v slo="$slo" 'BEGIN {
      q = int((slo - 3 * t) * s / t); print (q < 1 ? 1 : q) }')
    queue=${QUEUE:-$queue}
    cat >"$work/zimon-b.yaml" <<EOF
log:
  level: warn
server:
  io_threads: 1
gateway:
  max_concurrent: 2
  queue_capacity: $queue
  request_timeout: ${slo}s
  health_interval: 1s
  image_dir: $work/images
  feedback_db: $work/feedback-b.db
EOF
    local b
    local backends=()
    for b in "${sim_urls[@]}"; do backends+=("$b"); done
    start_zimon "$work/zimon-b.yaml" on_proxy_cpu "${backends[@]}"
    z_pid=$started_pid
    summary=$("${on_other_cpus[@]}" "$sim_load" --rate "$rate" --duration "$overload_s" \
      --drain "$((slo + 2))" --slo "$slo" --size "$size" "$zimon_url")
    ooms=$(sim_ooms)
    stop "$z_pid"
    stop_sims
    print_b "$vram" "zimon (max_concurrent 2, queue $queue)" "$rate" "$summary" "$ooms"
    good[$vram.zimon]=$(sed -n 's/.*goodput_per_s=\([0-9.]*\).*/\1/p' <<<"$summary")

    # nginx, on fresh sims.
    start_sims "$vram"
    warm_sims >/dev/null
    local nx_dir=$work/nginx-b-$vram port
    mkdir -p "$nx_dir"
    port=$(free_port)
    {
      nginx_head "$nx_dir" 1
      echo "  upstream fleet {"
      echo "    least_conn;"
      for b in "${sim_urls[@]}"; do echo "    server ${b#http://};"; done
      echo "    keepalive 64;"
      echo "  }"
      cat <<EOF
  server {
    listen 127.0.0.1:$port backlog=4096;
    client_max_body_size 8m;
    location / {
      proxy_pass http://fleet;
      proxy_read_timeout 600s;
$(nginx_proxy_settings)
    }
  }
}
EOF
    } >"$nx_dir/nginx.conf"
    start_nginx "$nx_dir/nginx.conf" "$nx_dir" "$port" on_proxy_cpu
    nginx_pid=$started_pid
    summary=$("${on_other_cpus[@]}" "$sim_load" --rate "$rate" --duration "$overload_s" \
      --drain "$((slo + 2))" --slo "$slo" --size "$size" "http://127.0.0.1:$port")
    ooms=$(sim_ooms)
    stop "$nginx_pid"
    stop_sims
    print_b "$vram" "nginx 1.22 (least_conn)" "$rate" "$summary" "$ooms"
    good[$vram.nginx]=$(sed -n 's/.*goodput_per_s=\([0-9.]*\).*/\1/p' <<<"$summary")
    echo "   capacity estimate: ${sims} sims / ${t1}s per image alone = $(awk -v s="$sims" -v t="$t1" 'BEGIN { printf "%.2f", s / t }') images/s"
  done
  echo "   goodput ratios zimon/nginx (target >= 1.50, zimon with 0 OOMs):"
  for vram in $vrams; do
    awk -v v="$vram" -v z="${good[$vram.zimon]}" -v n="${good[$vram.nginx]}" 'BEGIN {
      if (n > 0) printf "   %-8s %.2fx\n", v, z / n
      else printf "   %-8s nginx delivered nothing within the SLO (zimon %.2f images/s)\n", v, z }'
  done
}

# $1 vram, $2 label, $3 rate, $4 sim_load summary, $5 OOMs.
print_b() {
  awk -v v="$1" -v l="$2" -v rate="$3" -v s="$4" -v oom="$5" 'BEGIN {
    n = split(s, kv, " ")
    for (i = 1; i <= n; i++) { split(kv[i], p, "="); f[p[1]] = p[2] }
    printf "%-8s %-34s %7.2f %7d %7d %6d %9.2f %7.2f %8d  %s\n", v, l, rate, f["sent"], f["ok"],
      f["good"], f["goodput_per_s"], f["p50_s"], oom, f["status"] }'
}

# How an idle CPU waits, where the kernel says. In a VM whose idle CPUs halt
# at once (haltpoll with guest_halt_poll_ns 0), waking a proxy that sleeps is
# an interrupt between processors paid by the waker, the load side: a proxy
# that idles more then costs the load side more. With the kernel's default
# halt polling (200 us) nginx's 1 KB rate rose about 10 % in session 20 and
# zimon's, whose CPU is busier there, did not (docs/gateway.md).
cpu_idle() {
  local driver poll
  driver=$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null) || return 0
  printf ', cpuidle %s' "$driver"
  poll=$(cat /sys/module/haltpoll/parameters/guest_halt_poll_ns 2>/dev/null) &&
    [[ $driver == haltpoll ]] && printf ' (guest_halt_poll_ns %s)' "$poll"
  return 0
}

echo "gateway_vs_nginx: $("$nginx_bin" -v 2>&1 | sed 's/^nginx version: //')$([[ $nginx_trim == 0 ]] && echo " (glibc heap trim off)"), $(wrk -v 2>&1 | head -1 | awk '{print "wrk " $2}'), $ncpu CPUs$(cpu_idle), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for part in $parts; do
  case $part in
    a) part_a ;;
    b) part_b ;;
    i) part_i ;;
    *) die "unknown part '$part' (PARTS: a, b, i)" ;;
  esac
done
