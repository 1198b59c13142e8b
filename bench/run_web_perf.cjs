// The web UI's figures in a real browser (Debian's chromium, playwright-core), with a synthetic
// run store of 50 endpoints (bench_store_synthetic) opened from the Runs page, while a live test
// runs against the demo shop:
//   - first load: the page's load event and its first statistics table (median of 5 loads);
//   - script time per live update: Chrome's ScriptDuration (CDP Performance.getMetrics) over 20
//     pushed updates with the Charts tab open, divided by the updates;
//   - zoom: a click on each window of the recorded run (10 min ... whole run), and a drag on a
//     chart, until the charts are redrawn (performance.now() in the page);
//   - the endure process's CPU (utime + stime from /proc) for 20 s with one UI open on the live
//     charts, minus 20 s without it, in % of one core.
// Writes the figures and the command into bench/RESULTS.md ("Web UI in the browser").
//
//   build/release/bench/bench_store_synthetic --days 7 --out /tmp/week.db      # ~8 min
//   node bench/run_web_perf.cjs --endure build/release/bin/endure \
//        --node-modules build/release/node/node_modules --store /tmp/week.db [--days '7 days'] [--no-write]
"use strict";
const path = require("path");
const fs = require("fs");
const os = require("os");
const { spawn } = require("child_process");

const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === "--no-write") args.noWrite = true;
  else args[a.replace(/^--/, "")] = process.argv[++i];
}
for (const need of ["endure", "node-modules", "store"]) {
  if (!args[need]) {
    console.error("usage: node bench/run_web_perf.cjs --endure BIN --node-modules DIR --store FILE.db [--days LABEL] [--no-write]");
    process.exit(2);
  }
}
const { chromium } = require(path.join(path.resolve(args["node-modules"]), "playwright-core"));
const source = path.resolve(__dirname, "..");
const locustfile = path.join(source, "tests/cli/locustfiles/web_shop.py");
const children = [];

function start(argv, needle) {
  return new Promise((resolve, reject) => {
    const child = spawn(args.endure, argv, { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let out = "", err = "";
    const timer = setTimeout(() => reject(new Error(`no '${needle}': ${err}`)), 30000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(new RegExp(needle + "(\\S+)"));
      if (m) { clearTimeout(timer); resolve({ child, url: m[1] }); }
    });
    child.stderr.on("data", (d) => { err += d; });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${err}`)); });
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => { const s = xs.slice().sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
function cpuTicks(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return Number(rest[11]) + Number(rest[12]);  // utime, stime (fields 14 and 15)
}
const ticksPerS = 100;  // USER_HZ on Linux

async function main() {
  const shop = await start(["demo-shop", "--port", "0"], "listening on ");
  const runs = fs.mkdtempSync(path.join(os.tmpdir(), "endure-webperf-"));
  const storeName = "synthetic-" + path.basename(args.store);
  fs.copyFileSync(args.store, path.join(runs, storeName));
  const ui = await start(["-f", locustfile, "-H", shop.url, "--web-port", "0", "--store", runs,
                          "--autostart", "-u", "2", "-r", "10"], "Web UI: ");
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"] });
  const out = {};

  // CPU without a UI first (the live test alone).
  await sleep(3000);
  let c0 = cpuTicks(ui.child.pid);
  await sleep(20000);
  const idleCpu = (cpuTicks(ui.child.pid) - c0) / ticksPerS / 20 * 100;

  // First load, 5 times (a fresh context each: nothing cached).
  const loads = [], firstTables = [];
  for (let i = 0; i < 5; i++) {
    const ctx = await browser.newContext({ bypassCSP: true });
    const page = await ctx.newPage();
    await page.goto(ui.url + "/");
    await page.waitForSelector("#stats-table tbody tr", { timeout: 20000 });
    const t = await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      return { load: nav.loadEventEnd, table: performance.now() };
    });
    loads.push(t.load);
    firstTables.push(t.table);
    await ctx.close();
  }
  out.load_ms = median(loads);
  out.first_table_ms = median(firstTables);

  // Live updates with the charts open: script time per pushed update, and the process's CPU.
  const ctx = await browser.newContext({ bypassCSP: true });
  const page = await ctx.newPage();
  await page.goto(ui.url + "/");
  await page.waitForSelector("#stats-table tbody tr", { timeout: 20000 });
  await page.click("[data-tab=charts]");
  await page.waitForFunction(() => /\d+ points/.test(document.getElementById("chart-note").textContent));
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Performance.enable");
  const metric = async (name) => (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === name).value;
  const s0 = await metric("ScriptDuration"), k0 = await metric("TaskDuration");
  c0 = cpuTicks(ui.child.pid);
  await sleep(20000);
  const withUiCpu = (cpuTicks(ui.child.pid) - c0) / ticksPerS / 20 * 100;
  const s1 = await metric("ScriptDuration"), k1 = await metric("TaskDuration");
  out.script_per_update_ms = (s1 - s0) * 1000 / 20;
  out.task_per_update_ms = (k1 - k0) * 1000 / 20;
  out.cpu_idle_pct = idleCpu;
  out.cpu_with_ui_pct = withUiCpu;
  out.cpu_ui_pct = withUiCpu - idleCpu;

  // Zoom on the recorded synthetic run (Runs page, Open): each window, then a drag.
  await page.click("[data-tab=runs]");
  await page.waitForSelector(".open-run", { timeout: 20000 });
  const rows = await page.$$eval("#runs-table tbody tr", (trs) => trs.length);
  await page.click(".open-run");
  await page.waitForSelector("#viewing:not([hidden])");
  await page.click("[data-tab=charts]");
  await page.waitForFunction(() => /from store/.test(document.getElementById("chart-note").textContent), null, { timeout: 30000 });
  out.zoom_ms = {};
  for (const [label, sel] of [["10 min", "600"], ["1 h", "3600"], ["6 h", "21600"], ["1 d", "86400"],
                              ["7 d", "604800"], ["whole run", "0"]]) {
    const times = [];
    for (let i = 0; i < 3; i++) {
      times.push(await page.evaluate(async (s) => {
        const note = document.getElementById("chart-note");
        const before = note.textContent;
        // The previous answer's note could repeat: change it so a new answer is seen.
        note.textContent = "";
        const t0 = performance.now();
        document.querySelector(`[data-window='${s}']`).click();
        for (;;) {
          await new Promise((r) => requestAnimationFrame(r));
          if (/points/.test(note.textContent)) break;
          if (performance.now() - t0 > 20000) return NaN;
        }
        await new Promise((r) => requestAnimationFrame(r));  // drawn
        void before;
        return performance.now() - t0;
      }, sel));
    }
    out.zoom_ms[label] = median(times);
  }
  // A drag across the middle third of the whole-run chart: the server's window at that zoom.
  const over = await page.$("#c-rps .u-over");
  const box = await over.boundingBox();
  const drags = [];
  const spanOf = (u) => { const q = new URL(u).searchParams; return Number(q.get("to")) - Number(q.get("from")); };
  for (let i = 0; i < 3; i++) {
    const whole = page.waitForRequest((r) => /\/history\?/.test(r.url()), { timeout: 20000 });
    await page.click("[data-window='0']");
    const wholeSpan = spanOf((await whole).url());
    await page.waitForFunction(() => /points/.test(document.getElementById("chart-note").textContent));
    await sleep(300);
    // The zoom's own request: a window well inside the whole run's.
    const zoomed = page.waitForResponse((r) => /\/history\?/.test(r.url()) && spanOf(r.url()) < 0.5 * wholeSpan, { timeout: 20000 });
    await page.mouse.move(box.x + box.width * 0.33, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.66, box.y + box.height / 2, { steps: 3 });
    const t0 = Date.now();
    await page.mouse.up();
    await zoomed;
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
    drags.push(Date.now() - t0);
  }
  out.zoom_ms["drag (a third of the run)"] = median(drags);
  out.runs_listed = rows;
  await browser.close();
  for (const c of children) c.kill("SIGTERM");
  fs.rmSync(runs, { recursive: true, force: true });
  return out;
}

function report(o) {
  const days = args.days || path.basename(args.store);
  const cmd = `node bench/run_web_perf.cjs --endure ${args.endure} --node-modules ${args["node-modules"]} --store ${args.store}` +
    (args.days ? ` --days '${args.days}'` : "");
  const load = fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const zoom = Object.entries(o.zoom_ms).map(([k, v]) => `| ${k} | ${v.toFixed(0)} |`).join("\n");
  return `## Web UI in the browser (\`bench/run_web_perf.cjs\`)

Debian's chromium (headless, playwright-core) against endure's UI while a live test of 2 users runs
against the demo shop, with a synthetic run store of 50 endpoints (${days}) opened from the Runs page.
Targets (issue 11): first load < 1 s, script time per live update < 50 ms, a zoom to any window
< 300 ms, the endure process's CPU for one open UI < 1% of a core.

- first load: load event ${o.load_ms.toFixed(0)} ms, first statistics table ${o.first_table_ms.toFixed(0)} ms (median of 5 fresh loads)
- script time per live update (Charts tab open, 10-minute window; Chrome's ScriptDuration over 20 s of
  pushed updates / 20): ${o.script_per_update_ms.toFixed(2)} ms (all main-thread tasks: ${o.task_per_update_ms.toFixed(2)} ms)
- endure's CPU: ${o.cpu_idle_pct.toFixed(2)}% of a core for the test without a UI, ${o.cpu_with_ui_pct.toFixed(2)}% with one UI open on the live charts: the UI costs ${o.cpu_ui_pct.toFixed(2)}% of a core (20 s each, /proc utime+stime)

| zoom of the recorded run to | ms (click to charts redrawn, median of 3) |
|---|---:|
${zoom}

Command: \`${cmd}\` (on this 2-core machine shared with other builds, load average ${load}, ${new Date().toISOString().slice(0, 10)}).
`;
}

main().then((o) => {
  const text = report(o);
  console.log(text);
  if (!args.noWrite) {
    const file = path.join(source, "bench/RESULTS.md");
    let r = fs.readFileSync(file, "utf8");
    // Its own marked block, after "Web UI chart history" (the server-side figures).
    const open = "<!-- bench:web-perf -->\n", close = "<!-- /bench:web-perf -->\n";
    const block = open + text + close;
    const at = r.indexOf(open);
    if (at >= 0) {
      r = r.slice(0, at) + block + r.slice(r.indexOf(close, at) + close.length);
    } else {
      const history = r.indexOf("## Web UI chart history");
      const next = history >= 0 ? r.indexOf("\n## ", history + 5) : -1;
      r = next >= 0 ? r.slice(0, next + 1) + block + "\n" + r.slice(next + 1) : r + "\n" + block;
    }
    fs.writeFileSync(file, r);
  }
  process.exit(0);
}, (e) => {
  console.error(e.stack || String(e));
  for (const c of children) c.kill("SIGKILL");
  process.exit(1);
});
