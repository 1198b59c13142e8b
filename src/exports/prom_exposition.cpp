#include "exports/prom_exposition.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "stats/histogram.hpp"

namespace endure::exports {
namespace {

std::string escape(const std::string &v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string num(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return std::to_string(static_cast<int64_t>(v));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string le_text(double s) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

} // namespace

std::vector<double> default_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

base::result<std::vector<double>> parse_buckets(const std::string &text) {
  std::vector<double> out;
  const char *what =
      "increasing bucket bounds in seconds, e.g. 0.005,0.01,0.05,0.1,0.5,1";
  size_t i = 0;
  while (i <= text.size()) {
    size_t comma = text.find(',', i);
    if (comma == std::string::npos)
      comma = text.size();
    std::string item = text.substr(i, comma - i);
    while (!item.empty() && item.front() == ' ')
      item.erase(0, 1);
    while (!item.empty() && item.back() == ' ')
      item.pop_back();
    char *end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !std::isfinite(v) || v <= 0 ||
        (!out.empty() && v <= out.back()))
      return base::make_error(what);
    out.push_back(v);
    i = comma + 1;
  }
  if (out.empty() || out.size() > 100)
    return base::make_error(what);
  return out;
}

prom_exposition::prom_exposition(std::vector<double> buckets_s,
                                 size_t max_entries)
    : buckets_s_(std::move(buckets_s)), max_entries_(max_entries) {
  for (double s : buckets_s_)
    bucket_us_.push_back(static_cast<uint64_t>(std::llround(s * 1e6)));
}

void prom_exposition::add(const stats::interval_record &r) {
  std::lock_guard lock(mutex_);
  ++records_;
  for (const auto &e : r.data.entries) {
    auto key = std::make_pair(e.method, e.name);
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      if (entries_.size() >= max_entries_) {
        ++dropped_entries_;
        continue;
      }
      it = entries_.emplace(key, entry{}).first;
      it->second.buckets.assign(bucket_us_.size() + 1,
                                0); // the last one: above every bound
    }
    auto &a = it->second;
    a.requests += e.requests;
    a.failures += e.failures;
    a.sum_s += static_cast<double>(e.sum_us) / 1e6;
    for (const auto &[index, count] : e.latency) {
      // A histogram bucket is 0.1% wide: its midpoint decides which side of a
      // bound it is on.
      const uint64_t us = stats::histogram::bucket_mid_us(index);
      const size_t b = static_cast<size_t>(
          std::lower_bound(bucket_us_.begin(), bucket_us_.end(), us) -
          bucket_us_.begin());
      a.buckets[b] += count;
    }
  }
  for (const auto &f : r.data.failures)
    errors_[{f.method, f.name, f.error}] += f.count;
  users_ = r.user_count;
  cpu_percent_ = r.health.cpu_percent;
  rss_bytes_ = static_cast<double>(r.health.rss_bytes);
  for (const auto &m : r.monitor)
    monitor_[{m.source, m.metric}] = m.value;
}

uint64_t prom_exposition::records() const {
  std::lock_guard lock(mutex_);
  return records_;
}

std::string prom_exposition::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  auto labels = [](const std::string &method, const std::string &name) {
    return "method=\"" + escape(method) + "\",name=\"" + escape(name) + "\"";
  };
  out +=
      "# HELP endure_requests_total Requests completed, per method and name.\n"
      "# TYPE endure_requests_total counter\n";
  for (const auto &[k, e] : entries_)
    out += "endure_requests_total{" + labels(k.first, k.second) + "} " +
           num(static_cast<double>(e.requests)) + "\n";
  out += "# HELP endure_request_failures_total Requests that failed, per "
         "method and name.\n"
         "# TYPE endure_request_failures_total counter\n";
  for (const auto &[k, e] : entries_)
    out += "endure_request_failures_total{" + labels(k.first, k.second) + "} " +
           num(static_cast<double>(e.failures)) + "\n";
  out += "# HELP endure_request_errors_total Failed requests per method, name "
         "and error.\n"
         "# TYPE endure_request_errors_total counter\n";
  for (const auto &[k, n] : errors_)
    out += "endure_request_errors_total{" +
           labels(std::get<0>(k), std::get<1>(k)) + ",error=\"" +
           escape(std::get<2>(k)) + "\"} " + num(static_cast<double>(n)) + "\n";
  out += "# HELP endure_request_duration_seconds Response times (from the "
         "actual send), per method and name.\n"
         "# TYPE endure_request_duration_seconds histogram\n";
  for (const auto &[k, e] : entries_) {
    const std::string l = labels(k.first, k.second);
    uint64_t cum = 0;
    for (size_t b = 0; b < buckets_s_.size(); ++b) {
      cum += e.buckets[b];
      out += "endure_request_duration_seconds_bucket{" + l + ",le=\"" +
             le_text(buckets_s_[b]) + "\"} " + num(static_cast<double>(cum)) +
             "\n";
    }
    cum += e.buckets.back();
    out += "endure_request_duration_seconds_bucket{" + l + ",le=\"+Inf\"} " +
           num(static_cast<double>(cum)) + "\n";
    out +=
        "endure_request_duration_seconds_sum{" + l + "} " + num(e.sum_s) + "\n";
    out += "endure_request_duration_seconds_count{" + l + "} " +
           num(static_cast<double>(cum)) + "\n";
  }
  out += "# HELP endure_users Users running now.\n# TYPE endure_users "
         "gauge\nendure_users " +
         num(static_cast<double>(users_)) + "\n";
  out += "# HELP endure_generator_cpu_percent CPU of the endure process over "
         "the last interval (100 = one core).\n"
         "# TYPE endure_generator_cpu_percent "
         "gauge\nendure_generator_cpu_percent " +
         num(cpu_percent_) + "\n";
  out +=
      "# HELP endure_generator_rss_bytes Resident memory of the endure "
      "process.\n"
      "# TYPE endure_generator_rss_bytes gauge\nendure_generator_rss_bytes " +
      num(rss_bytes_) + "\n";
  out += "# HELP endure_monitor The latest sample of each monitored series "
         "(--monitor-*).\n# TYPE endure_monitor gauge\n";
  for (const auto &[k, v] : monitor_)
    out += "endure_monitor{source=\"" + escape(k.first) + "\",metric=\"" +
           escape(k.second) + "\"} " + num(v) + "\n";
  out += "# HELP endure_entries_dropped_total Request names beyond the cap, "
         "left out of these metrics.\n"
         "# TYPE endure_entries_dropped_total "
         "counter\nendure_entries_dropped_total " +
         num(static_cast<double>(dropped_entries_)) + "\n";
  return out;
}

} // namespace endure::exports
