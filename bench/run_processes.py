#!/usr/bin/python3
# `--processes 2` against `--processes 1`: the aggregate request rate of local worker processes
# under their master, Python locustfile (locustfiles/get_root_http.py: GET / with no wait, where
# one process is bound to one core by the Python interpreter) on the nginx of `make bench`,
# USERS users, SECONDS each, REPS rounds in alternating order. The generator is NOT pinned (the
# workers must be free to use every core); nginx is pinned to TARGET_CPU as in the other benches,
# so on a 2-core machine the second worker shares a core with the target. The rate is the
# master's completed requests (its CSV) over SECONDS. Writes the "processes" section of
# RESULTS.md (--no-write: print only).
#   /usr/bin/python3 bench/run_processes.py --endure build/dev/bin/endure --seconds 10 --reps 3
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


def run(argv, log_path, timeout_s, env):
    t0 = time.monotonic()
    with open(log_path, "w") as log:
        p = bl.spawn(argv, cpu=None, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            rc = p.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            bl.stop(p)
            raise RuntimeError(f"timed out: {' '.join(argv)}")
    return rc, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endure", default=os.path.join(bl.REPO, "build/release/bin/endure"))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    bl.raise_nofile()
    work = tempfile.mkdtemp(prefix="endure-processes-")
    env = dict(os.environ)
    env["ENDURE_CACHE_DIR"] = os.path.join(work, "cache")
    py = os.path.join(bl.HERE, "locustfiles", "get_root_http.py")
    target = bl.nginx_target()
    binary = os.path.abspath(a.endure)
    load_before = os.getloadavg()

    def argv(n, tag):
        return [binary, "-f", py, "--host", target.url, "--headless", "-u", str(a.users), "-r", "1000",
                "-t", f"{a.seconds}s", "--processes", str(n), "--only-summary", "--no-store",
                "--csv", os.path.join(work, tag)]

    rates = {1: [], 2: []}
    ratios = []
    try:
        for rep in range(a.reps):
            order = [1, 2] if rep % 2 == 0 else [2, 1]
            got = {}
            for n in order:
                tag = f"p{n}_{rep}"
                log = os.path.join(work, tag + ".log")
                rc, _ = run(argv(n, tag), log, a.seconds + 120, env)
                stats = bl.parse_stats_csv(os.path.join(work, tag) + "_stats.csv")
                if rc != 0 or not stats["requests"]:
                    raise SystemExit(f"--processes {n}: exit {rc}, {stats['requests']} requests; see {log}")
                got[n] = stats["requests"] / a.seconds
                rates[n].append(got[n])
                print(f"rep {rep} --processes {n}: {got[n]:,.0f} req/s", flush=True)
            ratios.append(got[2] / got[1])
    finally:
        target.close()
    load_after = os.getloadavg()
    info = bl.machine_info()
    cmd = f"/usr/bin/python3 bench/run_processes.py --endure {a.endure} --seconds {a.seconds} --reps {a.reps} --users {a.users}"
    md = [
        "## `--processes 2` vs 1: aggregate request rate (`bench/run_processes.py`)",
        "",
        f"`{cmd}` ({info['date']}, commit {info['commit'][:10]}, {info['nproc']} cores {info['cpu']}; load",
        f"average {load_before[0]:.1f} before, {load_after[0]:.1f} after:",
        "**the machine was shared** with other engineers' builds, so absolute rates are low and noisy;",
        "the ratio within each round is the figure to read). Python locustfile (`get_root_http.py`, GET / with",
        f"no wait), {a.users} users, nginx pinned to core {bl.TARGET_CPU}, the generator unpinned. Rate: the",
        "master's completed requests over the run time.",
        "",
        "| | req/s (median, min-max) |",
        "|---|---:|",
        f"| `--processes 1` | {bl.med_range(rates[1], '{:,.0f}')} |",
        f"| `--processes 2` | {bl.med_range(rates[2], '{:,.0f}')} |",
        f"| ratio 2 / 1 per round | {bl.med_range(ratios, '{:.2f}')} |",
    ]
    text = "\n".join(md) + "\n"
    print(text)
    if not a.no_write:
        bl.write_section("processes", text)


if __name__ == "__main__":
    main()
