#!/usr/bin/python3
# The run store's cost at the maximum request rate: endure with the store (the default) and with
# --no-store, side by side on the pinned nginx of `make bench`, 50 users, 50 request names
# (locustfiles/get_50_names.cpp), SECONDS each, REPS rounds in alternating order. CPU per request
# is the process's user + sys time over its whole life divided by its completed requests; the
# overhead is the median of the per-round ratios (store / no store). Writes the "store-overhead"
# section of RESULTS.md (--no-write: print only).
# Beside that timing figure (noisy on a shared machine), the store's share in instructions
# (bench/run_callgrind.py, callgrind: repeatable under load): the same scenario bounded by -i,
# with and without the store; the per-interval work off the shard is weighed at the request rate
# the timed no-store runs reached (--no-callgrind: skip it).
#   /usr/bin/python3 bench/run_store_overhead.py --endure build/release/bin/endure --seconds 15 --reps 5
import argparse
import os
import re
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402
import run_callgrind as cg  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endure", default=os.path.join(bl.REPO, "build/release/bin/endure"))
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--no-callgrind", action="store_true", help="skip the instruction counts")
    ap.add_argument("--callgrind-short", type=int, default=2000)
    ap.add_argument("--callgrind-long", type=int, default=42000)
    a = ap.parse_args()
    bl.raise_nofile()
    work = tempfile.mkdtemp(prefix="endure-store-overhead-")
    env = dict(os.environ)
    env["ENDURE_CACHE_DIR"] = os.path.join(work, "cache")
    cpp = os.path.join(bl.HERE, "locustfiles", "get_50_names.cpp")
    target = bl.nginx_target()
    binary = os.path.abspath(a.endure)

    def argv(secs, tag, store):
        cmd = [binary, "-f", cpp, "--host", target.url, "--headless", "-u", "50", "-r", "1000",
               "-t", f"{secs}s", "--only-summary", "--csv", os.path.join(work, tag), "--threads", "1"]
        return cmd + (["--store", os.path.join(work, tag + ".db")] if store else ["--no-store"])

    rows = {"store": [], "no-store": []}
    ratios = []
    try:
        bl.measured_run(argv(2, "warm", False), os.path.join(work, "warm.log"), 300, cwd=work, env=env)
        for rep in range(a.reps):
            order = [("store", True), ("no-store", False)]
            if rep % 2:
                order.reverse()
            cpu = {}
            for name, store in order:
                tag = f"{name}{rep}"
                log = os.path.join(work, tag + ".log")
                m = bl.measured_run(argv(a.seconds, tag, store), log, a.seconds + 120, cwd=work, env=env)
                stats = bl.parse_stats_csv(os.path.join(work, tag) + "_stats.csv")
                n = stats["requests"]
                if not n:
                    raise SystemExit(f"{name}: no requests (exit {m['rc']}), see {log}")
                u, s = m["user_s"] * 1e6 / n, m["sys_s"] * 1e6 / n
                cpu[name] = u + s
                # The store thread's own CPU, as the run reports it at its end.
                own = re.search(r"the store used ([0-9.]+) s of CPU", open(log).read()) if store else None
                rows[name].append({"req": n, "rps": n / a.seconds, "user": u, "sys": s, "cpu": u + s,
                                   "rss": m["maxrss_kb"] / 1024,
                                   "db_mb": (os.path.getsize(os.path.join(work, tag + ".db")) / 1e6
                                             if store else None),
                                   "own": float(own.group(1)) * 1e6 / n if own else None})
                print(f"[{rep + 1}/{a.reps}] {name:8s} {n:9d} req {n / a.seconds:9.0f}/s user {u:5.2f} "
                      f"sys {s:5.2f} CPU {u + s:6.2f} us/req", flush=True)
            ratios.append(cpu["store"] / cpu["no-store"])
        counts = None
        if not a.no_callgrind:
            rate = statistics.median([x["rps"] for x in rows["no-store"]])
            cgwork = os.path.join(work, "callgrind")
            os.makedirs(cgwork, exist_ok=True)
            counts = {store: cg.measure(binary, cpp, target.url, cgwork, env, store,
                                        a.callgrind_short, a.callgrind_long, rate,
                                        log=lambda m: print(m, flush=True))
                      for store in (True, False)}
    finally:
        target.close()

    mi = bl.machine_info()
    lines = ["## Run store overhead at the maximum request rate", "",
             f"{mi['date']}, commit {mi['commit']}, {mi['nproc']} × {mi['cpu']}, load average "
             f"{mi['load']} at the end.", "",
             f"    /usr/bin/python3 bench/run_store_overhead.py --endure {a.endure} --seconds {a.seconds} "
             f"--reps {a.reps}", "",
             "endure (C++ locustfile `bench/locustfiles/get_50_names.cpp`: GET / under 50 names, "
             "50 users, no wait, `--threads 1`) against the pinned nginx of `make bench`, with the run "
             "store (`--store`) and without (`--no-store`), alternating; CPU = user + sys of the process "
             "over its life / completed requests.", "",
             "| | req/s | CPU µs/req | user µs/req | sys µs/req | store thread µs/req | peak RSS MB | store file MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in ("no-store", "store"):
        r = rows[name]
        lines.append(f"| {name} | {bl.med_range([x['rps'] for x in r], '{:.0f}')} | "
                     f"{bl.med_range([x['cpu'] for x in r], '{:.2f}')} | "
                     f"{bl.med_range([x['user'] for x in r], '{:.2f}')} | "
                     f"{bl.med_range([x['sys'] for x in r], '{:.2f}')} | "
                     f"{bl.med_range([x['own'] for x in r], '{:.4f}')} | "
                     f"{bl.med_range([x['rss'] for x in r], '{:.1f}')} | "
                     f"{bl.med_range([x['db_mb'] for x in r], '{:.1f}')} |")
    overhead = (statistics.median(ratios) - 1) * 100
    own = [x["own"] / x["cpu"] * 100 for x in rows["store"] if x["own"] is not None]
    lines += ["", f"Store / no-store CPU per request, per round: "
              f"{', '.join(f'{x:.3f}' for x in ratios)}; median {statistics.median(ratios):.3f} "
              f"({overhead:+.1f}%; target at most +2%). The store thread's own CPU (measured in the "
              f"run with `CLOCK_THREAD_CPUTIME_ID`, reported at its end) is "
              f"**{bl.med_range(own, '{:.2f}')}%** of the run's CPU per request."]
    if counts is not None:
        st, ns = counts[True], counts[False]
        lines += ["", f"Instructions (callgrind; `bench/run_callgrind.py`'s method: -i "
                  f"{a.callgrind_long} minus -i {a.callgrind_short}, per-interval work off the shard "
                  f"weighed at {rate:,.0f} req/s, the no-store runs' median above):", "",
                  "| | shard thread / request | recorder take / request | store writer / interval "
                  "| totals stage / interval | rest / interval | whole process / request |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for name, r in (("no-store", ns), ("store", st)):
            pi = r["per_interval"]
            lines.append(f"| {name} | {r['shard_per_req']:,.0f} | "
                         f"{r['per_request']['recorder take']:,.0f} | {pi['store writer']:,.0f} | "
                         f"{pi['totals stage']:,.0f} | "
                         f"{pi['snapshot outputs'] + pi['rest (control thread, sampler, ...)']:,.0f} | "
                         f"{r['full_speed_per_req']:,.0f} |")
        user_share = statistics.median([x["user"] / x["cpu"] for x in rows["store"]])
        share = st["store_share"] * 100
        lines += ["", f"The store writer's share: **{share:.2f}%** of the user-space instructions "
                  f"per request at {rate:,.0f} req/s. User space is {user_share * 100:.0f}% of the "
                  f"CPU per request here (the rest is the kernel's loopback TCP), so as a share of "
                  f"the CPU that is about {share * user_share:.2f}% (compare the store thread's "
                  f"own CPU above). The shard thread's count with / without the store: "
                  f"{st['shard_per_req'] / ns['shard_per_req']:.4f}; the whole process's: "
                  f"{st['full_speed_per_req'] / ns['full_speed_per_req']:.4f} (the rest column "
                  f"holds the run's end, which grows with its length: the store's final roll-ups, "
                  f"the end summary's soak verdict)."]
    text = "\n".join(lines)
    print(text)
    if not a.no_write:
        bl.write_section("store-overhead", text)


if __name__ == "__main__":
    main()
