#!/usr/bin/python3
# The soak verdict's detection proof (issue 15): the seed's ecommerce locustfile (Python), 50 users,
# SECONDS (default 150) against the demo shop leaking 64 KiB per request, with --monitor-pid on
# the shop; then the same run against a shop without the leak. Checks: the leaking run's target RSS
# is DEGRADING with the slope's 95% interval covering the planted rate, announced live during the
# run; the clean run has no DEGRADING row. The planted rate is what the shop leaks per request
# (64 KiB) times the request rate the shop itself counted (/__stats, sampled every 0.5 s) over the
# very stretch the verdict analysed (from --summary-json: its start time and the row's from_s and
# to_s). The script also regresses the shop's RSS (/proc) on its leaked bytes over that stretch:
# a slope of 1 says the RSS grows by the leak and nothing else. Figures come from --summary-json
# (not the rounded table). Writes the "verdict-detection" section of RESULTS.md.
#   /usr/bin/python3 bench/run_verdict_detection.py --endure build/dev/bin/endure [--seconds 150]
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

def shop(endure, extra, log):
    port = bl.free_port()
    p = bl.spawn([endure, "demo-shop", "--port", str(port)] + extra, stdout=log, stderr=subprocess.STDOUT)
    if not bl.wait_port(port):
        sys.exit("demo shop did not start")
    return p, f"http://127.0.0.1:{port}"


def rss_of(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def run(endure, seconds, leak, work, tag):
    log = open(os.path.join(work, tag + "-shop.log"), "w")
    p, url = shop(endure, ["--leak-kb-per-request", "64"] if leak else [], log)
    summary = os.path.join(work, tag + "-summary.json")
    t0 = time.time()
    gen = subprocess.Popen([endure, "-f", os.path.join(bl.REPO, "examples", "ecommerce.py"), "--host", url,
                            "--headless", "-u", "50", "-r", "10", "-t", f"{seconds}s", "--only-summary",
                            "--no-store", "--monitor-pid", str(p.pid), "--summary-json", summary],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The shop's own counts (and its RSS) every 0.5 s while the run goes on: (time, requests,
    # leaked bytes, RSS).
    samples = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            st = json.load(urllib.request.urlopen(url + "/__stats"))
            samples.append((time.time(), st["total"], st.get("leaked_bytes", 0), rss_of(p.pid)))
            stop.wait(0.5)
    th = threading.Thread(target=sample)
    th.start()
    stdout, stderr = gen.communicate(timeout=seconds + 120)
    stop.set()
    th.join()
    out = subprocess.CompletedProcess(gen.args, gen.returncode, stdout, stderr)
    elapsed = time.time() - t0
    stats = json.load(urllib.request.urlopen(url + "/__stats"))
    bl.stop(p)
    log.close()
    with open(summary) as f:
        doc = json.load(f)
    return out, stats, elapsed, samples, doc, p.pid


def at(samples, t, i):
    # Column i of the samples, linearly interpolated at time t.
    for a, b in zip(samples, samples[1:]):
        if a[0] <= t <= b[0]:
            return a[i] + (b[i] - a[i]) * (t - a[0]) / (b[0] - a[0])
    raise SystemExit(f"no shop sample around {t}")


def ols(xs, ys):
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def rss_row(text):
    for line in text.splitlines():
        if "rss_bytes" in line and line.strip().startswith("target"):
            return line.rstrip()
    return None


def row_of(doc, pid):
    for r in doc["verdict"]["series"]:
        if r["key"] == f"target|pid {pid}|rss_bytes":
            return r
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endure", default=os.path.join(bl.REPO, "build/release/bin/endure"))
    ap.add_argument("--seconds", type=int, default=150)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    endure = os.path.abspath(a.endure)
    work = tempfile.mkdtemp(prefix="endure-verdict-")
    leak_out, leak_stats, leak_s, samples, doc, pid = run(endure, a.seconds, True, work, "leak")
    clean_out, _, _, _, clean_doc, _ = run(endure, a.seconds, False, work, "clean")
    row = rss_row(leak_out.stdout)
    r = row_of(doc, pid)
    if r is None:
        sys.exit("no target RSS row in the summary")
    # The stretch the verdict analysed, in wall-clock time, and the shop's counts over it.
    t0 = doc["verdict"]["start_time"]
    w_from, w_to = t0 + r["from_s"], t0 + r["to_s"]
    req_rate = (at(samples, w_to, 1) - at(samples, w_from, 1)) / (w_to - w_from)
    leak_rate = (at(samples, w_to, 2) - at(samples, w_from, 2)) / (w_to - w_from)
    planted = 64 * 1024 * req_rate * 3600  # bytes per hour
    inside = [s for s in samples if w_from <= s[0] <= w_to]
    rss_per_leaked = ols([s[2] for s in inside], [s[3] for s in inside])
    slope, (lo, hi) = r["slope_per_hour"], r["slope_ci_per_hour"]
    live = re.search(r"rss_bytes is DEGRADING", leak_out.stderr) is not None
    covered = r["verdict"] == "DEGRADING" and lo <= planted <= hi
    clean_degrading = [x["series"] + ": " + x["note"] for x in clean_doc["verdict"]["series"]
                       if x["verdict"] == "DEGRADING"]
    verdict_block = lambda t: t[t.find("Soak verdict"):].rstrip() if "Soak verdict" in t else "(no verdict table)"
    md = ["## Soak verdict: detection against a leaking target", "",
          f"Command: `/usr/bin/python3 bench/run_verdict_detection.py --endure {os.path.relpath(endure, bl.REPO)} "
          f"--seconds {a.seconds}`", "",
          "{date}, commit {commit}, {nproc} × {cpu}, load average {load} at the end.".format(**bl.machine_info()), "",
          f"examples/ecommerce.py, 50 users at 10/s, {a.seconds} s, `--monitor-pid` on the demo shop. "
          f"Leaking run: `--leak-kb-per-request 64`; the shop leaked {leak_stats.get('leaked_bytes', 0) / 1e6:.1f} MB "
          f"in {leak_s:.0f} s.", "",
          f"- Planted rate: 65,536 B per request × {req_rate:.3f} requests/s (the shop's own count over the "
          f"{w_to - w_from:.0f} s the verdict analysed, {r['from_s']:.1f} s to {r['to_s']:.1f} s after the start) "
          f"= **{planted / 1e6:,.1f} MB/h** (the shop's leaked-bytes counter over the same stretch: "
          f"{leak_rate * 3600 / 1e6:,.1f} MB/h)",
          f"- The shop's RSS grows by {rss_per_leaked:.4f} bytes per byte leaked over that stretch "
          f"(least squares of /proc RSS on the leaked-bytes counter, {len(inside)} samples)",
          f"- Target RSS row (--summary-json): {r['verdict']}, Sen's slope {slope / 1e6:,.1f} MB/h, "
          f"95% CI [{lo / 1e6:,.1f}, {hi / 1e6:,.1f}] MB/h; console: `{row}`",
          f"- The slope's interval covers the planted rate: **{'yes' if covered else 'NO'}** "
          f"(slope {100 * (slope - planted) / planted:+.2f}% from it)",
          f"- Announced live (a log line during the run): **{'yes' if live else 'NO'}**",
          f"- The run against the shop without the leak: {len(clean_degrading)} DEGRADING rows"
          + (": " + "; ".join(f"`{l}`" for l in clean_degrading) if clean_degrading else ""),
          "", "Leaking run's verdict:", "", "```", verdict_block(leak_out.stdout), "```", "",
          "Clean run's verdict:", "", "```", verdict_block(clean_out.stdout), "```"]
    text = "\n".join(md) + "\n"
    print(text)
    if not a.no_write:
        bl.write_section("verdict-detection", text)
    sys.exit(0 if covered and live and not clean_degrading else 1)


if __name__ == "__main__":
    main()
