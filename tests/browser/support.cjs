// What the browser tests share: starting endure processes (killed at the end), a free port, a
// check and a bounded wait, and the end of a test (its exit code, its processes stopped).
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const net = require("net");
const { spawn } = require("child_process");

const bin = process.env.ENDURE_BIN;
const children = [];

// Starts endure; resolves once its stdout shows `needle` (with the URL after it), or at once
// without one.
function start(args, needle) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    if (!needle) return resolve({ child });
    let out = "", err = "";
    const timer = setTimeout(() => reject(new Error(`no '${needle}' from endure ${args.join(" ")}: ${err}`)), 30000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(new RegExp(needle + "(\\S+)"));
      if (m) { clearTimeout(timer); resolve({ child, url: m[1] }); }
    });
    child.stderr.on("data", (d) => { err += d; });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`endure exited ${code}: ${err}`)); });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
}

// Polls fn every 200 ms until it returns something truthy (returned), for at most ms.
async function until(fn, what, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Runs the test's main(): exit code 0 and its processes asked to end, or the error, exit code 1
// and its processes killed (stopped ones are continued first).
function run(main) {
  const stop = (signal) => { for (const c of children) { c.kill("SIGCONT"); c.kill(signal); } };
  main().then(() => {
    console.log("browser test passed");
    stop("SIGTERM");
    process.exitCode = 0;
  }, (e) => {
    console.error(e.stack || String(e));
    stop("SIGKILL");
    process.exit(1);
  });
}

// Debian's chromium (no browser download: playwright-core from npm drives it).
const chromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update", "--disable-sync"];
function chromium() {
  return require(path.join(process.env.NODE_MODULES, "playwright-core")).chromium;
}

// A headless chromium with a fresh profile and its first page. close() removes the profile;
// failed(name) saves a screenshot under $ARTIFACTS as NAME_failure.png and closes.
async function openBrowser(options = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "endure-chromium-"));
  const context = await chromium().launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium", headless: true, args: ["--headless", ...chromiumArgs], ...options,
  });
  const page = context.pages()[0] || await context.newPage();
  return {
    context,
    page,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
    failed: async (name) => {
      const artifacts = process.env.ARTIFACTS || os.tmpdir();
      fs.mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: path.join(artifacts, name + "_failure.png"), fullPage: true }).catch(() => {});
      await context.close().catch(() => {});
    },
  };
}

module.exports = { start, freePort, check, until, run, chromium, chromiumArgs, openBrowser };
