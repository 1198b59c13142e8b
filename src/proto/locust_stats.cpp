#include "proto/locust_stats.hpp"

#include <cmath>
#include <map>

#include "stats/delta_json.hpp"
#include "stats/histogram.hpp"

namespace endure::proto {
namespace {

using nlohmann::json;

// Per-second request and failure counts of an entry, keyed by Unix second.
struct per_second {
  std::map<int64_t, uint64_t> reqs, fails;
};

json int_map(const std::map<int64_t, uint64_t>& m) {
  json j = json::object();
  for (auto& [k, v] : m) j[std::to_string(k)] = v;
  return j;
}

json locust_entry(const stats::entry_delta& e, const per_second& ps, double start_time) {
  json rt = json::object();
  std::map<int64_t, uint64_t> rounded;
  for (auto& [index, n] : e.latency) {
    const double ms = static_cast<double>(stats::histogram::bucket_mid_us(index)) / 1000.0;
    rounded[locust_rounded_ms(ms)] += n;
  }
  for (auto& [k, n] : rounded) rt[std::to_string(k)] = n;
  const bool any = e.requests > 0;
  return json{{"name", e.name},
              {"method", e.method},
              {"last_request_timestamp", any ? json(e.last_wall_s) : json()},
              {"start_time", start_time},
              {"num_requests", e.requests},
              {"num_none_requests", 0},
              {"num_failures", e.failures},
              {"total_response_time", static_cast<double>(e.sum_us) / 1000.0},
              {"max_response_time", any ? static_cast<double>(e.max_us) / 1000.0 : 0.0},
              {"min_response_time", any ? json(static_cast<double>(e.min_us) / 1000.0) : json()},
              {"total_content_length", e.content_bytes},
              {"response_times", std::move(rt)},
              {"num_reqs_per_sec", int_map(ps.reqs)},
              {"num_fail_per_sec", int_map(ps.fails)}};
}

template <class T>
bool number(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_number()) return false;
  out = it->get<T>();
  return true;
}

}  // namespace

int64_t locust_rounded_ms(double ms) {
  if (ms < 100) return std::llround(ms);
  if (ms < 1000) return std::llround(ms / 10) * 10;
  if (ms < 10000) return std::llround(ms / 100) * 100;
  return std::llround(ms / 1000) * 1000;
}

json stats_report(const std::vector<stats::record_ptr>& records, uint64_t user_count,
                  const std::vector<std::pair<std::string, uint64_t>>& users_by_class) {
  stats::shard_delta sum;
  std::map<std::pair<std::string, std::string>, per_second> seconds;
  double start_time = 0;
  json own = json::array();
  for (const auto& r : records) {
    if (!r) continue;
    if (start_time == 0 || r->start_wall_s < start_time) start_time = r->start_wall_s;
    // The interval's second, as Locust keys its per-second counts (int(time.time())).
    const auto second = static_cast<int64_t>(std::floor(r->end_wall_s > 0 ? r->end_wall_s - 1e-6 : 0));
    for (const auto& e : r->data.entries) {
      auto& ps = seconds[{e.method, e.name}];
      if (e.requests) ps.reqs[second] += e.requests;
      if (e.failures) ps.fails[second] += e.failures;
    }
    stats::shard_delta copy = r->data;
    stats::merge(sum, std::move(copy));
    own.push_back(record_to_json(*r));
  }
  json entries = json::array();
  stats::entry_delta total;
  total.name = "Aggregated";
  per_second total_ps;
  for (const auto& e : sum.entries) {
    const auto& ps = seconds[{e.method, e.name}];
    entries.push_back(locust_entry(e, ps, start_time));
    stats::entry_delta part = e;
    part.method = total.method;
    part.name = total.name;
    stats::merge_entry(total, part);
    for (auto& [s, n] : ps.reqs) total_ps.reqs[s] += n;
    for (auto& [s, n] : ps.fails) total_ps.fails[s] += n;
  }
  json errors = json::object();
  for (const auto& f : sum.failures) {
    // Locust keys errors by a hash of "method.name.error"; any key unique per error merges the
    // same way on its master (an identical error from a Locust worker shows as its own row).
    errors[f.method + "." + f.name + "." + f.error] = {{"name", f.name},
                                                       {"method", f.method},
                                                       {"error", f.error},
                                                       {"occurrences", f.count}};
  }
  json classes = json::object();
  for (auto& [name, n] : users_by_class) classes[name] = n;
  json total_entry = locust_entry(total, total_ps, start_time);
  total_entry["method"] = "";
  return json{{"stats", std::move(entries)},
              {"stats_total", std::move(total_entry)},
              {"errors", std::move(errors)},
              {"user_classes_count", std::move(classes)},
              {"user_count", user_count},
              {"endure", {{"records", std::move(own)}}}};
}

base::result<std::vector<stats::interval_record>> records_of(const json& data) {
  std::vector<stats::interval_record> out;
  if (!data.is_object()) return base::make_error("bad stats report: not a map");
  auto it = data.find("endure");
  if (it == data.end()) return out;
  if (!it->is_object() || !it->contains("records") || !(*it)["records"].is_array())
    return base::make_error("bad stats report: 'endure' has no list of records");
  for (const auto& j : (*it)["records"]) {
    auto r = record_from_json(j);
    if (!r) return r.err();
    out.push_back(std::move(*r));
  }
  return out;
}

base::result<stats::shard_delta> delta_of_locust(const json& data) {
  stats::shard_delta d;
  if (!data.is_object()) return base::make_error("bad stats report: not a map");
  auto it = data.find("stats");
  if (it != data.end() && !it->is_null()) {
    if (!it->is_array()) return base::make_error("bad stats report: 'stats' is not a list");
    for (const auto& s : *it) {
      if (!s.is_object() || !s.contains("name") || !s["name"].is_string())
        return base::make_error("bad stats report: an entry without a name");
      stats::entry_delta e;
      e.name = s["name"].get<std::string>();
      if (s.contains("method") && s["method"].is_string()) e.method = s["method"].get<std::string>();
      double total_ms = 0, min_ms = 0, max_ms = 0, last = 0, start = 0;
      if (!number(s, "num_requests", e.requests) || !number(s, "num_failures", e.failures) ||
          !number(s, "total_response_time", total_ms) || !number(s, "min_response_time", min_ms) ||
          !number(s, "max_response_time", max_ms) || !number(s, "total_content_length", e.content_bytes) ||
          !number(s, "last_request_timestamp", last) || !number(s, "start_time", start))
        return base::make_error("bad stats report: a field of entry '" + e.name + "' is not a number");
      if (total_ms < 0 || min_ms < 0 || max_ms < 0 || !std::isfinite(total_ms) || !std::isfinite(min_ms) ||
          !std::isfinite(max_ms) || max_ms > 3.6e9 || total_ms > 1e15)
        return base::make_error("bad stats report: entry '" + e.name + "' has an impossible response time");
      e.sum_us = static_cast<uint64_t>(std::llround(total_ms * 1000));
      e.min_us = static_cast<uint64_t>(std::llround(min_ms * 1000));
      e.max_us = static_cast<uint64_t>(std::llround(max_ms * 1000));
      e.intended_min_us = e.min_us;
      e.intended_max_us = e.max_us;
      e.first_wall_s = start;
      e.last_wall_s = last;
      if (auto rt = s.find("response_times"); rt != s.end() && rt->is_object()) {
        std::map<uint32_t, uint64_t> buckets;
        for (auto k = rt->begin(); k != rt->end(); ++k) {
          char* end = nullptr;
          const double ms = std::strtod(k.key().c_str(), &end);
          if (end == k.key().c_str() || !std::isfinite(ms) || ms < 0 || !k.value().is_number_integer() || k.value().get<int64_t>() < 0)
            return base::make_error("bad stats report: a response time key of '" + e.name + "' is not a number");
          const auto us = static_cast<uint64_t>(std::min(ms * 1000, 3.6e9));
          buckets[stats::histogram::bucket_index(us)] += k.value().get<uint64_t>();
        }
        e.latency.assign(buckets.begin(), buckets.end());
      }
      if (e.requests > 0 || e.failures > 0) d.entries.push_back(std::move(e));
    }
  }
  if (auto er = data.find("errors"); er != data.end() && er->is_object()) {
    for (const auto& [key, v] : er->items()) {
      if (!v.is_object()) return base::make_error("bad stats report: error '" + key + "' is not a map");
      stats::failure_delta f;
      if (v.contains("name") && v["name"].is_string()) f.name = v["name"].get<std::string>();
      if (v.contains("method") && v["method"].is_string()) f.method = v["method"].get<std::string>();
      if (v.contains("error") && v["error"].is_string()) f.error = v["error"].get<std::string>();
      else if (v.contains("error")) f.error = v["error"].dump();
      if (!number(v, "occurrences", f.count))
        return base::make_error("bad stats report: occurrences of error '" + key + "' is not a number");
      d.failures.push_back(std::move(f));
    }
  }
  return d;
}

json record_to_json(const stats::interval_record& r) {
  json users = json::array();
  for (auto& [c, n] : r.users_by_class) users.push_back({c, n});
  return json{{"id", r.id},
              {"length_ms", r.length_ms},
              {"test", r.test},
              {"start_wall_s", r.start_wall_s},
              {"end_wall_s", r.end_wall_s},
              {"state", static_cast<int>(r.state)},
              {"stalled", r.stalled},
              {"is_final", r.is_final},
              {"user_count", r.user_count},
              {"peak_user_count", r.peak_user_count},
              {"users_by_class", std::move(users)},
              {"stage", r.stage},
              {"data", r.data},
              {"health",
               {{"cpu_percent", r.health.cpu_percent},
                {"rss_bytes", r.health.rss_bytes},
                {"loop_lag_ms", r.health.loop_lag_ms},
                {"cpu_saturated", r.health.cpu_saturated},
                {"cpu_high", r.health.cpu_high}}}};
}

base::result<stats::interval_record> record_from_json(const json& j) {
  // nlohmann throws on a type mismatch: one message for any malformed record.
  try {
    stats::interval_record r;
    if (!j.is_object() || !j.contains("id") || !j.contains("data"))
      return base::make_error("bad record: no id or data");
    r.id = j.at("id").get<uint64_t>();
    r.length_ms = j.value("length_ms", 1000u);
    r.test = j.value("test", uint64_t{0});
    r.start_wall_s = j.value("start_wall_s", 0.0);
    r.end_wall_s = j.value("end_wall_s", 0.0);
    const int state = j.value("state", static_cast<int>(stats::run_state::running));
    if (state < 0 || state > static_cast<int>(stats::run_state::stopped))
      return base::make_error("bad record: unknown state " + std::to_string(state));
    r.state = static_cast<stats::run_state>(state);
    r.stalled = j.value("stalled", false);
    r.is_final = j.value("is_final", false);
    r.user_count = j.value("user_count", uint64_t{0});
    r.peak_user_count = j.value("peak_user_count", uint64_t{0});
    if (auto u = j.find("users_by_class"); u != j.end())
      for (const auto& p : *u) r.users_by_class.emplace_back(p.at(0).get<std::string>(), p.at(1).get<uint64_t>());
    r.stage = j.value("stage", std::string());
    r.data = j.at("data").get<stats::shard_delta>();
    if (auto h = j.find("health"); h != j.end() && h->is_object()) {
      r.health.cpu_percent = h->value("cpu_percent", 0.0);
      r.health.rss_bytes = h->value("rss_bytes", uint64_t{0});
      r.health.loop_lag_ms = h->value("loop_lag_ms", 0.0);
      r.health.cpu_saturated = h->value("cpu_saturated", false);
      r.health.cpu_high = h->value("cpu_high", false);
    }
    for (const auto& e : r.data.entries) {
      if (e.requests > 0 && e.min_us > e.max_us) return base::make_error("bad record: min above max");
      // Merges assume ascending, in-range bucket indices: anything else is refused here.
      for (const auto* c : {&e.latency, &e.intended})
        for (size_t k = 0; k < c->size(); ++k)
          if ((*c)[k].first >= stats::histogram::bucket_total || (k > 0 && (*c)[k].first <= (*c)[k - 1].first))
            return base::make_error("bad record: bucket indices out of range or order");
    }
    return r;
  } catch (const std::exception& e) {
    return base::make_error(std::string("bad record: ") + e.what());
  }
}

}  // namespace endure::proto
