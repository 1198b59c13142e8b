#!/usr/bin/python3
# User-space instructions per request of endure's C++ path under callgrind (instruction counts:
# repeatable on a loaded machine, where CPU-time benches are not). GET / on the pinned nginx of
# `make bench`, 50 users, no wait, --threads 1, bounded by an iteration count (-i). Two runs, LONG
# and SHORT iterations; their difference divided by the difference in requests cancels start-up
# and shutdown.
#
# Reported, split by where the work runs (callgrind's inclusive counts of each thread's entry):
#   - the shard thread (requests, the user's coroutines, recording), per request;
#   - the per-interval work off the shard (totals stage, the run store's writer thread, snapshot
#     outputs), per interval (LONG minus SHORT over their difference in intervals, counted as
#     callgrind's calls of shard_recorder::take_delta); under callgrind a run is ~30x slower, so
#     a callgrind interval holds ~30x fewer requests: these are shown per interval and then
#     converted to a share per request at --rate requests per second (the real rate of the
#     `make bench` setup), which is what they cost at full speed;
#   - the whole process, per request, as callgrind measured it (per-interval work over-weighted).
# --compare-store runs the pair with the store (the default) and with --no-store and prints both.
# --top N lists the N functions with the most self instructions per request (LONG minus SHORT).
# --wrk counts wrk's instructions per request the same way (a 3 s and a 9 s run: wrk runs for a
# time, not a count).
#   /usr/bin/python3 bench/run_callgrind.py build/release/bin/endure [--locustfile get_root.cpp]
#       [--short 2000 --long 22000] [--compare-store] [--https] [--wrk] [--top 25] [--rate 115000]
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

# Where the work runs: (label, a substring of callgrind's function name, per "request" or per
# "interval"). Inclusive counts; a thread's entry or a std::function invoker unless `exact`.
PARTS = [
    ("shard", "cpp_shard::start()::{lambda()#1}", "request", False),
    # On the control thread; it sorts the interval's per-sample logs of light entries, so it
    # grows with requests (an entry past 4,096 samples an interval records densely instead).
    ("recorder take", "shard_recorder::take_delta()", "request", True),
    ("store writer", "store_output::store_output(", "interval", False),
    ("totals stage", "totals_stage::totals_stage(", "interval", False),
    ("snapshot outputs", "outputs::add(", "interval", False),
]


def annotate(path, inclusive):
    out = subprocess.run(["callgrind_annotate", "--threshold=100",
                          "--inclusive=" + ("yes" if inclusive else "no"), path],
                         capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$", line)
        if m:
            rows[m.group(2)] = int(m.group(1).replace(",", ""))
    return rows


def total_of(rows):
    for k, v in rows.items():
        if k.startswith("PROGRAM TOTALS"):
            return v
    raise SystemExit("callgrind_annotate printed no PROGRAM TOTALS")


def part_of(rows, needle, exact):
    # The std::function invoker or thread entry that holds the needle (the largest match: the
    # invoker, not a helper of the same lambda), or the function itself when exact.
    vals = [v for k, v in rows.items()
            if needle in k and (exact or "_M_invoke" in k or "_M_run" in k)]
    return max(vals) if vals else 0


def calls_to(path, needle):
    """How many times functions whose name holds `needle` were called (callgrind's call counts)."""
    names, total, cfn = {}, 0, None
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith(("fn=", "cfn=")):
                m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
                if m:
                    if m.group(2) is not None:
                        names[m.group(1)] = m.group(2)
                    if line.startswith("cfn="):
                        cfn = names.get(m.group(1), "")
            elif line.startswith("calls=") and cfn is not None:
                if needle in cfn:
                    total += int(line.split("=", 1)[1].split()[0])
                cfn = None
    return total


def short_name(k):
    k = re.sub(r"\s*\[[^\]]*\]$", "", k)
    k = k.split(":", 1)[1] if k.startswith("???:") or k.startswith("./") else k
    return k[:110]


def endure_argv(endure, cpp, url, iterations, store, db, https=False):
    cmd = [os.path.abspath(endure), "-f", cpp, "--host", url, "--headless", "-u", "50", "-r",
           "1000", "-i", str(iterations), "-t", "600s", "--only-summary", "--threads", "1"]
    cmd += ["--store", db] if store else ["--no-store"]
    return cmd + (["--insecure"] if https else [])


def measure(endure, cpp, url, work, env, store, short, long, rate, https=False, top=False,
            log=print):
    """Runs endure under callgrind for `short` and `long` iterations (with or without the store)
    and returns the instructions per request of the shard thread, per interval of the work off
    it, and per request at full speed (per-interval work divided by `rate`)."""
    name = "store" if store else "no-store"
    res = {}
    for n in (short, long):
        tag = f"{name}.{n}"
        out = os.path.join(work, "cg." + tag)
        db = os.path.join(work, tag + ".db")
        for f in (db, db + "-wal", db + "-shm"):
            if os.path.exists(f):
                os.remove(f)
        t0 = time.monotonic()
        p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] +
                           endure_argv(endure, cpp, url, n, store, db, https), env=env, cwd=work,
                           capture_output=True, text=True, timeout=1800)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            raise SystemExit(f"endure exited {p.returncode} under callgrind:\n" + p.stderr[-2000:])
        incl = annotate(out, True)
        # One interval a second: the controller takes each shard's delta once per interval.
        intervals = calls_to(out, "shard_recorder::take_delta()")
        res[n] = {"wall": wall, "intervals": intervals, "total": total_of(incl), "incl": incl,
                  "self": annotate(out, False) if top else None}
        log(f"  {name} -i {n}: {res[n]['total']:,} instructions, {intervals} intervals, "
            f"{wall:.1f} s")
    s, l = res[short], res[long]
    dreq = long - short
    dint = l["intervals"] - s["intervals"]
    if dint <= 0:
        raise SystemExit("the long run had no more intervals than the short one: raise --long")
    parts = {p: part_of(l["incl"], needle, exact) - part_of(s["incl"], needle, exact)
             for p, needle, _, exact in PARTS}
    per = {p: kind for p, _, kind, _ in PARTS}
    r = {"name": name, "total_per_req": (l["total"] - s["total"]) / dreq,
         "shard_per_req": parts["shard"] / dreq, "intervals": dint,
         "per_request": {p: v / dreq for p, v in parts.items() if per[p] == "request"},
         "per_interval": {p: v / dint for p, v in parts.items() if per[p] == "interval"},
         "res": res}
    rest = (l["total"] - s["total"]) - sum(parts.values())
    r["per_interval"]["rest (control thread, sampler, ...)"] = rest / dint
    r["full_speed_per_req"] = sum(r["per_request"].values()) + sum(r["per_interval"].values()) / rate
    r["full_speed_per_req"] = r["shard_per_req"] + sum(r["per_interval"].values()) / rate
    r["store_share"] = r["per_interval"].get("store writer", 0) / rate / r["full_speed_per_req"]
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("endure")
    ap.add_argument("--locustfile", default="get_root.cpp", help="a file in bench/locustfiles")
    ap.add_argument("--short", type=int, default=2000)
    ap.add_argument("--long", type=int, default=22000)
    ap.add_argument("--compare-store", action="store_true")
    ap.add_argument("--https", action="store_true")
    ap.add_argument("--wrk", action="store_true")
    ap.add_argument("--top", type=int, default=0)
    ap.add_argument("--rate", type=float, default=115000,
                    help="requests per second at full speed, to weigh per-interval work")
    ap.add_argument("--keep", help="folder to keep the callgrind files in")
    a = ap.parse_args()
    work = a.keep or tempfile.mkdtemp(prefix="endure-callgrind-")
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ)
    env["ENDURE_CACHE_DIR"] = os.path.join(work, "cache")
    target = bl.nginx_target(https=a.https)
    url = target.https_url if a.https else target.url
    cpp = os.path.join(bl.HERE, "locustfiles", a.locustfile)

    results = []
    try:
        subprocess.run(endure_argv(a.endure, cpp, url, 100, False, "", a.https), env=env, cwd=work,
                       capture_output=True, timeout=300)  # compiles the locustfile into the cache
        for store in ([True, False] if a.compare_store else [True]):
            results.append(measure(a.endure, cpp, url, work, env, store, a.short, a.long, a.rate,
                                   a.https, a.top > 0, log=lambda m: print(m, flush=True)))
        wrk_per = None
        if a.wrk:
            wrk = {}
            for secs in (3, 9):
                p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" +
                                    os.path.join(work, f"cg.wrk.{secs}"), "wrk", "-t1", "-c50",
                                    f"-d{secs}s", url + "/"],
                                   cwd=work, capture_output=True, text=True, timeout=300)
                wrk[secs] = (total_of(annotate(os.path.join(work, f"cg.wrk.{secs}"), True)),
                             bl.parse_wrk(p.stdout)["requests"])
            wrk_per = (wrk[9][0] - wrk[3][0]) / (wrk[9][1] - wrk[3][1])
    finally:
        target.close()

    print(f"\nendure, {a.locustfile}, {'https' if a.https else 'http'}, -i {a.long} minus -i "
          f"{a.short}; per-interval work weighed at {a.rate:,.0f} req/s")
    for r in results:
        print(f"\n[{r['name']}]")
        for p, v in r["per_request"].items():
            print(f"  {p + ':':34s} {v:10,.0f} instructions/request")
        for p, v in r["per_interval"].items():
            print(f"  {p + ':':34s} {v:10,.0f} instructions/interval = {v / a.rate:6.1f} /request "
                  f"at full speed")
        print(f"  whole process at full speed:       {r['full_speed_per_req']:8,.0f} instructions/request")
        print(f"  whole process under callgrind:     {r['total_per_req']:8,.0f} instructions/request")
        if r["name"] == "store":
            print(f"  store writer's share:              {r['store_share'] * 100:8.2f}% of the "
                  "instructions per request")
    if len(results) == 2:
        st, ns = results
        print(f"\nstore / no-store at full speed: {st['full_speed_per_req'] / ns['full_speed_per_req']:.4f}"
              f" (shard thread {st['shard_per_req'] / ns['shard_per_req']:.4f})")
    if wrk_per is not None:
        print(f"\nwrk user-space instructions per request: {wrk_per:,.0f}")
    if a.top:
        r = results[0]
        s, l = r["res"][a.short]["self"], r["res"][a.long]["self"]
        rows = sorted(((l.get(k, 0) - s.get(k, 0)) / (a.long - a.short), k) for k in set(s) | set(l)
                      if not k.startswith("PROGRAM TOTALS"))
        print(f"\ntop {a.top} functions, self instructions per request ({r['name']}):")
        for v, k in reversed(rows[-a.top:]):
            print(f"  {v:7.0f}  {short_name(k)}")


if __name__ == "__main__":
    main()
