// endure's web UI in Debian's chromium (playwright-core): start a test from the form against the
// demo shop, see the header, table and charts update, edit the users, reset, stop, download the
// requests CSV and compare it with the table, and --web-auth refused without and accepted with
// credentials. A screenshot is saved under $ARTIFACTS for every failure. Every wait is bounded.
"use strict";
const path = require("path");
const fs = require("fs");
const os = require("os");
const support = require("./support.cjs");
const { check, until } = support;

const bin = process.env.ENDURE_BIN;
const locustfile = path.join(process.env.ENDURE_SOURCE_DIR, "tests/cli/locustfiles/web_shop.py");
// SCREENSHOTS=docs/images: the README's pictures of the UI, taken from this test's run.
const screenshots = process.env.SCREENSHOTS;
const shoot = (page, name) => screenshots ? page.screenshot({ path: path.join(screenshots, name) }) : Promise.resolve();
// A run's store goes to --store, or nowhere (a test's runs are not kept).
const start = (args, needle) =>
  support.start(args[0] === "-f" && !args.includes("--store") ? args.concat(["--no-store"]) : args, needle);

const cellNumber = (s) => Number(String(s).replace(/[^0-9.]/g, ""));

async function main() {
  const shop = await start(["demo-shop", "--port", "0"], "listening on ");
  // An earlier run recorded in the store folder, for the Runs page.
  const runs = fs.mkdtempSync(path.join(os.tmpdir(), "endure-runs-"));
  const past = require("child_process").spawnSync(bin, ["-f", locustfile, "-H", shop.url, "--headless", "-u", "2", "-r", "50",
    "-t", "3s", "--stop-timeout", "5s", "--store", runs, "--csv", path.join(runs, "past")], { timeout: 60000, encoding: "utf8" });
  check(past.status === 0, "the earlier headless run: " + past.stderr);
  const pastTotal = Number(fs.readFileSync(path.join(runs, "past_stats.csv"), "utf8").split(/\r?\n/)
    .find((l) => l.startsWith(",Aggregated,")).split(",")[2]);
  check(pastTotal > 10, "the earlier run made requests: " + pastTotal);
  const ui = await start(["-f", locustfile, "-H", shop.url, "--web-port", "0", "--store", runs, "--monitor-disk", runs], "Web UI: ");
  const browser = await support.openBrowser({ acceptDownloads: true });
  const { context, page } = browser;
  try {
    await page.goto(ui.url + "/");
    // The start form first; a bad value is refused with the server's sentence.
    await page.waitForSelector("#start:not([hidden])", { timeout: 10000 });
    await page.fill("#f-users", "-3");
    await page.fill("#f-rate", "5");
    await page.click("#f-submit");
    await page.waitForSelector("#form-error:not([hidden])", { timeout: 10000 });
    const message = await page.textContent("#form-error");
    check(message.includes("user_count: '-3' is not a number of users"), "form error shown: " + message);

    // Start 3 users with a run time in days.
    await page.fill("#f-users", "3");
    await page.fill("#f-rate", "50");
    await page.fill("#f-runtime", "7d");
    await page.click("#f-submit");
    await page.waitForSelector("#main:not([hidden])", { timeout: 10000 });
    await until(async () => (await page.textContent("#h-users")) === "3", "3 users in the header");
    await until(async () => (await page.textContent("#h-state")) === "running", "state running");
    await until(async () => {
      const rows = await page.$$eval("#stats-table tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
      const products = rows.find((r) => r[1] === "/products");
      return products && cellNumber(products[2]) > 10;
    }, "/products in the statistics table");

    // Live updates are pushed (GET events): the table moves on while the page polls at most
    // once in 4.5 s (its slow poll for state changes between tests).
    let polls = 0;
    const countPolls = (r) => { if (r.url().endsWith("/stats/requests")) polls++; };
    page.on("request", countPolls);
    const pushedBefore = cellNumber(await page.textContent("#stats-table tr.total td:nth-child(3)"));
    await new Promise((r) => setTimeout(r, 4500));
    const pushedAfter = cellNumber(await page.textContent("#stats-table tr.total td:nth-child(3)"));
    page.off("request", countPolls);
    check(pushedAfter > pushedBefore, `pushed updates move the table (${pushedBefore} -> ${pushedAfter})`);
    check(polls <= 1, "at most one poll while updates are pushed, got " + polls);
    await shoot(page, "web-ui.png");

    // Charts: points from the history endpoint, drawn on the canvases.
    await page.click("[data-tab=charts]");
    await until(async () => /\d+ points/.test(await page.textContent("#chart-note")), "chart points");
    const inked = await page.$eval("#c-rps canvas", (c) => {
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      // The RPS series' blue (antialiased: near it, not equal).
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i + 2] > 150 && d[i] < 150 && d[i + 2] - d[i] > 60) n++;
      return n;
    });
    check(inked > 20, "the RPS line is drawn (" + inked + " pixels)");
    // The monitored target (--monitor-disk) beside the load, on the same time axis.
    await until(async () => !(await page.isHidden("#monitor-charts")), "the target's charts");
    const target = await page.textContent("#monitor-charts h3");
    check(target.startsWith("Target disk"), "a chart of the target: " + target);
    const monitorInk = await page.$eval("#monitor-charts canvas", (c) => {
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 4 * c.width * 22; i < d.length; i += 4) if (d[i + 3] > 100 && d[i] - d[i + 2] > 20) n++;  // the line's brown (the grid and text are bluish grey)
      return n;
    });
    check(monitorInk > 20, "the target's line is drawn (" + monitorInk + " pixels)");
    await page.click("[data-window='604800']");
    await until(async () => /\d+ points/.test(await page.textContent("#chart-note")), "7-day window");
    await page.click("[data-window='600']");
    // Zoom: a drag across a chart asks the server for that window (paused), not a local crop.
    await until(async () => /[1-9]\d* points/.test(await page.textContent("#chart-note")), "10-minute window");
    const over = await page.$("#c-rps .u-over");
    const box = await over.boundingBox();
    // Live refreshes ask for 10 minutes each second meanwhile: wait for the narrower one.
    const spanOf = (u) => Number(u.searchParams.get("to")) - Number(u.searchParams.get("from"));
    const asked = page.waitForRequest((r) => /\/history\?/.test(r.url()) && !/monitor=1/.test(r.url()) &&
      spanOf(new URL(r.url())) < 590, { timeout: 10000 });
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const zoomUrl = new URL((await asked).url());
    const span = spanOf(zoomUrl);
    check(span >= 10 && span < 590, "the zoom asks for the dragged window: " + zoomUrl.search);
    await shoot(page, "web-ui-charts.png");
    await until(async () => /paused/.test(await page.textContent("#chart-note")), "the zoomed window, paused");
    await page.click("[data-window='600']");
    await page.click("#pan-live");
    await page.click("[data-tab=stats]");
    // A click on an endpoint's row: its own charts, from the run store; "All endpoints" goes back.
    await page.click("#stats-table tbody tr[data-name='/products']");
    await page.waitForSelector("#entry-bar:not([hidden])", { timeout: 10000 });
    check((await page.textContent("#entry-name")) === "GET /products", "the endpoint's charts");
    check((await page.textContent("#t-lat")).includes("GET /products"), "the latency chart names the endpoint");
    await until(async () => /[1-9]\d* points, .* from store/.test(await page.textContent("#chart-note")), "the endpoint's points");
    await page.click("#entry-all");
    check(await page.isHidden("#entry-bar"), "back to all endpoints");
    await page.click("[data-tab=stats]");

    // Edit: 1 user.
    await page.click("#b-edit");
    await page.fill("#f-users", "1");
    await page.click("#f-submit");
    await until(async () => (await page.textContent("#h-users")) === "1", "1 user after the edit");

    // Reset: the total starts again from (nearly) zero.
    const totalBefore = cellNumber(await page.textContent("#stats-table tr.total td:nth-child(3)"));
    await page.click("#b-reset");
    await until(async () => {
      const t = await page.$("#stats-table tr.total td:nth-child(3)");
      return t && cellNumber(await t.textContent()) < totalBefore;
    }, "the total to drop after the reset");

    // Stop, then the table's final total equals the downloaded CSV's.
    await page.click("#b-stop");
    await until(async () => (await page.textContent("#h-state")) === "stopped", "state stopped");
    await new Promise((r) => setTimeout(r, 2500));  // the final snapshot and one more poll
    const shown = cellNumber(await page.textContent("#stats-table tr.total td:nth-child(3)"));
    await page.click("[data-tab=download]");
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 10000 }), page.click("#dl-requests")]);
    const csv = fs.readFileSync(await download.path(), "utf8").split(/\r?\n/);
    check(csv[0].startsWith("Type,Name,Request Count,Failure Count"), "CSV header: " + csv[0]);
    const agg = csv.find((l) => l.startsWith(",Aggregated,"));
    check(agg && Number(agg.split(",")[2]) === shown, `CSV total ${agg} equals the table's ${shown}`);
    check(!(await page.isHidden("#b-new")), "New test offered after the stop");

    // The Runs page: this run and the earlier one; the earlier one opens read-only.
    await page.click("[data-tab=runs]");
    await until(async () => (await page.$$("#runs-table tbody tr")).length === 2, "two runs listed");
    await page.click(".open-run");
    await page.waitForSelector("#viewing:not([hidden])", { timeout: 10000 });
    await until(async () => (await page.textContent("#h-state")) === "recorded", "the recorded run's header");
    check(await page.isHidden("#b-reset"), "no Reset on a recorded run");
    await until(async () => /\d+ points, .* from store/.test(await page.textContent("#chart-note")), "the recorded run's charts");
    await page.click("[data-tab=stats]");
    const recorded = cellNumber(await page.textContent("#stats-table tr.total td:nth-child(3)"));
    check(recorded === pastTotal, `the recorded run's total ${recorded} equals its CSV's ${pastTotal}`);
    await page.click("#v-back");
    await until(async () => (await page.textContent("#h-state")) === "stopped", "back to this run");
    const [store] = await Promise.all([page.waitForEvent("download", { timeout: 15000 }),
      page.click("[data-tab=download]").then(() => page.click("#dl-store"))]);
    const head = fs.readFileSync(await store.path()).subarray(0, 16).toString("latin1");
    check(head === "SQLite format 3\0", "the store download is a SQLite file: " + JSON.stringify(head));
  } catch (e) {
    await browser.failed("web_ui");
    throw e;
  }

  // --web-auth: refused without credentials, served with them.
  const locked = await start(["-f", locustfile, "-H", shop.url, "--web-host", "127.0.0.1", "--web-port", "0",
                              "--web-auth", "admin:pa:ss"], "Web UI: ");
  const anonymous = await context.newPage();
  // Chromium answers a 401 it has no credentials for with ERR_INVALID_AUTH_CREDENTIALS.
  const refused = await anonymous.goto(locked.url + "/").then((r) => r.status(), (e) => String(e.message));
  check(refused === 401 || String(refused).includes("ERR_INVALID_AUTH_CREDENTIALS"), "refused without credentials: " + refused);
  const api = await context.request.get(locked.url + "/stats/requests");
  check(api.status() === 401, "401 from the API without credentials, got " + api.status());
  const browser2 = await support.chromium().launch({ executablePath: "/usr/bin/chromium", headless: true,
                                                    args: support.chromiumArgs });
  const authed = await (await browser2.newContext({ httpCredentials: { username: "admin", password: "pa:ss" } })).newPage();
  const ok = await authed.goto(locked.url + "/");
  check(ok.status() === 200, "200 with credentials, got " + ok.status());
  await until(async () => (await authed.textContent("#h-state")) === "ready", "the authenticated page polls");
  await browser2.close();
  await browser.close();
  fs.rmSync(runs, { recursive: true, force: true });
}

support.run(main);
