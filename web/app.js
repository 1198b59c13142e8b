// endure's web UI: plain JavaScript and uPlot (npm), bundled by esbuild into the one script the
// binary embeds; nothing fetched from elsewhere. Every array it holds is bounded: the table is
// replaced on each poll, and the charts hold only the points the server sent for the window shown
// (at most one per pixel), never a growing list. A zoom asks the server for the new window.
import uPlot from "uplot";

(function () {
  const cfg = window.endureConfig || {};
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 2000;
  let last = null;            // the last /stats/requests answer
  let sortKey = null, sortDesc = true;
  let editing = false;
  let viewRun = null;         // a recorded run opened read-only from the Runs page: {id, first, last}

  // ---- helpers
  const fmt = (v, digits) => (v === null || v === undefined || Number.isNaN(v)) ? "-" :
    Number(v).toLocaleString(undefined, { maximumFractionDigits: digits === undefined ? 0 : digits });
  // Response times: three significant digits at most, as the histograms hold.
  const ms = (v) => (v === null || v === undefined || Number.isNaN(v)) ? "-" :
    Number(v).toLocaleString(undefined, { maximumSignificantDigits: v >= 1000 ? 6 : 3 });
  const esc = (s) => String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  // An axis label that fits its 56 px: 1.2k, 3.4M, 55.2G.
  const axis = (v) => v >= 1e12 ? fmt(v / 1e12, 1) + "T" : v >= 1e9 ? fmt(v / 1e9, 1) + "G" : v >= 1e6 ? fmt(v / 1e6, 1) + "M" :
    v >= 1e4 ? fmt(v / 1e3, 1) + "k" : fmt(v, v < 10 ? 1 : 0);
  async function getJson(path) {
    const r = await fetch(path, { cache: "no-store" });
    if (!r.ok) throw new Error(path + ": HTTP " + r.status);
    return r.json();
  }

  // ---- the start / edit form
  function showForm(edit) {
    editing = edit;
    $("form-title").textContent = edit ? "Edit running load test" : "Start new load test";
    $("f-submit").textContent = edit ? "Update" : "Start";
    document.querySelectorAll(".start-only").forEach((e) => { e.hidden = edit; });
    if (!pickClasses) $("f-classes").hidden = true;
    if (!shapes.length) $("f-shape-row").hidden = true;
    if (!customs.length) $("f-custom").hidden = true;
    $("f-cancel").hidden = !(edit || (last && last.state !== "ready"));
    $("form-error").hidden = true;
    $("start").hidden = false;
    $("main").hidden = true;
  }
  function hideForm() { $("start").hidden = true; $("main").hidden = false; }
  $("f-users").value = cfg.num_users !== undefined ? cfg.num_users : 1;
  $("f-rate").value = cfg.spawn_rate !== undefined ? cfg.spawn_rate : 1;
  $("f-host").value = cfg.host || "";
  $("f-runtime").value = cfg.run_time || "";
  // --class-picker: one checkbox per user class, all picked at first.
  const pickClasses = !!cfg.class_picker && (cfg.user_classes || []).length > 0;
  if (pickClasses) {
    $("f-class-list").innerHTML = cfg.user_classes.map((c) =>
      `<label><input type="checkbox" name="user_classes" value="${esc(c)}" checked> ${esc(c)}</label>`).join("");
  }
  // The locustfile's load shape: "Default" runs the users and rate above (preselected with
  // --class-picker, as Locust), the shape's name runs the shape (preselected without it).
  const shapes = cfg.shape_classes || [];
  if (shapes.length) {
    $("f-shape").innerHTML = ["Default"].concat(shapes).map((n) =>
      `<option value="${esc(n)}">${esc(n === "Default" ? "Default (users and ramp up above)" : n)}</option>`).join("");
    $("f-shape").value = cfg.class_picker ? "Default" : shapes[0];
  }
  // The locustfile's own options (init_command_line_parser), by their dest names as Locust's form.
  const customs = cfg.custom_options || [];
  $("f-custom-list").innerHTML = customs.map((o) => {
    const id = "f-opt-" + esc(o.dest);
    const help = o.help ? `<small class="help">${esc(o.help)}</small>` : "";
    let input;
    if (o.is_flag) {
      input = `<input type="checkbox" id="${id}" data-dest="${esc(o.dest)}"${o.value === "true" ? " checked" : ""}>`;
    } else if (o.choices && o.choices.length) {
      input = `<select id="${id}" data-dest="${esc(o.dest)}">` + o.choices.map((c) =>
        `<option value="${esc(c)}"${c === o.value ? " selected" : ""}>${esc(c)}</option>`).join("") + "</select>";
    } else {
      input = `<input id="${id}" data-dest="${esc(o.dest)}" value="${esc(o.value)}"` +
        (o.type ? ` inputmode="${o.type === "int" ? "numeric" : "decimal"}"` : "") + ">";
    }
    return `<label class="custom-option">${esc(o.dest)} ${input} ${help}</label>`;
  }).join("");
  $("swarm-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = new URLSearchParams();
    body.set("user_count", $("f-users").value);
    body.set("spawn_rate", $("f-rate").value);
    if (!editing) {
      body.set("host", $("f-host").value);
      body.set("run_time", $("f-runtime").value);
      if (pickClasses) {
        const picked = [...document.querySelectorAll("#f-class-list input:checked")].map((i) => i.value);
        if (!picked.length) {
          $("form-error").textContent = "Pick at least one user class.";
          $("form-error").hidden = false;
          return;
        }
        picked.forEach((c) => body.append("user_classes", c));
      }
      if (shapes.length) body.set("shape_class", $("f-shape").value);
      document.querySelectorAll("#f-custom-list [data-dest]").forEach((i) => {
        body.set(i.dataset.dest, i.type === "checkbox" ? (i.checked ? "true" : "false") : i.value);
      });
    }
    let answer;
    try {
      const r = await fetch("swarm", { method: "POST", body });
      answer = await r.json();
    } catch (e) {
      answer = { success: false, message: String(e) };
    }
    if (!answer.success) {
      $("form-error").textContent = answer.message;
      $("form-error").hidden = false;
      return;
    }
    if (!editing) resetCharts();
    hideForm();
    poll();
    if (tab === "ratio") loadRatio();
  });
  $("f-cancel").addEventListener("click", hideForm);
  $("b-edit").addEventListener("click", () => showForm(true));
  $("b-new").addEventListener("click", () => showForm(false));
  $("b-stop").addEventListener("click", async () => { await fetch("stop"); poll(); });
  $("b-reset").addEventListener("click", async () => { await fetch("stats/reset"); resetCharts(); poll(); });

  // ---- tabs
  let tab = "stats";
  document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => {
    tab = b.dataset.tab;
    document.querySelectorAll(".tabs button").forEach((x) => x.classList.toggle("active", x === b));
    document.querySelectorAll(".tab").forEach((t) => { t.hidden = t.id !== "tab-" + tab; });
    if (tab === "charts") loadCharts();
    if (tab === "exceptions") loadExceptions();
    if (tab === "runs") loadRuns();
    if (tab === "logs") loadLogs();
    if (tab === "verdict") loadVerdict();
    if (tab === "ratio") loadRatio();
    if (tab === "workers") renderWorkers();
  }));
  async function loadLogs() {
    try {
      const j = await getJson("logs");
      $("logs").textContent = j.master.join("\n");  // text, never markup
    } catch (e) { /* the next poll tries again */ }
  }

  // ---- runs recorded in the store's folder; one opens read-only (its totals and charts)
  const runPath = (id) => "runs/" + encodeURIComponent(id);
  function duration(s) {
    if (!(s > 0)) return "-";
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return d ? `${d}d ${h}h ${m}m` : h ? `${h}h ${m}m` : `${m}m ${Math.floor(s % 60)}s`;
  }
  let runsList = [];
  async function loadRuns() {
    let j;
    try { j = await getJson("runs"); } catch (e) { $("runs-note").textContent = String(e); return; }
    runsList = j.runs;
    $("runs-note").textContent = j.folder ? `Run stores in ${j.folder}` : "This run records no store (--no-store).";
    $("runs-table").tBodies[0].innerHTML = j.runs.map((r, i) => {
      if (r.error) return `<tr><td colspan="9">${esc(r.id)}: ${esc(r.error)}</td><td></td></tr>`;
      const when = r.start ? new Date(r.start * 1000).toLocaleString() : "-";
      const fail = r.num_requests ? fmt(100 * r.num_failures / r.num_requests, 2) : "0";
      return `<tr data-run="${i}"><td title="${esc(r.id)}">${esc(when)}${r.current ? " (this run)" : ""}</td>` +
        `<td>${duration((r.last || 0) - (r.first || 0))}</td><td>${esc(r.ended || (r.current ? "running" : "no end record"))}</td>` +
        `<td>${esc(r.locustfile)}</td><td>${esc(r.host)}</td><td>${fmt(r.peak_users)}</td><td>${fmt(r.num_requests)}</td>` +
        `<td>${fail}</td><td>${ms(r.p95)}</td><td>` +
        (r.current ? "" : `<button class="open-run" data-run="${i}">Open</button> `) +
        `<a href="${runPath(r.id)}/store" download>Store</a></td></tr>`;
    }).join("");
    document.querySelectorAll(".open-run").forEach((b) => b.addEventListener("click", () => openRun(runsList[Number(b.dataset.run)])));
  }
  async function openRun(r) {
    viewRun = { id: r.id, host: r.host, first: r.first || r.start, last: r.last || r.end || r.start };
    $("v-id").textContent = r.id;
    $("viewing").hidden = false;
    windowS = 0;
    document.querySelectorAll("[data-window]").forEach((x) => x.classList.toggle("active", x.dataset.window === "0"));
    await poll();
    $("tabs-charts").click();
  }
  $("v-back").addEventListener("click", () => {
    viewRun = null;
    $("viewing").hidden = true;
    live = true;
    poll();
    if (tab === "charts") loadCharts();
  });

  // ---- statistics
  const valueOf = (row, key) => key === "p95" ? row["response_time_percentile_0.95"] :
    key === "p99" ? row["response_time_percentile_0.99"] : row[key];
  document.querySelectorAll("#stats-table th").forEach((th) => th.addEventListener("click", () => {
    const k = th.dataset.key;
    if (sortKey === k) sortDesc = !sortDesc; else { sortKey = k; sortDesc = k !== "name" && k !== "method"; }
    renderStats();
  }));
  function renderStats() {
    if (!last) return;
    let rows = last.stats.filter((r) => r.name !== "Aggregated" || r.method);
    const total = last.stats.find((r) => r.name === "Aggregated" && !r.method);
    if (sortKey) {
      rows = rows.slice().sort((a, b) => {
        const x = valueOf(a, sortKey), y = valueOf(b, sortKey);
        const c = typeof x === "string" ? String(x).localeCompare(String(y)) : (x || 0) - (y || 0);
        return sortDesc ? -c : c;
      });
    }
    const line = (r, cls) => `<tr class="${cls}"` + (cls ? "" : ` data-method="${esc(r.method)}" data-name="${esc(r.name)}" title="Charts of this endpoint"`) +
      `><td>${esc(r.method || "")}</td><td>${esc(r.name)}</td>` +
      `<td>${fmt(r.num_requests)}</td><td>${fmt(r.num_failures)}</td><td>${ms(r.median_response_time)}</td>` +
      `<td>${ms(r["response_time_percentile_0.95"])}</td><td>${ms(r["response_time_percentile_0.99"])}</td>` +
      `<td>${ms(r.avg_response_time)}</td><td>${ms(r.min_response_time)}</td><td>${ms(r.max_response_time)}</td>` +
      `<td>${fmt(r.avg_content_length)}</td><td>${fmt(r.current_rps, 1)}</td><td>${fmt(r.current_fail_per_sec, 1)}</td></tr>`;
    $("stats-table").tBodies[0].innerHTML = rows.map((r) => line(r, "")).join("") + (total ? line(total, "total") : "");
    $("failures-table").tBodies[0].innerHTML = last.errors.map((e) =>
      `<tr><td>${fmt(e.occurrences)}</td><td>${esc(e.method)}</td><td>${esc(e.name)}</td><td>${esc(e.error)}</td></tr>`).join("");
  }
  // A click on an endpoint's row: the charts of that endpoint (from the run store).
  $("stats-table").tBodies[0].addEventListener("click", (ev) => {
    const tr = ev.target.closest("tr[data-name]");
    if (!tr) return;
    showEntry({ method: tr.dataset.method, name: tr.dataset.name });
  });
  function showEntry(entry) {
    chartEntry = entry;
    $("entry-bar").hidden = !entry;
    $("entry-name").textContent = entry ? entry.method + " " + entry.name : "";
    $("t-rps").textContent = entry ? "Requests per second of " + entry.method + " " + entry.name : "Total requests per second";
    $("t-lat").textContent = entry ? "Response times of " + entry.method + " " + entry.name + " (ms)" : "Response times (ms)";
    chartLoadedAt = -1e9;
    document.querySelector("[data-tab=charts]").click();
  }
  async function loadExceptions() {
    try {
      const j = await getJson("exceptions");
      $("exceptions-table").tBodies[0].innerHTML = j.exceptions.map((e) =>
        `<tr><td>${fmt(e.count)}</td><td>${esc(e.msg)}</td><td>${esc(e.traceback)}</td><td>${esc(e.nodes)}</td></tr>`).join("");
    } catch (e) { /* the next poll tries again */ }
  }

  // ---- current ratio (Locust's GET /tasks): each user class's share of the users and, under it,
  // its tasks' shares. Asked for when the tab opens, after a start or an edit, and when the live
  // updates show other users per class (a ramp, an edit, a class choice): never on a timer.
  let ratioView = "per_class", ratio = null, ratioKey = null;
  const MAX_RATIO_ROWS = 2000;  // a locustfile's classes and tasks; bounded all the same
  const pct = (r) => (100 * (Number(r) || 0)).toFixed(2) + "%";
  document.querySelectorAll("[data-ratio]").forEach((b) => b.addEventListener("click", () => {
    ratioView = b.dataset.ratio;
    document.querySelectorAll("[data-ratio]").forEach((x) => x.classList.toggle("active", x === b));
    renderRatio();
  }));
  const isActive = (l) => !!l && (l.state === "spawning" || l.state === "running");
  // What the server's answer depends on: the users per class while a test runs.
  const ratioKeyOf = (l) => isActive(l) ? JSON.stringify(l.user_count_by_class || {}) : "plan";
  let ratioLoading = false;
  async function loadRatio() {
    if (ratioLoading) return;
    ratioLoading = true;
    ratioKey = ratioKeyOf(last);
    try {
      ratio = await getJson("tasks");
    } catch (e) {
      ratio = null;
      $("ratio-note").textContent = "No task ratio for this run (" + e.message + ")";
    }
    ratioLoading = false;
    renderRatio();
  }
  function renderRatio() {
    const body = $("ratio-table").tBodies[0];
    if (!ratio) { body.innerHTML = ""; return; }
    const rows = [];
    const walk = (tasks, depth) => {
      for (const [name, t] of Object.entries(tasks || {})) {
        if (rows.length >= MAX_RATIO_ROWS) return;
        rows.push(`<tr class="ratio-task" data-name="${esc(name)}" data-depth="${depth}">` +
          `<td style="padding-left:${8 + 22 * depth}px">${esc(name)}</td><td>${pct(t && t.ratio)}</td></tr>`);
        if (t && t.tasks) walk(t.tasks, depth + 1);
      }
    };
    for (const [cls, c] of Object.entries(ratio[ratioView] || {})) {
      if (rows.length >= MAX_RATIO_ROWS) break;
      rows.push(`<tr class="ratio-class" data-class="${esc(cls)}"><td>${esc(cls)}</td><td>${pct(c && c.ratio)}</td></tr>`);
      walk(c && c.tasks, 1);
    }
    body.innerHTML = rows.join("");
    $("ratio-note").textContent = (viewRun ? "This process's locustfile, not the recorded run's: " :
      isActive(last) ? "The users running now. " : "The locustfile's weights (no test is running). ") + (ratioView === "total"
      ? "A task's ratio is its share of all the tasks the test runs."
      : "A class's ratio is its share of the users; a task's, its share of its class (or task set).");
  }

  // ---- workers (a master's): Locust's Workers tab, from each live update; none standalone.
  const bytes = (b) => {
    if (b === null || b === undefined || !(b >= 0)) return "-";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let v = Number(b), i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; ++i; }
    return fmt(v, i ? 1 : 0) + " " + units[i];
  };
  const heard = (s) => s === undefined || s === null ? "-" : s < 1 ? "just now" :
    s < 60 ? fmt(s, 0) + " s ago" : duration(s) + " ago";
  const MAX_WORKER_ROWS = 1000;
  function renderWorkers() {
    const ws = !viewRun && last && Array.isArray(last.workers) ? last.workers : null;
    $("tabs-workers").hidden = !ws;
    if (!ws) {
      if (tab === "workers") document.querySelector(".tabs [data-tab=stats]").click();
      return;
    }
    if (tab !== "workers") return;
    // By id, as strings (ids are host_hex: a numeric collation would split the hex digits).
    const byId = ws.slice(0, MAX_WORKER_ROWS).sort((a, b) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0));
    $("workers-table").tBodies[0].innerHTML = byId.map((w) => {
      const missing = w.state === "missing";
      return `<tr data-worker="${esc(w.id)}"${missing ? ' class="missing" title="Not heard from: its users go to the other workers"' : ""}>` +
        `<td>${esc(w.id)}</td><td>${missing ? "&#9888; missing" : esc(w.state)}</td><td>${fmt(w.user_count)}</td>` +
        `<td${w.cpu_usage > 90 ? ' class="hot"' : ""}>${fmt(w.cpu_usage, 1)}%</td><td>${bytes(w.memory_usage)}</td>` +
        `<td>${heard(w.last_heard_s)}</td></tr>`;
    }).join("");
  }

  // ---- header and polling
  function renderHeader() {
    $("h-host").textContent = last.host || "-";
    $("h-state").textContent = last.state;
    $("h-users").textContent = fmt(last.user_count);
    // A master's worker count (Locust's header shows it when distributed).
    $("h-workers-box").hidden = last.worker_count === undefined;
    if (last.worker_count !== undefined) $("h-workers").textContent = fmt(last.worker_count);
    $("h-rps").textContent = fmt(last.total_rps, 1);
    $("h-fail").textContent = fmt(100 * last.fail_ratio, 1) + "%";
    const active = !viewRun && (last.state === "spawning" || last.state === "running");
    $("b-edit").hidden = !active;
    $("b-stop").hidden = !active;
    $("b-new").hidden = active || !!viewRun || last.state === "stopping";
    $("b-reset").hidden = !!viewRun;
    renderWorkers();
  }
  let first = true;
  async function poll() {
    if (viewRun) {
      try {
        last = await getJson(runPath(viewRun.id) + "/stats");
      } catch (e) { return; }
      last.state = "recorded";
      if (!last.host) last.host = viewRun.host;
      renderHeader();
      renderStats();
      return;
    }
    let answer;
    try {
      answer = await getJson("stats/requests");
    } catch (e) {
      $("h-state").textContent = "unreachable";
      return;
    }
    update(answer);
  }
  // One snapshot, polled or pushed.
  function update(answer) {
    if (viewRun) return;
    last = answer;
    renderHeader();
    renderStats();
    if (first) {
      first = false;
      if (last.state === "ready") showForm(false); else hideForm();
    }
    if (tab === "exceptions") loadExceptions();
    if (tab === "logs") loadLogs();
    if (tab === "ratio" && ratioKeyOf(last) !== ratioKey) loadRatio();
    // Following live: a new chart window once a new point can be in it (a point of a long
    // window spans many seconds; asking each second would only redraw the same points).
    if (tab === "charts" && live && performance.now() - chartLoadedAt >= Math.max(900, chartLevelS * 1000)) loadCharts();
  }

  // ---- the soak verdict: the run judges it every few intervals (not per second: it is not
  // cheap), so the page asks for it every 15 s while its tab is shown.
  const VERDICT_MS = 15000;
  let verdictAt = -1e9;
  async function loadVerdict() {
    verdictAt = performance.now();
    let v;
    try { v = await getJson("verdict"); } catch (e) { $("verdict-note").textContent = String(e.message); return; }
    const when = v.at ? new Date(v.at * 1000).toLocaleTimeString() : "";
    $("verdict-note").textContent = v.state === "none"
      ? "No verdict yet: the first comes after a few intervals of a test."
      : (v.state === "final" ? "Final verdict of the test" : "Live verdict, judged at " + when +
         " (updated every few intervals; the final one comes at the end)");
    $("verdict-text").textContent = v.table || "";
    const ts = (v.verdict && v.verdict.thresholds) || [];
    $("thresholds-table").hidden = !ts.length;
    $("thresholds-table").querySelector("tbody").innerHTML = ts.map((t) =>
      `<tr class="${esc(t.status)}"><td>${esc(t.threshold)}</td><td>${t.status === "passed" ? "PASS" :
        t.status === "failed" ? "FAIL" : "NO DATA"}</td><td>${t.value === null ? "-" : esc(fmt(t.value, 3))} ${esc(t.unit)}</td>` +
      `<td>${esc(t.where)}</td><td>${esc(t.note)}</td></tr>`).join("");
  }
  setInterval(() => { if (tab === "verdict" && !document.hidden && !viewRun) loadVerdict(); }, VERDICT_MS);

  // ---- charts: a window of the run, fetched from the server already downsampled
  let windowS = 600, live = true, windowEnd = 0, chartData = [], runFirst = 0, chartEntry = null;
  let chartLoadedAt = -1e9, chartLevelS = 1;
  function resetCharts() { chartData = []; monitorData = []; monitorWanted = true; windowEnd = 0; live = true; drawCharts(); }
  document.querySelectorAll("[data-window]").forEach((b) => b.addEventListener("click", () => {
    windowS = Number(b.dataset.window);
    document.querySelectorAll("[data-window]").forEach((x) => x.classList.toggle("active", x === b));
    loadCharts();
  }));
  $("pan-back").addEventListener("click", () => { pan(-0.5); });
  $("pan-fwd").addEventListener("click", () => { pan(0.5); });
  $("pan-live").addEventListener("click", () => { live = true; loadCharts(); });
  // A zoom (a drag across a chart): that window, paused, fetched at this chart's width.
  function zoomTo(from, to) {
    windowS = Math.max(10, to - from);
    windowEnd = from + windowS;
    live = false;
    document.querySelectorAll("[data-window]").forEach((x) => x.classList.remove("active"));
    loadCharts();
  }
  function pan(fraction) {
    if (!windowS) return;
    const now = viewRun ? viewRun.last : last && last.endure && last.endure.time ? last.endure.time : Date.now() / 1000;
    const end = (live ? now : windowEnd) + fraction * windowS;
    live = end >= now;
    windowEnd = Math.min(end, now);
    loadCharts();
  }
  let loading = false;
  async function loadCharts() {
    if (loading) return;
    loading = true;
    const points = Math.max(50, Math.min(2000, $("c-rps").clientWidth || 600));
    const t0 = performance.now();
    let q = (viewRun ? runPath(viewRun.id) + "/history" : "history") + "?points=" + points;
    if (chartEntry) q += "&entry=" + encodeURIComponent(chartEntry.method + " " + chartEntry.name);
    const start = last && last.endure ? last.endure.start_time : 0;
    if (viewRun) {
      const end = live ? viewRun.last : windowEnd;
      q += windowS === 0 ? "&from=" + (viewRun.first - 1) + "&to=" + (viewRun.last + 1)
        : "&from=" + (end - windowS) + "&to=" + end;
    } else if (windowS === 0) {
      // The whole run: the server answers from its first data (its store holds earlier tests).
      q += "&from=" + (runFirst || start || 1) + "&to=" + (Date.now() / 1000 + 60);
    } else if (!live) {
      q += "&from=" + (windowEnd - windowS) + "&to=" + windowEnd;
    } else if (last && last.endure && last.endure.time) {
      q += "&from=" + (last.endure.time - windowS) + "&to=" + (last.endure.time + 1);
    } else {
      q += "&from=" + (Date.now() / 1000 - windowS) + "&to=" + (Date.now() / 1000 + 1);
    }
    try {
      const h = await getJson(q);
      chartData = h.points;  // replaced, never appended: bounded by `points`
      // A window longer than the data so far starts where the data does (a test's first minutes).
      xRange = windowS === 0 ? null : [h.run_first > 0 ? Math.max(h.from, h.run_first - h.level_s) : h.from, h.to];
      chartLoadedAt = performance.now();
      chartLevelS = h.level_s || 1;
      if (!viewRun && h.run_first) runFirst = runFirst ? Math.min(runFirst, h.run_first) : h.run_first;
      drawCharts();
      if (monitorWanted) await loadMonitor(q.replace(/&entry=[^&]*/, "") + "&monitor=1");
      $("chart-note").textContent = `${h.points.length} points, ${h.level_s} s resolution from ${h.source}` +
        (live ? "" : " (paused: Live to follow)") + `, ${Math.round(performance.now() - t0)} ms`;
    } catch (e) { /* the next poll tries again */ }
    loading = false;
  }
  // The monitored target's series (--monitor-*), on the same time axis as the load: from the
  // run store, asked for with the same window; not asked again once a run shows it has none.
  let monitorWanted = true, monitorData = [];
  async function loadMonitor(q) {
    const r = await fetch(q, { cache: "no-store" });
    if (!r.ok) { monitorWanted = false; monitorData = []; drawMonitor(); return; }
    const h = await r.json();
    monitorData = (h.monitor || []).slice(0, 12);  // bounded: a chart per series, at most 12
    if (!monitorData.length && h.points.length) monitorWanted = false;
    drawMonitor();
  }
  function drawMonitor() {
    const box = $("monitor-charts");
    box.hidden = !monitorData.length;
    if (box.querySelectorAll(".chart").length !== monitorData.length) {
      Object.keys(plots).filter((id) => id.startsWith("c-mon-")).forEach((id) => { plots[id].destroy(); delete plots[id]; });
      box.innerHTML = monitorData.map((m, i) =>
        `<div class="chart"><h3 id="t-mon-${i}"></h3><div id="c-mon-${i}" class="plot"></div></div>`).join("");
    }
    monitorData.forEach((m, i) => {
      $("t-mon-" + i).textContent = "Target " + m.source + ": " + m.metric;
      drawChart("c-mon-" + i, 160, [m.points.map((p) => p[0]), m.points.map((p) => p[1])], [m.metric], ["#5d4037"]);
    });
  }
  // One colour per percentile, whichever are picked.
  const PCT_COLORS = { p50: "#2a6df4", p90: "#00897b", p95: "#c62828", p99: "#f39c12", p999: "#7b1fa2" };
  // uPlot charts, one per id, made once and given new data (columns: times, then each series).
  // A drag across a chart zooms: the server is asked for that window at this width in points.
  const plots = {};
  let xRange = null;  // [from, to] of the window shown (Unix s); null: the whole run
  function onSelect(u) {
    const sel = u.select;
    if (sel.width < 4) return;
    const from = u.posToVal(sel.left, "x"), to = u.posToVal(sel.left + sel.width, "x");
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    zoomTo(from, to);
  }
  function drawChart(id, height, columns, labels, colors) {
    const el = $(id);
    const width = Math.max(200, el.clientWidth || 600);
    const key = labels.join("|") + "|" + colors.join("|");
    let p = plots[id];
    if (p && p.endureKey !== key) { p.destroy(); p = null; }
    if (!p) {
      p = new uPlot({
        width, height,
        // The x axis is the window asked for (a zoom's drag maps onto it), or the data's span.
        scales: { x: { time: true, range: (u, min, max) => xRange || [min, max] } },
        series: [{}].concat(labels.map((l, i) => ({ label: l, stroke: colors[i % colors.length], width: 1.5, points: { show: false } }))),
        axes: [{ stroke: "#6b7080" }, { stroke: "#6b7080", size: 56, values: (u, vals) => vals.map(axis) }],
        cursor: { sync: { key: "endure" }, drag: { x: true, y: false, setScale: false } },
        hooks: { setSelect: [onSelect] },
      }, columns, el);
      p.endureKey = key;
      plots[id] = p;
    } else {
      if (Math.abs(p.width - width) > 1) p.setSize({ width, height });
      p.setData(columns);
    }
  }
  function drawCharts() {
    const t = chartData.map((p) => p.t);
    const col = (k) => chartData.map((p) => (p[k] === undefined ? null : p[k]));
    drawChart("c-rps", 220, [t, col("rps"), col("fail_per_s")], ["RPS", "Failures/s"], ["#2a6df4", "#c62828"]);
    // The percentiles picked, each from the server's merged histograms (never averaged here).
    const picked = [...document.querySelectorAll("[data-pct]:checked")].map((i) => i.dataset.pct);
    drawChart("c-lat", 220, [t].concat(picked.map(col)), picked.map((k) => k === "p999" ? "p99.9" : k),
      picked.map((k) => PCT_COLORS[k]));
    drawChart("c-users", 180, [t, col("users")], ["Users"], ["#2a6df4"]);
    drawMonitor();
  }
  window.addEventListener("resize", () => { if (tab === "charts") drawCharts(); });
  $("entry-all").addEventListener("click", () => showEntry(null));
  document.querySelectorAll("[data-pct]").forEach((i) => i.addEventListener("change", drawCharts));

  poll();
  // Live updates pushed by the server (one a second, GET events); polling every 2 s when the
  // browser or a proxy cannot keep the stream open. A recorded run does not change: it is read
  // once when opened.
  let pushed = false;
  if (window.EventSource) {
    const es = new EventSource("events");
    es.addEventListener("stats", (ev) => {
      pushed = true;
      if (!document.hidden) update(JSON.parse(ev.data));
    });
    // While the stream reconnects (or for good once closed), polling takes over.
    es.addEventListener("error", () => { pushed = false; });
  }
  // Pushed updates come with snapshots (while a test runs): a slow poll still notices the state
  // changes between tests.
  let ticks = 0;
  setInterval(() => { if (!document.hidden && !viewRun && (!pushed || ++ticks % 5 === 0)) poll(); }, POLL_MS);
})();
