#!/usr/bin/python3
# `make bench-soak`: a compressed soak of the generator. endure (C++ locustfile, 50 users, no wait,
# --threads 1) sends BENCH_SOAK_REQUESTS (default 20 million) GET / to a pinned nginx as fast as it
# allows, bounded by BENCH_SOAK_MAX_SECONDS; the generator's VmRSS is sampled every second into a
# CSV. Pass: RSS growth from 10% to 100% of the run stays under 5 MB. Writes the "soak" section.
import argparse
import csv
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

LIMIT_MB = 5.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endure", required=True)
    ap.add_argument("--csv-out", default=os.path.join(bl.HERE, "results", "soak_rss.csv"))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    endure = os.path.abspath(args.endure)
    total = bl.env_int("BENCH_SOAK_REQUESTS", 20_000_000)
    max_secs = bl.env_int("BENCH_SOAK_MAX_SECONDS", 900)
    bl.raise_nofile()
    info = bl.machine_info()
    work = tempfile.mkdtemp(prefix="endure-bench-soak-")
    env = dict(os.environ)
    env["ENDURE_CACHE_DIR"] = os.path.join(work, "cache")
    cpp = os.path.join(bl.HERE, "locustfiles", "get_root.cpp")
    target = bl.nginx_target()
    samples = []  # (t_s, rss_kb)
    try:
        def argv_for(iterations, secs, prefix):
            return [endure, "-f", cpp, "--host", target.url, "--headless", "-u", "50", "-r", "1000",
                    "-i", str(iterations), "-t", f"{secs}s", "--only-summary", "--csv", prefix,
                    "--threads", "1"]

        bl.measured_run(argv_for(1000, 5, os.path.join(work, "warm")),
                        os.path.join(work, "warm.log"), timeout_s=300, cwd=work, env=env)
        prefix = os.path.join(work, "soak")
        argv = argv_for(total, max_secs, prefix)
        with open(prefix + ".log", "w") as log:
            p = bl.spawn(argv, cpu=bl.GENERATOR_CPU, stdout=log, stderr=log, cwd=work, env=env)
            t0 = time.monotonic()
            next_sample = t0 + 1.0  # the first second includes taskset's exec and start-up
            time.sleep(1.0)
            while p.poll() is None:
                if time.monotonic() > t0 + max_secs + 60:
                    bl.stop(p)
                    break
                rss = bl.vm_rss_kb(p.pid)
                if rss is not None:
                    samples.append((time.monotonic() - t0, rss))
                next_sample += 1.0
                time.sleep(max(0.0, next_sample - time.monotonic()))
            rc = p.returncode
            elapsed = time.monotonic() - t0
        stats = bl.parse_stats_csv(prefix + "_stats.csv")
    finally:
        target.close()

    os.makedirs(os.path.dirname(os.path.abspath(args.csv_out)), exist_ok=True)
    with open(args.csv_out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["elapsed_s", "rss_kb"])
        for t, rss in samples:
            w.writerow([f"{t:.1f}", rss])

    if len(samples) < 10:
        verdict, growth_mb, rss10, rss_end, rss_max = "FAIL (fewer than 10 RSS samples)", None, None, None, None
    else:
        duration = samples[-1][0]
        at10 = min(samples, key=lambda s: abs(s[0] - 0.1 * duration))
        later = [rss for t, rss in samples if t >= at10[0]]
        rss10, rss_end, rss_max = at10[1] / 1024, samples[-1][1] / 1024, max(later) / 1024
        growth_mb = rss_max - rss10  # the worst point after 10%, not only the last sample
        verdict = "PASS" if growth_mb < LIMIT_MB else "FAIL"
        verdict += f" (RSS growth from 10% to 100% of the run: {growth_mb:.2f} MB; limit {LIMIT_MB} MB)"
    complete = stats["requests"] >= total
    print(f"soak: {stats['requests']} requests ({stats['failures']} failures) in {elapsed:.0f} s, "
          f"exit {rc}; RSS samples: {len(samples)} -> {args.csv_out}")
    print(f"soak verdict: {verdict}")

    invocation = os.environ.get("BENCH_INVOCATION") or \
        "/usr/bin/python3 bench/run_soak.py --endure " + args.endure
    overrides = " ".join(f"{k}={os.environ[k]}" for k in ("BENCH_SOAK_REQUESTS", "BENCH_SOAK_MAX_SECONDS")
                         if k in os.environ)
    lines = ["## Compressed soak (`make bench-soak`)\n"]
    lines.append(f"Produced by: `{(overrides + ' ' if overrides else '') + invocation}`" +
                 (f" — shortened: {total:,} requests instead of the default 20,000,000" if
                  total < 20_000_000 else "") + "  ")
    lines.append(f"Date: {info['date']}; commit {info['commit']}; {info['nproc']} CPUs, "
                 f"{info['cpu']}; load average before: {info['load']}  ")
    lines.append(f"Scenario: endure, C++ locustfile (GET /, no wait), 50 users, --threads 1, pinned to "
                 f"CPU {bl.GENERATOR_CPU}, against nginx pinned to CPU {bl.TARGET_CPU}; stops after "
                 f"{total:,} task iterations (bounded by {max_secs} s); VmRSS sampled every second.\n")
    lines.append("| requests | failures | run s | req/s | RSS at 10% MB | RSS at end MB | "
                 "max RSS after 10% MB | growth MB | verdict |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    fmt = lambda v: "n/a" if v is None else f"{v:.2f}"  # noqa: E731
    lines.append(f"| {stats['requests']:,}{'' if complete else ' (incomplete)'} | {stats['failures']} | "
                 f"{elapsed:.0f} | {stats['requests'] / elapsed:.0f} | {fmt(rss10)} | {fmt(rss_end)} | "
                 f"{fmt(rss_max)} | {fmt(growth_mb)} | {verdict.split(' ')[0]} |")
    lines.append("")
    lines.append(f"RSS samples: `{os.path.relpath(args.csv_out, bl.REPO)}`. Command:\n")
    lines.append("```")
    lines.append(" ".join(a.replace(target.url, "http://127.0.0.1:PORT").replace(work, "PREFIX")
                          .replace(bl.REPO + "/", "") for a in argv))
    lines.append("```")
    md = "\n".join(lines) + "\n"
    if not args.no_write:
        bl.write_section("soak", md)
        print(f"wrote {bl.RESULTS_MD}")
    sys.exit(0 if verdict.startswith("PASS") else 1)


if __name__ == "__main__":
    main()
