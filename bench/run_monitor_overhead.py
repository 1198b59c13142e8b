#!/usr/bin/python3
# The cost of target monitoring and both exporters at the maximum request rate: endure plain and
# endure with --monitor-pid (the nginx master), --monitor-process nginx, --monitor-disk /,
# --metrics-port (scraped every second by this script) and --influxdb (Debian's influxd, started
# here on loopback), side by side on the pinned nginx of `make bench`, 50 users, 50 request
# names, SECONDS each, REPS rounds in alternating order. CPU per request is the process's user +
# sys time over its life divided by its completed requests; the overhead is the median of the
# per-round ratios (monitored / plain). Writes the "monitor-overhead" section of RESULTS.md
# (--no-write: print only).
#   /usr/bin/python3 bench/run_monitor_overhead.py --endure build/release/bin/endure --seconds 15 --reps 5
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


def start_influxd(work):
    if not shutil.which("influxd"):
        raise SystemExit("influxd is not installed (scripts/install-deps.sh)")
    http, rpc = bl.free_port(), bl.free_port()
    conf = os.path.join(work, "influxdb.conf")
    with open(conf, "w") as f:
        f.write(f'reporting-disabled = true\nbind-address = "127.0.0.1:{rpc}"\n[meta]\n  dir = "{work}/meta"\n'
                f'[data]\n  dir = "{work}/data"\n  wal-dir = "{work}/wal"\n[http]\n'
                f'  bind-address = "127.0.0.1:{http}"\n  log-enabled = false\n')
    p = bl.spawn(["influxd", "-config", conf], stdout=open(os.path.join(work, "influxd.log"), "w"))
    bl.wait_port(http, 20)
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{http}/query?q=CREATE+DATABASE+endure",
                                                  method="POST"), timeout=10).read()
    return p, f"http://127.0.0.1:{http}/endure"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endure", default=os.path.join(bl.REPO, "build/release/bin/endure"))
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    bl.raise_nofile()
    work = tempfile.mkdtemp(prefix="endure-monitor-overhead-")
    env = dict(os.environ)
    env["ENDURE_CACHE_DIR"] = os.path.join(work, "cache")
    cpp = os.path.join(bl.HERE, "locustfiles", "get_50_names.cpp")
    target = bl.nginx_target()
    influxd, influx_url = start_influxd(work)
    metrics_port = bl.free_port()
    binary = os.path.abspath(a.endure)
    stop_scraper = threading.Event()

    def scrape():  # a Prometheus of our own: GET /metrics every second while a monitored run lasts
        while not stop_scraper.is_set():
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=1).read()
            except OSError:
                pass
            stop_scraper.wait(1.0)

    def argv(secs, tag, monitored):
        cmd = [binary, "-f", cpp, "--host", target.url, "--headless", "-u", "50", "-r", "1000",
               "-t", f"{secs}s", "--only-summary", "--csv", os.path.join(work, tag), "--threads", "1", "--no-store"]
        if monitored:
            cmd += ["--monitor-pid", str(target.proc.pid), "--monitor-process", "nginx", "--monitor-disk", "/",
                    "--metrics-port", str(metrics_port), "--metrics-host", "127.0.0.1", "--influxdb", influx_url]
        return cmd

    rows = {"plain": [], "monitored": []}
    ratios = []
    try:
        bl.measured_run(argv(2, "warm", False), os.path.join(work, "warm.log"), 300, cwd=work, env=env)
        for rep in range(a.reps):
            order = [("monitored", True), ("plain", False)]
            if rep % 2:
                order.reverse()
            cpu = {}
            for name, monitored in order:
                tag = f"{name}{rep}"
                log = os.path.join(work, tag + ".log")
                scraper = None
                if monitored:
                    stop_scraper.clear()
                    scraper = threading.Thread(target=scrape)
                    scraper.start()
                m = bl.measured_run(argv(a.seconds, tag, monitored), log, a.seconds + 120, cwd=work, env=env)
                if scraper:
                    stop_scraper.set()
                    scraper.join()
                stats = bl.parse_stats_csv(os.path.join(work, tag) + "_stats.csv")
                n = stats["requests"]
                if not n:
                    raise SystemExit(f"{name}: no requests (exit {m['rc']}), see {log}")
                u, s = m["user_s"] * 1e6 / n, m["sys_s"] * 1e6 / n
                cpu[name] = u + s
                rows[name].append({"rps": n / a.seconds, "user": u, "sys": s, "cpu": u + s,
                                   "rss": m["maxrss_kb"] / 1024})
                print(f"[{rep + 1}/{a.reps}] {name:9s} {n:9d} req {n / a.seconds:9.0f}/s user {u:5.2f} "
                      f"sys {s:5.2f} CPU {u + s:6.2f} us/req", flush=True)
                time.sleep(0.5)
            ratios.append(cpu["monitored"] / cpu["plain"])
    finally:
        target.close()
        bl.stop(influxd)

    mi = bl.machine_info()
    lines = ["## Monitoring and exporters overhead at the maximum request rate", "",
             f"{mi['date']}, commit {mi['commit']}, {mi['nproc']} × {mi['cpu']}, load average "
             f"{mi['load']} at the end.", "",
             f"    /usr/bin/python3 bench/run_monitor_overhead.py --endure {a.endure} --seconds {a.seconds} "
             f"--reps {a.reps}", "",
             "endure (C++ locustfile `bench/locustfiles/get_50_names.cpp`: GET / under 50 names, 50 users, "
             "no wait, `--threads 1`, `--no-store`) against the pinned nginx of `make bench`, plain and with "
             "`--monitor-pid` (nginx), `--monitor-process nginx`, `--monitor-disk /`, `--metrics-port` "
             "(scraped every second) and `--influxdb` (Debian's influxd on loopback), alternating; "
             "CPU = user + sys of the process over its life / completed requests.", "",
             "| | req/s | CPU µs/req | user µs/req | sys µs/req | peak RSS MB |",
             "|---|---:|---:|---:|---:|---:|"]
    for name in ("plain", "monitored"):
        r = rows[name]
        lines.append(f"| {name} | {bl.med_range([x['rps'] for x in r], '{:.0f}')} | "
                     f"{bl.med_range([x['cpu'] for x in r], '{:.2f}')} | "
                     f"{bl.med_range([x['user'] for x in r], '{:.2f}')} | "
                     f"{bl.med_range([x['sys'] for x in r], '{:.2f}')} | "
                     f"{bl.med_range([x['rss'] for x in r], '{:.1f}')} |")
    overhead = (statistics.median(ratios) - 1) * 100
    lines += ["", f"Monitored / plain CPU per request, per round: {', '.join(f'{x:.3f}' for x in ratios)}; "
              f"median {statistics.median(ratios):.3f} ({overhead:+.1f}%; target at most +3%)."]
    text = "\n".join(lines)
    print(text)
    if not a.no_write:
        bl.write_section("monitor-overhead", text)


if __name__ == "__main__":
    main()
