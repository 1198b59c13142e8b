# Shared helpers for the endure performance suite (run_bench.py, run_memory.py, run_soak.py):
# free ports, an nginx target in a temp dir, pinned child processes with CPU/RSS accounting,
# output parsers and RESULTS.md section updates. Every process started here is killed on exit.
# Loads only ever go to 127.0.0.1.
import atexit
import csv
import datetime
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
RESULTS_MD = os.path.join(HERE, "RESULTS.md")
PYTHON = "/usr/bin/python3"  # Debian's interpreter: python3-locust lives there, not in pyenv
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
GENERATOR_CPU = "0"
TARGET_CPU = "1"

_children = []  # subprocess.Popen objects we started, each leading its own process group


def _kill_all():
    for p in _children:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def _on_signal(signum, _frame):
    _kill_all()
    sys.exit(128 + signum)


atexit.register(_kill_all)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)


def raise_nofile():
    """Raises the soft open-files limit to the hard limit (inherited by children); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def spawn(argv, cpu=None, stdout=None, stderr=None, cwd=None, env=None):
    """Starts argv (pinned to `cpu` with taskset) in its own process group, registered for kill."""
    if cpu is not None:
        argv = ["taskset", "-c", cpu] + list(argv)
    p = subprocess.Popen(argv, stdout=stdout, stderr=stderr, cwd=cwd, env=env,
                         start_new_session=True)
    _children.append(p)
    return p


def stop(p, sig=signal.SIGTERM, timeout_s=10.0):
    if p.poll() is None:
        try:
            os.killpg(p.pid, sig)
            p.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        except ProcessLookupError:
            pass


def measured_run(argv, log_path, timeout_s, cwd=None, env=None):
    """Runs argv pinned to the generator core; returns dict(rc, user_s, sys_s, maxrss_kb, wall_s).

    CPU and peak RSS cover the process and every descendant it waited for: GNU time when
    installed (its %U %S %M), else os.wait4's rusage, which is what GNU time reads too."""
    t0 = time.monotonic()
    with open(log_path, "w") as log:
        if GNU_TIME:
            time_out = log_path + ".time"
            p = spawn([GNU_TIME, "-f", "%U %S %M", "-o", time_out] + list(argv), cpu=GENERATOR_CPU,
                      stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=env)
            try:
                rc = p.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                stop(p, signal.SIGKILL)
                raise RuntimeError(f"timed out after {timeout_s}s: {' '.join(argv)}")
            wall = time.monotonic() - t0
            with open(time_out) as f:
                fields = f.read().split()[-3:]
            # GNU time reports "Command exited with non-zero status N" above the format line.
            return {"rc": rc, "user_s": float(fields[0]), "sys_s": float(fields[1]),
                    "maxrss_kb": int(fields[2]), "wall_s": wall}
        p = spawn(argv, cpu=GENERATOR_CPU, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=env)
        deadline = t0 + timeout_s
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                break
            if time.monotonic() > deadline:
                stop(p, signal.SIGKILL)
                raise RuntimeError(f"timed out after {timeout_s}s: {' '.join(argv)}")
            time.sleep(0.05)
        p.returncode = os.waitstatus_to_exitcode(status)
        return {"rc": p.returncode, "user_s": ru.ru_utime, "sys_s": ru.ru_stime,
                "maxrss_kb": ru.ru_maxrss, "wall_s": time.monotonic() - t0}


def vm_rss_kb(pid):
    """VmRSS of one process from /proc/<pid>/status, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


# --- nginx target ---------------------------------------------------------------------------

HELLO_BODY = "Hello, world!"  # 13 bytes


def products_json():
    items = []
    i = 0
    body = ""
    while True:
        items.append('{"id": %d, "name": "Product %d", "price": %d.99, "stock": %d}' %
                     (i + 1, i + 1, 10 + i, 100 - i))
        candidate = "[" + ", ".join(items) + "]"
        if len(candidate) > 1000:
            break
        body = candidate
        i += 1
    return body


def make_self_signed_cert(directory):
    """A throwaway EC P-256 certificate for 127.0.0.1 (openssl CLI); returns (cert, key) paths."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


class nginx_target:
    """nginx on 127.0.0.1:<free port>, one worker pinned to TARGET_CPU, everything in a temp dir.

    With https=True the same routes are also served over TLS on a second free port (`https_url`,
    a fresh self-signed certificate: clients run without verification). TLS 1.3 is enabled
    (nginx 1.22 offers only up to 1.2 by default), so wrk and endure alike negotiate TLS 1.3
    with TLS_AES_256_GCM_SHA384, what most servers negotiate today."""

    def __init__(self, https=False):
        self.dir = tempfile.mkdtemp(prefix="endure-bench-nginx-")
        self.port = free_port()
        self.https_port = free_port() if https else None
        conf = os.path.join(self.dir, "nginx.conf")
        d = self.dir
        routes = (f"""    location = / {{ default_type text/plain; return 200 "{HELLO_BODY}"; }}
    location = /products {{ default_type application/json; return 200 '{products_json()}'; }}
""")
        tls_server = ""
        if https:
            cert, key = make_self_signed_cert(d)
            tls_server = f"""  server {{
    listen 127.0.0.1:{self.https_port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
{routes}  }}
"""
        with open(conf, "w") as f:
            f.write(f"""
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
worker_rlimit_nofile 16384;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
  client_body_temp_path {d}/client_body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  server {{
    listen 127.0.0.1:{self.port};
{routes}  }}
{tls_server}}}
""")
        self.log = open(os.path.join(d, "stdout.log"), "w")
        self.proc = spawn(["nginx", "-p", d, "-c", conf, "-e", f"{d}/error.log"], cpu=TARGET_CPU,
                          stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_port(self.port) or (https and not wait_port(self.https_port)):
            raise RuntimeError("nginx did not start; see " + d)
        self.url = f"http://127.0.0.1:{self.port}"
        self.https_url = f"https://127.0.0.1:{self.https_port}" if https else None

    def close(self):
        stop(self.proc, signal.SIGQUIT)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class demo_shop_target:
    """endure's built-in demo shop on 127.0.0.1:<free port>, pinned to TARGET_CPU."""

    def __init__(self, endure, log_path):
        self.port = free_port()
        self.log = open(log_path, "w")
        self.proc = spawn([endure, "demo-shop", "--port", str(self.port)], cpu=TARGET_CPU,
                          stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_port(self.port):
            raise RuntimeError("demo shop did not start; see " + log_path)
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self):
        stop(self.proc)
        self.log.close()


# --- output parsers -------------------------------------------------------------------------

def _wrk_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if not m:
        return None
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(text):
    out = {}
    m = re.search(r"^\s*(\d+) requests in ([\d.]+)(\w+)", text, re.M)
    if m:
        out["requests"] = int(m.group(1))
    m = re.search(r"^Requests/sec:\s*([\d.]+)", text, re.M)
    if m:
        out["rps"] = float(m.group(1))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", text, re.M)
        if m:
            out[key] = _wrk_ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    out["failures"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["failures"] += sum(int(g) for g in m.groups())
    return out


def parse_stats_csv(path):
    """The Aggregated row of a Locust-layout _stats.csv (Locust's and endure's share it)."""
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row.get("Name") == "Aggregated":
                def num(key):
                    v = row.get(key, "")
                    try:
                        return float(v)
                    except ValueError:
                        return None
                return {"requests": int(row["Request Count"]),
                        "failures": int(row["Failure Count"]),
                        "rps": num("Requests/s"), "p50_ms": num("50%"), "p99_ms": num("99%")}
    raise RuntimeError("no Aggregated row in " + path)


# --- reporting ------------------------------------------------------------------------------

def med_range(values, fmt="{:.1f}"):
    vals = [v for v in values if v is not None]
    if not vals:
        return "n/a"
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(vals))}–{fmt.format(max(vals))})"


def machine_info():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        commit = subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        if dirty:
            commit += " (work tree has uncommitted changes)"
    except (subprocess.CalledProcessError, FileNotFoundError):
        commit = "unknown"
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return {"nproc": os.cpu_count(), "cpu": model, "commit": commit, "load": load,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "kernel": os.uname().release}


def tool_versions():
    def first_line(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unknown"

    def dpkg(pkg):
        return first_line(["dpkg-query", "-W", "-f=${Version}", pkg])

    return {"wrk": dpkg("wrk"), "locust": dpkg("python3-locust"), "nginx": dpkg("nginx-light")}


def write_section(name, markdown):
    """Replaces (or appends) the `name` section of bench/RESULTS.md, leaving the others alone."""
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = ""
    if os.path.exists(RESULTS_MD):
        with open(RESULTS_MD) as f:
            text = f.read()
    if not text:
        text = ("# endure benchmark results\n\nWritten by the scripts in bench/ (see bench/README.md); "
                "each section is replaced by the run that produced it.\n\n")
    block = f"{begin}\n{markdown.rstrip()}\n{end}\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        tail = tail.lstrip("\n")
        text = head + block + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(RESULTS_MD, "w") as f:
        f.write(text)


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default
