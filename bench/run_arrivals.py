#!/usr/bin/python3
# The open model's timer precision (issue 14): endure at RATE arrivals/s on one shard thread for
# SECONDS, each iteration a custom event and no request (locustfiles/arrival_probe.cpp), REPS
# rounds. Reports the achieved rate against the target and the arrival timer's lateness
# (dispatch time minus scheduled time; p50/p99/max from endure's debug line "arrival timer: ...").
# Writes the "arrivals" section of RESULTS.md (--no-write: print only).
#   /usr/bin/python3 bench/run_arrivals.py --endure build/release/bin/endure --rate 10000 --seconds 20 --reps 3
import argparse
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endure", default=os.path.join(bl.REPO, "build/release/bin/endure"))
    ap.add_argument("--rate", type=int, default=10000)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--poisson", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="endure-arrivals-")
    env = dict(os.environ)
    env["ENDURE_CACHE_DIR"] = os.path.join(work, "cache")
    probe = os.path.join(bl.HERE, "locustfiles", "arrival_probe.cpp")
    binary = os.path.abspath(a.endure)
    rows = []
    for rep in range(a.reps):
        csv = os.path.join(work, f"r{rep}")
        log = os.path.join(work, f"r{rep}.log")
        argv = [binary, "-f", probe, "--headless", "--arrival-rate", f"{a.rate}/s", "--max-users",
                "1000", "-t", f"{a.seconds}s", "--threads", "1", "--only-summary", "--no-store",
                "--csv", csv, "--loglevel", "DEBUG"] + (["--arrivals", "poisson"] if a.poisson else [])
        with open(log, "w") as out:
            p = bl.spawn(argv, stdout=out, stderr=out, env=env)
            p.wait(timeout=a.seconds + 120)
        text = open(log).read()
        m = re.search(r"arrival timer: (\d+) arrivals dispatched, lateness p50 (\d+) us, p99 (\d+) us, "
                      r"max (\d+) us", text)
        if not m:
            sys.exit(f"no arrival timer line in {log}")
        done = bl.parse_stats_csv(csv + "_stats.csv")["requests"]  # only the probe's events
        achieved = done / a.seconds
        rows.append((achieved, int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(1))))
        print(f"round {rep + 1}: {done} iterations, {achieved:.1f}/s "
              f"({100 * (achieved / a.rate - 1):+.2f}%), lateness p50 {m.group(2)} us, "
              f"p99 {m.group(3)} us, max {m.group(4)} us", flush=True)
    md = ["## Open-model timer precision", "", f"Command: `/usr/bin/python3 bench/run_arrivals.py --endure {os.path.relpath(binary, bl.REPO)} "
          f"--rate {a.rate} --seconds {a.seconds} --reps {a.reps}" + (" --poisson" if a.poisson else "") + "`",
          "", "{date}, commit {commit}, {nproc} × {cpu}, load average {load} at the end.".format(**bl.machine_info()), "",
          f"{'Poisson' if a.poisson else 'Even'} arrivals at {a.rate}/s on one shard thread "
          "(`--threads 1`), each iteration a custom event and no request. Achieved rate = "
          "iterations recorded / run time; lateness = when the timer dispatched an arrival minus "
          "when it was due.", "",
          "| round | achieved /s | vs target | lateness p50 (us) | p99 (us) | max (us) |",
          "|---|---|---|---|---|---|"]
    for i, (ach, p50, p99, mx, _) in enumerate(rows):
        md.append(f"| {i + 1} | {ach:.1f} | {100 * (ach / a.rate - 1):+.2f}% | {p50} | {p99} | {mx} |")
    text = "\n".join(md) + "\n"
    print(text)
    if not a.no_write:
        bl.write_section("arrivals", text)


if __name__ == "__main__":
    main()
