// The start form's locustfile options (init_command_line_parser) and load shape in Debian's
// chromium: the options are shown with their values and help, a bad value is refused with the
// server's sentence under the form, and the values picked reach the locustfile's users (their
// request names show them). Also the chart's percentile choice (p99.9 drawn once picked) and the
// soak verdict panel (the verdict table and the thresholds with PASS/FAIL). A screenshot is saved under $ARTIFACTS on failure; waits are bounded.
"use strict";
const path = require("path");
const { start, check, until, run, openBrowser } = require("./support.cjs");

const locustfile = path.join(process.env.ENDURE_SOURCE_DIR, "tests/cli/locustfiles/web_options.py");
const screenshots = process.env.SCREENSHOTS;  // SCREENSHOTS=docs/images: the README's pictures

async function main() {
  const shop = await start(["demo-shop", "--port", "0"], "listening on ");
  const ui = await start(["-f", locustfile, "-H", shop.url, "--web-port", "0", "--no-store", "--class-picker",
                            "--threshold", "fail_ratio<0.5", "--threshold", "p95<1us"], "Web UI: ");
  const browser = await openBrowser();
  const page = browser.page;
  try {
    await page.goto(ui.url + "/");
    await page.waitForSelector("#start:not([hidden])", { timeout: 10000 });
    if (screenshots) await page.screenshot({ path: path.join(screenshots, "web-ui-form.png"), fullPage: true });
    // The options with their values and help, and the shape picker ("Default" with --class-picker).
    check(await page.isVisible("#f-custom"), "the locustfile options are shown");
    check((await page.inputValue("#f-opt-page_size")) === "5", "page_size shows its default");
    check((await page.inputValue("#f-opt-section")) === "books", "section shows its default choice");
    check(!(await page.isChecked("#f-opt-with_cart")), "with_cart is off");
    const help = await page.textContent("#f-custom");
    check(help.includes("products per page (default 5)"), "the options' help is shown: " + help);
    check(await page.isVisible("#f-shape"), "the load shape picker is shown");
    check((await page.inputValue("#f-shape")) === "Default", "Default is picked with --class-picker");
    const shapes = await page.$$eval("#f-shape option", (os) => os.map((o) => o.value));
    check(JSON.stringify(shapes) === JSON.stringify(["Default", "ThreeUsers"]), "shape choices: " + shapes);

    // A bad value: the server's sentence under the form, nothing starts.
    await page.fill("#f-users", "2");
    await page.fill("#f-rate", "50");
    await page.fill("#f-opt-page_size", "many");
    await page.click("#f-submit");
    await page.waitForSelector("#form-error:not([hidden])", { timeout: 10000 });
    const message = await page.textContent("#form-error");
    check(message === "page_size: 'many' is not a whole number (the locustfile's option --page-size)",
          "form error shown: " + message);

    // Good values reach the users.
    await page.fill("#f-opt-page_size", "7");
    await page.selectOption("#f-opt-section", "toys");
    await page.check("#f-opt-with_cart");
    await page.click("#f-submit");
    await page.waitForSelector("#main:not([hidden])", { timeout: 10000 });
    await until(async () => (await page.textContent("#h-users")) === "2", "2 users (Default: the form's users)");
    await until(async () => {
      const names = await page.$$eval("#stats-table tbody tr td:nth-child(2)", (tds) => tds.map((td) => td.textContent));
      return names.includes("/products size=7 toys cart=True");
    }, "the options' values in the request names");

    // The percentile choice: p99.9 (purple) is drawn once picked, from the server's histograms.
    await page.click("[data-tab=charts]");
    await until(async () => /[1-9]\d* points/.test(await page.textContent("#chart-note")), "chart points");
    const purple = () => page.$eval("#c-lat canvas", (c) => {
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      // Below the legend (whose label has the line's colour): the line itself.
      const from = 4 * c.width * Math.ceil(22 * c.height / c.clientHeight);
      for (let i = from; i < d.length; i += 4) if (d[i + 3] > 200 && d[i] > 95 && d[i] < 150 && d[i + 1] < 70 && d[i + 2] > 135 && d[i + 2] < 190) n++;
      return n;
    });
    check((await purple()) === 0, "no p99.9 line before it is picked");
    await page.check("[data-pct=p999]");
    const inked = await until(async () => { const n = await purple(); return n > 10 ? n : 0; }, "the p99.9 line");
    check(inked > 10, "p99.9 drawn: " + inked);

    await page.click("#b-stop");
    await until(async () => (await page.textContent("#h-state")) === "stopped", "state stopped");

    // The soak verdict panel: the final verdict of the test, its table and the thresholds.
    await page.click("[data-tab=verdict]");
    await until(async () => (await page.textContent("#verdict-note")).startsWith("Final verdict"), "the final verdict");
    check((await page.textContent("#verdict-text")).includes("Soak verdict"), "the verdict table is shown");
    const results = await page.$$eval("#thresholds-table tbody tr", (trs) => trs.map((tr) => tr.children[0].textContent + "=" + tr.children[1].textContent));
    check(JSON.stringify(results) === JSON.stringify(["fail_ratio<0.5=PASS", "p95<1us=FAIL"]), "thresholds: " + results);
    if (screenshots) await page.screenshot({ path: path.join(screenshots, "web-ui-verdict.png") });

    // New test with the shape: its 3 users.
    await page.click("#b-new");
    await page.selectOption("#f-shape", "ThreeUsers");
    await page.click("#f-submit");
    await until(async () => (await page.textContent("#h-users")) === "3", "3 users from the load shape");
    await page.click("#b-stop");
    await until(async () => (await page.textContent("#h-state")) === "stopped", "state stopped again");
  } catch (e) {
    await browser.failed("web_ui_options");
    throw e;
  }
  await browser.close();
}

run(main);
