// The Current ratio and Workers tabs in Debian's chromium (playwright-core). Standalone: a
// locustfile of two classes weighted 1:3 (one with tasks weighted 1:3) shows 25%/75% per class
// and its tasks' shares per class and of the whole test; a new test with one class picked shows
// 100% for it; the Workers tab is hidden. On a master with two endure workers: the Workers tab
// lists both with their users, CPU and memory, sorted by id, and marks a stalled worker missing.
// A screenshot is saved under $ARTIFACTS on failure; every wait is bounded.
"use strict";
const path = require("path");
const { start, freePort, check, until, run, openBrowser } = require("./support.cjs");

const locustfile = path.join(process.env.ENDURE_SOURCE_DIR, "tests/cli/locustfiles/web_ratio.py");
// SCREENSHOTS=docs/images: the pictures of docs/web-ui.md, taken from this test's run.
const screenshots = process.env.SCREENSHOTS;
const shoot = (page, name) => screenshots ? page.screenshot({ path: path.join(screenshots, name) }) : Promise.resolve();
const ratioRows = (page) => page.$$eval("#ratio-table tbody tr", (trs) => trs.map((tr) =>
  [tr.dataset.class ? "class:" + tr.dataset.class : "task:" + tr.dataset.name, tr.children[1].textContent]));
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function startTest(page, users, classes) {
  await page.fill("#f-users", String(users));
  await page.fill("#f-rate", "100");
  if (classes) {
    for (const box of await page.$$("#f-class-list input")) {
      const want = classes.includes(await box.getAttribute("value"));
      if ((await box.isChecked()) !== want) await box.click();
    }
  }
  await page.click("#f-submit");
  await page.waitForSelector("#main:not([hidden])", { timeout: 10000 });
}

async function standalone(page, shop) {
  const ui = await start(["-f", locustfile, "-H", shop.url, "--web-port", "0", "--no-store", "--class-picker"], "Web UI: ");
  await page.goto(ui.url + "/");
  await page.waitForSelector("#start:not([hidden])", { timeout: 10000 });
  await startTest(page, 4, ["Reader", "Buyer"]);
  await until(async () => (await page.textContent("#h-users")) === "4", "4 users in the header");
  check(await page.isHidden("#tabs-workers"), "no Workers tab on a standalone run");
  check(await page.isHidden("#h-workers-box"), "no worker count in the header on a standalone run");

  // Per class: the users' shares, and each task's share of its class.
  let asked = 0;
  const countAsks = (r) => { if (new URL(r.url()).pathname.endsWith("/tasks")) asked++; };
  page.on("request", countAsks);
  await page.click("[data-tab=ratio]");
  const perClass = [["class:Reader", "25.00%"], ["task:index", "25.00%"], ["task:products", "75.00%"],
                    ["class:Buyer", "75.00%"], ["task:cart", "100.00%"]];
  await until(async () => same(await ratioRows(page), perClass), "the per-class ratios " + JSON.stringify(perClass));
  check((await page.textContent("#ratio-note")).includes("users running now"), "the ratio is of the users running now");
  const indent = await page.$eval("#ratio-table tr[data-name=index] td", (td) => parseFloat(getComputedStyle(td).paddingLeft));
  const classIndent = await page.$eval("#ratio-table tr[data-class=Reader] td", (td) => parseFloat(getComputedStyle(td).paddingLeft));
  check(indent > classIndent, `tasks are indented under their class (${indent} > ${classIndent})`);
  // Total: each task's share of the whole test.
  await page.click("[data-ratio=total]");
  const total = [["class:Reader", "25.00%"], ["task:index", "6.25%"], ["task:products", "18.75%"],
                 ["class:Buyer", "75.00%"], ["task:cart", "75.00%"]];
  check(same(await ratioRows(page), total), "the total ratios: " + JSON.stringify(await ratioRows(page)));
  await shoot(page, "web-ui-ratio.png");
  // Steady users: the tab does not ask again every second.
  const before = asked;
  await new Promise((r) => setTimeout(r, 3000));
  check(asked === before, `no /tasks request while the users per class stay (${asked - before} in 3 s)`);
  page.off("request", countAsks);

  // A new test with only Buyer picked: the tab follows (Reader has no users now).
  await page.click("#b-stop");
  await until(async () => (await page.textContent("#h-state")) === "stopped", "state stopped");
  await page.click("#b-new");
  await startTest(page, 2, ["Buyer"]);
  await until(async () => (await page.textContent("#h-users")) === "2", "2 users after the new test");
  await until(async () => same(await ratioRows(page), [["class:Reader", "0.00%"], ["task:index", "0.00%"],
    ["task:products", "0.00%"], ["class:Buyer", "100.00%"], ["task:cart", "100.00%"]]), "Buyer at 100% after the class choice");
  await page.click("#b-stop");
  ui.child.kill("SIGTERM");
}

async function master(page, shop) {
  const port = String(await freePort());
  const m = await start(["-f", locustfile, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
                         "--web-host", "127.0.0.1", "--web-port", "0", "-H", shop.url, "--no-store",
                         "--worker-missing-after", "3s"], "Web UI: ");
  const w1 = await start(["-f", locustfile, "--worker", "--master-host", "127.0.0.1", "--master-port", port]);
  await start(["-f", locustfile, "--worker", "--master-host", "127.0.0.1", "--master-port", port]);
  await page.goto(m.url + "/");
  await page.waitForSelector("#start:not([hidden])", { timeout: 10000 });
  // Both connected (the page, idle, asks only every few seconds; a test start needs them).
  await until(async () => (await (await page.request.get(m.url + "/worker-count")).json()).worker_count === 2,
              "2 workers connected");
  await startTest(page, 4);
  await until(async () => (await page.textContent("#h-users")) === "4", "4 users on the master");
  check(!(await page.isHidden("#tabs-workers")), "the Workers tab on a master");

  // Both workers with their users (4 in all), CPU and memory, sorted by id.
  await page.click("[data-tab=workers]");
  const rows = () => page.$$eval("#workers-table tbody tr", (trs) => trs.map((tr) => ({
    id: tr.dataset.worker, missing: tr.classList.contains("missing"), cells: [...tr.children].map((td) => td.textContent) })));
  const listed = await until(async () => {
    const r = await rows();
    return r.length === 2 && r.every((w) => w.cells[1] === "running" && Number(w.cells[2]) > 0) &&
      r.reduce((n, w) => n + Number(w.cells[2]), 0) === 4 ? r : null;
  }, "two running workers with 4 users in all");
  await shoot(page, "web-ui-workers.png");
  const ids = listed.map((w) => w.id);
  check(same(ids, ids.slice().sort()), "sorted by id: " + ids);
  for (const w of listed) {
    check(w.cells[0] === w.id, "the id is shown: " + w.cells);
    check(/^\d+(\.\d)?%$/.test(w.cells[3]), "CPU in %: " + w.cells[3]);
    check(/^[\d.,]+ (KiB|MiB|GiB)$/.test(w.cells[4]) && Number(w.cells[4].split(" ")[0]) > 0, "memory in human units: " + w.cells[4]);
    check(/just now|\d s ago/.test(w.cells[5]), "last heard: " + w.cells[5]);
  }

  // On the master, the Current ratio comes from the workers' users too.
  await page.click("[data-tab=ratio]");
  await until(async () => {
    const r = await ratioRows(page);
    return r.length === 5 && r[0][1] === "25.00%" && r[3][1] === "75.00%";
  }, "the master's per-class ratio 25% / 75%");

  // A stalled worker (SIGSTOP): marked missing in the table, then back once resumed.
  await page.click("[data-tab=workers]");
  w1.child.kill("SIGSTOP");
  const stalled = await until(async () => {
    const r = await rows();
    return r.filter((w) => w.missing).length === 1 ? r.find((w) => w.missing) : null;
  }, "one worker marked missing", 15000);
  check(stalled.cells[1].includes("missing") && stalled.cells[2] === "0", "the missing worker's row: " + stalled.cells);
  check(/\d+ s ago/.test(stalled.cells[5]) && parseInt(stalled.cells[5], 10) >= 3, "heard 3 s ago or more: " + stalled.cells[5]);
  w1.child.kill("SIGCONT");
  await until(async () => (await rows()).every((w) => !w.missing), "the worker back");
  await page.click("#b-stop");
}

async function main() {
  const shop = await start(["demo-shop", "--port", "0"], "listening on ");
  const browser = await openBrowser();
  const page = browser.page;
  try {
    let t0 = Date.now();
    await standalone(page, shop);
    console.log(`standalone part: ${Date.now() - t0} ms`);
    t0 = Date.now();
    await master(page, shop);
    console.log(`master part: ${Date.now() - t0} ms`);
  } catch (e) {
    await browser.failed("web_ui_ratio_workers");
    throw e;
  }
  await browser.close();
}

run(main);
