#include "web/web_ui.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

#include "base/duration.hpp"
#include "base/log.hpp"
#include "report/csv.hpp"
#include "server/http_server.hpp"
#include "web/api_json.hpp"
#include "web/assets.hpp"
#include "web/history.hpp"

namespace endure::web {
namespace {

using nlohmann::json;
using server::request;
using server::responder;
using server::response;

std::string base64(std::string_view in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

// Compares in time that depends on the lengths only, not on where the first difference is.
bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) diff |= unsigned(uint8_t(i < a.size() ? a[i] : 0) ^ uint8_t(i < b.size() ? b[i] : 0));
  return diff == 0;
}

response json_answer(int status, std::string body) {
  auto r = response::json(status, std::move(body));
  r.header("Cache-Control", "no-store");
  return r;
}

response failure(int status, const std::string& message) {
  return json_answer(status, json{{"success", false}, {"message", message}}.dump());
}

std::optional<double> number_param(const request& q, std::string_view name) {
  auto v = q.query_param(name);
  if (!v || v->empty()) return std::nullopt;
  std::string s(*v);
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(d)) return std::numeric_limits<double>::quiet_NaN();
  return d;
}

std::string file_stamp(double wall_s) {
  std::time_t t = static_cast<std::time_t>(wall_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d-%Hh%M", &tm);
  return buf;
}

std::string_view file_base(std::string_view path) {
  auto slash = path.find_last_of('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  auto dot = path.find_last_of('.');
  if (dot != std::string_view::npos && dot > 0) path = path.substr(0, dot);
  return path;
}

}  // namespace

struct web_ui::impl {
  web_ui_options opt;
  steering& steer;
  engine::snapshot_bus& bus;
  std::unique_ptr<server::http_server> srv;
  std::string expected_auth;  // "Basic base64(user:pass)"

  mutable std::mutex mutex;  // guards what follows
  stats::snapshot_ptr latest;
  history hist;
  double hist_start_s = -1;
  double last_row_s = 0;
  bool earlier_data = false;  // the rings were cleared (a new test, a reset): the store has more
  engine::subscription sub;

  std::mutex events_mutex;  // guards the event clients
  std::vector<std::shared_ptr<server::stream_writer>> event_clients;

  impl(web_ui_options o, steering& s, engine::snapshot_bus& b)
      : opt(std::move(o)), steer(s), bus(b), hist(opt.history_points_per_level) {
    if (opt.auth) expected_auth = "Basic " + base64(opt.auth->first + ":" + opt.auth->second);
  }

  void on_snapshot(const stats::snapshot_ptr& s) {
    std::lock_guard lock(mutex);
    latest = s;
    if (s->start_wall_s != hist_start_s) {  // a new test, or the statistics were reset
      if (hist.points_held() > 0) earlier_data = true;
      hist.clear();
      hist_start_s = s->start_wall_s;
      last_row_s = 0;
    }
    const double t = s->row_time_s();
    if (t <= last_row_s) return;  // the final snapshot repeats its test's last interval
    last_row_s = t;
    const auto& a = s->aggregated;
    hist.add(t, s->interval_s, a.interval_requests, a.interval_failures, s->user_count, s->interval_latency,
             s->interval_min_us, s->interval_max_us);
  }

  // Server-sent events: each snapshot (one a second) to every open client, formatted once.
  // A client that has not taken its last ~1 MB is dropped by its stream (never waited for).
  static std::string stats_event(const std::string& body) { return "event: stats\ndata: " + body + "\n\n"; }
  void push_snapshot(const stats::snapshot_ptr& s) {
    {
      std::lock_guard lock(events_mutex);
      std::erase_if(event_clients, [](const auto& c) { return !c->is_open(); });
      if (event_clients.empty()) return;
    }
    const std::string ev = stats_event(stats_requests_json(s.get(), live()));
    std::lock_guard lock(events_mutex);
    for (auto& c : event_clients) c->push(ev);
  }

  stats::snapshot_ptr snapshot() const {
    std::lock_guard lock(mutex);
    return latest;
  }

  live_state live() const {
    live_state l;
    l.state = steer.state();
    l.user_count = steer.user_count();
    l.distributed = steer.is_distributed();
    if (l.distributed) l.workers = steer.workers();
    l.host = opt.defaults.host.empty() ? opt.report_info.host : opt.defaults.host;
    return l;
  }

  // Every page and endpoint: Basic auth when asked for; state-changing requests from another
  // site are refused (a page elsewhere cannot start a test through the user's browser).
  bool admit(const request& q, responder& r, bool changes_state) {
    if (!expected_auth.empty()) {
      auto h = q.header("Authorization");
      if (!h || !constant_time_equal(*h, expected_auth)) {
        auto a = response::text(401, "authentication required\n");
        a.header("WWW-Authenticate", "Basic realm=\"endure\", charset=\"UTF-8\"");
        r.send(std::move(a));
        return false;
      }
    }
    if (changes_state) {
      auto origin = q.header("Origin");
      auto host = q.header("Host");
      if (origin && *origin != "null") {
        auto o = *origin;
        auto scheme = o.find("://");
        if (scheme != std::string_view::npos) o.remove_prefix(scheme + 3);
        if (!host || o != *host) {
          r.send(failure(403, "cross-site request refused: Origin " + std::string(*origin) +
                                  " is not this UI's (" + std::string(host ? *host : "") + ")"));
          return false;
        }
      }
    }
    return true;
  }

  std::string page_config() const {
    const auto& d = opt.defaults;
    json c = {{"base_path", opt.base_path},
              {"locustfile", opt.locustfile},
              {"host", d.host.empty() ? opt.report_info.host : d.host},
              {"num_users", d.users},
              {"spawn_rate", d.spawn_rate},
              {"run_time", d.run_time ? base::format_duration(*d.run_time) : ""},
              {"user_classes", d.known_classes},
              {"class_picker", opt.class_picker},
              {"is_distributed", steer.is_distributed()},
              {"shape_classes", d.shape_classes},
              {"history_levels_s", std::vector<double>(std::begin(history::level_seconds), std::end(history::level_seconds))}};
    json custom = json::array();
    for (const auto& o : d.custom_options)
      custom.push_back({{"name", o.name}, {"dest", o.dest()}, {"value", o.value}, {"help", o.help},
                        {"choices", o.choices}, {"is_flag", o.is_flag}, {"type", o.type}});
    c["custom_options"] = std::move(custom);
    std::string s = c.dump(-1, ' ', false, json::error_handler_t::replace);
    // Inside a <script>: no "</" can end it early.
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '<') out += "\\u003c";
      else out += s[i];
    }
    return out;
  }

  void route(const std::string& method, const std::string& path, bool changes_state,
             std::function<void(const request&, responder&)> fn) {
    srv->route(method, opt.base_path + path, [this, changes_state, fn = std::move(fn)](const request& q, responder r) {
      if (!admit(q, r, changes_state)) return;
      fn(q, r);
    });
  }

  void routes() {
    auto index = [this](const request&, responder& r) {
      const asset* a = find_asset("index.html");
      std::string body(a->body);
      auto at = body.find("/*ENDURE_CONFIG*/");
      if (at != std::string::npos) body.replace(at, 17, page_config());
      auto resp = response::text(200, std::move(body), std::string(a->content_type));
      resp.header("Cache-Control", "no-store");
      resp.header("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'");
      resp.header("X-Frame-Options", "DENY");
      r.send(std::move(resp));
    };
    route("GET", "/", false, index);
    if (!opt.base_path.empty()) {
      // /base -> /base/ so that the page's relative URLs resolve under the base path.
      srv->route("GET", opt.base_path, [this](const request&, responder r) {
        auto resp = response::text(308, "");
        resp.header("Location", opt.base_path + "/");
        r.send(std::move(resp));
      });
    }
    route("GET", "/assets/*", false, [](const request& q, responder& r) {
      const asset* a = find_asset(q.param("*"));
      if (!a || a->name == "index.html") return r.send(response::text(404, "not found\n"));
      auto resp = response::text(200, std::string(a->body), std::string(a->content_type));
      resp.compress = server::content_coding::gzip;
      resp.header("Cache-Control", "max-age=3600");
      r.send(std::move(resp));
    });
    route("POST", "/swarm", true, [this](const request& q, responder& r) {
      auto fields = server::parse_query(q.body);
      for (auto& kv : q.query) fields.push_back(kv);
      auto req = parse_swarm_form(fields, opt.defaults);
      if (!req) return r.send(failure(400, req.err().message));
      auto st = steer.state();
      if (st == stats::run_state::stopping)
        return r.send(failure(409, "the test is stopping: start again once it has stopped"));
      auto done = steer.swarm(*req);
      if (!done) return r.send(failure(400, done.err().message));
      json j = {{"success", true}, {"message", *done}, {"host", req->host.empty() ? live().host : req->host}};
      if (req->run_time) j["run_time"] = req->run_time->count() / 1000;
      if (!req->user_classes.empty()) j["user_classes"] = req->user_classes;
      if (req->shape_class && !req->shape_class->empty()) j["shape_class"] = *req->shape_class;
      r.send(json_answer(200, j.dump()));
    });
    route("GET", "/stop", true, [this](const request&, responder& r) {
      steer.stop();
      r.send(json_answer(200, json{{"success", true}, {"message", "Test stopped"}}.dump()));
    });
    route("GET", "/stats/reset", true, [this](const request&, responder& r) {
      steer.reset_stats();
      {
        std::lock_guard lock(mutex);
        latest.reset();
        if (hist.points_held() > 0) earlier_data = true;
        hist.clear();
        hist_start_s = -1;
        last_row_s = 0;
      }
      r.send(response::text(200, "ok"));
    });
    route("GET", "/stats/requests", false, [this](const request&, responder& r) {
      auto s = snapshot();
      auto resp = json_answer(200, stats_requests_json(s.get(), live()));
      resp.compress = server::content_coding::gzip;
      r.send(std::move(resp));
    });
    auto csv = [this](const char* what, std::string body, responder& r) {
      auto resp = response::text(200, std::move(body), "text/csv; charset=utf-8");
      auto s = snapshot();
      resp.header("Content-Disposition", "attachment;filename=endure_" + file_stamp(s ? s->wall_s : 0) + "_" +
                                             std::string(file_base(opt.locustfile)) + "_" + what + ".csv");
      r.send(std::move(resp));
    };
    route("GET", "/stats/requests/csv", false, [this, csv](const request&, responder& r) {
      auto s = snapshot();
      csv("requests", s ? report::stats_csv(*s) : report::stats_csv(empty_snapshot()), r);
    });
    route("GET", "/stats/failures/csv", false, [this, csv](const request&, responder& r) {
      auto s = snapshot();
      csv("failures", s ? report::failures_csv(*s) : report::failures_csv(empty_snapshot()), r);
    });
    route("GET", "/exceptions/csv", false, [this, csv](const request&, responder& r) {
      auto s = snapshot();
      csv("exceptions", s ? report::exceptions_csv(*s) : report::exceptions_csv(empty_snapshot()), r);
    });
    route("GET", "/exceptions", false, [this](const request&, responder& r) {
      auto s = snapshot();
      r.send(json_answer(200, exceptions_json(s.get())));
    });
    // Locust's GET /logs: the last lines this process logged (bounded), and the workers' (none
    // standalone).
    route("GET", "/logs", false, [](const request&, responder& r) {
      auto resp = json_answer(200, json{{"master", base::log_tail()}, {"workers", json::object()}}
                                       .dump(-1, ' ', false, json::error_handler_t::replace));
      resp.compress = server::content_coding::gzip;
      r.send(std::move(resp));
    });
    // Prometheus's /metrics on the UI's port (the same page as --metrics-port's).
    route("GET", "/metrics", false, [this](const request&, responder& r) {
      if (!opt.metrics_page) return r.send(failure(404, "no /metrics in this run"));
      r.send(server::response::text(200, opt.metrics_page(), "text/plain; version=0.0.4; charset=utf-8"));
    });
    route("GET", "/verdict", false, [this](const request&, responder& r) {
      if (!opt.verdict_page) return r.send(failure(404, "no soak verdict in this run"));
      auto resp = json_answer(200, opt.verdict_page());
      resp.compress = server::content_coding::gzip;
      r.send(std::move(resp));
    });
    route("GET", "/worker-count", false, [this](const request&, responder& r) {
      // A master's workers (missing ones included, as Locust's); standalone: none.
      r.send(json_answer(200, json{{"worker_count", steer.is_distributed() ? steer.workers().size() : 0}}.dump()));
    });
    route("GET", "/tasks", false, [this](const request&, responder& r) {
      if (opt.tasks_json.empty()) return r.send(failure(404, "no task ratio for this run"));
      // The users running now give the ratio; between tests, the locustfile's plan.
      const auto st = steer.state();
      auto s = st == stats::run_state::spawning || st == stats::run_state::running ? snapshot() : nullptr;
      r.send(json_answer(200, tasks_json_now(opt.tasks_json, s.get())));
    });
    route("GET", "/history", false, [this](const request& q, responder& r) {
      auto run = q.query_param("run");
      answer_history(q, run ? std::string(*run) : std::string(), r);
    });
    // Live updates pushed by the server (EventSource): the current /stats/requests at once, then
    // one a second while a test runs. The page polls instead when this fails.
    route("GET", "/events", false, [this](const request&, responder& r) {
      {
        std::lock_guard lock(events_mutex);
        std::erase_if(event_clients, [](const auto& c) { return !c->is_open(); });
        if (event_clients.size() >= opt.max_event_clients)
          return r.send(failure(503, "too many live-update clients (" + std::to_string(opt.max_event_clients) +
                                         "): poll GET stats/requests instead"));
      }
      auto s = snapshot();
      auto head = response::text(200, "retry: 2000\n\n" + stats_event(stats_requests_json(s.get(), live())),
                                 "text/event-stream");
      head.header("Cache-Control", "no-store");
      head.header("X-Accel-Buffering", "no");
      auto w = r.stream(std::move(head), opt.max_event_buffer);
      if (!w) return;
      std::lock_guard lock(events_mutex);
      event_clients.push_back(std::move(w));
    });
    route("GET", "/runs", false, [this](const request&, responder& r) {
      json list = json::array();
      std::string folder, current;
      if (opt.archive) {
        folder = opt.archive->folder();
        current = opt.archive->current();
        for (const auto& a : opt.archive->runs()) {
          if (!a.error.empty()) {
            list.push_back({{"id", a.id}, {"error", a.error}});
            continue;
          }
          auto t = [](double s) { return s > 0 ? json(s) : json(nullptr); };
          list.push_back({{"id", a.id},
                          {"current", a.id == current},
                          {"start", t(a.start_s)},
                          {"first", t(a.first_s)},
                          {"last", t(a.last_s)},
                          {"end", t(a.end_s)},
                          {"ended", a.ended.empty() ? json(nullptr) : json(a.ended)},
                          {"locustfile", a.locustfile},
                          {"host", a.host},
                          {"peak_users", a.peak_users},
                          {"num_requests", a.requests},
                          {"num_failures", a.failures},
                          {"p50", a.p50_ms},
                          {"p95", a.p95_ms},
                          {"p99", a.p99_ms}});
        }
      }
      r.send(json_answer(200, json{{"folder", folder}, {"current", current}, {"runs", std::move(list)}}
                                  .dump(-1, ' ', false, json::error_handler_t::replace)));
    });
    route("GET", "/runs/{id}/stats", false, [this](const request& q, responder& r) {
      if (!opt.archive) return r.send(failure(404, "this run records no store, so no runs are listed"));
      auto s = opt.archive->totals(server::percent_decode(q.param("id"), false));
      if (!s) return r.send(failure(404, s.err().message));
      live_state l;
      l.state = stats::run_state::stopped;
      auto resp = json_answer(200, stats_requests_json(s->get(), l));
      resp.compress = server::content_coding::gzip;
      r.send(std::move(resp));
    });
    route("GET", "/runs/{id}/history", false, [this](const request& q, responder& r) {
      answer_history(q, server::percent_decode(q.param("id"), false), r);
    });
    auto store_download = [this](const std::string& id, responder& r) {
      if (!opt.archive || id.empty()) return r.send(failure(404, "this run records no store (--no-store)"));
      auto bytes = opt.archive->store_bytes(id);
      if (!bytes) return r.send(failure(404, bytes.err().message));
      auto resp = response::text(200, std::move(*bytes), "application/vnd.sqlite3");
      resp.header("Content-Disposition", "attachment;filename=" + id);
      resp.header("Cache-Control", "no-store");
      r.send(std::move(resp));
    };
    route("GET", "/runs/{id}/store", false, [store_download](const request& q, responder& r) {
      store_download(server::percent_decode(q.param("id"), false), r);
    });
    route("GET", "/store", false, [this, store_download](const request&, responder& r) {
      store_download(opt.archive ? opt.archive->current() : std::string(), r);
    });
    route("GET", "/stats/report", false, [this](const request& q, responder& r) {
      auto s = snapshot();
      std::vector<report::chart_point> chart;
      {
        std::lock_guard lock(mutex);
        if (hist.last_s() > 0) chart = history::chart(hist.window(hist.first_s(), hist.last_s() + 1, 600));
      }
      auto resp = response::text(200, report::html_report(s ? *s : empty_snapshot(), opt.report_info, chart),
                                 "text/html; charset=utf-8");
      if (q.query_param("download"))
        resp.header("Content-Disposition", "attachment;filename=endure_" + file_stamp(s ? s->wall_s : 0) + "_" +
                                               std::string(file_base(opt.locustfile)) + "_report.html");
      resp.compress = server::content_coding::gzip;
      r.send(std::move(resp));
    });
    srv->fallback([this](const request& q, responder r) {
      if (!admit(q, r, false)) return;
      r.send(response::text(404, "not found\n"));
    });
  }

  // GET /history (run: "" for this run's memory rings, falling back to its store) and
  // /runs/{id}/history.
  void answer_history(const request& q, const std::string& run, responder& r) {
    auto from = number_param(q, "from"), to = number_param(q, "to"), points = number_param(q, "points");
    for (auto* v : {&from, &to, &points})
      if (*v && std::isnan(**v))
        return r.send(failure(400, "history: from, to (Unix seconds) and points must be numbers"));
    const size_t n = points ? static_cast<size_t>(std::clamp(*points, 1.0, 2000.0)) : 600;
    const std::string current = opt.archive ? opt.archive->current() : std::string();
    // One endpoint's chart ("GET /products": method, a space, name) and the monitored target's
    // series come from the run store (the memory rings hold the Aggregated row only).
    series_options what;
    if (auto e = q.query_param("entry"); e && !e->empty()) {
      const std::string text(*e);
      const auto space = text.find(' ');
      if (space == std::string::npos || space == 0 || space + 1 == text.size())
        return r.send(failure(400, "history: entry is a method, a space and a name (\"GET /products\")"));
      what.entry = std::make_pair(text.substr(0, space), text.substr(space + 1));
    }
    const bool with_monitor = q.query_param("monitor").has_value();
    if ((what.entry || with_monitor) && (run.empty() ? current.empty() : !opt.archive))
      return r.send(failure(404, "per-endpoint and target charts come from the run store, and this run records none (--no-store)"));
    std::vector<history_point> pts;
    double f = 0, t = 0, first = 0, last = 0;
    size_t level = 0;
    bool from_store = (!run.empty() && run != current) || what.entry || with_monitor;
    if (!run.empty() && !opt.archive) return r.send(failure(404, "this run records no store, so no runs are listed"));
    {
      std::lock_guard lock(mutex);
      t = to ? *to : std::max(hist.last_s(), 1.0);
      f = from ? *from : t - 600;
      if (f >= t) return r.send(failure(400, "history: from must be before to"));
      if (!from_store) {
        // "The whole run" windows may begin anywhere before the data: from its first point.
        pts = hist.window(hist.points_held() ? std::max(f, hist.first_s() - 1) : f, t, n, &level);
        first = hist.first_s();
        last = hist.last_s();
        // The store answers what the rings cannot: a window that begins before them when there is
        // data before them (an earlier test, the statistics before a reset), or a finer
        // resolution than the ring that reaches back to `from` keeps (the store keeps 1 s rows
        // for 3 hours). A live window of minutes stays in memory.
        from_store = !current.empty() &&
                     ((earlier_data && (hist.points_held() == 0 || f < hist.first_s() - history::level_seconds[0])) ||
                      (level > 0 && history::level_seconds[level] > 2 * (t - f) / static_cast<double>(n)));
      }
    }
    if (from_store) {
      auto s = opt.archive->series(run.empty() ? current : run, f, t, n, what);
      if (s) {
        auto resp = json_answer(200, history_json(s->points, f, t, s->step_s, "store", s->first_s, s->last_s,
                                                  what.entry ? &*what.entry : nullptr, &s->monitor));
        resp.compress = server::content_coding::gzip;
        return r.send(std::move(resp));
      }
      if ((!run.empty() && run != current) || what.entry || with_monitor) return r.send(failure(404, s.err().message));
      base::log_warning("web", "history from the run store: " + s.err().message + " (answering from memory)");
    }
    auto resp = json_answer(200, history_json(history::chart(pts), f, t, history::level_seconds[level], "memory", first, last));
    resp.compress = server::content_coding::gzip;
    r.send(std::move(resp));
  }

  static const stats::snapshot& empty_snapshot() {
    static const stats::snapshot s = [] {
      stats::snapshot e;
      e.aggregated.name = "Aggregated";
      return e;
    }();
    return s;
  }

};

web_ui::web_ui(web_ui_options o, steering& s, engine::snapshot_bus& snapshots)
    : impl_(std::make_shared<impl>(std::move(o), s, snapshots)) {}

web_ui::~web_ui() { stop(); }

base::result<base::unit> web_ui::start() {
  server::http_server_options so;
  so.host = impl_->opt.bind_host == "*" || impl_->opt.bind_host.empty() ? "0.0.0.0" : impl_->opt.bind_host;
  so.port = impl_->opt.port;
  so.max_body_bytes = 1 << 20;
  so.max_header_bytes = 32 * 1024;
  if (!impl_->opt.tls_cert_file.empty()) {
    server::tls_options t;
    t.cert_file = impl_->opt.tls_cert_file;
    t.key_file = impl_->opt.tls_key_file;
    so.tls = t;
  }
  impl_->srv = std::make_unique<server::http_server>(so);
  impl_->routes();
  auto r = impl_->srv->start(1);
  if (!r) return base::make_error("web UI: " + r.err().message);
  std::weak_ptr<impl> weak = impl_;
  impl_->sub = impl_->bus.subscribe([weak](const stats::snapshot_ptr& s) {
    if (auto im = weak.lock()) {
      im->on_snapshot(s);
      im->push_snapshot(s);
    }
  });
  return base::unit{};
}

void web_ui::stop() {
  impl_->sub.reset();
  {
    std::lock_guard lock(impl_->events_mutex);
    for (auto& c : impl_->event_clients) c->close();
    impl_->event_clients.clear();
  }
  if (impl_->srv) impl_->srv->stop();
}

uint16_t web_ui::port() const { return impl_->srv ? impl_->srv->port() : 0; }

bool web_ui::is_exposed() const {
  const auto& h = impl_->opt.bind_host;
  return !(h == "127.0.0.1" || h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0);
}

std::string web_ui::url() const {
  std::string h = impl_->opt.bind_host;
  if (h == "*" || h.empty() || h == "0.0.0.0" || h == "::") h = "127.0.0.1";
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return std::string(impl_->srv && impl_->srv->is_tls() ? "https" : "http") + "://" + h + ":" +
         std::to_string(port()) + impl_->opt.base_path;
}

}  // namespace endure::web
