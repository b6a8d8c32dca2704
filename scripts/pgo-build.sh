#!/usr/bin/env bash
# Builds zimon with profile-guided optimisation (GCC's -fprofile-use) in
# BUILD_DIR (default build/pgo), for deployments and benchmarks that want the
# last ~10 % of CPU per proxied request (docs/gateway.md, "Benchmarks"):
#
#   1. an instrumented build (-fprofile-generate) of zimon and sim_load, with
#      the release preset's optimisation flags and no tests;
#   2. a training run: part a of bench/gateway_vs_nginx.sh (wrk through
#      zimon to a static nginx upstream: 1 KB and 1 MB answers, the access
#      log on and off, quality scoring on), whose counts zimon writes next to
#      its objects when it stops;
#   3. the same build again, optimised with those counts
#      (-fprofile-use -fprofile-partial-training: code the training did not
#      reach is optimised as usual, not for size).
#
#   scripts/pgo-build.sh [BUILD_DIR]
#   bench/gateway_vs_nginx.sh build/pgo     # measured like build/release
#
# Needs what the benchmark needs (scripts/install-deps.sh --with-bench:
# nginx, wrk). Takes about 12 minutes on two cores. Exit status: 0 when the
# optimised build is in place; otherwise the failing step's.
set -euo pipefail

cd "$(dirname "$0")/.."
dir=${1:-build/pgo}
say() { echo "pgo-build: $*"; }

# The release preset's flags (CMakePresets.json), plus $1 for compiling and
# $2 for linking.
configure() {
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" -DZIMON_LEAN_LINK=ON \
    -DZIMON_BUILD_TESTS=OFF "-DCMAKE_CXX_FLAGS=$1" "-DCMAKE_C_FLAGS=$1" \
    "-DCMAKE_EXE_LINKER_FLAGS=$2" >/dev/null
}

build() { cmake --build "$dir" -j "$(nproc)" --target zimon sim_load; }

say "1/3 instrumented build in $dir"
configure "-fprofile-generate -fprofile-update=atomic" "-fprofile-generate"
# Counts from an earlier training would be merged into this one's.
find "$dir" -name '*.gcda' -delete
build

say "2/3 training: bench/gateway_vs_nginx.sh part a (output discarded)"
log=$dir/pgo-training.log
if ! PARTS=a ROUNDS=1 DURATION=4 bench/gateway_vs_nginx.sh "$dir" >"$log" 2>&1; then
  cat "$log" >&2
  say "training failed (log above)" >&2
  exit 1
fi
n=$(find "$dir" -name '*.gcda' | wc -l)
[[ $n -gt 0 ]] || {
  say "training wrote no profile counts" >&2
  exit 1
}
say "   $n object files have counts"

say "3/3 optimised build"
configure "-fprofile-use -fprofile-partial-training -Wno-missing-profile" ""
build
say "done: $dir/apps/zimon/zimon"
