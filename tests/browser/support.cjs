// What the browser tests share: starting endure processes (killed at the end), a free port, a
// check and a bounded wait, and the end of a test (its exit code, its processes stopped).
"use strict";
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

module.exports = { start, freePort, check, until, run };
