#!/usr/bin/python3
# Quick interleaved pairs for hot-path work: wrk, then each endure binary given, on the same
# nginx (pinned as in `make bench`), SECONDS each, REPS rounds; prints user/sys/CPU per request
# and the median of the per-round ratios to wrk. Writes nothing to RESULTS.md. With --https both
# sides talk TLS to the same nginx (self-signed certificate; endure runs with --insecure).
#   /usr/bin/python3 bench/run_pair.py --seconds 10 --reps 5 [--https] build/release/bin/endure [OTHER...]
# Binaries built from different commits need their own include/ (a locustfile is compiled
# against the headers of the source tree a binary was built from), so compare across commits
# with separate worktrees.
import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--https", action="store_true", help="GET / over TLS (wrk and endure)")
    ap.add_argument("endure", nargs="+")
    a = ap.parse_args()
    bl.raise_nofile()
    work = tempfile.mkdtemp(prefix="endure-pair-")
    env = dict(os.environ)
    env["ENDURE_CACHE_DIR"] = os.path.join(work, "cache")
    cpp = os.path.join(bl.HERE, "locustfiles", "get_root.cpp")
    target = bl.nginx_target(https=a.https)
    url = target.https_url if a.https else target.url

    def endure_argv(binary, secs, tag):
        return [os.path.abspath(binary), "-f", cpp, "--host", url, "--headless", "-u", "50",
                "-r", "1000", "-t", f"{secs}s", "--only-summary", "--csv",
                os.path.join(work, tag), "--threads", "1"] + (["--insecure"] if a.https else [])

    try:
        for i, b in enumerate(a.endure):  # compile the locustfile before anything is measured
            bl.measured_run(endure_argv(b, 2, f"warm{i}"), os.path.join(work, "warm.log"), 300,
                            cwd=work, env=env)
        cpu = {}
        for rep in range(a.reps):
            runs = [("wrk", ["wrk", "-t1", "-c50", f"-d{a.seconds}s", url + "/"])]
            runs += [(f"endure{i}", endure_argv(b, a.seconds, f"e{i}")) for i, b in enumerate(a.endure)]
            for name, argv in runs:
                log = os.path.join(work, name + ".log")
                m = bl.measured_run(argv, log, a.seconds + 60, cwd=work, env=env)
                stats = (bl.parse_wrk(open(log).read()) if name == "wrk"
                         else bl.parse_stats_csv(os.path.join(work, "e" + name[6:]) + "_stats.csv"))
                n = stats["requests"]
                if not n:
                    raise SystemExit(f"{name}: no requests (exit {m['rc']}), see {log}")
                u, s = m["user_s"] * 1e6 / n, m["sys_s"] * 1e6 / n
                cpu.setdefault(name, []).append(u + s)
                print(f"[{rep + 1}/{a.reps}] {name:8s} {n:9d} req {n / a.seconds:9.0f}/s "
                      f"user {u:5.2f} sys {s:5.2f} CPU {u + s:6.2f} us/req", flush=True)
        for name, v in cpu.items():
            ratios = [x / w for x, w in zip(v, cpu["wrk"])]
            print(f"{name:8s} CPU us/req median {statistics.median(v):.2f}; ratio to wrk median "
                  f"{statistics.median(ratios):.3f} (per round {min(ratios):.2f}-{max(ratios):.2f})")
    finally:
        target.close()


if __name__ == "__main__":
    main()
