#!/usr/bin/python3
# User-space instructions per request of endure's C++ path, deterministic (callgrind): GET / on
# the pinned nginx, 50 users, no wait; the difference of a LONG- and a SHORT-iteration run
# divided by their difference, so start-up and shutdown cancel. Prints only. --https: the same
# over TLS (self-signed certificate, --insecure). --wrk: wrk's count for comparison (wrk runs
# for a time, not a count: a 9 s and a 3 s run under callgrind, divided by the difference of
# the requests it reports).
#   /usr/bin/python3 bench/run_instructions.py build/release/bin/endure [--short 2000 --long 22000] [--https] [--wrk]
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


def callgrind_total(p):
    m = re.search(r"Collected\s*:\s*([\d,]+)|I\s+refs:\s*([\d,]+)", p.stderr)
    if not m:
        raise SystemExit(f"no instruction count from callgrind (exit {p.returncode}):\n"
                         + p.stderr[-2000:])
    return int((m.group(1) or m.group(2)).replace(",", ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("endure")
    ap.add_argument("--short", type=int, default=2000)
    ap.add_argument("--long", type=int, default=22000)
    ap.add_argument("--https", action="store_true")
    ap.add_argument("--wrk", action="store_true", help="also count wrk's instructions per request")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="endure-instr-")
    env = dict(os.environ)
    env["ENDURE_CACHE_DIR"] = os.path.join(work, "cache")
    target = bl.nginx_target(https=a.https)
    url = target.https_url if a.https else target.url
    cpp = os.path.join(bl.HERE, "locustfiles", "get_root.cpp")

    def argv(iterations):
        return [os.path.abspath(a.endure), "-f", cpp, "--host", url, "--headless", "-u", "50",
                "-r", "1000", "-i", str(iterations), "-t", "300s", "--only-summary", "--threads",
                "1"] + (["--insecure"] if a.https else [])

    try:
        subprocess.run(argv(100), env=env, cwd=work, capture_output=True, timeout=300)  # compile
        refs = {}
        for n in (a.short, a.long):
            p = subprocess.run(["valgrind", "--tool=callgrind",
                                "--callgrind-out-file=" + os.path.join(work, f"cg.{n}")] + argv(n),
                               env=env, cwd=work, capture_output=True, text=True, timeout=900)
            refs[n] = callgrind_total(p)
            print(f"-i {n}: {refs[n]:,} instructions", flush=True)
        per = (refs[a.long] - refs[a.short]) / (a.long - a.short)
        print(f"user-space instructions per request: {per:,.0f}")
        if a.wrk:
            wrk = {}
            for secs in (3, 9):
                p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" +
                                    os.path.join(work, f"cg.wrk.{secs}"), "wrk", "-t1", "-c50",
                                    f"-d{secs}s", url + "/"],
                                   cwd=work, capture_output=True, text=True, timeout=300)
                wrk[secs] = (callgrind_total(p), bl.parse_wrk(p.stdout)["requests"])
                print(f"wrk -d{secs}s: {wrk[secs][0]:,} instructions, {wrk[secs][1]} requests",
                      flush=True)
            per = (wrk[9][0] - wrk[3][0]) / (wrk[9][1] - wrk[3][1])
            print(f"wrk user-space instructions per request: {per:,.0f}")
    finally:
        target.close()


if __name__ == "__main__":
    main()
