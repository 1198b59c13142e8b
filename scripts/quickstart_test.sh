#!/usr/bin/env bash
# Runs docs/quickstart.md's commands (the indented lines starting with "$ "), in order, in one
# bash, as a reader pasting them would, and checks each exit code against the list below (so a
# wrong path, a port that is not the shop's, or a command that does not exist fails the test).
#   scripts/quickstart_test.sh BUILD_BIN_DIR      (ctest passes the directory of the binary)
# Differences from a reader, on purpose: the setup commands (install-deps, make build) are left
# to the build that runs the test; "$PWD/build/dev/bin" is the binary under test; the commands run
# in a scratch directory that links examples/ (their output files land there); port 18123 is
# replaced by a free port, so parallel test runs do not meet. Bounded: each command 120 s.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=$(cd "${1:?usage: quickstart_test.sh BUILD_BIN_DIR}" && pwd)
doc="$root/docs/quickstart.md"
work=$(mktemp -d /tmp/endure-quickstart.XXXXXX)
trap 'rm -rf "$work"' EXIT
ln -s "$root/examples" "$work/examples"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

mapfile -t commands < <(sed -n 's/^    \$ //p' "$doc")
# Expected exit code of each command, in order ("-": left to the build, not run). 0|1: the run
# against the shop that fails 5% of requests on purpose may or may not see a failure.
expected=("-" "-" 0 0 0 0 0 0 "0|1" 0 0 0)
if [[ ${#commands[@]} -ne ${#expected[@]} ]]; then
  echo "quickstart_test: docs/quickstart.md has ${#commands[@]} commands, this test expects ${#expected[@]}: update both"
  printf '  %s\n' "${commands[@]}"
  exit 1
fi

script="$work/steps.sh"
{
  echo "cd '$work'"
  echo "trap 'kill \$(jobs -p) 2>/dev/null' EXIT"
  echo "export ENDURE_CACHE_DIR='${ENDURE_CACHE_DIR:-$work/cache}'"
  for i in "${!commands[@]}"; do
    cmd=${commands[$i]}
    [[ ${expected[$i]} == "-" ]] && { echo "echo '[skipped: the build does this] $cmd'"; continue; }
    cmd=${cmd//\$PWD\/build\/dev\/bin/$bin_dir}
    cmd=${cmd//18123/$port}
    echo "echo '\$ ${cmd//\'/}'"
    # In this shell (variables and background jobs carry over); a run is bounded in time.
    if [[ $cmd == endure\ * && $cmd != *"&"* ]]; then
      echo "timeout 120 $cmd </dev/null; code=\$?"
    else
      echo "$cmd; code=\$?"
    fi
    echo "case \$code in ${expected[$i]}) ;; *) echo \"quickstart_test: step $((i + 1)) exited \$code, expected ${expected[$i]}: $cmd\"; exit 1;; esac"
  done
  # What the steps must have left: the files section 4 lists.
  echo "for f in demo_stats.csv demo_stats_history.csv demo_failures.csv demo_exceptions.csv demo.html demo.json; do"
  echo "  [[ -s \$f ]] || { echo \"quickstart_test: section 4 did not write \$f\"; exit 1; }"
  echo "done"
  echo "grep -q 'POST,/cart/add/1' demo_stats.csv || { echo 'quickstart_test: no POST /cart/add/1 in demo_stats.csv'; exit 1; }"
  echo "echo quickstart_test: every command ran as documented"
} > "$script"
PATH="$bin_dir:$PATH" bash "$script"
