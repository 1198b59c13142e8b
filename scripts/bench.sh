#!/usr/bin/env bash
# Runs one part of the performance suite: scripts/bench.sh throughput|memory|soak [ENDURE_BINARY]
# Raises the open-files limit, checks the tools, then hands over to bench/run_*.py (Debian's
# /usr/bin/python3, which has python3-locust). Results go to bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT=${1:?usage: scripts/bench.sh throughput|memory|soak [endure binary]}
ENDURE=${2:-build/release/bin/endure}
for tool in taskset nginx wrk /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (make deps)" >&2; exit 2; }
done
[[ -x $ENDURE ]] || { echo "bench: $ENDURE is not built" >&2; exit 2; }
if [[ ! -x /usr/bin/time ]]; then
  echo "bench: /usr/bin/time (Debian package 'time') not found; measuring CPU with wait4 instead" >&2
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
case $WHAT in
  throughput) exec /usr/bin/python3 bench/run_bench.py --endure "$ENDURE" ;;
  memory) exec /usr/bin/python3 bench/run_memory.py --endure "$ENDURE" ;;
  soak) exec /usr/bin/python3 bench/run_soak.py --endure "$ENDURE" ;;
  *) echo "bench: unknown part '$WHAT' (throughput, memory, soak)" >&2; exit 2 ;;
esac
