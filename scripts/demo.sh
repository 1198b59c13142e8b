#!/usr/bin/env bash
# Starts the built-in demo shop on a free port, runs the e-commerce soak example against it for
# about a minute, and writes out/demo_*.csv and out/demo.html. Stops the shop on exit.
set -euo pipefail
ENDURE=${1:-build/release/bin/endure}
RUN_TIME=${RUN_TIME:-60s}
mkdir -p out
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$ENDURE" demo-shop --port "$PORT" --latency-ms 5 --latency-jitter-ms 10 --error-rate 0.01 > out/demo-shop.log 2>&1 &
SHOP=$!
trap 'kill $SHOP 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q listening out/demo-shop.log 2>/dev/null && break
  sleep 0.1
done
echo "demo shop on http://127.0.0.1:$PORT (pid $SHOP)"
set +e
"$ENDURE" -f examples/ecommerce.cpp --host "http://127.0.0.1:$PORT" --headless \
  -u 50 -r 10 --run-time "$RUN_TIME" --csv out/demo --html out/demo.html
code=$?
set -e
echo
echo "CSV: out/demo_stats.csv out/demo_stats_history.csv out/demo_failures.csv out/demo_exceptions.csv"
echo "HTML report: out/demo.html"
# The demo shop fails 1% of requests on purpose, so exit code 1 (failures seen) is expected.
if [[ $code -ne 0 && $code -ne 1 ]]; then exit $code; fi
