#!/usr/bin/python3
# Runs the Google Benchmark microbenchmarks (bench_histogram, bench_parser) from a build dir and
# writes their console tables into the "micro" section of bench/RESULTS.md.
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True, help="build dir holding bench/bench_histogram")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    info = bl.machine_info()
    lines = ["## Microbenchmarks (Google Benchmark)\n"]
    lines.append(f"Date: {info['date']}; commit {info['commit']}; {info['nproc']} CPUs, {info['cpu']}; "
                 f"load average before: {info['load']}; binaries from `{args.build}`, pinned to CPU "
                 f"{bl.GENERATOR_CPU}, `--benchmark_min_time=0.5 --benchmark_repetitions=3 "
                 "--benchmark_report_aggregates_only=true`.\n")
    for name in ("bench_histogram", "bench_parser"):
        exe = os.path.join(args.build, "bench", name)
        r = subprocess.run(["taskset", "-c", bl.GENERATOR_CPU, exe, "--benchmark_min_time=0.5",
                            "--benchmark_repetitions=3", "--benchmark_report_aggregates_only=true"],
                           capture_output=True, text=True, timeout=600)
        print(r.stdout)
        if r.returncode != 0:
            print(r.stderr, file=sys.stderr)
            raise SystemExit(f"{name} failed with exit code {r.returncode}")
        table = [ln for ln in r.stdout.splitlines() if ln.strip()]
        lines.append(f"`{os.path.relpath(exe, bl.REPO)}`:\n")
        lines.append("```")
        lines.extend(table)
        lines.append("```\n")
    if not args.no_write:
        bl.write_section("micro", "\n".join(lines))
        print(f"wrote {bl.RESULTS_MD}")


if __name__ == "__main__":
    main()
