// `endure compare BASE.db NEW.db`: per endpoint (and Aggregated), the change in requests/s,
// failure %, p50, p95 and p99 between two runs' totals (each whole run, or the same --from/--to
// window of each), as a console table or --json; --fail-on conditions that match exit with 3.
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "app/command_args.hpp"
#include "app/store_commands.hpp"
#include "report/format.hpp"
#include "store/reader.hpp"

namespace endure::app {

namespace {

constexpr const char* usage =
    "Usage: endure compare BASE.db NEW.db [--json] [--fail-on COND ...] [--from T] [--to T]\n"
    "\n"
    "Compares two runs per endpoint: requests/s, failure %, p50, p95, p99.\n"
    "\n"
    "  --json           Print the comparison as JSON\n"
    "  --fail-on COND   Exit with code 3 when COND holds for an entry (repeatable), e.g.\n"
    "                   'p95>+10%', 'rps<-5%', 'fail%>+0.5', 'GET /products: p99>+20ms'\n"
    "  --from T, --to T The same window of each run: offsets from each run's start (48h) or\n"
    "                   ISO times; default: each whole run\n"
    "  -h, --help       Print this help\n";

const char* const shown[] = {"rps", "fail%", "p50", "p95", "p99"};

struct side {
  std::unique_ptr<store::reader> rd;
  stats::snapshot_ptr snap;
  store::window w;
};

std::string number(double v, const std::string& metric) {
  if (metric == "rps" || metric == "fail%") return report::format_rate(v);
  return report::format_ms(v);
}

std::string change_text(double base, double now, const std::string& metric) {
  if (metric == "fail%") {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%+.2fpp", now - base);
    return buf;
  }
  if (base == 0) return now == 0 ? "+0%" : "new";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", (now - base) / base * 100.0);
  return buf;
}

nlohmann::json figures(const stats::row& r) {
  nlohmann::json j;
  j["requests"] = r.num_requests;
  j["failures"] = r.num_failures;
  for (const char* m : shown) j[m] = metric_value(r, m);
  return j;
}

}  // namespace

int compare_main(const cli::invocation& inv) {
  auto args =
      read_command_args(inv.args, {"fail-on", "from", "to"}, {"json", "help"}, "endure compare");
  if (!args) return command_error(args.err());
  if (args->has("help")) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (args->positional.size() != 2)
    return command_error("endure compare needs two run stores: endure compare BASE.db NEW.db");
  std::vector<compare_condition> conditions;
  if (auto it = args->values.find("fail-on"); it != args->values.end())
    for (const auto& text : it->second) {
      auto c = parse_condition(text);
      if (!c) return command_error(c.err());
      conditions.push_back(*c);
    }
  side sides[2];
  for (int i = 0; i < 2; ++i) {
    auto rd = store::reader::open(args->positional[static_cast<size_t>(i)]);
    if (!rd) return command_error(rd.err());
    sides[i].rd = std::move(*rd);
    const double start = sides[i].rd->info().start_wall_s;
    for (const char* flag : {"from", "to"}) {
      if (!args->has(flag)) continue;
      auto t = parse_when(args->value(flag), start);
      if (!t) return command_error("--" + std::string(flag) + ": " + t.err().message);
      (std::string(flag) == "from" ? sides[i].w.from_wall_s : sides[i].w.to_wall_s) = *t;
    }
    auto snap = sides[i].rd->totals(sides[i].w);
    if (!snap) return command_error(snap.err());
    sides[i].snap = *snap;
  }

  // Rows by (method, name), Aggregated last.
  std::map<std::pair<std::string, std::string>, std::pair<const stats::row*, const stats::row*>>
      rows;
  for (int i = 0; i < 2; ++i)
    for (const auto& r : sides[i].snap->rows)
      (i == 0 ? rows[{r.name, r.method}].first : rows[{r.name, r.method}].second) = &r;
  std::vector<std::pair<const stats::row*, const stats::row*>> ordered;
  for (const auto& [k, v] : rows) ordered.push_back(v);
  ordered.emplace_back(&sides[0].snap->aggregated, &sides[1].snap->aggregated);

  struct match {
    const compare_condition* c;
    const stats::row* row;
    double base, now;
  };
  std::vector<match> matches;
  for (const auto& [b, n] : ordered) {
    if (b == nullptr || n == nullptr) continue;
    for (const auto& c : conditions) {
      if (!condition_applies(c, *n)) continue;
      const double bv = metric_value(*b, c.metric), nv = metric_value(*n, c.metric);
      if (condition_holds(c, bv, nv)) matches.push_back({&c, n, bv, nv});
    }
  }

  auto window_of = [](const side& s) {
    const auto& i = s.rd->info();
    return s.w.is_whole_run()
               ? "whole run"
               : report::format_iso8601_utc(s.w.from_wall_s.value_or(i.start_wall_s)) + " to " +
                     (s.w.to_wall_s ? report::format_iso8601_utc(*s.w.to_wall_s)
                                    : std::string("end"));
  };
  if (args->has("json")) {
    nlohmann::json j;
    for (int i = 0; i < 2; ++i) {
      const auto& in = sides[i].rd->info();
      j[i == 0 ? "base" : "new"] = {{"path", in.path},
                                    {"run_id", in.run_id},
                                    {"start", report::format_iso8601_utc(in.start_wall_s)},
                                    {"window", window_of(sides[i])}};
    }
    auto entries = nlohmann::json::array();
    for (const auto& [b, n] : ordered) {
      const stats::row& any = n != nullptr ? *n : *b;
      nlohmann::json e = {{"method", any.method}, {"name", any.name}};
      e["base"] = b != nullptr ? figures(*b) : nlohmann::json(nullptr);
      e["new"] = n != nullptr ? figures(*n) : nlohmann::json(nullptr);
      if (b != nullptr && n != nullptr) {
        nlohmann::json ch;
        for (const char* m : shown) {
          const double bv = metric_value(*b, m), nv = metric_value(*n, m);
          if (std::string(m) == "fail%")
            ch["fail%_points"] = nv - bv;
          else
            ch[std::string(m) + "_pct"] =
                bv != 0 ? nlohmann::json((nv - bv) / bv * 100.0) : nlohmann::json(nullptr);
        }
        e["change"] = std::move(ch);
      }
      entries.push_back(std::move(e));
    }
    j["entries"] = std::move(entries);
    auto m = nlohmann::json::array();
    for (const auto& x : matches)
      m.push_back({{"condition", x.c->text},
                   {"method", x.row->method},
                   {"name", x.row->name},
                   {"metric", x.c->metric},
                   {"base", x.base},
                   {"new", x.now}});
    j["failed_conditions"] = std::move(m);
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::string out;
    for (int i = 0; i < 2; ++i) {
      const auto& in = sides[i].rd->info();
      out += std::string(i == 0 ? "Base  " : "New   ") + in.path + " (" +
             report::format_iso8601_utc(in.start_wall_s) + ", " + window_of(sides[i]) + ")\n";
    }
    out += "\n";
    char line[512];
    std::snprintf(line, sizeof line, "%-8s %-40s", "Type", "Name");
    out += line;
    for (const char* m : shown) {
      std::snprintf(line, sizeof line, " | %26s", (std::string(m) + " base -> new").c_str());
      out += line;
    }
    out += "\n";
    for (const auto& [b, n] : ordered) {
      const stats::row& any = n != nullptr ? *n : *b;
      std::snprintf(line, sizeof line, "%-8s %-40s", any.method.c_str(), any.name.c_str());
      out += line;
      for (const char* m : shown) {
        std::string cell;
        if (b == nullptr)
          cell = "only in new";
        else if (n == nullptr)
          cell = "only in base";
        else {
          const double bv = metric_value(*b, m), nv = metric_value(*n, m);
          cell = number(bv, m) + " -> " + number(nv, m) + " " + change_text(bv, nv, m);
        }
        std::snprintf(line, sizeof line, " | %26s", cell.c_str());
        out += line;
      }
      out += "\n";
    }
    std::fputs(out.c_str(), stdout);
  }
  std::fflush(stdout);
  for (const auto& x : matches) {
    const std::string who = x.row->method.empty() ? x.row->name : x.row->method + " " + x.row->name;
    std::fprintf(stderr, "endure: compare: %s %s %s -> %s matches '%s'\n", who.c_str(),
                 x.c->metric.c_str(), number(x.base, x.c->metric).c_str(),
                 number(x.now, x.c->metric).c_str(), x.c->text.c_str());
  }
  return matches.empty() ? 0 : static_cast<int>(base::exit_code::thresholds);
}

}  // namespace endure::app
