#!/usr/bin/env bash
# Installs the Debian 12 packages zimon needs to build, test and benchmark.
# Idempotent: does nothing (and touches no network) when everything is present.
# Usage: scripts/install-deps.sh [--with-bench]
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git clang-format lld
  libboost1.74-dev libboost-system1.74-dev libssl-dev
  nlohmann-json3-dev libyaml-cpp-dev libre2-dev libspng-dev zlib1g-dev
  libdeflate-dev libisal-dev libsqlite3-dev libjpeg62-turbo-dev libwebp-dev libmimalloc-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  # real peers used by integration tests
  prometheus prometheus-node-exporter python3 python3-prometheus-client
)
bench_packages=(nginx wrk haproxy valgrind)
if [[ "${1:-}" == "--with-bench" ]]; then
  packages+=("${bench_packages[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: missing packages (${missing[*]}) and not root; install them or run as root" >&2
    exit 1
  fi
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Package post-install scripts must not start daemons (prometheus, nginx) on a dev box.
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
