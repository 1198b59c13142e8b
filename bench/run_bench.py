#!/usr/bin/python3
# `make bench`: the same scenario (GET / on nginx, wait 0, 50 users) through wrk, Locust HttpUser,
# Locust FastHttpUser, endure with a C++ locustfile and endure with the Python locustfile, then
# wrk and endure's C++ locustfile again over https (same nginx, TLS on a second port), round
# robin, BENCH_REPS times; CPU time per completed request, req/s, p50/p99 and peak RSS per run;
# medians, ranges and per-repetition ratios into the "throughput" section of bench/RESULTS.md.
import argparse
import os
import shlex
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

LOCUSTFILES = os.path.join(bl.HERE, "locustfiles")
USERS = 50


def tool_commands(endure, url, https_url, secs, work):
    """name -> (argv, csv prefix or None). The Python locustfile is the same for Locust and endure."""
    py_http = os.path.join(LOCUSTFILES, "get_root_http.py")
    py_fast = os.path.join(LOCUSTFILES, "get_root_fast.py")
    cpp = os.path.join(LOCUSTFILES, "get_root.cpp")
    common = ["--host", url, "--headless", "-u", str(USERS), "-t", f"{secs}s", "--only-summary"]

    def locust(name, f):
        prefix = os.path.join(work, name)
        return [bl.PYTHON, "-m", "locust", "-f", f] + common[:5] + ["-r", str(USERS)] + \
            common[5:] + ["--csv", prefix], prefix

    def endure_cmd(name, f):
        prefix = os.path.join(work, name)
        return [endure, "-f", f] + common[:5] + ["-r", "1000"] + common[5:] + \
            ["--csv", prefix, "--threads", "1"], prefix

    # The same over TLS: nginx's self-signed certificate is not verified (wrk never verifies).
    endure_https, https_prefix = endure_cmd("endure-cpp-https", cpp)
    endure_https[endure_https.index(url)] = https_url
    endure_https.append("--insecure")

    return {
        "wrk": (["wrk", "-t1", f"-c{USERS}", f"-d{secs}s", "--latency", url + "/"], None),
        "locust-http": locust("locust-http", py_http),
        "locust-fast": locust("locust-fast", py_fast),
        "endure-cpp": endure_cmd("endure-cpp", cpp),
        "endure-py": endure_cmd("endure-py", py_http),
        "wrk-https": (["wrk", "-t1", f"-c{USERS}", f"-d{secs}s", "--latency", https_url + "/"], None),
        "endure-cpp-https": (endure_https, https_prefix),
    }


ORDER = ["wrk", "locust-http", "locust-fast", "endure-cpp", "endure-py", "wrk-https",
         "endure-cpp-https"]
# What each row's "÷ wrk" ratios compare with (https rows: wrk over https); Locust ran plain
# HTTP only, so https rows have no Locust ratio.
WRK_OF = {"wrk-https": "wrk-https", "endure-cpp-https": "wrk-https"}
HTTPS = {"wrk-https", "endure-cpp-https"}
LABELS = {
    "wrk": "wrk -t1 -c50",
    "locust-http": "Locust HttpUser (Python)",
    "locust-fast": "Locust FastHttpUser (Python)",
    "endure-cpp": "endure, C++ locustfile",
    "endure-py": "endure, Python locustfile",
    "wrk-https": "wrk -t1 -c50, https",
    "endure-cpp-https": "endure, C++ locustfile, https",
}


def run_one(name, argv, prefix, secs, work, env, rep):
    log = os.path.join(work, f"{name}.{rep}.log")
    m = bl.measured_run(argv, log, timeout_s=secs + 120, cwd=work, env=env)
    with open(log) as f:
        out = f.read()
    r = {"rc": m["rc"], "cpu_s": m["user_s"] + m["sys_s"], "user_s": m["user_s"],
         "sys_s": m["sys_s"], "rss_mb": m["maxrss_kb"] / 1024.0, "wall_s": m["wall_s"]}
    if name == "endure-py" and m["rc"] == 2:
        r["na"] = "n/a (not supported yet)"
        r["note"] = next((ln for ln in out.splitlines() if "error" in ln.lower()), "exit code 2")
        return r
    try:
        stats = bl.parse_wrk(out) if prefix is None else bl.parse_stats_csv(prefix + "_stats.csv")
    except (OSError, RuntimeError, KeyError, ValueError) as e:
        r["na"] = f"failed (exit {m['rc']}: {e})"
        r["note"] = out.strip().splitlines()[-1] if out.strip() else ""
        return r
    if not stats.get("requests"):
        r["na"] = f"failed (exit {m['rc']}, no requests)"
        return r
    r.update(stats)
    r["cpu_us_per_req"] = r["cpu_s"] * 1e6 / r["requests"]
    return r


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endure", required=True)
    ap.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = ap.parse_args()
    endure = os.path.abspath(args.endure)
    secs = bl.env_int("BENCH_SECONDS", 15)
    reps = bl.env_int("BENCH_REPS", 3)
    bl.raise_nofile()
    info_before = bl.machine_info()
    work = tempfile.mkdtemp(prefix="endure-bench-")
    env = dict(os.environ)
    env["ENDURE_CACHE_DIR"] = os.path.join(work, "cache")  # never a stale compiled locustfile
    for k in list(env):
        if k.startswith("LOCUST_"):
            del env[k]

    target = bl.nginx_target(https=True)
    try:
        cmds = tool_commands(endure, target.url, target.https_url, secs, work)
        # Warm-up: compiles the C++ locustfile into the fresh cache so compile time is not measured.
        warm = list(cmds["endure-cpp"][0])
        warm[warm.index("-t") + 1] = "2s"
        w = bl.measured_run(warm, os.path.join(work, "warmup.log"), timeout_s=300, cwd=work, env=env)
        if w["rc"] not in (0, 1):
            print(open(os.path.join(work, "warmup.log")).read(), file=sys.stderr)
            raise SystemExit(f"endure warm-up failed with exit code {w['rc']}")
        results = {n: [] for n in ORDER}
        for rep in range(reps):
            for name in ORDER:
                argv, prefix = cmds[name]
                r = run_one(name, argv, prefix, secs, work, env, rep)
                results[name].append(r)
                shown = r.get("na") or (f"{r['requests']} req, {r['rps']:.0f} req/s, "
                                        f"{r['cpu_us_per_req']:.2f} us CPU/req, "
                                        f"{r['rss_mb']:.1f} MB")
                print(f"[rep {rep + 1}/{reps}] {name:12s} {shown}", flush=True)
    finally:
        target.close()
    info_after = bl.machine_info()

    # Ratios pair by pair within each repetition, then summarized.
    def per_rep(name, key, base):
        out = []
        for a, b in zip(results[name], results[base]):
            out.append(ratio(a.get(key), b.get(key)))
        return out

    lines = []
    ver = bl.tool_versions()
    invocation = os.environ.get("BENCH_INVOCATION") or \
        "/usr/bin/python3 bench/run_bench.py --endure " + shlex.quote(args.endure)
    overrides = " ".join(f"{k}={os.environ[k]}" for k in ("BENCH_SECONDS", "BENCH_REPS")
                         if k in os.environ)
    lines.append("## Throughput and CPU cost per request (`make bench`)\n")
    lines.append(f"Produced by: `{(overrides + ' ' if overrides else '') + invocation}`  ")
    lines.append(f"Date: {info_before['date']}; commit {info_before['commit']}  ")
    lines.append(f"Machine: {info_before['nproc']} CPUs, {info_before['cpu']}, "
                 f"Linux {info_before['kernel']}  ")
    lines.append(f"Load average (1/5/15 min) before: {info_before['load']}, after: "
                 f"{info_after['load']} (other work on the machine adds noise)  ")
    lines.append(f"Versions: wrk {ver['wrk']}, Locust (python3-locust) {ver['locust']}, "
                 f"nginx-light {ver['nginx']}  ")
    lines.append(f"Scenario: GET / (13-byte body) on nginx (1 worker, pinned to CPU {bl.TARGET_CPU}, "
                 f"keep-alive), {USERS} users/connections, no wait, {secs} s, generator pinned to "
                 f"CPU {bl.GENERATOR_CPU}; {reps} repetitions, round robin "
                 f"({', '.join(ORDER)}). The https rows are the same scenario over TLS on the same "
                 "nginx (TLS 1.3, TLS_AES_256_GCM_SHA384 with both tools; a "
                 "self-signed P-256 certificate, not verified: endure runs with `--insecure`, wrk "
                 "never verifies); their ratios are to wrk over https.  ")
    lines.append("CPU = user+sys of the generator's process tree "
                 f"({'GNU time %U %S' if bl.GNU_TIME else 'wait4 rusage'}) over the whole process "
                 "life (start-up included: about 1 s for Python), divided by completed requests "
                 "as each tool reports them. Cells: median (min–max) over repetitions; ratios "
                 "are computed within each repetition, then summarized.\n")
    lines.append("| generator | requests | req/s | CPU µs/req | p50 ms | p99 ms | peak RSS MB | "
                 "CPU/req ÷ wrk | CPU/req ÷ Locust Fast | req/s ÷ wrk | req/s ÷ Locust Fast |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in ORDER:
        rs = results[name]
        ok = [r for r in rs if "na" not in r]
        if not ok:
            na = rs[0].get("na", "n/a") if rs else "n/a"
            lines.append(f"| {LABELS[name]} | {na} |" + " |" * 9)
            continue

        def col(key, fmt):
            return bl.med_range([r.get(key) for r in ok], fmt)

        lines.append("| " + " | ".join([
            LABELS[name] + ("" if len(ok) == len(rs) else f" ({len(rs) - len(ok)} runs failed)"),
            col("requests", "{:.0f}"), col("rps", "{:.0f}"), col("cpu_us_per_req", "{:.2f}"),
            col("p50_ms", "{:.2f}"), col("p99_ms", "{:.2f}"), col("rss_mb", "{:.1f}"),
            bl.med_range(per_rep(name, "cpu_us_per_req", WRK_OF.get(name, "wrk")), "{:.2f}×"),
            "n/a" if name in HTTPS else
            bl.med_range(per_rep(name, "cpu_us_per_req", "locust-fast"), "{:.2f}×"),
            bl.med_range(per_rep(name, "rps", WRK_OF.get(name, "wrk")), "{:.2f}×"),
            "n/a" if name in HTTPS else bl.med_range(per_rep(name, "rps", "locust-fast"), "{:.2f}×"),
        ]) + " |")
    lines.append("")
    lines.append("Every run:\n")
    lines.append("| rep | generator | exit | requests | failures | req/s | user s | sys s | "
                 "CPU µs/req | p50 ms | p99 ms | peak RSS MB |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for rep in range(reps):
        for name in ORDER:
            r = results[name][rep]
            if "na" in r:
                lines.append(f"| {rep + 1} | {name} | {r['rc']} | {r['na']} |" + " |" * 8)
                continue
            f2 = lambda v, fmt="{:.2f}": "n/a" if v is None else fmt.format(v)  # noqa: E731
            lines.append(f"| {rep + 1} | {name} | {r['rc']} | {r['requests']} | "
                         f"{r.get('failures', 0)} | {f2(r['rps'], '{:.0f}')} | {r['user_s']:.2f} | "
                         f"{r['sys_s']:.2f} | {r['cpu_us_per_req']:.2f} | {f2(r.get('p50_ms'))} | "
                         f"{f2(r.get('p99_ms'))} | {r['rss_mb']:.1f} |")
    lines.append("")
    time_wrap = '/usr/bin/time -f "%U %S %M" -o FILE ' if bl.GNU_TIME else ""
    lines.append("Commands (PORT and TLSPORT are free ephemeral ports, PREFIX a temp dir; each wrapped as "
                 f"`taskset -c {bl.GENERATOR_CPU} "
                 f"{time_wrap}...`; "
                 "nginx runs as `taskset -c 1 nginx -p TMP -c TMP/nginx.conf`):\n")
    lines.append("```")
    for name in ORDER:
        argv = [a.replace(target.url, "http://127.0.0.1:PORT")
                .replace(target.https_url, "https://127.0.0.1:TLSPORT").replace(work, "PREFIX")
                .replace(bl.REPO + "/", "") for a in cmds[name][0]]
        lines.append(f"{name}: " + " ".join(shlex.quote(a) for a in argv))
    lines.append("```")
    notes = [r["note"] for r in results["endure-py"] if r.get("note")]
    if notes:
        lines.append(f"\nendure-py said: `{notes[0].strip()}`")
    md = "\n".join(lines) + "\n"
    print()
    print(md)
    if not args.no_write:
        bl.write_section("throughput", md)
        print(f"wrote {bl.RESULTS_MD}")


if __name__ == "__main__":
    main()
