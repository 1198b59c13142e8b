#!/usr/bin/python3
# `make bench-memory`: idle memory per user. Mostly idle users (between(5, 10) s waits, one GET /
# per task) against the demo shop, at 10 users (baseline) and at 10,000 and 50,000 users:
# (RSS at N users - RSS at 10 users) / N, for endure (C++ users), Locust HttpUser and endure with
# the Python locustfile (n/a until supported). Writes the "memory" section of bench/RESULTS.md.
import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

LOCUSTFILES = os.path.join(bl.HERE, "locustfiles")
BASELINE_USERS = 10


def port_range_size():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
        return hi - lo + 1
    except (OSError, ValueError):
        return 28232


def sampled_run(argv, log_path, secs, env, cwd):
    """Runs argv pinned to the generator core, sampling its VmRSS every 0.5 s. Returns
    (exit code, samples [(t_s, rss_kb)])."""
    samples = []
    with open(log_path, "w") as log:
        p = bl.spawn(argv, cpu=bl.GENERATOR_CPU, stdout=log, stderr=log, cwd=cwd, env=env)
        t0 = time.monotonic()
        deadline = t0 + secs + 90
        while p.poll() is None:
            if time.monotonic() > deadline:
                bl.stop(p)
                break
            rss = bl.vm_rss_kb(p.pid)
            if rss is not None:
                samples.append((time.monotonic() - t0, rss))
            time.sleep(0.5)
    return p.returncode, samples


def steady_rss_kb(samples, secs):
    """Median RSS over the last stretch of the run (after spawning), [secs-15, secs-2] s."""
    window = [rss for t, rss in samples if secs - 15 <= t <= secs - 2]
    if not window:
        window = [rss for _, rss in samples[-5:]]
    return statistics.median(window) if window else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endure", required=True)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    endure = os.path.abspath(args.endure)
    secs = bl.env_int("BENCH_MEMORY_SECONDS", 40)
    user_counts = [int(x) for x in os.environ.get("BENCH_MEMORY_USERS", "10000,50000").split(",")]
    locust_counts = [int(x) for x in
                     os.environ.get("BENCH_MEMORY_LOCUST_USERS", "10000").split(",") if x]
    nofile = bl.raise_nofile()
    ports = port_range_size()
    # Every user keeps one keep-alive connection: one descriptor in the generator and one in the
    # shop, and one ephemeral port towards the single target address.
    feasible_max = min(nofile - 300, ports - 1000)
    feasible_max -= feasible_max % 1000
    skipped = {n: f"needs ~{n} sockets: open-files hard limit is {nofile} (cannot be raised "
               f"here) and the ephemeral port range has {ports} ports"
               for n in user_counts if n > feasible_max}
    runs_users = [n for n in user_counts if n not in skipped]
    if skipped and feasible_max not in runs_users and feasible_max > BASELINE_USERS:
        runs_users.append(feasible_max)  # the largest count this machine allows instead
    info = bl.machine_info()
    work = tempfile.mkdtemp(prefix="endure-bench-mem-")
    env = dict(os.environ)
    env["ENDURE_CACHE_DIR"] = os.path.join(work, "cache")
    shop = bl.demo_shop_target(endure, os.path.join(work, "shop.log"))
    cpp = os.path.join(LOCUSTFILES, "idle.cpp")
    py = os.path.join(LOCUSTFILES, "idle_http.py")

    def endure_argv(f, users, prefix):
        return [endure, "-f", f, "--host", shop.url, "--headless", "-u", str(users), "-r", "5000",
                "-t", f"{secs}s", "--only-summary", "--csv", prefix, "--threads", "1"]

    def locust_argv(users, prefix):
        return [bl.PYTHON, "-m", "locust", "-f", py, "--host", shop.url, "--headless", "-u",
                str(users), "-r", "5000", "-t", f"{secs}s", "--only-summary", "--csv", prefix]

    rows = []
    commands = []
    try:
        # Compile the C++ locustfile outside the measurements.
        warm = endure_argv(cpp, 1, os.path.join(work, "warm"))
        warm[warm.index("-t") + 1] = "1s"
        bl.measured_run(warm, os.path.join(work, "warm.log"), timeout_s=300, cwd=work, env=env)
        plan = [("endure-cpp", n) for n in [BASELINE_USERS] + sorted(runs_users)]
        plan += [("locust-http", n) for n in [BASELINE_USERS] + sorted(locust_counts)]
        plan += [("endure-py", n) for n in [BASELINE_USERS] + sorted(runs_users)]
        py_supported = True
        for tool, users in plan:
            if tool == "endure-py" and not py_supported:
                continue  # the baseline run already said "not supported"
            prefix = os.path.join(work, f"{tool}-{users}")
            argv = (locust_argv(users, prefix) if tool == "locust-http" else
                    endure_argv(py if tool == "endure-py" else cpp, users, prefix))
            commands.append(argv)
            rc, samples = sampled_run(argv, prefix + ".log", secs, env, work)
            row = {"tool": tool, "users": users, "rc": rc}
            if tool == "endure-py" and rc == 2:
                row["na"] = "n/a (not supported yet)"
                py_supported = False
            else:
                row["rss_kb"] = steady_rss_kb(samples, secs)
                row["peak_kb"] = max((r for _, r in samples), default=None)
                try:
                    row.update(bl.parse_stats_csv(prefix + "_stats.csv"))
                except (OSError, RuntimeError, KeyError, ValueError) as e:
                    row["note"] = str(e)
            rows.append(row)
            print(f"{tool:12s} {users:6d} users: " +
                  (row.get("na") or f"RSS {row['rss_kb'] / 1024:.1f} MB, "
                   f"{row.get('requests', '?')} req, {row.get('failures', '?')} failures, exit {rc}"),
                  flush=True)
    finally:
        shop.close()

    base = {r["tool"]: r.get("rss_kb") for r in rows if r["users"] == BASELINE_USERS}
    lines = ["## Idle memory per user (`make bench-memory`)\n"]
    invocation = os.environ.get("BENCH_INVOCATION") or \
        "/usr/bin/python3 bench/run_memory.py --endure " + args.endure
    overrides = " ".join(f"{k}={os.environ[k]}" for k in
                         ("BENCH_MEMORY_SECONDS", "BENCH_MEMORY_USERS", "BENCH_MEMORY_LOCUST_USERS")
                         if k in os.environ)
    lines.append(f"Produced by: `{(overrides + ' ' if overrides else '') + invocation}`  ")
    lines.append(f"Date: {info['date']}; commit {info['commit']}; {info['nproc']} CPUs, "
                 f"{info['cpu']}; load average before: {info['load']}  ")
    lines.append(f"Scenario: users with `between(5, 10)` waits doing GET / on the demo shop (pinned "
                 f"to CPU {bl.TARGET_CPU}), spawn rate 5000/s, {secs} s per run, generator pinned to "
                 f"CPU {bl.GENERATOR_CPU} (endure with --threads 1). RSS = median VmRSS over "
                 f"[{secs - 15}, {secs - 2}] s of the run; per user = (RSS − RSS at "
                 f"{BASELINE_USERS} users) / users.\n")
    lines.append("| generator | users | RSS MB | peak RSS MB | KB per user | requests | failures |")
    lines.append("|---|---|---|---|---|---|---|")
    for r in rows:
        if "na" in r:
            lines.append(f"| {r['tool']} | {r['users']} | {r['na']} | | | | |")
            continue
        rss = r.get("rss_kb")
        per_user = "—"
        if r["users"] != BASELINE_USERS and rss is not None and base.get(r["tool"]) is not None:
            per_user = f"{(rss - base[r['tool']]) / r['users']:.1f}"
        rss_mb = "n/a" if rss is None else f"{rss / 1024:.1f}"
        peak_mb = "n/a" if r.get("peak_kb") is None else f"{r['peak_kb'] / 1024:.1f}"
        lines.append(f"| {r['tool']} | {r['users']} | {rss_mb} | {peak_mb} | {per_user} | "
                     f"{r.get('requests', 'n/a')} | {r.get('failures', 'n/a')} |")
    for n, why in skipped.items():
        lines.append(f"| endure-cpp, endure-py | {n} | not run: {why} | | | | |")
    lines.append("")
    lines.append("Commands (PORT: the demo shop's free port; PREFIX: a temp dir):\n")
    lines.append("```")
    for argv in commands:
        lines.append(" ".join(a.replace(shop.url, "http://127.0.0.1:PORT").replace(work, "PREFIX")
                              .replace(bl.REPO + "/", "") for a in argv))
    lines.append("```")
    md = "\n".join(lines) + "\n"
    print()
    print(md)
    if not args.no_write:
        bl.write_section("memory", md)
        print(f"wrote {bl.RESULTS_MD}")


if __name__ == "__main__":
    main()
