#!/usr/bin/env bash
# Installs every Debian package endure needs to build, test and benchmark. Idempotent.
# Never installs libboost-dev / libboost-all-dev (Boost 1.74): they would remove Boost 1.81.
set -euo pipefail

PACKAGES=(
  build-essential g++ clang lld cmake ninja-build ccache pkg-config git make
  libboost1.81-dev libssl-dev zlib1g-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev libclang-rt-14-dev
  python3.11 python3.11-dev libpython3.11-dev python3-greenlet python-greenlet-dev
  openssl nginx-light wrk python3-locust procps util-linux curl
  libsqlite3-dev sqlite3 libzmq3-dev cppzmq-dev iproute2
  prometheus prometheus-node-exporter influxdb
  chromium nodejs
)
# node and npm build the web UI (uPlot bundled by esbuild) and run the browser tests
# (playwright-core): web/package-lock.json, `npm ci` in the build. Debian's npm only when no npm is there already (a nodejs from elsewhere brings its own).
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
